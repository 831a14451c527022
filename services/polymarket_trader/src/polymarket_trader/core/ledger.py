"""Small pure helpers the reducer rules share: filing an order, reserved collateral, anomalies,
and entering HALT. Each returns a new state (and effects); nothing is mutated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from polymarket_trader.core.effects import CancelAll, Effect, QueryOpenOrders, RaiseAlert
from polymarket_trader.core.events import PRICE_SCALE, Side, Token
from polymarket_trader.core.frozen_map import with_item, without
from polymarket_trader.core.orders import WORKING, OrderState
from polymarket_trader.core.state import CanonicalState, Positions

replace = msgspec.structs.replace


def put_order(state: CanonicalState, order: OrderState) -> CanonicalState:
    """File `order` under open or closed by its status and refresh the reserved amounts."""
    oid = order.order_id
    open_orders: Mapping[str, OrderState]
    if order.status in WORKING:
        open_orders = with_item(state.open_orders, oid, order)
        closed = state.closed_orders.remove(oid)
    else:
        open_orders = without(state.open_orders, oid) if oid in state.open_orders else state.open_orders
        closed = state.closed_orders.set(oid, order)
    return replace(state, open_orders=open_orders, closed_orders=closed,
                   positions=with_reserved(state.positions, open_orders.values()))


def with_reserved(pos: Positions, working: Iterable[OrderState]) -> Positions:
    """Reserved collateral is exactly what the working orders need: BUY price*remaining pUSD,
    SELL remaining shares of their token. Recomputed (a handful of orders), never drifted."""
    usdc = up = down = 0
    for o in working:  # every order in open_orders is working
        left = o.size_e6 - (o.filled_e6 if o.filled_e6 > o.venue_matched_e6 else o.venue_matched_e6)
        if left <= 0:
            continue
        if o.side is Side.BUY:
            usdc += o.price_e4 * left // PRICE_SCALE
        elif o.token is Token.UP:
            up += left
        else:
            down += left
    if (usdc, up, down) == (pos.reserved_usdc_e6, pos.reserved_up_e6, pos.reserved_down_e6):
        return pos
    return replace(pos, reserved_usdc_e6=usdc, reserved_up_e6=up, reserved_down_e6=down)


def count_anomaly(state: CanonicalState, code: str) -> CanonicalState:
    return replace(state, anomalies=with_item(state.anomalies, code, state.anomalies.get(code, 0) + 1))


def enter_halt(state: CanonicalState, reason: str, effects: list[Effect]) -> CanonicalState:
    """Uncertainty: cancel every order of the account and HALT until the ack and a quiet window.

    A cancel-all already in flight covers a new cause too; after an ack a new cause starts a
    new cancel-all. The id derives from the event count, so a replay asks for the same one.
    """
    flags = state.flags
    if flags.cancel_all_pending is None:
        req = f"halt:{state.seq}"
        effects.append(CancelAll(client_req_id=req, condition_id=None, reason=reason))
        if state.active_market is not None:
            effects.append(QueryOpenOrders(condition_id=state.active_market.condition_id, reason=reason))
        flags = replace(flags, cancel_all_pending=req, cancel_all_acked_ms=None)
    if flags.halt_reason is None:
        effects.append(RaiseAlert(code="halt", detail=reason, severity="critical"))
    return replace(state, flags=replace(flags, halt_reason=reason))


def anomaly(state: CanonicalState, code: str, effects: list[Effect], *, uncertain: bool = True) -> CanonicalState:
    """Count a typed surprise; when it means we may not know our orders, HALT behind a cancel-all."""
    state = count_anomaly(state, code)
    if uncertain:
        return enter_halt(state, code, effects)
    return state
