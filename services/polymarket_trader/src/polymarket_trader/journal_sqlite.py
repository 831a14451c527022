"""`EventJournalSQLite`: the write-ahead journal of reducer inputs, state snapshots and decisions.

Tables (SQLite, WAL mode):
- `events(seq, ts_local_ms, tag, payload, crc32)`: every event, in order, before it is applied.
  `payload` is the msgpack of the tagged event union; `crc32` covers it.
- `snapshots(id, last_seq, payload, crc32)`: `CanonicalState.clone_for_persist()` every N events.
- `decisions(id, ts_ms, n, payload, crc32)`: order actions the decision loop emitted (the trace,
  and shadow mode's output). Never replayed into state.

Group commit: `append_batch` writes a whole reducer turn in one transaction (one commit per
turn, however many events arrived in it); decisions recorded in between ride along with it.
Durability: `synchronous=NORMAL` (default) in WAL mode survives a process crash (the case that
matters for crash-only restarts); a power loss may drop the last few commits, which the
BOOT_SYNC reconcile (cancel-all, open orders, balances) repairs from the venue. `FULL` fsyncs
every commit (configurable) at a cost of a disk flush per reducer turn.

Damage: a row whose crc or decoding fails, or a gap in `seq`, ends the readable journal there;
`load_events_since` returns the rows before it plus a `problem` text, and `truncate_from` drops
the torn tail so new events continue a consistent sequence.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from polymarket_trader.core.effects import OrderAction
from polymarket_trader.core.events import Event
from polymarket_trader.core.state import CanonicalState, decode_state

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, ts_local_ms INTEGER NOT NULL, tag TEXT NOT NULL,
    payload BLOB NOT NULL, crc32 INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT, last_seq INTEGER NOT NULL,
    payload BLOB NOT NULL, crc32 INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL, n INTEGER NOT NULL,
    payload BLOB NOT NULL, crc32 INTEGER NOT NULL);
"""

_EVENT_ENCODER = msgspec.msgpack.Encoder()
_EVENT_DECODER: msgspec.msgpack.Decoder[Event] = msgspec.msgpack.Decoder(Event)
_ACTIONS_DECODER = msgspec.msgpack.Decoder(tuple[OrderAction, ...])


_TAGS: dict[type, str] = {}


def _tag(kind: type) -> str:
    """The event's stable tag string (msgspec's union tag), cached per type."""
    tag = _TAGS.get(kind)
    if tag is None:
        tag = _TAGS[kind] = str(kind.__struct_config__.tag)  # type: ignore[attr-defined]
    return tag


class JournalRead(msgspec.Struct, frozen=True, kw_only=True):
    """Events read back (seq, event) up to the first damaged row; `problem` says what stopped it."""

    events: list[tuple[int, Event]]
    problem: str | None = None
    bad_seq: int | None = None
    count: int = 0


def _stopped(seq: int, expected: int, problem: str, bad_seq: int) -> JournalRead:
    return JournalRead(events=[], problem=problem, bad_seq=bad_seq, count=expected - seq - 1)


class DecisionRecord(msgspec.Struct, frozen=True, kw_only=True):
    ts_ms: int
    n: int
    actions: tuple[OrderAction, ...]


class EventJournalSQLite:
    def __init__(self, db_path: str | Path, *, synchronous: str = "NORMAL", enabled: bool = True) -> None:
        if synchronous.upper() not in ("NORMAL", "FULL"):
            raise ValueError("synchronous must be NORMAL or FULL")
        self.db_path = str(db_path)
        self.enabled = enabled
        self.conn = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self.init_schema()
        row = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        self.last_seq: int = int(row[0])
        self._pending_decisions: list[tuple[int, int, bytes, int]] = []
        self.commits = 0

    def init_schema(self) -> None:
        self.conn.executescript(_SCHEMA)

    # Writing -------------------------------------------------------------------------------------

    def append(self, event: Event) -> int:
        """One event in its own transaction (the baseline the group commit is measured against)."""
        return self.append_batch((event,))

    def append_batch(self, events: Sequence[Event]) -> int:
        """Journal `events` in one transaction; returns the seq of the last one."""
        if not self.enabled:
            self.last_seq += len(events)
            return self.last_seq
        rows = []
        seq = self.last_seq
        encode, crc32 = _EVENT_ENCODER.encode, zlib.crc32
        for ev in events:
            seq += 1
            payload = encode(ev)
            rows.append((seq, ev.ts_local_ms, _tag(type(ev)), payload, crc32(payload)))
        cur = self.conn.cursor()
        cur.execute("BEGIN")
        try:
            cur.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", rows)
            self._write_decisions(cur)
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        self.last_seq = seq
        self.commits += 1
        return seq

    def append_snapshot(self, state: CanonicalState) -> None:
        if not self.enabled:
            return
        payload = state.clone_for_persist()
        self.conn.execute("INSERT INTO snapshots (last_seq, payload, crc32) VALUES (?, ?, ?)",
                          (state.seq, payload, zlib.crc32(payload)))
        self.commits += 1

    def record_decision(self, ts_ms: int, n: int, actions: Sequence[OrderAction]) -> None:
        """Buffer a decision; it is written with the next event batch (or `flush`)."""
        if self.enabled:
            payload = _EVENT_ENCODER.encode(tuple(actions))
            self._pending_decisions.append((ts_ms, n, payload, zlib.crc32(payload)))

    def flush(self) -> None:
        if self._pending_decisions:
            cur = self.conn.cursor()
            cur.execute("BEGIN")
            self._write_decisions(cur)
            cur.execute("COMMIT")
            self.commits += 1

    def _write_decisions(self, cur: sqlite3.Cursor) -> None:
        if self._pending_decisions:
            cur.executemany("INSERT INTO decisions (ts_ms, n, payload, crc32) VALUES (?, ?, ?, ?)",
                            self._pending_decisions)
            self._pending_decisions = []

    def truncate_from(self, seq: int) -> int:
        """Drop events with seq >= `seq` (a torn or corrupt tail) and snapshots past it."""
        cur = self.conn.execute("DELETE FROM events WHERE seq >= ?", (seq,))
        self.conn.execute("DELETE FROM snapshots WHERE last_seq >= ?", (seq,))
        row = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        self.last_seq = int(row[0])
        return cur.rowcount

    def close(self) -> None:
        self.flush()
        self.conn.close()

    # Reading -------------------------------------------------------------------------------------

    def load_latest_snapshot(self) -> CanonicalState | None:
        """The newest snapshot that passes its crc and decodes (older ones if the newest is damaged)."""
        rows = self.conn.execute("SELECT last_seq, payload, crc32 FROM snapshots ORDER BY id DESC")
        for last_seq, payload, crc in rows:
            if zlib.crc32(payload) != crc:
                continue
            try:
                state = decode_state(payload)
            except (msgspec.DecodeError, msgspec.ValidationError):
                continue
            if state.seq == last_seq:
                return state
        return None

    def load_events_since(self, seq: int) -> JournalRead:
        events: list[tuple[int, Event]] = []
        read = self.scan_events_since(seq, lambda n, ev: events.append((n, ev)))
        return JournalRead(events=events, problem=read.problem, bad_seq=read.bad_seq, count=read.count)

    def scan_events_since(self, seq: int, visit: Callable[[int, Event], None]) -> JournalRead:
        """Stream events after `seq` to `visit` in order (no list of a million events in memory),
        stopping at the first damaged row; the result reports how many were read and why it stopped."""
        expected = seq + 1
        decode = _EVENT_DECODER.decode
        crc32 = zlib.crc32
        rows = self.conn.execute("SELECT seq, payload, crc32 FROM events WHERE seq > ? ORDER BY seq", (seq,))
        for row_seq, payload, crc in rows:
            if row_seq != expected:
                return _stopped(seq, expected, f"gap: expected seq {expected}, found {row_seq}", expected)
            if not isinstance(payload, bytes) or crc32(payload) != crc:
                return _stopped(seq, expected, f"crc mismatch at seq {row_seq}", row_seq)
            try:
                ev = decode(payload)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                return _stopped(seq, expected, f"undecodable event at seq {row_seq}: {exc}", row_seq)
            visit(row_seq, ev)
            expected += 1
        return JournalRead(events=[], count=expected - seq - 1)

    def load_decisions(self) -> list[DecisionRecord]:
        out = []
        for ts_ms, n, payload, crc in self.conn.execute("SELECT ts_ms, n, payload, crc32 FROM decisions ORDER BY id"):
            if zlib.crc32(payload) == crc:
                out.append(DecisionRecord(ts_ms=ts_ms, n=n, actions=_ACTIONS_DECODER.decode(payload)))
        return out

    def count_events(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
