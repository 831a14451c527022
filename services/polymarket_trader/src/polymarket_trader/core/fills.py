"""Fill accounting from the user channel's trade reports (reference C.2, C.3).

A fill counts once per (trade id, our order id), on first sight in any status except FAILED
(first sight may be MINED or CONFIRMED after a reconnect). Later reports of the same key only
move its status: CONFIRMED makes bought shares sellable, RETRYING flags it. FAILED reverses
exactly what was applied; the applied-fill record is part of the journaled state, so that also
works after a restart. A FAILED seen first is recorded too, so a late MATCHED is not counted.

BUY: +shares, -cash (price*size); SELL: the reverse. Taker fills also pay the market's fee
`size * rate * (p(1-p))^exponent` in pUSD. Makers pay none.
"""

from __future__ import annotations

import msgspec

from polymarket_trader.core.effects import Effect, QueryBalances, RaiseAlert
from polymarket_trader.core.events import (
    PRICE_SCALE,
    FeeSchedule,
    Side,
    Token,
    TradeFill,
    TradeRole,
    TradeStatus,
    UserTradeEvent,
    notional_e6,
)
from polymarket_trader.core.ledger import anomaly, count_anomaly, put_order
from polymarket_trader.core.orders import DUST_E6, WORKING, OrderStatus, fill_status
from polymarket_trader.core.state import AppliedFill, CanonicalState, SettlingPosition

replace = msgspec.structs.replace


def taker_fee_e6(size_e6: int, price_e4: int, fees: FeeSchedule | None, fallback_rate_bps: int = 0) -> int:
    """`size * rate * (p(1-p))^exponent` in pUSD e6, rounded down (exact integer arithmetic)."""
    if fees is not None and not fees.enabled:
        return 0
    rate_bps = fees.rate_bps if fees is not None else fallback_rate_bps
    exponent = fees.exponent if fees is not None else 1
    if rate_bps <= 0:
        return 0
    pq = price_e4 * (PRICE_SCALE - price_e4)  # p(1-p) scaled by 1e8
    fee: int = size_e6 * rate_bps * pq**exponent // (10_000 * (PRICE_SCALE * PRICE_SCALE) ** exponent)
    return fee


def fill_key(trade_id: str, order_id: str) -> str:
    return f"{trade_id}|{order_id}"


def apply_trade(state: CanonicalState, ev: UserTradeEvent, effects: list[Effect]) -> CanonicalState:
    for f in ev.fills:
        key = fill_key(ev.trade_id, f.order_id)
        rec = state.fills.get(key)
        if ev.status is TradeStatus.FAILED:
            if rec is None:
                state = _record(state, key, _new_record(state, ev, f, applied=False))
            elif rec.status is not TradeStatus.FAILED:
                state = _reverse(state, key, rec, effects)
        elif rec is None:
            state = _apply_new(state, key, ev, f, effects)
        elif rec.status is TradeStatus.FAILED:
            state = count_anomaly(state, "trade_report_after_failed")
        else:
            state = _advance(state, key, rec, ev.status)
    if state.balances_deferred and not state.has_unmined_fills():
        state = replace(state, balances_deferred=False)
        effects.append(QueryBalances(reason="fills_settled_after_deferred_balances"))
    return state


def _new_record(state: CanonicalState, ev: UserTradeEvent, f: TradeFill, *, applied: bool) -> AppliedFill:
    order = state.order(f.order_id)
    market = state.active_market
    condition_id = order.condition_id if order is not None else (market.condition_id if market else "")
    fee = 0
    if f.role is TradeRole.TAKER:
        fees = market.fees if market is not None and market.condition_id == condition_id else None
        fee = taker_fee_e6(f.size_e6, f.price_e4, fees, f.fee_rate_bps)
    return AppliedFill(trade_id=ev.trade_id, order_id=f.order_id, condition_id=condition_id, token=f.token,
                       side=f.side, price_e4=f.price_e4, size_e6=f.size_e6, fee_e6=fee, status=ev.status,
                       applied=applied, settled=applied and ev.status is TradeStatus.CONFIRMED,
                       retrying=ev.status is TradeStatus.RETRYING, ts_ms=ev.ts_local_ms)


def _record(state: CanonicalState, key: str, rec: AppliedFill) -> CanonicalState:
    return replace(state, fills=state.fills.set(key, rec))


def _apply_new(state: CanonicalState, key: str, ev: UserTradeEvent, f: TradeFill,
               effects: list[Effect]) -> CanonicalState:
    rec = _new_record(state, ev, f, applied=True)
    state = _record(state, key, rec)
    state = _move_books(state, rec, sign=1)
    state = replace(state, timestamps=replace(state.timestamps, last_fill_ms=ev.ts_local_ms))
    order = state.order(f.order_id)
    if order is None:
        return anomaly(state, "fill_for_unknown_order", effects)
    if (order.token, order.side) != (f.token, f.side):
        state = count_anomaly(state, "fill_token_side_mismatch")
    filled = order.filled_e6 + f.size_e6
    matched = max(filled, order.venue_matched_e6)
    if order.status in WORKING:
        status = fill_status(order, matched)
    elif order.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED) and order.size_e6 - matched < DUST_E6:
        status = OrderStatus.FILLED  # the match raced the cancel / expiry
    else:
        status = order.status
    return put_order(state, replace(order, filled_e6=filled, status=status, updated_ms=ev.ts_local_ms))


def _advance(state: CanonicalState, key: str, rec: AppliedFill, status: TradeStatus) -> CanonicalState:
    if rec.status is TradeStatus.CONFIRMED or status is rec.status:
        return state  # CONFIRMED is terminal; a duplicate changes nothing
    settle = status is TradeStatus.CONFIRMED and rec.applied and not rec.settled
    retrying = status is TradeStatus.RETRYING or (rec.retrying and status is not TradeStatus.CONFIRMED)
    new = replace(rec, status=status, retrying=retrying, settled=rec.settled or settle)
    state = _record(state, key, new)
    if settle and rec.side is Side.BUY:
        state = _shift_shares(state, rec.condition_id, rec.token, 0, rec.size_e6)
    return state


def _reverse(state: CanonicalState, key: str, rec: AppliedFill, effects: list[Effect]) -> CanonicalState:
    state = _record(state, key, replace(rec, status=TradeStatus.FAILED, retrying=False))
    if not rec.applied:
        return state
    state = _move_books(state, rec, sign=-1)
    effects.append(RaiseAlert(code="trade_failed", detail=f"trade {rec.trade_id} order {rec.order_id} reversed"))
    order = state.order(rec.order_id)
    if order is None:
        return state
    filled = max(0, order.filled_e6 - rec.size_e6)
    status = fill_status(order, max(filled, order.venue_matched_e6)) if order.status in WORKING else order.status
    return put_order(state, replace(order, filled_e6=filled, status=status))


def _move_books(state: CanonicalState, rec: AppliedFill, *, sign: int) -> CanonicalState:
    """Apply (sign=+1) or reverse (sign=-1) one fill on shares, settled shares and cash."""
    value = notional_e6(rec.price_e4, rec.size_e6)
    if rec.side is Side.BUY:
        shares, settled, cash = rec.size_e6, (rec.size_e6 if rec.settled else 0), -value - rec.fee_e6
    else:
        shares, settled, cash = -rec.size_e6, -rec.size_e6, value - rec.fee_e6
    pos = state.positions
    pos = replace(pos, usdc_e6=pos.usdc_e6 + sign * cash, fees_paid_e6=pos.fees_paid_e6 + sign * rec.fee_e6)
    state = replace(state, positions=pos)
    return _shift_shares(state, rec.condition_id, rec.token, sign * shares, sign * settled)


def _shift_shares(state: CanonicalState, condition_id: str, token: Token, delta: int, settled_delta: int) -> CanonicalState:
    market = state.active_market
    if market is None or not condition_id or condition_id == market.condition_id:
        pos = state.positions
        if token is Token.UP:
            up = pos.up_e6 + delta
            pos = replace(pos, up_e6=up, up_settled_e6=_clamp(pos.up_settled_e6 + settled_delta, up))
        else:
            down = pos.down_e6 + delta
            pos = replace(pos, down_e6=down, down_settled_e6=_clamp(pos.down_settled_e6 + settled_delta, down))
        return replace(state, positions=pos)
    settling = list(state.settling)
    for i, sp in enumerate(settling):
        if sp.condition_id == condition_id:
            settling[i] = replace(sp, up_e6=sp.up_e6 + (delta if token is Token.UP else 0),
                                  down_e6=sp.down_e6 + (delta if token is Token.DOWN else 0))
            return replace(state, settling=tuple(settling))
    up, down = (delta, 0) if token is Token.UP else (0, delta)
    return replace(state, settling=(*state.settling, SettlingPosition(condition_id=condition_id, up_e6=up, down_e6=down)))


def _clamp(settled: int, held: int) -> int:
    return max(0, min(settled, held))

