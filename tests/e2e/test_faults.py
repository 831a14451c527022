"""Faults over the three real processes (90x): the trader keeps its invariants through all of them,
and its books still equal the venue's ledger at the end.

Injected (minutes after the hour's start; the venue's scenario faults, or signals from the test):
  1  our next two matched trades end FAILED (after MATCHED, instead of MINED)
  5  the market websocket drops          10  the user websocket drops
 15  a submit times out (504 after 20 s) with the order placed behind it
 25  the tick becomes 0.1 (quotes on 0.01 are off-grid), back to 0.01 at 28
 30  container A freezes (SIGSTOP) for 4 minutes: no snapshot, the fair value goes stale
 40  the trader is killed with SIGKILL and restarted at once from its journal
The run stops at 48 (before the hour settles): quoting is paused and the trader's positions and
collateral are compared with the venue's ledger.
"""

from __future__ import annotations

import signal
from pathlib import Path

import msgspec
import pytest
from e2e.e2e_harness import Run, a_scenario, e2e_run, summary

from hourmm_common.enums import RiskMode
from hourmm_common.hours import MINUTE_MS
from polymarket_trader.core.effects import CancelAll, ReportModeChange
from polymarket_trader.core.events import (
    BootStarted,
    Channel,
    OrderSubmitted,
    RestErrorEvent,
    RestOp,
    RestOrderRejected,
    TickSizeChangedEvent,
    TradeStatus,
    UserOrderEvent,
    UserTradeEvent,
    WsConnected,
    WsDisconnected,
)
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.core.reducer import reduce

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180), pytest.mark.xdist_group("e2e_processes")]

FAULTS = [
    {"at_s": 60, "kind": "fail_trades", "count": 2},  # "" = the scenario's users: the trader
    {"at_s": 300, "kind": "ws_drop", "channel": "market"},
    {"at_s": 600, "kind": "ws_drop", "channel": "user"},
    # The trader submits one order with POST /order and two with POST /orders: arm both.
    {"at_s": 900, "kind": "rest_timeout", "path": "/order", "delay_ms": 20_000, "placed": True},
    {"at_s": 900, "kind": "rest_timeout", "path": "/orders", "delay_ms": 20_000, "placed": True},
    {"at_s": 1500, "kind": "set_tick", "tick": "0.1"},
    {"at_s": 1680, "kind": "set_tick", "tick": "0.01"},
]
FREEZE_AT, THAW_AT, KILL_AT, STOP_AT = 30 * MINUTE_MS, 34 * MINUTE_MS, 40 * MINUTE_MS, 48 * MINUTE_MS


def effects_timeline(run: Run) -> list[tuple[int, object]]:
    """(scenario ms, effect) for every effect the journal's replay produces."""
    state = run.initial_state
    out: list[tuple[int, object]] = []
    for ev in run.events:
        state, effects = reduce(state, ev)
        out += [(state.now_ms, fx) for fx in effects]
    return out


async def test_invariants_hold_and_the_ledger_matches_through_faults(tmp_path: Path) -> None:
    # Wider background quotes and more takers: ours are often the best, so we trade early and often.
    scenario = a_scenario(tmp_path, faults=FAULTS, participants={"taker_rate_per_min": 8, "maker_half_spread": 0.04})
    async with e2e_run(tmp_path, scenario) as run:
        start = run.first_hour_ms
        await run.sample_until(start + FREEZE_AT)
        pricer = run.stack.children["pricer"]
        assert pricer.proc is not None
        pricer.proc.send_signal(signal.SIGSTOP)
        try:
            await run.sample_until(start + THAW_AT)
        finally:
            pricer.proc.send_signal(signal.SIGCONT)
        await run.sample_until(start + KILL_AT)
        await run.stack.kill_trader()
        killed_at = run.stack.clock.now_ms()
        await run.stack.start_trader()
        await run.sample_until(start + STOP_AT)
        await run.finish()
    why = summary(run)
    timeline = effects_timeline(run)
    modes = [(t, fx) for t, fx in timeline if isinstance(fx, ReportModeChange)]
    cancel_alls = [t for t, fx in timeline if isinstance(fx, CancelAll)]

    # The books equal the venue's after everything (a FAILED fill reversed, nothing counted twice).
    assert run.ledger_ok, why

    # Both websocket drops were seen, each followed by HALT + cancel-all and a reconnect.
    for channel, at in ((Channel.MARKET, 5 * MINUTE_MS), (Channel.USER, 10 * MINUTE_MS)):
        t = start + at
        drops = [ev for ev in run.of(WsDisconnected) if ev.channel is channel and t <= ev.ts_local_ms < t + MINUTE_MS]
        assert drops, (channel, why)
        dropped = drops[0].ts_local_ms
        assert any(dropped <= m < dropped + MINUTE_MS and fx.new is RiskMode.HALT for m, fx in modes), why
        assert any(dropped <= c < dropped + MINUTE_MS for c in cancel_alls), why
        assert any(ev.channel is channel and ev.reconnect and ev.ts_local_ms >= dropped
                   for ev in run.of(WsConnected)), why

    # The timed-out submit left its orders UNKNOWN until the venue's own records settled them: the
    # one placed behind the timeout came back on the user channel, and none stayed UNKNOWN.
    timeouts = [ev for ev in run.of(RestErrorEvent) if ev.op is RestOp.PLACE
                and start + 15 * MINUTE_MS <= ev.ts_local_ms < start + 20 * MINUTE_MS]
    lost = {order_id for ev in timeouts for order_id in ev.order_ids}
    assert lost, why
    assert lost & {ev.order_id for ev in run.of(UserOrderEvent)}, why
    final = run.replayed()
    known = {**dict(final.closed_orders), **dict(final.open_orders)}
    assert all(known[o].status is not OrderStatus.UNKNOWN for o in lost if o in known), why

    # A trade of ours FAILED at the venue, and the trader saw it (and reversed it: ledger above).
    failed = {f.market for f in run.fills if f.status == "FAILED"}
    assert failed, why
    assert any(ev.status is TradeStatus.FAILED and ev.fills for ev in run.of(UserTradeEvent)), why

    # The coarser tick: no quote was submitted off the 0.1 grid while it lasted, and every quote
    # resting off it was cancelled or re-rounded within ten seconds.
    changed = [ev for ev in run.of(TickSizeChangedEvent) if ev.new_tick_e4 == 1000]
    assert changed, why
    coarse_from = changed[0].ts_local_ms
    coarse_to = min((ev.ts_local_ms for ev in run.of(TickSizeChangedEvent)
                     if ev.new_tick_e4 == 100 and ev.ts_local_ms > coarse_from), default=start + STOP_AT)
    # (A submit decided on the old tick may still be on its way when the change lands; the venue
    # refuses it, and the trader must take the refusal.)
    during = [o for o in run.of(OrderSubmitted) if coarse_from < o.ts_local_ms < coarse_to]
    refused = {ev.order_id for ev in run.of(RestOrderRejected)}
    in_flight = [o for o in during if o.ts_local_ms < coarse_from + 5_000]
    assert all(o.price_e4 % 1000 == 0 or o.order_id in refused for o in in_flight), why
    assert all(o.price_e4 % 1000 == 0 for o in during if o not in in_flight), why
    state = run.initial_state
    for ev in run.events:
        state, _ = reduce(state, ev)
        if coarse_from + 10_000 <= state.now_ms < coarse_to:
            assert all(o.price_e4 % 1000 == 0 for o in state.open_orders.values()), (state.now_ms, why)

    # The frozen pricer: the trader stopped adding exposure (REDUCE_ONLY or stricter) until it thawed.
    frozen = [fx for t, fx in modes if start + FREEZE_AT <= t < start + THAW_AT + MINUTE_MS]
    assert any(fx.new in (RiskMode.REDUCE_ONLY, RiskMode.HALT) for fx in frozen), why

    # The kill: a second boot restored the journal (the same path as the first), synced, quoted on.
    boots = run.of(BootStarted)
    assert len(boots) == 2 and boots[1].ts_local_ms >= killed_at, why
    assert any(o.ts_local_ms > boots[1].ts_local_ms for o in run.of(OrderSubmitted)), why

    # Invariants over the whole journal: replay == restore == live positions; no order outlived
    # its expiration; the net position never exceeded the limit by more than one order.
    replayed, restored = run.replayed(), run.restored()
    assert replayed == restored
    assert run.final_status is not None
    live = msgspec.structs.asdict(run.final_status.positions)
    assert {k: getattr(replayed.positions, k) for k in live} == live, why
    state = run.initial_state
    limit = state.limits.max_position_e6 + state.limits.max_order_size_e6
    for ev in run.events:
        state, _ = reduce(state, ev)
        assert abs(state.positions.net_up_e6) <= limit, (state.now_ms, why)
        late = [o.order_id for o in state.open_orders.values() if o.expiration_s and state.now_ms >= o.expiration_s * 1000]
        assert not late, (late, why)
