"""`RiskEngine`: mode gating and hard limits for one decision (pure).

`evaluate` starts from the reducer's mode and tightens it with what the decision sees now: a
stale or missing snapshot (REDUCE_ONLY), the FLATTEN phase (FLATTEN), boot, the end of the hour,
the hard cutoff or a market that does not accept orders (HALT: nothing may be built). It returns
a `RiskDecision` with reasons, never raises.

`clamp_intent` enforces, whatever the strategy asked for:
- HALT: nothing. REDUCE_ONLY and FLATTEN: only orders that reduce |net Up exposure|, and in total
  no more than the exposure there is.
- NORMAL: exposure-increasing orders only up to the inventory cap (`compute_target_inventory`),
  order size <= `max_order_size_e6`, collateral of BUYs <= `max_reserved_usdc_e6`, at most
  `max_open_orders` orders.
- Every GTD order needs `expiration >= now + min_gtd_lead_ms`; nothing is built past the cutoff.
- Quoting paused by the operator: nothing, except unwinding in FLATTEN.
"""

from __future__ import annotations

import msgspec

from hourmm_common.enums import RiskMode, SessionState
from polymarket_trader.core.context import DecisionContext, DesiredOrder, StrategyIntent
from polymarket_trader.core.events import MarketStatus, OrderType, Side, notional_e6
from polymarket_trader.core.modes import SEVERITY
from polymarket_trader.core.orders import OrderState
from polymarket_trader.core.params import DecisionParams, RiskLimits, gtd_allowed
from polymarket_trader.core.state import CanonicalState

SIZE_STEP_E6 = 10_000  # order sizes have 2 decimals


class RiskDecision(msgspec.Struct, frozen=True, kw_only=True):
    mode: RiskMode
    reasons: tuple[str, ...]
    quoting_allowed: bool  # False: no new quotes (paused, or mode above NORMAL), unwinds may remain
    inventory_cap_e6: int  # max |net Up exposure| allowed now (shrinks through WIND_DOWN)

    @property
    def allows_increase(self) -> bool:
        return self.mode is RiskMode.NORMAL


class RiskEngine:
    """Stateless apart from its parameters; limits come from the view (the operator may change them)."""

    def __init__(self, params: DecisionParams) -> None:
        self.params = params

    def evaluate(self, ctx: DecisionContext) -> RiskDecision:
        mode, reasons = ctx.mode, [ctx.view.mode_reason] if ctx.mode is not RiskMode.NORMAL else []

        def tighten(m: RiskMode, why: str) -> None:
            nonlocal mode
            if SEVERITY[m] >= SEVERITY[mode]:
                mode = m
            reasons.append(why)

        market = ctx.market
        if market is None:
            tighten(RiskMode.HALT, "no_market")
        elif not market.accepting_orders or ctx.view.market_view.status is not MarketStatus.OPEN:
            tighten(RiskMode.HALT, "market_not_accepting")
        if ctx.session in (SessionState.BOOT_SYNC, SessionState.DONE):
            tighten(RiskMode.HALT, f"session_{ctx.session.value.lower()}")
        if ctx.past_cutoff:
            tighten(RiskMode.HALT, "past_cutoff")
        if ctx.session is SessionState.FLATTEN:
            tighten(RiskMode.FLATTEN, "session_flatten")
        if not ctx.snapshot_fresh:
            tighten(RiskMode.REDUCE_ONLY, "snapshot_not_fresh")
        paused = ctx.view.flags.quoting_paused
        if paused:
            reasons.append("quoting_paused")
        return RiskDecision(mode=mode, reasons=tuple(reasons), quoting_allowed=not paused and mode is RiskMode.NORMAL,
                            inventory_cap_e6=self.compute_target_inventory(ctx.t_remaining_ms, ctx.view))

    def compute_target_inventory(self, t_remaining_ms: int, view: CanonicalState) -> int:
        """Max |net Up exposure| (e6 shares) allowed with `t_remaining_ms` to the hour end: the full
        position limit until WIND_DOWN, then linearly down to zero at the FLATTEN phase."""
        timers = view.params.timers
        cap = view.limits.max_position_e6
        wind, flat = timers.wind_down_before_end_ms, timers.flatten_before_end_ms
        if t_remaining_ms >= wind:
            return cap
        if t_remaining_ms <= flat:
            return 0
        return cap * (t_remaining_ms - flat) // (wind - flat)

    def compute_reserved_capital(self, view: CanonicalState) -> int:
        """pUSD (e6) locked by our working BUY orders (price times unfilled size)."""
        return sum(o.reserved_usdc_e6() for o in view.open_orders.values())

    def is_action_allowed(self, order: DesiredOrder, decision: RiskDecision, ctx: DecisionContext) -> bool:
        """One order on its own: built before the cutoff, with a valid expiration, and in HALT /
        REDUCE_ONLY / FLATTEN only if it reduces exposure."""
        if decision.mode is RiskMode.HALT or ctx.past_cutoff or ctx.market is None:
            return False
        if order.order_type is OrderType.GTD and not gtd_allowed(ctx.now_ms, ctx.expiration_s, self.params):
            return False
        if decision.mode is not RiskMode.NORMAL:
            return _reduces(order, ctx.positions.net_up_e6)
        return True

    def clamp_intent(self, intent: StrategyIntent, decision: RiskDecision, ctx: DecisionContext) -> StrategyIntent:
        if ctx.view.flags.quoting_paused and decision.mode is not RiskMode.FLATTEN:
            return StrategyIntent(reason="quoting_paused")  # paused: no quotes at all; flattening goes on
        limits: RiskLimits = ctx.view.limits
        net = ctx.positions.net_up_e6
        out: list[DesiredOrder] = []
        reduce_budget = abs(net)  # total size of reducing orders may not flip the position
        increase_room = max(0, decision.inventory_cap_e6 - abs(net))
        collateral_left = limits.max_reserved_usdc_e6 - _kept_collateral(ctx.working, intent)
        max_orders = min(limits.max_open_orders, self.params.max_working_orders)
        for order in intent.orders:
            if len(out) >= max_orders or not self.is_action_allowed(order, decision, ctx):
                continue
            size = min(order.size_e6, limits.max_order_size_e6)
            if _reduces(order, net):
                size = min(size, reduce_budget)
            else:
                if not decision.allows_increase or not decision.quoting_allowed:
                    continue
                size = min(size, increase_room)
            if order.side is Side.BUY and order.price_e4 > 0:
                size = min(size, max(0, collateral_left) * 10_000 // order.price_e4)
            size -= size % SIZE_STEP_E6
            if not self._big_enough(order, size, ctx):
                continue
            if _reduces(order, net):
                reduce_budget -= size
            else:
                increase_room -= size
            if order.side is Side.BUY:
                collateral_left -= notional_e6(order.price_e4, size)
            out.append(order if size == order.size_e6 else msgspec.structs.replace(order, size_e6=size))
        return StrategyIntent(orders=tuple(out), reason=intent.reason)

    def _big_enough(self, order: DesiredOrder, size_e6: int, ctx: DecisionContext) -> bool:
        if size_e6 <= 0:
            return False
        if order.order_type is OrderType.FAK:
            return notional_e6(order.price_e4, size_e6) >= self.params.marketable_min_notional_e6
        return size_e6 >= ctx.min_size_e6


def _reduces(order: DesiredOrder, net_e6: int) -> bool:
    """True when filling the order moves net Up exposure toward zero (never when flat)."""
    d = order.net_delta_e6
    return net_e6 != 0 and (d > 0) != (net_e6 > 0)


def _kept_collateral(working: tuple[OrderState, ...], intent: StrategyIntent) -> int:
    """Collateral of working BUYs in slots the intent does not re-price (they stay reserved)."""
    slots = {o.slot for o in intent.orders}
    return sum(o.reserved_usdc_e6() for o in working if o.slot not in slots)
