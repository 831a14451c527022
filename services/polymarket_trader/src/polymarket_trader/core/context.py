"""What one decision sees and what the strategy asks for: `DecisionContext`, `DesiredOrder`,
`StrategyIntent`.

`build_context` is pure: the frozen state view, the latest Binance snapshot, the time and the
decision number in, a context out. Risk, strategy and order manager read only the context; the
step that runs them (`core.decision.step`) lives apart so that they can import these types
without importing the step.
"""

from __future__ import annotations

import msgspec

from hourmm_common.enums import RiskMode, SessionState
from hourmm_common.snapshot import BinanceSnapshot
from polymarket_trader.core.events import MarketInfo, OrderType, Side, Token
from polymarket_trader.core.orders import OrderState
from polymarket_trader.core.params import DecisionParams, cutoff_ms, gtd_expiration_s
from polymarket_trader.core.state import CanonicalState, Positions


class DecisionContext(msgspec.Struct, frozen=True, kw_only=True):
    now_ms: int
    n: int  # decision number: part of every client_req_id, so ids derive from inputs
    view: CanonicalState
    snapshot: BinanceSnapshot | None
    market: MarketInfo | None
    session: SessionState
    mode: RiskMode  # the reducer's mode; RiskEngine.evaluate may tighten it
    fair: float | None  # p(Up) from the snapshot
    band_half_width: float  # half the pricer's uncertainty band (0 when absent)
    snapshot_fresh: bool
    tick_e4: int
    min_size_e6: int
    t_remaining_ms: int  # to the hour end
    cutoff_ms: int
    expiration_s: int  # for GTD quotes built now (cutoff + 60 s)
    positions: Positions
    working: tuple[OrderState, ...]  # our working orders in the active market

    @property
    def past_cutoff(self) -> bool:
        return self.now_ms >= self.cutoff_ms


class DesiredOrder(msgspec.Struct, frozen=True, kw_only=True):
    """One order the strategy wants working in a slot ("bid", "ask", "flat")."""

    slot: str
    token: Token
    side: Side
    price_e4: int
    size_e6: int
    order_type: OrderType = OrderType.GTD
    reason: str = ""

    @property
    def net_delta_e6(self) -> int:
        """Change of net Up exposure if this order fills completely."""
        up_long = (self.token is Token.UP) == (self.side is Side.BUY)
        return self.size_e6 if up_long else -self.size_e6


class StrategyIntent(msgspec.Struct, frozen=True, kw_only=True):
    orders: tuple[DesiredOrder, ...] = ()
    reason: str = ""


def build_context(view: CanonicalState, snapshot: BinanceSnapshot | None, now_ms: int, n: int,
                  params: DecisionParams) -> DecisionContext:
    market = view.active_market
    fresh = (snapshot is not None and not snapshot.stale and snapshot.p_yes_fair is not None
             and now_ms - snapshot.ts_local_ms <= params.snapshot_max_age_ms
             and (market is None or snapshot.hour_start_ts_ms == market.hour_start_ms))
    band = 0.0
    if snapshot is not None and snapshot.p_yes_band_lo is not None and snapshot.p_yes_band_hi is not None:
        band = max(0.0, (snapshot.p_yes_band_hi - snapshot.p_yes_band_lo) / 2)
    if market is not None:
        timers = view.params.timers
        cut = cutoff_ms(market.hour_end_ms, timers)
        t_rem = max(0, market.hour_end_ms - now_ms)
        exp_s = gtd_expiration_s(market.hour_end_ms, timers, params)
        working = tuple(o for o in view.open_orders.values() if o.condition_id == market.condition_id)
    else:
        cut, t_rem, exp_s, working = now_ms, 0, 0, tuple(view.open_orders.values())
    return DecisionContext(
        now_ms=now_ms, n=n, view=view, snapshot=snapshot, market=market, session=view.session_state,
        mode=view.risk_mode, fair=snapshot.p_yes_fair if snapshot is not None else None, band_half_width=band,
        snapshot_fresh=fresh, tick_e4=view.market_view.tick_e4,
        min_size_e6=market.min_size_e6 if market is not None else 5_000_000, t_remaining_ms=t_rem, cutoff_ms=cut,
        expiration_s=exp_s, positions=view.positions, working=working)
