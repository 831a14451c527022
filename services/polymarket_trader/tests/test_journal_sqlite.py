"""EventJournalSQLite: write-ahead events, snapshots, decisions; replay equals live at any cut;
a torn or corrupt tail is detected and reported, and the rows before it still load."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from trader_testkit.random_events import random_events

from polymarket_trader.core.effects import PlaceOrder
from polymarket_trader.core.events import OrderType, Side, Token
from polymarket_trader.core.reducer import reduce
from polymarket_trader.core.state import CanonicalState, decode_state, state_diff
from polymarket_trader.journal_sqlite import EventJournalSQLite


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


def test_an_undecodable_row_with_a_matching_crc_is_reported(tmp_path: Path) -> None:
    import zlib

    events = list(random_events(20, seed=2))
    path = tmp_path / "j.db"
    j = EventJournalSQLite(path)
    j.append_batch(events)
    junk = b"\x81\xa4type\xa5bogus"
    j.conn.execute("UPDATE events SET payload = ?, crc32 = ? WHERE seq = 20", (junk, zlib.crc32(junk)))
    read = j.load_events_since(0)
    assert read.bad_seq == 20 and "undecodable" in (read.problem or "")
    assert len(read.events) == 19


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
    action = PlaceOrder(client_req_id="1:2:bid", condition_id="c", token=Token.UP, side=Side.BUY, price_e4=5000,
                        size_e6=5_000_000, expiration_s=10, tick_e4=100, order_type=OrderType.GTD)
    j.record_decision(123, 2, [action])
    j.append_batch(list(random_events(7, seed=1)))
    (rec,) = j.load_decisions()
    assert (rec.ts_ms, rec.n, rec.actions) == (123, 2, (action,))


def test_synchronous_mode_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous"):
        EventJournalSQLite(tmp_path / "j.db", synchronous="OFF")
