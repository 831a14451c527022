"""DecisionLoop (the shell around `core.decision.step`): smoke 7.2 / 7.3, no duplicate orders while
the view lags, decisions journaled with their pacing, fixed-rate timing, the wake-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

from trader_testkit.builders import a_bbo, a_fill, a_snapshot, a_submit, a_user_trade, an_ack, at, boot_events
from trader_testkit.fakes import EchoExecutor, ExecutorSink, RecordingExecutor, RecordingSink
from trader_testkit.harness import CoreHarness

from hourmm_common.clock import ManualClock
from hourmm_common.enums import RiskMode
from polymarket_trader.core.context import DecisionContext, StrategyIntent
from polymarket_trader.core.decision import DecisionRules, Pacing
from polymarket_trader.core.effects import CancelAll, PlaceOrder
from polymarket_trader.core.events import BinanceSnapshotEvent, Channel, OrderType, Token, WsDisconnected
from polymarket_trader.core.params import DecisionParams
from polymarket_trader.core.risk import RiskDecision
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.core.strategy import OpportunisticQuoteStrategy, StrategyParams
from polymarket_trader.decision_loop import DecisionLoop
from polymarket_trader.journal_sqlite import EventJournalSQLite
from polymarket_trader.state_reducer import StateReducer

PARAMS = DecisionParams()
RULES = DecisionRules.of(PARAMS, OpportunisticQuoteStrategy(StrategyParams(), PARAMS))


async def wired(tmp_path: Path, *, echo: bool = True):  # type: ignore[no-untyped-def]
    clock = ManualClock(at(1))
    journal = EventJournalSQLite(tmp_path / "j.db")
    sink = RecordingSink()
    reducer = StateReducer(journal, CanonicalState(), sink, clock)
    snap = a_snapshot(0.55, now_ms=at(1))
    await reducer.apply_batch([*boot_events(ts=at(1)), BinanceSnapshotEvent(ts_local_ms=at(1), snapshot=snap),
                               a_bbo(Token.UP, 0.45, 0.65, ts=at(1)), a_bbo(Token.DOWN, 0.35, 0.55, ts=at(1))])
    executor = EchoExecutor(reducer.inbox, clock) if echo else RecordingExecutor()
    box = [snap]
    loop = DecisionLoop(state_provider=lambda: reducer.view, snapshot_provider=lambda: box[0], rules=RULES,
                        sink=ExecutorSink(executor), clock=clock, pacing=Pacing(n=1),
                        recorder=journal.record_decision)

    def step():  # type: ignore[no-untyped-def]
        box[0] = a_snapshot(0.55, now_ms=clock.now_ms())
        return list(loop.step())

    return clock, journal, sink, reducer, executor, loop, step


async def drain(reducer: StateReducer) -> None:
    batch = []
    while not reducer.inbox.empty():
        batch.append(reducer.inbox.get_nowait())
    if batch:
        await reducer.apply_batch(batch)


async def test_smoke_one_step_places_a_bounded_set_and_the_executor_answers(tmp_path: Path) -> None:
    clock, journal, _, reducer, executor, loop, step = await wired(tmp_path)
    actions = step()
    assert 0 < len(actions) <= PARAMS.max_working_orders
    assert all(isinstance(a, PlaceOrder) and a.expiration_s > 0 for a in actions)
    assert reducer.inbox.qsize() == 2 * len(actions)  # intent + ack per order, into the reducer queue
    await drain(reducer)
    assert len(reducer.view.open_orders) == len(actions)
    (record,) = journal.load_decisions()
    assert record.actions == tuple(actions) and record.pacing_before == Pacing(n=1)
    assert journal.last_pacing() == loop.pacing and {p.client_req_id for p in loop.pacing.places} == {
        a.client_req_id for a in actions if isinstance(a, PlaceOrder)}


async def test_no_duplicate_while_the_previous_action_is_not_in_the_view(tmp_path: Path) -> None:
    clock, _, _, reducer, executor, loop, step = await wired(tmp_path)
    first = step()
    assert {a.client_req_id.rsplit(":", 1)[1] for a in first} == {"bid", "ask"}  # type: ignore[union-attr]
    for _ in range(5):  # the reducer has not caught up yet
        clock.advance(20)
        assert step() == []
    await drain(reducer)
    clock.advance(20)
    assert step() == []
    assert not loop.pacing.places and len(reducer.view.open_orders) == 2


async def test_an_action_the_view_never_reflects_is_forgotten_after_the_timeout(tmp_path: Path) -> None:
    clock, _, _, reducer, _, loop, step = await wired(tmp_path, echo=False)
    assert step()
    clock.advance(PARAMS.inflight_timeout_ms + 1)
    again = step()
    assert again and loop.inflight_expired == 2


async def test_smoke_cancel_all_path_no_new_risk_while_reconciling(tmp_path: Path) -> None:
    clock, _, sink, reducer, executor, loop, step = await wired(tmp_path)
    sink.effects.clear()
    await reducer.apply_batch([WsDisconnected(ts_local_ms=clock.now_ms(), channel=Channel.USER, reason="eof")])
    assert len(sink.of(CancelAll)) == 1
    assert reducer.view.risk_mode is RiskMode.HALT
    for _ in range(10):
        clock.advance(20)
        assert step() == []


class _TimingStrategy:
    name = "timing"

    def __init__(self, clock: ManualClock, slow_every: int) -> None:
        self.clock = clock
        self.times: list[int] = []
        self.slow_every = slow_every

    def on_tick(self, ctx: DecisionContext, risk: RiskDecision) -> StrategyIntent:
        self.times.append(ctx.now_ms)
        if len(self.times) % self.slow_every == 0:
            self.clock.advance(45)  # this step took 45 ms of the clock's time
        return StrategyIntent()


async def test_fixed_rate_on_the_injected_clock_without_drift() -> None:
    clock = ManualClock(1_000_000)
    strategy = _TimingStrategy(clock, slow_every=10)
    loop = DecisionLoop(state_provider=CanonicalState, snapshot_provider=lambda: None,
                        rules=DecisionRules.of(PARAMS, strategy), sink=RecordingSink(), clock=clock,
                        pacing=Pacing(n=1))
    task = asyncio.create_task(loop.run())
    await clock.run_until(1_000_000 + 2_000)
    task.cancel()
    times = strategy.times
    assert all((t - 1_000_000) % 20 == 0 for t in times)  # always on the 20 ms grid (50 Hz)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # A 45 ms step skips the two slots it overran and resumes on the grid; no burst, no drift.
    assert gaps == [60 if (i + 1) % 10 == 0 else 20 for i in range(len(gaps))]
    assert times[-1] >= 1_000_000 + 2_000 - 60


async def test_a_fak_that_found_nothing_is_retried_at_most_once_per_interval() -> None:
    h = CoreHarness(now_ms=at(58))
    h.feed_all(boot_events(ts=at(58)))
    h.feed(*_long_up(at(58)))
    sent = []
    for _ in range(100):  # 2 s at 50 Hz; each FAK is killed unfilled (the harness acks UNMATCHED)
        h.clock.advance(20)
        h.fresh_snapshot(0.5)
        h.feed(a_bbo(Token.UP, 0.45, 0.55, ts=h.clock.now_ms()), a_bbo(Token.DOWN, 0.45, 0.55, ts=h.clock.now_ms()))
        actions = h.decide()
        sent += [a for a in actions if isinstance(a, PlaceOrder) and a.order_type is OrderType.FAK]
        h.echo(actions)
    assert 2 <= len(sent) <= 3


def _long_up(t: int) -> list:  # type: ignore[type-arg]
    return [a_submit("0xl", size=20, ts=t), an_ack("0xl", ts=t), a_user_trade(a_fill("0xl", size=20), ts=t)]


async def test_a_new_snapshot_is_decided_at_once_and_the_grid_is_kept() -> None:
    clock = ManualClock(1_000_000)
    strategy = _TimingStrategy(clock, slow_every=10_000)
    loop = DecisionLoop(state_provider=CanonicalState, snapshot_provider=lambda: None,
                        rules=DecisionRules.of(PARAMS, strategy), sink=RecordingSink(), clock=clock,
                        pacing=Pacing(n=1))
    task = asyncio.create_task(loop.run())
    await clock.run_until(1_000_000 + 25)  # grid steps at +0 and +20
    assert strategy.times == [1_000_000, 1_000_020]
    clock.advance(3)  # +28: between slots
    loop.wake.set()
    loop.wake.set()  # wake-ups before the step coalesce into one
    await clock.run_until(clock.now_ms())
    assert strategy.times == [1_000_000, 1_000_020, 1_000_028]
    await clock.run_until(1_000_000 + 60)
    assert strategy.times == [1_000_000, 1_000_020, 1_000_028, 1_000_040, 1_000_060]  # back on the grid
    assert loop.nudged_steps == 1
    task.cancel()
