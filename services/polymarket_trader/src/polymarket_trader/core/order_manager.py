"""`OrderManager.reconcile(desired, working)`: the actions that turn what works into what is wanted.

Minimal churn: a working quote stays unless its slot is no longer wanted, it is on the wrong
token/side/type, it is off the current tick grid (tick change), it is larger than wanted (risk
shrank it), or its price is off by >= `replace_min_ticks` and it has rested `replace_min_age_ms`.
A replace is a cancel plus a place in the same batch. Orders in a slot whose last action is not
yet reflected in the view (in flight) are left alone: never a duplicate. Every GTD order carries
`expiration = cutoff + 60 s` and is built only while that is >= now + 180 s; FAK orders are
marketable, expiration 0, not post-only. Past the cutoff the only actions are cancels.
"""

from __future__ import annotations

from collections.abc import Collection

import msgspec

from polymarket_trader.core.context import DecisionContext, DesiredOrder, StrategyIntent
from polymarket_trader.core.effects import CancelOrders, OrderAction, PlaceOrder
from polymarket_trader.core.events import PRICE_SCALE, OrderTerms, OrderType, Side
from polymarket_trader.core.orders import OrderState, OrderStatus
from polymarket_trader.core.params import DecisionParams, gtd_allowed
from polymarket_trader.core.quote_composer import round_to_tick

_RESTING = (OrderStatus.LIVE, OrderStatus.PARTIALLY_FILLED)
_BUSY = (OrderStatus.PENDING_SUBMIT, OrderStatus.UNKNOWN)
SHRINK_TOLERANCE_E6 = 1_000_000  # a working order more than 1 share larger than wanted is replaced


class OrderManager:
    def __init__(self, params: DecisionParams) -> None:
        self.params = params
        self.max_working_orders = params.max_working_orders
        self.replace_min_ticks = params.replace_min_ticks
        self.replace_min_age_ms = params.replace_min_age_ms

    def reconcile(self, desired: StrategyIntent, working: tuple[OrderState, ...], ctx: DecisionContext, *,
                  inflight_slots: Collection[str] = (), inflight_cancels: Collection[str] = ()) -> list[OrderAction]:
        wanted = {d.slot: d for d in self.enforce_tick_and_bounds(desired, ctx.tick_e4).orders}
        if ctx.past_cutoff or ctx.market is None:
            wanted = {}
        cancel: list[str] = []
        kept_slots: set[str] = set()
        busy_slots: set[str] = set(inflight_slots)
        for o in working:
            if o.status in _BUSY:
                busy_slots.add(o.slot)
            if o.status not in _RESTING or o.order_id in inflight_cancels:
                continue
            d = wanted.get(o.slot)
            if d is None or o.slot in kept_slots or self.should_replace(o, d, ctx):
                cancel.append(o.order_id)
            else:
                kept_slots.add(o.slot)
        actions: list[OrderAction] = []
        if cancel:
            actions.append(CancelOrders(client_req_id=f"{self._prefix(ctx)}:cancel", order_ids=tuple(cancel),
                                        reason="reconcile"))
        live_after = sum(1 for o in working if o.status in _RESTING and o.order_id not in cancel) + sum(
            1 for o in working if o.status in _BUSY)
        for slot, d in wanted.items():
            if slot in kept_slots or slot in busy_slots or live_after >= self.max_working_orders:
                continue
            place = self._build(d, ctx)
            if place is not None:
                actions.append(place)
                live_after += 1
        return actions

    def should_replace(self, existing: OrderState, desired: DesiredOrder, ctx: DecisionContext) -> bool:
        if (existing.token, existing.side) != (desired.token, desired.side):
            return True
        if existing.order_type is not desired.order_type or existing.price_e4 % ctx.tick_e4:
            return True  # off the current grid after a tick change: re-round now
        if existing.remaining_e6 > desired.size_e6 + SHRINK_TOLERANCE_E6:
            return True  # risk wants less resting than there is: do not wait
        moved = abs(existing.price_e4 - desired.price_e4) >= self.replace_min_ticks * ctx.tick_e4
        return moved and ctx.now_ms - existing.created_ms >= self.replace_min_age_ms

    def build_expiration(self, ctx: DecisionContext) -> int:
        """Unix seconds: the hour cutoff + 60 s (the venue's early cancel lands at the cutoff)."""
        return ctx.expiration_s

    def enforce_tick_and_bounds(self, desired: StrategyIntent, tick_e4: int) -> StrategyIntent:
        """Re-round to the grid (BUY down, SELL up: never improve) and clamp into [tick, 1 - tick]."""
        out = []
        for d in desired.orders:
            price = round_to_tick(d.price_e4, tick_e4, up=d.side is Side.SELL)
            if tick_e4 <= price <= PRICE_SCALE - tick_e4:
                out.append(d if price == d.price_e4 else msgspec.structs.replace(d, price_e4=price))
        return StrategyIntent(orders=tuple(out), reason=desired.reason)

    def _build(self, d: DesiredOrder, ctx: DecisionContext) -> PlaceOrder | None:
        market = ctx.market
        if market is None or ctx.past_cutoff:
            return None
        if d.order_type is OrderType.FAK:
            terms = OrderTerms(token=d.token, side=d.side, price_e4=d.price_e4, size_e6=d.size_e6, expiration_s=0,
                               post_only=False, order_type=OrderType.FAK)
        else:
            expiration = self.build_expiration(ctx)
            if not gtd_allowed(ctx.now_ms, expiration, self.params):
                return None
            terms = OrderTerms(token=d.token, side=d.side, price_e4=d.price_e4, size_e6=d.size_e6,
                               expiration_s=expiration, post_only=True, order_type=OrderType.GTD)
        return PlaceOrder(client_req_id=f"{self._prefix(ctx)}:{d.slot}", condition_id=market.condition_id,
                          terms=terms, tick_e4=ctx.tick_e4, neg_risk=market.neg_risk, reason=d.reason)

    @staticmethod
    def _prefix(ctx: DecisionContext) -> str:
        hour = ctx.market.hour_start_ms // 3_600_000 if ctx.market is not None else 0
        return f"{hour}:{ctx.n}"
