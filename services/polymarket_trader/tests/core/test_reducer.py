"""Reducer rules: total over the event union, modes and their triggers, session timers, rollover,
operator commands (B-5 at the reducer level, smoke 7.3)."""

from __future__ import annotations

import typing

import pytest
from trader_testkit.builders import (
    HOUR0,
    a_bbo,
    a_market,
    a_snapshot,
    a_submit,
    a_user_order,
    an_ack,
    at,
    boot_events,
)
from trader_testkit.harness import CoreHarness

from hourmm_common.enums import RiskMode, SessionState
from hourmm_common.hours import HOUR_MS
from polymarket_trader.core import events as E
from polymarket_trader.core.effects import (
    CancelAll,
    QueryOpenOrders,
    QueryTrades,
    RaiseAlert,
    ReportModeChange,
    ReportSessionChange,
    SwitchMarket,
)
from polymarket_trader.core.events import Channel, ControlKind, RestFailure, RestOp, Token
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.core.reducer import reduce
from polymarket_trader.core.state import CanonicalState

T = at(2)


def one_of_each() -> dict[type, E.Event]:
    m = a_market()
    samples: list[E.Event] = [
        E.BinanceSnapshotEvent(ts_local_ms=T, snapshot=a_snapshot(now_ms=T)),
        E.SnapshotUnavailable(ts_local_ms=T, reason="down"),
        E.MarketSelected(ts_local_ms=T, market=m),
        E.MarketUnavailable(ts_local_ms=T, hour_start_ms=HOUR0, reason="none"),
        E.SessionRolloverEvent(ts_local_ms=T, hour_start_ms=HOUR0 + HOUR_MS),
        E.MarketStatusEvent(ts_local_ms=T, condition_id=m.condition_id, status=E.MarketStatus.CLOSED),
        a_bbo(ts=T),
        E.TickSizeChangedEvent(ts_local_ms=T, token=Token.UP, old_tick_e4=100, new_tick_e4=10),
        E.LastTradePriceEvent(ts_local_ms=T, token=Token.UP, price_e4=5000, size_e6=1, aggressor=E.Side.BUY),
        a_user_order("0xnope", ts=T),
        E.UserTradeEvent(ts_local_ms=T, trade_id="t", status=E.TradeStatus.MATCHED, fills=()),
        E.WsConnected(ts_local_ms=T, channel=Channel.USER, reconnect=True),
        E.WsDisconnected(ts_local_ms=T, channel=Channel.MARKET, reason="eof"),
        a_submit("0xs", ts=T),
        an_ack("0xnope", ts=T),
        E.RestOrderRejected(ts_local_ms=T, client_req_id="c", order_id="0xnope", reason="no"),
        E.CancelRequested(ts_local_ms=T, client_req_id="c", order_ids=("0xnope",), reason="r"),
        E.CancelAllRequested(ts_local_ms=T, client_req_id="c", condition_id=None, reason="r"),
        E.CancelAckEvent(ts_local_ms=T, client_req_id="c", canceled=("0xnope",), not_canceled=(("0xq", "gone"),)),
        E.CancelAllAckEvent(ts_local_ms=T, client_req_id="c", canceled=()),
        E.RestErrorEvent(ts_local_ms=T, client_req_id="c", op=RestOp.PLACE, failure=RestFailure.TIMEOUT, detail="t",
                         order_ids=("0xnope",)),
        E.OpenOrdersSnapshot(ts_local_ms=T, condition_id=m.condition_id, orders=()),
        E.BalancesSnapshot(ts_local_ms=T, usdc_e6=1, up_e6=0, down_e6=0),
        E.HeartbeatStatusEvent(ts_local_ms=T, ok=False, detail="x"),
        E.ControlCommandEvent(ts_local_ms=T, kind=ControlKind.PAUSE_QUOTING),
        E.ReducerTickEvent(ts_local_ms=T, now_ms=T),
        E.BootStarted(ts_local_ms=T),
    ]
    return {type(s): s for s in samples}


def test_every_event_type_has_a_sample_here() -> None:
    assert set(one_of_each()) == set(typing.get_args(E.Event))


@pytest.mark.parametrize("kind", typing.get_args(E.Event), ids=lambda k: k.__name__)
def test_every_event_type_is_handled_without_raising(kind: type) -> None:
    event = one_of_each()[kind]
    for start in (CanonicalState(), booted().state):
        state, effects = reduce(start, event)
        assert state.seq == start.seq + 1
        assert isinstance(effects, list)


def booted(*, usdc: float = 1_000) -> CoreHarness:
    h = CoreHarness(now_ms=at(1))
    h.feed_all(boot_events(usdc=usdc))
    h.fresh_snapshot(0.55)
    return h


def test_boot_sync_waits_for_cancel_all_open_orders_and_balances() -> None:
    h = CoreHarness(now_ms=at(1))
    events = boot_events()
    fx = h.feed(events[0])
    assert {type(e) for e in fx} >= {SwitchMarket, CancelAll, QueryOpenOrders}
    for ev in events[1:-1]:
        h.feed(ev)
        assert h.state.session_state is SessionState.BOOT_SYNC
    fx = h.feed(events[-1])
    assert h.state.session_state is SessionState.ACTIVE
    assert ReportSessionChange(old=SessionState.BOOT_SYNC, new=SessionState.ACTIVE, reason="boot_reconciled") in fx


def test_fresh_snapshot_gives_normal_stale_gives_reduce_only() -> None:
    h = booted()
    assert h.state.risk_mode is RiskMode.NORMAL
    h.clock.advance(100)
    fx = h.fresh_snapshot(0.55, stale=True)
    assert h.state.risk_mode is RiskMode.REDUCE_ONLY
    assert ReportModeChange(old=RiskMode.NORMAL, new=RiskMode.REDUCE_ONLY, reason="stale_snapshot") in fx
    h.clock.advance(100)
    h.fresh_snapshot(0.55)
    assert h.state.risk_mode is RiskMode.NORMAL
    h.set_time(h.clock.now_ms() + 5_000)  # the poller went quiet
    assert (h.state.risk_mode, h.state.mode_reason) == (RiskMode.REDUCE_ONLY, "snapshot_too_old")
    h.feed(E.SnapshotUnavailable(ts_local_ms=h.clock.now_ms(), reason="connection refused"))
    assert h.state.risk_mode is RiskMode.REDUCE_ONLY


def test_disconnect_cancels_all_and_halts_until_ack_and_stabilisation() -> None:
    h = booted()
    now = at(2)
    h.set_time(now)
    fx = h.feed(E.WsDisconnected(ts_local_ms=now, channel=Channel.USER, reason="eof"))
    cancel_alls = [e for e in fx if isinstance(e, CancelAll)]
    assert len(cancel_alls) == 1 and h.state.risk_mode is RiskMode.HALT
    fx = h.feed(E.WsConnected(ts_local_ms=now + 1_000, channel=Channel.USER, reconnect=True))
    assert not [e for e in fx if isinstance(e, CancelAll)]  # the one in flight covers it
    assert any(isinstance(e, QueryTrades) for e in fx)  # backfill fills missed while deaf
    h.clock.set(now + 1_000)
    h.fresh_snapshot(0.55)
    h.feed(E.CancelAllAckEvent(ts_local_ms=now + 2_000, client_req_id=cancel_alls[0].client_req_id, canceled=()))
    assert h.state.risk_mode is RiskMode.HALT  # acked, not yet stable
    h.set_time(now + 2_000 + h.state.params.stabilize_ms - 1)
    assert h.state.risk_mode is RiskMode.HALT
    h.clock.advance(1)
    h.fresh_snapshot(0.55)
    assert h.state.risk_mode is RiskMode.NORMAL


def test_rest_error_burst_and_cancel_only_halt() -> None:
    h = booted()
    for i in range(h.state.params.rest_error_threshold):
        h.feed(E.RestErrorEvent(ts_local_ms=at(2) + i, client_req_id=f"q{i}", op=RestOp.BALANCES,
                                failure=RestFailure.SERVER_ERROR, detail="502"))
    assert (h.state.risk_mode, h.state.flags.halt_reason) == (RiskMode.HALT, "rest_errors")
    h2 = booted()
    h2.feed(E.RestErrorEvent(ts_local_ms=at(2), client_req_id="p", op=RestOp.PLACE, failure=RestFailure.CANCEL_ONLY,
                             detail="cancel-only"))
    assert h2.state.flags.halt_reason == "venue_cancel_only"


def test_a_submit_timeout_leaves_the_order_unknown_until_the_venue_tells() -> None:
    h = booted()
    h.feed(a_submit("0xo1", ts=at(2)))
    fx = h.feed(E.RestErrorEvent(ts_local_ms=at(2), client_req_id="c", op=RestOp.PLACE, failure=RestFailure.TIMEOUT,
                                 detail="timeout", order_ids=("0xo1",)))
    assert h.state.open_orders["0xo1"].status is OrderStatus.UNKNOWN
    assert h.state.risk_mode is RiskMode.HALT and any(isinstance(e, CancelAll) for e in fx)
    h.feed(E.OpenOrdersSnapshot(ts_local_ms=at(2), condition_id=h.state.active_market.condition_id,  # type: ignore[union-attr]
                                orders=()))
    assert h.state.closed_orders["0xo1"].status is OrderStatus.CANCELED


def test_a_venue_order_we_never_sent_is_an_anomaly_that_halts() -> None:
    h = booted()
    fx = h.feed(a_user_order("0xmanual", ts=at(2)))
    assert h.state.anomalies["order_event_for_unknown_order"] == 1
    assert any(isinstance(e, CancelAll) for e in fx) and h.state.risk_mode is RiskMode.HALT


def test_session_timers_and_hard_cutoff() -> None:
    h = booted()
    seen = []
    for minute, expected in ((49.9, SessionState.ACTIVE), (50, SessionState.WIND_DOWN), (56, SessionState.FLATTEN),
                             (59, SessionState.FLATTEN), (60, SessionState.DONE)):
        fx = h.set_time(at(minute))
        seen.append(h.state.session_state)
        assert h.state.session_state is expected
        if minute == 59:
            cutoff = [e for e in fx if isinstance(e, CancelAll)]
            assert len(cutoff) == 1 and cutoff[0].condition_id == h.state.active_market.condition_id  # type: ignore[union-attr]
    assert sum(isinstance(e, ReportSessionChange) for e in h.effects) == 4  # BOOT->ACTIVE->WIND->FLATTEN->DONE


def test_rollover_moves_to_the_next_market_and_back_to_active() -> None:
    h = booted()
    nxt = a_market(HOUR0 + HOUR_MS)
    h.feed(E.MarketSelected(ts_local_ms=at(58), market=nxt))
    assert h.state.next_market == nxt
    h.set_time(at(60))
    fx = h.feed(E.SessionRolloverEvent(ts_local_ms=at(60), hour_start_ms=nxt.hour_start_ms))
    assert h.state.active_market == nxt and h.state.session_state is SessionState.ACTIVE
    assert SwitchMarket(market=nxt) in fx
    assert not h.state.flags.cutoff_cancel_sent


def test_rollover_with_orders_left_goes_back_to_boot_sync() -> None:
    h = booted()
    h.feed(a_submit("0xo1", ts=at(2)), an_ack("0xo1", ts=at(2)))
    nxt = a_market(HOUR0 + HOUR_MS)
    h.feed(E.MarketSelected(ts_local_ms=at(58), market=nxt))
    fx = h.feed(E.SessionRolloverEvent(ts_local_ms=at(60), hour_start_ms=nxt.hour_start_ms))
    assert h.state.session_state is SessionState.BOOT_SYNC
    assert any(isinstance(e, CancelAll) for e in fx)


def test_operator_commands() -> None:
    h = booted()
    t = at(1) + 100
    h.feed(E.ControlCommandEvent(ts_local_ms=t, kind=ControlKind.FLATTEN_NOW, reason="ops"))
    assert h.state.risk_mode is RiskMode.FLATTEN
    h.feed(E.ControlCommandEvent(ts_local_ms=t, kind=ControlKind.SET_MODE, mode=RiskMode.NORMAL))
    assert h.state.risk_mode is RiskMode.NORMAL
    fx = h.feed(E.ControlCommandEvent(ts_local_ms=t, kind=ControlKind.SET_MODE, mode=RiskMode.HALT))
    assert h.state.risk_mode is RiskMode.HALT and any(isinstance(e, CancelAll) for e in fx)
    h.feed(E.ControlCommandEvent(ts_local_ms=t, kind=ControlKind.SET_LIMITS,
                                 limits=E.LimitsUpdate(max_open_orders=2)))
    assert h.state.limits.max_open_orders == 2
    assert h.state.limits.max_order_size_e6 == type(h.state.limits)().max_order_size_e6  # untouched
    h.feed(E.ControlCommandEvent(ts_local_ms=t, kind=ControlKind.PAUSE_QUOTING))
    assert h.state.flags.quoting_paused


def test_tick_size_change_bumps_the_epoch() -> None:
    h = booted()
    h.feed(E.TickSizeChangedEvent(ts_local_ms=at(2), token=Token.UP, old_tick_e4=100, new_tick_e4=10))
    assert (h.state.market_view.tick_e4, h.state.market_view.tick_epoch) == (10, 1)


def test_max_loss_flattens_then_halts_when_flat() -> None:
    h = booted()
    h.feed(a_submit("0xo1", size=200, price=0.5, ts=at(2)), an_ack("0xo1", ts=at(2)))
    from trader_testkit.builders import a_fill, a_user_trade

    h.feed(a_user_trade(a_fill("0xo1", size=200, price=0.5), ts=at(2)))
    h.clock.set(at(2))
    h.fresh_snapshot(0.2)  # 200 Up marked from 0.5 to 0.2: -60 pUSD > 50 limit
    assert (h.state.risk_mode, h.state.mode_reason) == (RiskMode.FLATTEN, "max_loss_per_hour")
    h.feed(a_submit("0xo2", token=Token.DOWN, size=200, price=0.8, ts=at(3)), an_ack("0xo2", ts=at(3)))
    h.feed(a_user_trade(a_fill("0xo2", trade_id="t2", token=Token.DOWN, size=200, price=0.8), ts=at(3)))
    assert (h.state.risk_mode, h.state.mode_reason) == (RiskMode.HALT, "max_loss_flat")


def test_boot_started_after_a_restart_resyncs_before_quoting() -> None:
    h = booted()
    h.feed(a_submit("0xo1", ts=at(2)), an_ack("0xo1", ts=at(2)))
    fx = h.feed(E.BootStarted(ts_local_ms=at(3)))
    assert h.state.session_state is SessionState.BOOT_SYNC
    assert {type(e) for e in fx} >= {CancelAll, QueryOpenOrders, SwitchMarket}
    boot_req = next(e for e in fx if isinstance(e, CancelAll)).client_req_id
    m = h.state.active_market
    assert m is not None
    h.feed(E.CancelAllAckEvent(ts_local_ms=at(3), client_req_id=boot_req, canceled=("0xo1",)),
           E.OpenOrdersSnapshot(ts_local_ms=at(3), condition_id=m.condition_id, orders=()))
    assert h.state.session_state is SessionState.BOOT_SYNC
    h.feed(E.BalancesSnapshot(ts_local_ms=at(3), usdc_e6=h.state.positions.usdc_e6, up_e6=0, down_e6=0))
    assert h.state.session_state is SessionState.ACTIVE
    assert h.state.closed_orders["0xo1"].status is OrderStatus.CANCELED


def test_a_snapshot_for_another_hour_is_not_a_fair_value() -> None:
    h = booted()
    h.feed(E.BinanceSnapshotEvent(ts_local_ms=at(2), snapshot=a_snapshot(0.9, now_ms=at(2), seq=99,
                                                                          hour_start_ms=HOUR0 - HOUR_MS)))
    assert (h.state.risk_mode, h.state.mode_reason) == (RiskMode.REDUCE_ONLY, "snapshot_for_another_hour")


def test_balances_are_the_truth_a_discrepancy_is_alerted_and_adopted() -> None:
    h = booted()
    fx = h.feed(E.BalancesSnapshot(ts_local_ms=at(2), usdc_e6=5, up_e6=7, down_e6=0))
    assert any(isinstance(e, RaiseAlert) and e.code == "balance_discrepancy" for e in fx)
    p = h.state.positions
    assert (p.usdc_e6, p.up_e6, p.down_e6, p.up_settled_e6) == (5, 7, 0, 7)


def test_a_restart_while_a_cancel_all_was_pending_can_still_leave_halt() -> None:
    h = booted()
    fx = h.feed(E.WsDisconnected(ts_local_ms=at(2), channel=Channel.USER, reason="drop"))
    assert h.state.risk_mode is RiskMode.HALT
    assert h.state.flags.cancel_all_pending is not None  # its answer dies with the process
    fx = h.feed(E.BootStarted(ts_local_ms=at(3)), E.WsConnected(ts_local_ms=at(3), channel=Channel.USER,
                                                                   reconnect=False))
    boot_req = next(e for e in fx if isinstance(e, CancelAll) and e.client_req_id == h.state.boot.cancel_all_req)
    m = h.state.active_market
    assert m is not None
    h.feed(E.CancelAllAckEvent(ts_local_ms=at(3), client_req_id=boot_req.client_req_id, canceled=()),
           E.OpenOrdersSnapshot(ts_local_ms=at(3), condition_id=m.condition_id, orders=()),
           E.BalancesSnapshot(ts_local_ms=at(3), usdc_e6=h.state.positions.usdc_e6, up_e6=0, down_e6=0))
    assert h.state.flags.cancel_all_pending is None
    h.clock.set(at(4))
    h.fresh_snapshot(0.5)
    h.feed(E.ReducerTickEvent(ts_local_ms=at(4), now_ms=at(4)))
    assert h.state.risk_mode is not RiskMode.HALT


def test_a_restarted_pricer_is_followed_but_a_replayed_snapshot_is_not() -> None:
    h = booted()
    h.clock.set(at(2))
    h.feed(E.BinanceSnapshotEvent(ts_local_ms=at(2), snapshot=a_snapshot(0.6, now_ms=at(2), seq=500)))
    assert h.state.health.snapshot_seq == 500
    # The same (or an older) snapshot again: dropped.
    h.feed(E.BinanceSnapshotEvent(ts_local_ms=at(2) + 5, snapshot=a_snapshot(0.7, now_ms=at(2), seq=499)))
    assert (h.state.health.snapshot_seq, h.state.health.p_yes_fair) == (500, 0.6)
    # The pricer restarted: its seq began again while its clock moved on.
    h.feed(E.BinanceSnapshotEvent(ts_local_ms=at(3), snapshot=a_snapshot(0.4, now_ms=at(3), seq=1)))
    assert (h.state.health.snapshot_seq, h.state.health.p_yes_fair) == (1, 0.4)
    assert h.state.anomalies["snapshot_source_restarted"] == 1


@pytest.mark.parametrize(("up", "down", "winner", "value"), [
    (108, 108, None, 108),  # complete sets are worth exactly 1 each, whoever wins
    (110, 100, None, 105),  # the unpaired rest is marked at one half until the winner is known
    (110, 100, Token.UP, 110),
    (110, 100, Token.DOWN, 100),
])
def test_shares_left_in_the_previous_hour_keep_their_value_in_equity(
        up: int, down: int, winner: Token | None, value: int) -> None:
    from polymarket_trader.core.reducer import _settling_value_e6
    from polymarket_trader.core.state import SettlingPosition

    s = SettlingPosition(condition_id="0xold", up_e6=up * 1_000_000, down_e6=down * 1_000_000, winning_token=winner)
    assert _settling_value_e6(s) == value * 1_000_000
