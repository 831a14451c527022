"""`QuoteComposer`: fair value + spread + skew -> two post-only quotes on the venue's grid.

Prices in `_e4`. Rounding never improves past fair: the bid rounds down, the ask up. Quotes stay
inside [tick, 1 - tick] and one tick behind the opposite best (post-only would be refused if it
crossed). The ask is expressed on the Up book; `strategy` turns it into a SELL of Up or a BUY of
Down at `1 - ask`, and the composer already keeps that BUY one tick below Down's best ask.
Sizes are rounded down to 0.01 share; a side under the market's minimum size is dropped.
"""

from __future__ import annotations

import math

import msgspec

from polymarket_trader.core.context import DecisionContext
from polymarket_trader.core.events import PRICE_SCALE, Token

SIZE_STEP_E6 = 10_000


class QuoteParams(msgspec.Struct, frozen=True, kw_only=True):
    min_spread_ticks: int = 1  # each side at least this many ticks from fair
    base_half_spread: float = 0.01  # in probability (1 cent)
    uncertainty_mult: float = 1.0  # * half the pricer's band
    time_spread: float = 0.005  # widening as expiry nears: time_spread * (sqrt(1h / t_rem) - 1)
    max_half_spread: float = 0.15
    # Reservation price shift at full inventory (probability). With the default cap (40 shares) and
    # quote size (10), one filled quote moves the centre 1 cent, a whole base half-spread.
    skew_at_cap: float = 0.04
    replace_min_ticks: int = 2
    max_quotes_per_side: int = 1


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    price_e4: int
    size_e6: int


class QuoteSet(msgspec.Struct, frozen=True, kw_only=True):
    """Bid and ask for the Up token (None: that side is not quoted)."""

    bid: Quote | None
    ask: Quote | None


def round_to_tick(price_e4: float, tick_e4: int, *, up: bool) -> int:
    """The grid price at or below (`up=False`) or at or above (`up=True`) `price_e4`."""
    steps = price_e4 / tick_e4
    n = math.ceil(steps - 1e-6) if up else math.floor(steps + 1e-6)
    return int(n) * tick_e4


def round_size(size_e6: int) -> int:
    return size_e6 - size_e6 % SIZE_STEP_E6


class QuoteComposer:
    def __init__(self, params: QuoteParams) -> None:
        self.params = params
        self.min_spread_ticks = params.min_spread_ticks
        self.replace_min_ticks = params.replace_min_ticks
        self.max_quotes_per_side = params.max_quotes_per_side

    def half_spread(self, ctx: DecisionContext) -> float:
        """Wider with the pricer's uncertainty and as expiry nears (gamma grows as sqrt(1/tau))."""
        p = self.params
        t_rem = max(ctx.t_remaining_ms, 60_000)
        time_term = p.time_spread * (math.sqrt(3_600_000 / t_rem) - 1.0)
        half = p.base_half_spread + p.uncertainty_mult * ctx.band_half_width + max(0.0, time_term)
        return min(half, p.max_half_spread)

    def compose(self, fair: float, ctx: DecisionContext, bid_size_e6: int, ask_size_e6: int,
                inventory_cap_e6: int) -> QuoteSet:
        half = self.half_spread(ctx)
        tick = ctx.tick_e4
        raw = QuoteSet(bid=Quote(price_e4=0, size_e6=bid_size_e6), ask=Quote(price_e4=0, size_e6=ask_size_e6))
        centre = self.with_inventory_skew(fair, ctx.positions.net_up_e6, inventory_cap_e6)
        fair_e4 = fair * PRICE_SCALE
        min_off = self.min_spread_ticks * tick
        bid_e4 = round_to_tick(min((centre - half) * PRICE_SCALE, fair_e4 - min_off), tick, up=False)
        ask_e4 = round_to_tick(max((centre + half) * PRICE_SCALE, fair_e4 + min_off), tick, up=True)
        mv = ctx.view.market_view
        best_ask_up, best_bid_up, best_ask_down = mv.best_ask(Token.UP), mv.best_bid(Token.UP), mv.best_ask(Token.DOWN)
        if best_ask_up is not None:
            bid_e4 = min(bid_e4, best_ask_up - tick)
        if best_bid_up is not None:
            ask_e4 = max(ask_e4, best_bid_up + tick)
        if best_ask_down is not None:  # the ask may become BUY Down at 1 - ask: stay below Down's ask
            ask_e4 = max(ask_e4, PRICE_SCALE - best_ask_down + tick)
        return self.enforce_bounds(raw, bid_e4, ask_e4, ctx)

    def with_inventory_skew(self, fair: float, net_up_e6: int, inventory_cap_e6: int) -> float:
        """Shift the quoting centre against our inventory: long Up -> lower, so asks fill first."""
        cap = max(inventory_cap_e6, SIZE_STEP_E6)
        ratio = max(-1.5, min(1.5, net_up_e6 / cap))
        return fair - self.params.skew_at_cap * ratio

    def enforce_bounds(self, raw: QuoteSet, bid_e4: int, ask_e4: int, ctx: DecisionContext) -> QuoteSet:
        tick = ctx.tick_e4
        lo, hi = tick, PRICE_SCALE - tick
        bid = ask = None
        if raw.bid is not None and lo <= bid_e4 <= hi and round_size(raw.bid.size_e6) >= ctx.min_size_e6:
            bid = Quote(price_e4=bid_e4, size_e6=round_size(raw.bid.size_e6))
        if raw.ask is not None and lo <= ask_e4 <= hi and round_size(raw.ask.size_e6) >= ctx.min_size_e6:
            ask = Quote(price_e4=ask_e4, size_e6=round_size(raw.ask.size_e6))
        return QuoteSet(bid=bid, ask=ask)
