"""Strategies: pure functions of a `DecisionContext` (and the risk decision) to a `StrategyIntent`.

A `Strategy` is a Protocol with one pure method; config picks one from `STRATEGIES` by name.
`OpportunisticQuoteStrategy` makes a two-sided post-only market around the pricer's fair value:
the spread widens with the pricer's uncertainty and as expiry nears, the centre skews against
inventory, sizes taper with inventory and shrink through WIND_DOWN. The ask side SELLs Up we hold
and that has settled, otherwise it BUYs Down at `1 - ask` (the same exposure). In FLATTEN it
unwinds by buying the complement (the venue often refuses to sell just-bought shares): a post-only
GTD one tick under the best ask while GTD is allowed, then a marketable FAK at the best ask
(the taker fee is the price of being flat by the cutoff). Risk limits are applied afterwards by
`RiskEngine.clamp_intent`; a strategy never needs to know them to be safe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import msgspec

from hourmm_common.enums import RiskMode, SessionState
from polymarket_trader.core.context import DecisionContext, DesiredOrder, StrategyIntent
from polymarket_trader.core.events import PRICE_SCALE, OrderType, Side, Token
from polymarket_trader.core.params import DecisionParams, gtd_allowed
from polymarket_trader.core.quote_composer import QuoteComposer, QuoteParams, round_size
from polymarket_trader.core.risk import RiskDecision


class StrategyParams(msgspec.Struct, frozen=True, kw_only=True):
    name: str = "opportunistic"
    base_size_e6: int = 10_000_000  # 10 shares per side
    min_wind_down_factor: float = 0.0  # sizes shrink linearly to this fraction at the FLATTEN phase
    take_min_edge: float = 0.02  # DirectionalTakerStrategy: edge after fee and band, in probability
    quotes: QuoteParams = QuoteParams()


class Strategy(Protocol):
    name: str

    def on_tick(self, ctx: DecisionContext, risk: RiskDecision) -> StrategyIntent: ...


class OpportunisticQuoteStrategy:
    name = "opportunistic"

    def __init__(self, params: StrategyParams, decision: DecisionParams) -> None:
        self.params = params
        self.decision = decision
        self.composer = QuoteComposer(params.quotes)

    def on_tick(self, ctx: DecisionContext, risk: RiskDecision) -> StrategyIntent:
        if risk.mode is RiskMode.HALT:
            return StrategyIntent(reason="halt")
        if risk.mode is RiskMode.FLATTEN:
            return self.flatten(ctx)
        if ctx.fair is None or not ctx.snapshot_fresh:
            return StrategyIntent(reason="no_fair_value")
        base = self.params.base_size_e6 * self._size_factor(ctx)
        cap = max(risk.inventory_cap_e6, 1)
        net = ctx.positions.net_up_e6
        bid_size = int(base * max(0.0, 1 - max(0, net) / cap))
        ask_size = int(base * max(0.0, 1 - max(0, -net) / cap))
        qs = self.composer.compose(ctx.fair, ctx, bid_size, ask_size, risk.inventory_cap_e6)
        orders: list[DesiredOrder] = []
        if qs.bid is not None:
            orders.append(DesiredOrder(slot="bid", token=Token.UP, side=Side.BUY, price_e4=qs.bid.price_e4,
                                       size_e6=qs.bid.size_e6, reason="quote"))
        if qs.ask is not None:
            held = ctx.positions.up_settled_e6
            if held >= qs.ask.size_e6:
                orders.append(DesiredOrder(slot="ask", token=Token.UP, side=Side.SELL, price_e4=qs.ask.price_e4,
                                           size_e6=qs.ask.size_e6, reason="quote"))
            else:
                orders.append(DesiredOrder(slot="ask", token=Token.DOWN, side=Side.BUY,
                                           price_e4=PRICE_SCALE - qs.ask.price_e4, size_e6=qs.ask.size_e6,
                                           reason="quote"))
        return StrategyIntent(orders=tuple(orders), reason="quote")

    def _size_factor(self, ctx: DecisionContext) -> float:
        if ctx.session is not SessionState.WIND_DOWN:
            return 1.0
        timers = ctx.view.params.timers
        span = timers.wind_down_before_end_ms - timers.flatten_before_end_ms
        left = (ctx.t_remaining_ms - timers.flatten_before_end_ms) / span if span > 0 else 0.0
        lo = self.params.min_wind_down_factor
        return lo + (1.0 - lo) * max(0.0, min(1.0, left))

    def flatten(self, ctx: DecisionContext) -> StrategyIntent:
        """Unwind net exposure by buying the complement (post-only while GTD works, then FAK)."""
        net = ctx.positions.net_up_e6
        size = round_size(abs(net))
        if size <= 0:
            return StrategyIntent(reason="flat")
        token = Token.DOWN if net > 0 else Token.UP
        mv = ctx.view.market_view
        ask = mv.best_ask(token)
        if ask is None:
            other_bid = mv.best_bid(Token.UP if token is Token.DOWN else Token.DOWN)
            ask = PRICE_SCALE - other_bid if other_bid is not None else None
        if ask is None:
            return StrategyIntent(reason="flatten_no_price")
        tick = ctx.tick_e4
        if gtd_allowed(ctx.now_ms, ctx.expiration_s, self.decision):
            price = ask - tick
            if price < tick:
                return StrategyIntent(reason="flatten_no_price")
            order = DesiredOrder(slot="flat", token=token, side=Side.BUY, price_e4=price, size_e6=size,
                                 reason="flatten_passive")
        else:
            order = DesiredOrder(slot="flat", token=token, side=Side.BUY, price_e4=min(ask, PRICE_SCALE - tick),
                                 size_e6=size, order_type=OrderType.FAK, reason="flatten_take")
        return StrategyIntent(orders=(order,), reason=order.reason)


class DirectionalTakerStrategy:
    """Take (FAK at the best ask) when the fair value beats the market by more than the taker fee,
    half the pricer's band and `take_min_edge`: BUY Up when fair is above Up's ask, BUY Down when
    1 - fair is above Down's ask. Only in NORMAL mode and the ACTIVE phase; sizes and inventory
    limits come from `RiskEngine.clamp_intent` like any other intent. Otherwise it unwinds in
    FLATTEN exactly like the quoting strategy.
    """

    name = "directional_taker"

    def __init__(self, params: StrategyParams, decision: DecisionParams) -> None:
        self.params = params
        self.flattener = OpportunisticQuoteStrategy(params, decision)

    def on_tick(self, ctx: DecisionContext, risk: RiskDecision) -> StrategyIntent:
        if risk.mode is RiskMode.FLATTEN:
            return self.flattener.flatten(ctx)
        if (risk.mode is not RiskMode.NORMAL or ctx.session is not SessionState.ACTIVE or ctx.fair is None
                or ctx.market is None):
            return StrategyIntent(reason="no_take")
        fees = ctx.market.fees
        rate = fees.rate_bps / 10_000 if fees.enabled else 0.0
        mv = ctx.view.market_view
        for token, value in ((Token.UP, ctx.fair), (Token.DOWN, 1.0 - ctx.fair)):
            ask = mv.best_ask(token)
            if ask is None:
                continue
            p = ask / PRICE_SCALE
            edge = value - p - rate * (p * (1 - p)) ** fees.exponent - ctx.band_half_width
            if edge > self.params.take_min_edge:
                order = DesiredOrder(slot="take", token=token, side=Side.BUY, price_e4=ask,
                                     size_e6=round_size(self.params.base_size_e6), order_type=OrderType.FAK,
                                     reason=f"take_edge_{edge:.4f}")
                return StrategyIntent(orders=(order,), reason="take")
        return StrategyIntent(reason="no_edge")


StrategyFactory = Callable[[StrategyParams, DecisionParams], Strategy]

STRATEGIES: dict[str, StrategyFactory] = {
    "opportunistic": OpportunisticQuoteStrategy,
    "directional_taker": DirectionalTakerStrategy,
}
"""Config picks a strategy by name (`StrategyParams.name`)."""
