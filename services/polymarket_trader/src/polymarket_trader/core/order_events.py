"""Reducer rules for our orders: executor intents and outcomes, user order events, REST
reconciliation (open orders, balances). Fills are in `fills.py`.

Every rule is total: a report about an order we never submitted, or a status change outside
`orders.TRANSITIONS`, is counted and makes the state uncertain (cancel-all + HALT); it never
raises. Timeouts and 5xx leave the order UNKNOWN until the venue tells (open-orders snapshot or a
user event).
"""

from __future__ import annotations

import msgspec

from polymarket_trader.core.effects import Effect, QueryOpenOrders, RaiseAlert
from polymarket_trader.core.events import (
    BalancesSnapshot,
    CancelAckEvent,
    CancelAllAckEvent,
    CancelAllRequested,
    CancelRequested,
    OpenOrdersSnapshot,
    OrderEventKind,
    OrderSubmitted,
    OrderType,
    RestErrorEvent,
    RestFailure,
    RestOp,
    RestOrderAckEvent,
    RestOrderRejected,
    UserOrderEvent,
    VenueOrderStatus,
)
from polymarket_trader.core.ledger import anomaly, count_anomaly, enter_halt, put_order
from polymarket_trader.core.orders import (
    ABSORBED,
    DUST_E6,
    WORKING,
    OrderState,
    OrderStatus,
    fill_status,
    transition_allowed,
)
from polymarket_trader.core.params import cutoff_ms
from polymarket_trader.core.state import CanonicalState

replace = msgspec.structs.replace
S = OrderStatus
_RECENT_REQS = 32
_HALT_FAILURES = frozenset({RestFailure.CANCEL_ONLY, RestFailure.TRADING_DISABLED, RestFailure.UNAUTHORIZED})


def move(state: CanonicalState, order: OrderState, target: OrderStatus, now_ms: int, effects: list[Effect],
         **changes: object) -> CanonicalState:
    """Apply one status change through the transition table (the only place statuses change)."""
    if (order.status, target) in ABSORBED:
        return state
    if not transition_allowed(order.status, target):
        return anomaly(state, f"transition_{order.status.value}_to_{target.value}", effects)
    return put_order(state, replace(order, status=target, updated_ms=now_ms, **changes))


def on_submitted(state: CanonicalState, ev: OrderSubmitted, effects: list[Effect]) -> CanonicalState:
    if state.order(ev.order_id) is not None:
        return count_anomaly(state, "duplicate_submit")
    market = state.active_market
    if ev.order_type is OrderType.GTD and ev.expiration_s <= 0:
        state = count_anomaly(state, "order_without_expiration")
    if market is not None and ev.ts_local_ms >= cutoff_ms(market.hour_end_ms, state.params.timers):
        state = count_anomaly(state, "order_after_cutoff")
    order = OrderState(order_id=ev.order_id, client_req_id=ev.client_req_id,
                       condition_id=market.condition_id if market else "", terms=ev.terms,
                       status=S.PENDING_SUBMIT, created_ms=ev.ts_local_ms, updated_ms=ev.ts_local_ms)
    recent = (*state.recent_client_req_ids[-(_RECENT_REQS - 1):], ev.client_req_id)
    return put_order(replace(state, recent_client_req_ids=recent), order)


def on_ack(state: CanonicalState, ev: RestOrderAckEvent, effects: list[Effect]) -> CanonicalState:
    order = state.order(ev.order_id)
    if order is None:
        return anomaly(state, "ack_for_unknown_order", effects)
    if order.status not in (S.PENDING_SUBMIT, S.UNKNOWN):
        return state  # a user event got here first and said more
    if order.order_type is OrderType.FAK and ev.venue_status in (VenueOrderStatus.MATCHED, VenueOrderStatus.UNMATCHED):
        # A FAK never rests: whatever did not match is gone. Late fills still count (closed orders stay fillable).
        target = S.FILLED if order.size_e6 - order.matched_e6 < DUST_E6 else S.CANCELED
        return move(state, order, target, ev.ts_local_ms, effects)
    return move(state, order, fill_status(replace(order, status=S.LIVE), order.matched_e6), ev.ts_local_ms, effects)


def on_rejected(state: CanonicalState, ev: RestOrderRejected, effects: list[Effect]) -> CanonicalState:
    order = state.order(ev.order_id)
    if order is None:
        return anomaly(state, "reject_for_unknown_order", effects)
    if ev.post_only_cross:
        state = count_anomaly(state, "post_only_cross")
    return move(state, order, S.REJECTED, ev.ts_local_ms, effects, reject_reason=ev.reason[:200])


def on_cancel_requested(state: CanonicalState, ev: CancelRequested, effects: list[Effect]) -> CanonicalState:
    for oid in ev.order_ids:
        order = state.open_orders.get(oid)
        if order is not None and order.status is not S.PENDING_CANCEL:
            state = move(state, order, S.PENDING_CANCEL, ev.ts_local_ms, effects, cancel_requested_ms=ev.ts_local_ms)
    return state


def on_cancel_all_requested(state: CanonicalState, ev: CancelAllRequested, effects: list[Effect]) -> CanonicalState:
    for order in list(state.open_orders.values()):
        if order.status is S.PENDING_CANCEL:
            continue
        if ev.condition_id is None or order.condition_id == ev.condition_id:
            state = move(state, order, S.PENDING_CANCEL, ev.ts_local_ms, effects, cancel_requested_ms=ev.ts_local_ms)
    return state


def on_cancel_ack(state: CanonicalState, ev: CancelAckEvent, effects: list[Effect]) -> CanonicalState:
    state = _mark_canceled(state, ev.canceled, ev.ts_local_ms, effects)
    for oid, _reason in ev.not_canceled:
        order = state.open_orders.get(oid)
        if order is not None and order.status is S.PENDING_CANCEL:
            # Refused (already matched, or delayed): back to what the fills say; user events settle it.
            target = fill_status(replace(order, status=S.LIVE), order.matched_e6)
            state = move(state, order, target, ev.ts_local_ms, effects, cancel_requested_ms=None)
    return state


def on_cancel_all_ack(state: CanonicalState, ev: CancelAllAckEvent, effects: list[Effect]) -> CanonicalState:
    state = _mark_canceled(state, ev.canceled, ev.ts_local_ms, effects)
    if ev.client_req_id == state.flags.cancel_all_pending:
        state = replace(state, flags=replace(state.flags, cancel_all_pending=None, cancel_all_acked_ms=ev.ts_local_ms))
        if state.active_market is not None:
            effects.append(QueryOpenOrders(condition_id=state.active_market.condition_id, reason="after_cancel_all"))
    if ev.client_req_id == state.boot.cancel_all_req:
        state = replace(state, boot=replace(state.boot, cancel_all_done=True))
        if state.flags.cancel_all_pending is not None:
            # A cancel-all sent before a restart is never answered to this process; the boot's
            # cancel-all (every market) covers it, so the HALT it guards may lift after this ack.
            state = replace(state, flags=replace(state.flags, cancel_all_pending=None,
                                                 cancel_all_acked_ms=ev.ts_local_ms))
    return state


def _mark_canceled(state: CanonicalState, ids: tuple[str, ...], now_ms: int, effects: list[Effect]) -> CanonicalState:
    for oid in ids:
        order = state.open_orders.get(oid)
        if order is not None:
            state = move(state, order, S.CANCELED, now_ms, effects)
    return state


def on_rest_error(state: CanonicalState, ev: RestErrorEvent, effects: list[Effect]) -> CanonicalState:
    p = state.params
    h = state.health
    times = tuple(t for t in h.rest_error_times_ms if t > ev.ts_local_ms - p.rest_error_window_ms) + (ev.ts_local_ms,)
    state = replace(state, health=replace(h, rest_error_times_ms=times[-p.rest_error_threshold:],
                                          rest_errors_total=h.rest_errors_total + 1))
    if ev.op in (RestOp.PLACE, RestOp.CANCEL):
        unknown = False
        for oid in ev.order_ids:
            order = state.open_orders.get(oid)
            if order is not None:
                state = move(state, order, S.UNKNOWN, ev.ts_local_ms, effects)
                unknown = True
        if unknown:
            state = enter_halt(state, f"unknown_order_state:{ev.failure.value}", effects)
    if ev.op in (RestOp.CANCEL_ALL, RestOp.CANCEL_MARKET) and state.flags.cancel_all_pending is not None:
        # The cancel-all we wait for has no answer: ask again (a new id; the executor backs off).
        state = replace(state, flags=replace(state.flags, cancel_all_pending=None))
        state = enter_halt(state, state.flags.halt_reason or "cancel_all_failed", effects)
    if ev.failure in _HALT_FAILURES:
        state = enter_halt(state, f"venue_{ev.failure.value.lower()}", effects)
    elif len(times) >= p.rest_error_threshold:
        state = enter_halt(state, "rest_errors", effects)
    return state


def on_user_order(state: CanonicalState, ev: UserOrderEvent, effects: list[Effect]) -> CanonicalState:
    order = state.order(ev.order_id)
    if order is None:
        return anomaly(state, "order_event_for_unknown_order", effects)
    if ev.status is VenueOrderStatus.UNKNOWN and ev.kind is not OrderEventKind.CANCELLATION:
        return count_anomaly(state, "unrecognised_order_status")
    matched = max(order.venue_matched_e6, ev.size_matched_e6)
    order = replace(order, venue_matched_e6=matched)
    if ev.kind is OrderEventKind.CANCELLATION or ev.status in (
            VenueOrderStatus.CANCELED, VenueOrderStatus.CANCELED_MARKET_RESOLVED, VenueOrderStatus.INVALID):
        expired = order.expiration_s > 0 and ev.ts_local_ms >= (order.expiration_s - 61) * 1000
        target = S.FILLED if order.size_e6 - matched < DUST_E6 else (S.EXPIRED if expired else S.CANCELED)
    elif order.status in WORKING:
        base = order if order.status in (S.PENDING_CANCEL,) else replace(order, status=S.LIVE)
        target = fill_status(base, order.matched_e6)
    elif ev.status is VenueOrderStatus.LIVE:
        # A report written while the order still rested (its placement, or a partial match), delivered
        # after our REST answer closed it (a FAK acked MATCHED, a cancel acked first): user events and
        # REST answers race, and user events arrive late. Stale, not a conflict: the open-orders query
        # after every cancel-all is what proves an order we think closed is still resting.
        return count_anomaly(put_order(state, order), "stale_order_event")
    else:
        target = S.FILLED if order.size_e6 - order.matched_e6 < DUST_E6 else S.PARTIALLY_FILLED
    return move(state, order, target, ev.ts_local_ms, effects)


def on_open_orders(state: CanonicalState, ev: OpenOrdersSnapshot, effects: list[Effect]) -> CanonicalState:
    now = ev.ts_local_ms
    listed = set()
    for vo in ev.orders:
        listed.add(vo.order_id)
        order = state.order(vo.order_id)
        if order is None:
            state = anomaly(state, "foreign_open_order", effects)
            continue
        order = replace(order, venue_matched_e6=max(order.venue_matched_e6, vo.size_matched_e6))
        if order.status in WORKING:
            base = order if order.status is S.PENDING_CANCEL else replace(order, status=S.LIVE)
            state = move(state, order, fill_status(base, order.matched_e6), now, effects)
        else:
            state = anomaly(state, f"closed_order_open_at_venue_{order.status.value}", effects)
    for order in list(state.open_orders.values()):
        if order.condition_id != ev.condition_id or order.order_id in listed or order.status is S.PENDING_SUBMIT:
            continue  # a submit in flight may not be listed yet: its own answer settles it
        target = S.FILLED if order.size_e6 - order.matched_e6 < DUST_E6 else S.CANCELED
        state = move(state, order, target, now, effects)
    if state.boot.condition_id == ev.condition_id:
        state = replace(state, boot=replace(state.boot, open_orders_done=True))
    return replace(state, timestamps=replace(state.timestamps, last_reconcile_ms=now))


def on_balances(state: CanonicalState, ev: BalancesSnapshot, effects: list[Effect]) -> CanonicalState:
    """The venue's ledger is the truth: record any discrepancy as an alert and adopt its numbers.

    Except while some of our fills are matched but not mined: the venue (like the chain) does not
    show them yet, and adopting its numbers would lose them for good (fills count once). Then the
    read is deferred and repeated when the last of them settles (see `fills.apply_trade`).
    """
    if state.has_unmined_fills():
        effects.append(RaiseAlert(code="balances_deferred", detail="fills matched but not yet mined",
                                  severity="info"))
        state = replace(state, balances_deferred=True)
        if state.boot.condition_id and ev.condition_id in (None, state.boot.condition_id):
            state = replace(state, boot=replace(state.boot, balances_done=True))
        return state
    pos = state.positions
    ours = (pos.usdc_e6, pos.up_e6, pos.down_e6)
    venue = (ev.usdc_e6, ev.up_e6, ev.down_e6)
    if ours != venue:
        booting = state.boot.condition_id and not state.boot.complete
        effects.append(RaiseAlert(code="balance_discrepancy", detail=f"local={ours} venue={venue}",
                                  severity="info" if booting else "warning"))
    pos = replace(pos, usdc_e6=ev.usdc_e6, up_e6=ev.up_e6, down_e6=ev.down_e6, up_settled_e6=ev.up_e6,
                  down_settled_e6=ev.down_e6)
    state = replace(state, positions=pos, balances_deferred=False,
                    timestamps=replace(state.timestamps, last_reconcile_ms=ev.ts_local_ms))
    if state.boot.condition_id and ev.condition_id in (None, state.boot.condition_id):
        state = replace(state, boot=replace(state.boot, balances_done=True))
    return state
