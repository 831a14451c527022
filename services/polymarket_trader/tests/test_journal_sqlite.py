"""EventJournalSQLite: write-ahead events, snapshots, decisions; replay equals live at any cut;
a torn or corrupt tail is detected and reported, and the rows before it still load; a row that
passes its crc and does not decode, or a journal of another format version, stops start-up;
retention keeps the file bounded and the retained window replayable."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest
from trader_testkit.random_events import random_events

from hourmm_common.errors import InvariantViolation
from polymarket_trader.core.decision import DecisionRecord, InflightPlace, Pacing
from polymarket_trader.core.effects import PlaceOrder
from polymarket_trader.core.events import OrderTerms, OrderType, Side, Token
from polymarket_trader.core.reducer import reduce
from polymarket_trader.core.state import CanonicalState, decode_state, state_diff
from polymarket_trader.journal_sqlite import FORMAT_VERSION, EventJournalSQLite, JournalFormatError


def fold(events: list) -> list[CanonicalState]:  # type: ignore[type-arg]
    states = [CanonicalState()]
    for ev in events:
        states.append(reduce(states[-1], ev)[0])
    return states


def test_events_round_trip_in_order_with_seq(tmp_path: Path) -> None:
    events = list(random_events(300, seed=1))
    j = EventJournalSQLite(tmp_path / "j.db")
    j.append_batch(events[:100])
    for ev in events[100:]:
        j.append(ev)
    read = j.load_events_since(0)
    assert read.problem is None
    assert [s for s, _ in read.events] == list(range(1, 301))
    assert [e for _, e in read.events] == events
    assert j.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tags = [t for (t,) in j.conn.execute("SELECT tag FROM events ORDER BY seq")]
    assert tags == [type(e).__struct_config__.tag for e in events]
    assert "market_selected" in tags and "user_trade" in tags


@pytest.mark.parametrize("seed", [3, 11])
def test_replay_from_any_cut_point_equals_the_live_state(tmp_path: Path, seed: int) -> None:
    events = list(random_events(1_500, seed=seed))
    live = fold(events)
    j = EventJournalSQLite(tmp_path / "j.db")
    for i in range(0, len(events), 97):
        j.append_batch(events[i:i + 97])
    for cut in (0, 1, 250, 777, 1_200, 1_499):
        j.append_snapshot(live[cut])
    for cut in (0, 1, 250, 777, 1_200, 1_499):
        snap_rows = j.conn.execute("SELECT payload FROM snapshots WHERE last_seq = ?", (cut,)).fetchone()
        state = decode_state(snap_rows[0])
        assert state == live[cut]
        for _, ev in j.load_events_since(cut).events:
            state = reduce(state, ev)[0]
        assert state_diff(state, live[-1]) == []
        assert state == live[-1]


def test_latest_snapshot_plus_tail_rebuilds(tmp_path: Path) -> None:
    events = list(random_events(800, seed=5))
    live = fold(events)
    j = EventJournalSQLite(tmp_path / "j.db")
    j.append_batch(events)
    j.append_snapshot(live[400])
    snap = j.load_latest_snapshot()
    assert snap is not None and snap.seq == 400
    state = snap
    for _, ev in j.load_events_since(snap.seq).events:
        state = reduce(state, ev)[0]
    assert state == live[-1]


def test_a_corrupt_tail_is_reported_and_the_rows_before_it_load(tmp_path: Path) -> None:
    events = list(random_events(200, seed=2))
    path = tmp_path / "j.db"
    j = EventJournalSQLite(path)
    j.append_batch(events)
    j.close()
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE events SET payload = substr(payload, 1, length(payload) - 3) WHERE seq = 151")
    j = EventJournalSQLite(path)
    read = j.load_events_since(0)
    assert read.problem is not None and "151" in read.problem and read.bad_seq == 151
    assert [e for _, e in read.events] == events[:150]
    dropped = j.truncate_from(151)
    assert dropped == 50 and j.last_seq == 150
    j.append(events[150])
    assert len(j.load_events_since(0).events) == 151


def test_an_undecodable_row_with_a_matching_crc_stops_the_read_and_cuts_nothing(tmp_path: Path) -> None:
    events = list(random_events(20, seed=2))
    path = tmp_path / "j.db"
    j = EventJournalSQLite(path)
    j.append_batch(events)
    junk = b"\x81\xa4type\xa5bogus"
    j.conn.execute("UPDATE events SET payload = ?, crc32 = ? WHERE seq = 20", (junk, zlib.crc32(junk)))
    with pytest.raises(InvariantViolation, match="seq 20 passes its crc but does not decode"):
        j.load_events_since(0)
    assert j.count_events() == 20


def test_a_journal_of_another_format_version_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    EventJournalSQLite(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version={FORMAT_VERSION - 1}")
    with pytest.raises(JournalFormatError, match=f"format version {FORMAT_VERSION - 1}.*Move the file aside"):
        EventJournalSQLite(path)
    legacy = tmp_path / "legacy.db"  # a version-0 file of the first layout (no user_version at all)
    with sqlite3.connect(legacy) as raw:
        raw.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, ts_local_ms INTEGER, tag TEXT, payload BLOB, "
                    "crc32 INTEGER)")
    with pytest.raises(JournalFormatError, match="format version 0"):
        EventJournalSQLite(legacy)
    fresh = EventJournalSQLite(tmp_path / "new.db")
    assert fresh.conn.execute("PRAGMA user_version").fetchone()[0] == FORMAT_VERSION


def test_a_snapshot_of_another_state_version_is_not_restored(tmp_path: Path) -> None:
    events = list(random_events(60, seed=4))
    live = fold(events)
    j = EventJournalSQLite(tmp_path / "j.db")
    j.append_batch(events)
    j.append_snapshot(live[30])
    j.append_snapshot(live[50])
    j.conn.execute("UPDATE snapshots SET version = version + 1 WHERE last_seq = 50")
    snap = j.load_latest_snapshot()
    assert snap is not None and snap.seq == 30


def test_retention_bounds_the_file_and_the_retained_window_replays(tmp_path: Path) -> None:
    events = list(random_events(3_000, seed=8))
    live = fold(events)
    j = EventJournalSQLite(tmp_path / "j.db", retain_events=200)
    for i in range(0, 3_000, 500):
        j.append_batch(events[i:i + 500])
        j.append_snapshot(live[i + 500])
    # Kept: the last two snapshots (2500, 3000) and 200 events before the older one.
    assert j.pruned_through == 2_300 and j.count_events() == 700
    assert j.pruned_events == 2_300
    snap = j.load_latest_snapshot()
    assert snap is not None and snap.seq == 3_000
    older = j.conn.execute("SELECT MIN(last_seq) FROM snapshots").fetchone()[0]
    assert older == 2_500
    state = decode_state(j.conn.execute("SELECT payload FROM snapshots WHERE last_seq = 2500").fetchone()[0])
    for _, ev in j.load_events_since(state.seq).events:
        state = reduce(state, ev)[0]
    assert state == live[-1]  # the older snapshot plus the retained tail is the live state
    with pytest.raises(InvariantViolation, match="pruned"):
        j.load_events_since(0)  # replay from before the window is refused, never silently short
    j.append_batch(events[:1])  # the sequence continues after pruning
    assert j.last_seq == 3_001


def test_retention_returns_pages_to_the_file_system(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    events = list(random_events(4_000, seed=9))
    live = fold(events)
    j = EventJournalSQLite(path, retain_events=0)
    j.append_batch(events)
    j.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    full = path.stat().st_size
    j.append_snapshot(live[3_990])
    j.append_snapshot(live[4_000])
    j.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert j.count_events() == 10
    assert path.stat().st_size < full / 2


def test_a_damaged_snapshot_falls_back_to_an_older_one(tmp_path: Path) -> None:
    events = list(random_events(100, seed=4))
    live = fold(events)
    j = EventJournalSQLite(tmp_path / "j.db")
    j.append_batch(events)
    j.append_snapshot(live[50])
    j.append_snapshot(live[90])
    j.conn.execute("UPDATE snapshots SET crc32 = crc32 + 1 WHERE last_seq = 90")
    snap = j.load_latest_snapshot()
    assert snap is not None and snap.seq == 50


def test_decisions_are_journaled_with_the_next_batch(tmp_path: Path) -> None:
    j = EventJournalSQLite(tmp_path / "j.db", synchronous="FULL")
    action = PlaceOrder(client_req_id="1:2:bid", condition_id="c", tick_e4=100,
                        terms=OrderTerms(token=Token.UP, side=Side.BUY, price_e4=5000, size_e6=5_000_000,
                                         expiration_s=10, order_type=OrderType.GTD))
    before = Pacing(n=2)
    after = Pacing(n=3, places=(InflightPlace(slot="bid", client_req_id="1:2:bid", sent_ms=123),))
    record = DecisionRecord(now_ms=123, seq=0, snapshot=None, pacing_before=before, pacing=after, actions=(action,))
    j.record_decision(record)
    assert j.load_decisions() == []  # buffered until the next batch commits
    j.append_batch(list(random_events(7, seed=1)))
    assert j.load_decisions() == [record]
    assert j.last_pacing() == after


def test_synchronous_mode_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        EventJournalSQLite(tmp_path / "j.db", synchronous="OFF")
