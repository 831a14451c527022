"""StateReducer: the single writer. Group commit, published immutable views, snapshots every N,
restore = snapshot + fold, and a restart mid-stream ends identical to an uninterrupted run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from trader_testkit.builders import at, boot_events
from trader_testkit.fakes import RecordingSink
from trader_testkit.random_events import random_events

from hourmm_common.clock import ManualClock, settle
from hourmm_common.enums import RiskMode
from polymarket_trader.core.effects import CancelAll
from polymarket_trader.core.events import Channel, WsDisconnected
from polymarket_trader.core.reducer import reduce
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.journal_sqlite import EventJournalSQLite
from polymarket_trader.state_reducer import StateReducer, restore


def uninterrupted(events: list) -> CanonicalState:  # type: ignore[type-arg]
    s = CanonicalState()
    for ev in events:
        s = reduce(s, ev)[0]
    return s


async def test_a_queued_burst_is_journaled_in_one_commit_and_published(tmp_path: Path) -> None:
    events = list(random_events(200, seed=9))
    j = EventJournalSQLite(tmp_path / "j.db")
    r = StateReducer(j, CanonicalState(), RecordingSink(), ManualClock(at(1)), max_batch=512)
    for ev in events:
        r.inbox.put_nowait(ev)
    task = asyncio.create_task(r.run())
    view = await asyncio.wait_for(r.wait_for_version(200), 5)
    task.cancel()
    assert view == uninterrupted(events)
    assert j.commits == 1 and r.batches == 1
    assert j.count_events() == 200


async def test_old_views_do_not_change_and_only_the_reducer_writes(tmp_path: Path) -> None:
    r = StateReducer(EventJournalSQLite(tmp_path / "j.db"), CanonicalState(), RecordingSink(), ManualClock(at(1)))
    await r.apply_batch(boot_events())
    before = r.view
    encoded = before.clone_for_persist()
    await r.apply_batch([WsDisconnected(ts_local_ms=at(2), channel=Channel.USER, reason="eof")])
    assert r.view is not before and before.clone_for_persist() == encoded
    with pytest.raises(AttributeError):
        r.view = before  # type: ignore[misc]  # read-only property: no one else can swap state in


async def test_snapshots_every_n_events_and_restore_uses_them(tmp_path: Path) -> None:
    events = list(random_events(1_000, seed=21))
    j = EventJournalSQLite(tmp_path / "j.db")
    r = StateReducer(j, CanonicalState(), RecordingSink(), ManualClock(at(1)), snapshot_every=250)
    for i in range(0, len(events), 64):
        await r.apply_batch(events[i:i + 64])
    assert j.conn.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 3
    state, report = restore(EventJournalSQLite(tmp_path / "j.db"), CanonicalState())
    assert state == r.view
    assert report.from_snapshot_seq is not None and report.replayed == 1_000 - report.from_snapshot_seq


async def test_kill_mid_stream_rebuild_continue_equals_uninterrupted(tmp_path: Path) -> None:
    events = list(random_events(2_000, seed=33))
    path = tmp_path / "j.db"
    j = EventJournalSQLite(path)
    r = StateReducer(j, CanonicalState(), RecordingSink(), ManualClock(at(1)), snapshot_every=300)
    task = asyncio.create_task(r.run())
    for ev in events[:1_234]:
        await r.inbox.put(ev)
    await asyncio.wait_for(r.wait_for_version(1_234), 5)
    task.cancel()  # killed: nothing is flushed on purpose
    await settle()
    del r, j

    j2 = EventJournalSQLite(path)
    r2 = StateReducer.restored(j2, CanonicalState(), RecordingSink(), ManualClock(at(1)), snapshot_every=300)
    assert r2.view.seq == 1_234
    task2 = asyncio.create_task(r2.run())
    for ev in events[1_234:]:
        await r2.inbox.put(ev)
    final = await asyncio.wait_for(r2.wait_for_version(2_000), 5)
    task2.cancel()
    assert final == uninterrupted(events)
    assert j2.count_events() == 2_000


async def test_disconnect_starts_exactly_one_cancel_all_and_halts(tmp_path: Path) -> None:
    sink = RecordingSink()
    r = StateReducer(EventJournalSQLite(tmp_path / "j.db"), CanonicalState(), sink, ManualClock(at(1)))
    await r.apply_batch(boot_events())
    sink.effects.clear()
    await r.apply_batch([WsDisconnected(ts_local_ms=at(2), channel=Channel.USER, reason="eof"),
                         WsDisconnected(ts_local_ms=at(2), channel=Channel.MARKET, reason="eof")])
    assert len(sink.of(CancelAll)) == 1
    assert r.view.risk_mode is RiskMode.HALT


async def test_a_full_inbox_blocks_the_producer_instead_of_dropping(tmp_path: Path) -> None:
    r = StateReducer(EventJournalSQLite(tmp_path / "j.db"), CanonicalState(), RecordingSink(), ManualClock(at(1)),
                     inbox_size=4)
    events = list(random_events(10, seed=1))
    producer = asyncio.create_task(_put_all(r, events))
    await settle()
    assert not producer.done() and r.inbox.full()
    task = asyncio.create_task(r.run())
    await asyncio.wait_for(producer, 5)
    await asyncio.wait_for(r.wait_for_version(10), 5)
    task.cancel()
    assert r.view == uninterrupted(events)


async def _put_all(r: StateReducer, events: list) -> None:  # type: ignore[type-arg]
    for ev in events:
        await r.inbox.put(ev)
