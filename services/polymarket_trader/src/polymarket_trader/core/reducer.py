"""`reduce(state, event) -> (state, effects)`: the only way canonical state changes.

Pure and total: every event type has a rule (a `match` ending in `assert_never`), venue input
never raises (surprises are counted in `state.anomalies` and may HALT behind a cancel-all), and
the same events always give the same state and effects, which is what makes the journal's
replay exact. After each rule, `_settle` applies what depends on time and on the causes:
snapshot age, the session phase, the hard cutoff, lifting HALT, and the derived risk mode;
each change is reported as an effect (ReportSessionChange / ReportModeChange) with its reason.
"""

from __future__ import annotations

from typing import assert_never

import msgspec

from hourmm_common.enums import RiskMode, SessionState
from polymarket_trader.core import order_events as oe
from polymarket_trader.core.effects import (
    ArmHeartbeat,
    CancelAll,
    Effect,
    QueryBalances,
    QueryOpenOrders,
    QueryTrades,
    RaiseAlert,
    ReportModeChange,
    ReportSessionChange,
    SwitchMarket,
)
from polymarket_trader.core.events import (
    PRICE_SCALE,
    BalancesSnapshot,
    BinanceSnapshotEvent,
    BootStarted,
    CancelAckEvent,
    CancelAllAckEvent,
    CancelAllRequested,
    CancelRequested,
    Channel,
    ControlCommandEvent,
    ControlKind,
    Event,
    HeartbeatStatusEvent,
    LastTradePriceEvent,
    MarketBboEvent,
    MarketInfo,
    MarketSelected,
    MarketStatus,
    MarketStatusEvent,
    MarketUnavailable,
    OpenOrdersSnapshot,
    OrderSubmitted,
    ReducerTickEvent,
    RestErrorEvent,
    RestOrderAckEvent,
    RestOrderRejected,
    SessionRolloverEvent,
    SnapshotUnavailable,
    TickSizeChangedEvent,
    Token,
    UserOrderEvent,
    UserTradeEvent,
    WsConnected,
    WsDisconnected,
)
from polymarket_trader.core.fills import apply_trade
from polymarket_trader.core.frozen_map import HashedMap
from polymarket_trader.core.ledger import count_anomaly, enter_halt, with_reserved
from polymarket_trader.core.modes import derive_mode, halt_may_lift
from polymarket_trader.core.params import cutoff_ms
from polymarket_trader.core.session import next_session
from polymarket_trader.core.state import BootProgress, CanonicalState, MarketView, Positions, SettlingPosition

replace = msgspec.structs.replace


def reduce(state: CanonicalState, event: Event) -> tuple[CanonicalState, list[Effect]]:
    effects: list[Effect] = []
    now = max(state.now_ms, event.now_ms if isinstance(event, ReducerTickEvent) else event.ts_local_ms)
    state = replace(state, seq=state.seq + 1, now_ms=now, last_event_ms=event.ts_local_ms)
    state = _apply(state, event, effects)
    return _settle(state, effects), effects


def _apply(state: CanonicalState, event: Event, fx: list[Effect]) -> CanonicalState:
    match event:
        case BinanceSnapshotEvent():
            return _on_snapshot(state, event)
        case MarketBboEvent():
            return _on_bbo(state, event)
        case SnapshotUnavailable():
            return replace(state, health=replace(state.health, binance_stale=True, snapshot_problem=event.reason[:120]))
        case MarketSelected():
            return _on_market_selected(state, event.market, fx)
        case MarketUnavailable():
            fx.append(RaiseAlert(code="market_unavailable", detail=event.reason[:200]))
            return replace(state, unavailable_reason=event.reason[:200])
        case SessionRolloverEvent():
            return _on_rollover(state, event, fx)
        case MarketStatusEvent():
            return _on_market_status(state, event)
        case TickSizeChangedEvent():
            mv = state.market_view
            if event.new_tick_e4 == mv.tick_e4:
                return state
            return replace(state, market_view=replace(mv, tick_e4=event.new_tick_e4, tick_epoch=mv.tick_epoch + 1))
        case LastTradePriceEvent():
            return replace(state, market_view=replace(state.market_view, last_trade_e4=event.price_e4))
        case UserOrderEvent():
            return oe.on_user_order(state, event, fx)
        case UserTradeEvent():
            return apply_trade(state, event, fx)
        case WsConnected():
            return _on_ws_connected(state, event, fx)
        case WsDisconnected():
            return _on_ws_disconnected(state, event, fx)
        case OrderSubmitted():
            return oe.on_submitted(state, event, fx)
        case RestOrderAckEvent():
            return oe.on_ack(state, event, fx)
        case RestOrderRejected():
            return oe.on_rejected(state, event, fx)
        case CancelRequested():
            return oe.on_cancel_requested(state, event, fx)
        case CancelAllRequested():
            return oe.on_cancel_all_requested(state, event, fx)
        case CancelAckEvent():
            return oe.on_cancel_ack(state, event, fx)
        case CancelAllAckEvent():
            return oe.on_cancel_all_ack(state, event, fx)
        case RestErrorEvent():
            return oe.on_rest_error(state, event, fx)
        case OpenOrdersSnapshot():
            return oe.on_open_orders(state, event, fx)
        case BalancesSnapshot():
            return oe.on_balances(state, event, fx)
        case HeartbeatStatusEvent():
            state = replace(state, health=replace(state.health, heartbeat_ok=event.ok))
            return state if event.ok else enter_halt(state, "heartbeat_failed", fx)
        case ControlCommandEvent():
            return _on_control(state, event, fx)
        case ReducerTickEvent():
            return state
        case BootStarted():
            state = _set_session(state, SessionState.BOOT_SYNC, f"boot:{event.reason}", fx)
            return _start_boot(state, fx) if state.active_market is not None else replace(state, boot=BootProgress())
        case _:
            assert_never(event)


# Binance snapshot -------------------------------------------------------------------------------


def _on_snapshot(state: CanonicalState, event: BinanceSnapshotEvent) -> CanonicalState:
    s = event.snapshot
    if s.seq <= state.health.snapshot_seq:
        if s.ts_local_ms <= state.health.snapshot_published_ms:
            return count_anomaly(state, "snapshot_not_newer")
        state = count_anomaly(state, "snapshot_source_restarted")  # seq began again, its clock moved on
    market = state.active_market
    if market is not None and s.hour_start_ts_ms != market.hour_start_ms:
        problem = "snapshot_for_another_hour"  # the pricer has not rolled yet (or has rolled first)
    else:
        problem = "stale_snapshot" if s.stale else ("no_fair_value" if s.p_yes_fair is None else "")
    health = replace(state.health, binance_stale=bool(problem), snapshot_problem=problem, snapshot_seq=s.seq,
                     snapshot_published_ms=s.ts_local_ms,
                     snapshot_age_ms=s.age_ms, last_snapshot_local_ms=event.ts_local_ms, p_yes_fair=s.p_yes_fair,
                     p_yes_band_lo=s.p_yes_band_lo, p_yes_band_hi=s.p_yes_band_hi)
    state = replace(state, health=health)
    return state if problem else _mark_equity(state)


def _mark_equity(state: CanonicalState) -> CanonicalState:
    """Mark the book to fair; the first mark of an hour is its baseline for the loss limit."""
    p = state.health.p_yes_fair
    if p is None or state.active_market is None or state.session_state is SessionState.BOOT_SYNC:
        return state
    pos = state.positions
    p_e4 = round(p * PRICE_SCALE)
    equity = pos.usdc_e6 + (pos.up_e6 * p_e4 + pos.down_e6 * (PRICE_SCALE - p_e4)) // PRICE_SCALE
    equity += sum(_settling_value_e6(s) for s in state.settling)
    start = state.hour_start_equity_e6 if state.hour_start_equity_e6 is not None else equity
    breached = state.flags.loss_breached or start - equity > state.limits.max_loss_per_hour_usdc_e6
    flags = state.flags if breached == state.flags.loss_breached else replace(state.flags, loss_breached=breached)
    return replace(state, equity_e6=equity, hour_start_equity_e6=start, flags=flags)


def _settling_value_e6(s: SettlingPosition) -> int:
    """Shares of a market we rolled away from, until the venue pays them out: a complete set is worth
    exactly 1 pUSD; the rest 1 or 0 once the winner is known, and half until then (a neutral mark,
    so that rolling does not make equity jump)."""
    pairs = min(s.up_e6, s.down_e6)
    up, down = s.up_e6 - pairs, s.down_e6 - pairs
    if s.winning_token is None:
        return pairs + (up + down) // 2
    return pairs + (up if s.winning_token is Token.UP else down)


# Markets, session --------------------------------------------------------------------------------


def _on_market_selected(state: CanonicalState, market: MarketInfo, fx: list[Effect]) -> CanonicalState:
    active = state.active_market
    if active is None:
        state = replace(state, active_market=market, unavailable_reason="",
                        market_view=MarketView(tick_e4=market.tick_e4, updated_ms=state.now_ms))
        return _start_boot(state, fx) if state.session_state is SessionState.BOOT_SYNC else state
    if market.condition_id == active.condition_id:
        return replace(state, active_market=market)
    if market.hour_start_ms > active.hour_start_ms:
        return replace(state, next_market=market)
    return count_anomaly(state, "market_selected_for_past_hour")


def _start_boot(state: CanonicalState, fx: list[Effect]) -> CanonicalState:
    market = state.active_market
    assert market is not None
    req = f"boot:{state.seq}"
    fx.extend([SwitchMarket(market=market), ArmHeartbeat(armed=True),
               CancelAll(client_req_id=req, condition_id=None, reason="boot_sync"),
               QueryOpenOrders(condition_id=market.condition_id, reason="boot_sync"),
               QueryBalances(reason="boot_sync")])
    return replace(state, boot=BootProgress(condition_id=market.condition_id, cancel_all_req=req))


def _on_rollover(state: CanonicalState, event: SessionRolloverEvent, fx: list[Effect]) -> CanonicalState:
    nxt = state.next_market
    old = state.active_market
    if old is not None and old.hour_start_ms == event.hour_start_ms:
        return state  # already there
    settling = state.settling
    pos = state.positions
    if old is not None and (pos.up_e6 or pos.down_e6):
        settling = (*settling, SettlingPosition(condition_id=old.condition_id, up_e6=pos.up_e6, down_e6=pos.down_e6))
    pos = with_reserved(Positions(usdc_e6=pos.usdc_e6, fees_paid_e6=pos.fees_paid_e6), state.open_orders.values())
    keep = state.params.max_closed_orders
    closed = state.closed_orders
    if len(closed) > keep:
        closed = HashedMap.from_items(sorted(closed.items(), key=lambda kv: (kv[1].updated_ms, kv[0]))[-keep:])
    state = replace(state, positions=pos, settling=settling, closed_orders=closed, next_market=None,
                    hour_start_equity_e6=None, equity_e6=None,
                    flags=replace(state.flags, cutoff_cancel_sent=False, loss_breached=False))
    if nxt is None or nxt.hour_start_ms != event.hour_start_ms:
        fx.append(RaiseAlert(code="rollover_without_market", detail=f"hour {event.hour_start_ms}"))
        state = replace(state, active_market=None, market_view=MarketView())
        return _set_session(state, SessionState.BOOT_SYNC, "no_market_for_hour", fx)
    state = replace(state, active_market=nxt, market_view=MarketView(tick_e4=nxt.tick_e4, updated_ms=state.now_ms))
    sure = (not state.open_orders and state.flags.halt_reason is None and state.health.user_ws_connected
            and state.health.market_ws_connected)
    if not sure:
        state = _set_session(state, SessionState.BOOT_SYNC, "rollover_unsure", fx)
        return _start_boot(state, fx)
    fx.append(SwitchMarket(market=nxt))
    state = replace(state, boot=BootProgress(condition_id=nxt.condition_id, cancel_all_done=True,
                                             open_orders_done=True, balances_done=True))
    return _set_session(state, SessionState.ACTIVE, "rollover", fx)


def _on_market_status(state: CanonicalState, event: MarketStatusEvent) -> CanonicalState:
    active = state.active_market
    if active is not None and event.condition_id == active.condition_id:
        return replace(state, market_view=replace(state.market_view, status=event.status,
                                                  winning_token=event.winning_token))
    if event.status is MarketStatus.RESOLVED:
        settling = tuple(replace(sp, winning_token=event.winning_token) if sp.condition_id == event.condition_id
                         else sp for sp in state.settling)
        return replace(state, settling=settling)
    return state


def _on_bbo(state: CanonicalState, e: MarketBboEvent) -> CanonicalState:
    mv = state.market_view
    if e.token is Token.UP:
        mv = replace(mv, up_bid_e4=e.best_bid_e4, up_ask_e4=e.best_ask_e4, up_bid_size_e6=e.bid_size_e6,
                     up_ask_size_e6=e.ask_size_e6, updated_ms=e.ts_local_ms)
    else:
        mv = replace(mv, down_bid_e4=e.best_bid_e4, down_ask_e4=e.best_ask_e4, down_bid_size_e6=e.bid_size_e6,
                     down_ask_size_e6=e.ask_size_e6, updated_ms=e.ts_local_ms)
    return replace(state, market_view=mv)


# Connections, operator ------------------------------------------------------------------------


def _on_ws_connected(state: CanonicalState, e: WsConnected, fx: list[Effect]) -> CanonicalState:
    h = state.health
    if e.channel is Channel.USER:
        down_since = h.user_ws_down_since_ms
        state = replace(state, health=replace(h, user_ws_connected=True, user_ws_down_since_ms=None))
        if e.reconnect and state.active_market is not None:
            # Fills may have happened while we were deaf: backfill them.
            after = max(0, (down_since if down_since is not None else e.ts_local_ms) - state.params.user_backfill_lookback_ms)
            fx.append(QueryTrades(condition_id=state.active_market.condition_id, after_ms=after, reason="user_ws_gap"))
    else:
        state = replace(state, health=replace(h, market_ws_connected=True))
    return enter_halt(state, f"ws_reconnect_{e.channel.value.lower()}", fx) if e.reconnect else state


def _on_ws_disconnected(state: CanonicalState, e: WsDisconnected, fx: list[Effect]) -> CanonicalState:
    h = state.health
    if e.channel is Channel.USER:
        h = replace(h, user_ws_connected=False, user_ws_down_since_ms=h.user_ws_down_since_ms or e.ts_local_ms)
    else:
        h = replace(h, market_ws_connected=False)
    return enter_halt(replace(state, health=h), f"ws_disconnect_{e.channel.value.lower()}", fx)


def _on_control(state: CanonicalState, e: ControlCommandEvent, fx: list[Effect]) -> CanonicalState:
    f = state.flags
    match e.kind:
        case ControlKind.PAUSE_QUOTING:
            f = replace(f, quoting_paused=True)
        case ControlKind.RESUME_QUOTING:
            f = replace(f, quoting_paused=False)
        case ControlKind.SET_MODE:
            if e.mode is None:
                return count_anomaly(state, "set_mode_without_mode")
            f = replace(f, operator_mode=None if e.mode is RiskMode.NORMAL else e.mode, operator_reason=e.reason[:120])
            if e.mode is RiskMode.HALT:
                fx.append(CancelAll(client_req_id=f"operator:{state.seq}", condition_id=None, reason="operator_halt"))
            if e.mode is RiskMode.NORMAL and f.halt_reason is not None and f.cancel_all_pending is None:
                f = replace(f, halt_reason=None)  # the operator vouches for the state
        case ControlKind.FLATTEN_NOW:
            f = replace(f, operator_mode=RiskMode.FLATTEN, operator_reason=e.reason[:120] or "flatten_now")
        case ControlKind.SET_LIMITS:
            if e.limits is None:
                return count_anomaly(state, "set_limits_without_limits")
            changes = {k: v for k, v in msgspec.structs.asdict(e.limits).items() if v is not None}
            return replace(state, limits=replace(state.limits, **changes))
        case _:
            assert_never(e.kind)
    return replace(state, flags=f)


# After every event -----------------------------------------------------------------------------


def _set_session(state: CanonicalState, new: SessionState, reason: str, fx: list[Effect]) -> CanonicalState:
    if new is state.session_state:
        return state
    fx.append(ReportSessionChange(old=state.session_state, new=new, reason=reason))
    return replace(state, session_state=new, timestamps=replace(state.timestamps, session_since_ms=state.now_ms))


def _settle(state: CanonicalState, fx: list[Effect]) -> CanonicalState:
    now = state.now_ms
    h = state.health
    p = state.params
    if (not h.binance_stale and h.last_snapshot_local_ms is not None
            and now - h.last_snapshot_local_ms > p.snapshot_max_age_ms):
        state = replace(state, health=replace(h, binance_stale=True, snapshot_problem="snapshot_too_old"))
    market = state.active_market
    # Fast path: before wind-down, outside BOOT_SYNC, the phase cannot change.
    if market is not None and (state.session_state is SessionState.BOOT_SYNC
                               or now >= market.hour_end_ms - p.timers.wind_down_before_end_ms):
        new = next_session(state.session_state, now, market, p.timers, state.boot.complete)
        if new is not state.session_state:
            old = state.session_state
            state = _set_session(state, new, "boot_reconciled" if old is SessionState.BOOT_SYNC else "timer", fx)
            if old is SessionState.BOOT_SYNC:
                state = _mark_equity(state)
    if (market is not None and not state.flags.cutoff_cancel_sent
            and state.session_state is not SessionState.BOOT_SYNC and now >= cutoff_ms(market.hour_end_ms, p.timers)):
        fx.append(CancelAll(client_req_id=f"cutoff:{state.seq}", condition_id=market.condition_id, reason="hard_cutoff"))
        state = replace(state, flags=replace(state.flags, cutoff_cancel_sent=True))
    if state.flags.halt_reason is not None and halt_may_lift(state):
        state = replace(state, flags=replace(state.flags, halt_reason=None))
    mode, reason = derive_mode(state)
    if mode is not state.risk_mode or reason != state.mode_reason:
        if mode is not state.risk_mode:
            fx.append(ReportModeChange(old=state.risk_mode, new=mode, reason=reason))
            state = replace(state, timestamps=replace(state.timestamps, mode_since_ms=now))
        state = replace(state, risk_mode=mode, mode_reason=reason)
    return state
