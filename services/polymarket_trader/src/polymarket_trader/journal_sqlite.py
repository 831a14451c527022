"""`EventJournalSQLite`: the write-ahead journal of reducer inputs, state snapshots and decisions.

Tables (SQLite, WAL mode):
- `events(seq, ts_local_ms, tag, payload, crc32)`: every event, in order, before it is applied.
  `payload` is the msgpack of the tagged event union; `crc32` covers it.
- `snapshots(id, last_seq, payload, crc32)`: `CanonicalState.clone_for_persist()` every N events.
- `snapshots(..., version)`: each snapshot also carries `STATE_VERSION`, the shape of the state.
- `decisions(id, ts_ms, n, payload, crc32)`: `core.decision.DecisionRecord`s (inputs, pacing before
  and after, actions): the trace, shadow mode's output, and the pacing a restart resumes from.
  Never replayed into state.
- `meta(key, value)`: `pruned_through` (events at or below it were deleted by retention).

Versions: `PRAGMA user_version` is `FORMAT_VERSION`, the shape of every row. A journal written by
another version is refused with a clear message (`JournalFormatError`) instead of being misread:
its events cannot be replayed by this reducer, and the operator moves it aside (BOOT_SYNC
rebuilds orders and balances from the venue). A new file gets the current version.

Retention (`prune`, after each state snapshot): events older than the older of the last two
snapshots minus `retain_events` are deleted, with the snapshots and decisions before them, and
freed pages go back to the OS (incremental vacuum). So the file holds a bounded window, and
replay equality holds for all of it: restore needs the latest good snapshot and the events after.

Group commit: `append_batch` writes a whole reducer turn in one transaction (one commit per
turn, however many events arrived in it); decisions recorded in between ride along with it.
Durability: `synchronous=NORMAL` (default) in WAL mode survives a process crash (the case that
matters for crash-only restarts); a power loss may drop the last few commits, which the
BOOT_SYNC reconcile (cancel-all, open orders, balances) repairs from the venue. `FULL` fsyncs
every commit (configurable) at a cost of a disk flush per reducer turn.

Damage: a row whose crc fails, or a gap in `seq`, ends the readable journal there (a torn write);
`load_events_since` returns the rows before it plus a `problem` text, and `truncate_from` drops
the torn tail so new events continue a consistent sequence. A row whose crc matches but which does
not decode is no torn write but a bug or a foreign schema: it raises `InvariantViolation` and
start-up stops, nothing is cut.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from hourmm_common.errors import InvariantViolation
from polymarket_trader.core.decision import DecisionRecord, Pacing
from polymarket_trader.core.events import Event
from polymarket_trader.core.state import CanonicalState, decode_state

# Bump on any change of a row's shape (an event, the state, a decision) that older code or newer
# code cannot decode; version 2: `OrderTerms` in orders, decisions carry their inputs and pacing.
FORMAT_VERSION = 2
STATE_VERSION = 2
KEEP_SNAPSHOTS = 2
DEFAULT_RETAIN_EVENTS = 100_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, ts_local_ms INTEGER NOT NULL, tag TEXT NOT NULL,
    payload BLOB NOT NULL, crc32 INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT, last_seq INTEGER NOT NULL,
    payload BLOB NOT NULL, crc32 INTEGER NOT NULL, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL, n INTEGER NOT NULL,
    payload BLOB NOT NULL, crc32 INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

_EVENT_ENCODER = msgspec.msgpack.Encoder()
_EVENT_DECODER: msgspec.msgpack.Decoder[Event] = msgspec.msgpack.Decoder(Event)
_DECISION_DECODER = msgspec.msgpack.Decoder(DecisionRecord)


class JournalFormatError(Exception):
    """The journal file was written in another format version than this code reads."""


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


class EventJournalSQLite:
    def __init__(self, db_path: str | Path, *, synchronous: str = "NORMAL", enabled: bool = True,
                 retain_events: int = DEFAULT_RETAIN_EVENTS) -> None:
        if synchronous.upper() not in ("NORMAL", "FULL"):
            raise ValueError("synchronous must be NORMAL or FULL")
        if retain_events < 0:
            raise ValueError("retain_events must be >= 0")
        self.db_path = str(db_path)
        self.enabled = enabled
        self.retain_events = retain_events
        self.conn = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        try:
            self._open(synchronous.upper())
        except BaseException:
            self.conn.close()
            raise
        row = self.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        self.last_seq: int = int(row[0])
        self._pending_decisions: list[tuple[int, int, bytes, int]] = []
        self.commits = 0
        self.pruned_events = 0

    def _open(self, synchronous: str) -> None:
        version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        tables = int(self.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])
        if tables and version != FORMAT_VERSION:
            raise JournalFormatError(
                f"journal {self.db_path} is format version {version}, this trader reads version {FORMAT_VERSION}: "
                "its events cannot be replayed. Move the file aside and start again (boot reconciles orders "
                "and balances from the venue).")
        if not tables:
            self.conn.execute("PRAGMA auto_vacuum=INCREMENTAL")  # before the first table exists
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        self.conn.executescript(_SCHEMA)
        self.conn.execute(f"PRAGMA user_version={FORMAT_VERSION}")

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
        self.conn.execute("INSERT INTO snapshots (last_seq, payload, crc32, version) VALUES (?, ?, ?, ?)",
                          (state.seq, payload, zlib.crc32(payload), STATE_VERSION))
        self.commits += 1
        self.prune()

    def prune(self) -> int:
        """Retention: keep the last `KEEP_SNAPSHOTS` snapshots and `retain_events` events before
        the oldest of them; delete what is older (events, snapshots, decisions); return the count."""
        rows = self.conn.execute("SELECT last_seq FROM snapshots ORDER BY id DESC LIMIT ?", (KEEP_SNAPSHOTS,)).fetchall()
        if len(rows) < KEEP_SNAPSHOTS:
            return 0
        through = min(int(r[0]) for r in rows) - self.retain_events
        if through <= self.pruned_through:
            return 0
        cur = self.conn.cursor()
        cur.execute("BEGIN")
        try:
            deleted = cur.execute("DELETE FROM events WHERE seq <= ?", (through,)).rowcount
            cur.execute("DELETE FROM snapshots WHERE last_seq < ?", (through,))
            cur.execute("DELETE FROM decisions WHERE id IN (SELECT id FROM decisions WHERE ts_ms < "
                        "(SELECT COALESCE(MIN(ts_local_ms), 0) FROM events))")
            cur.execute("INSERT OR REPLACE INTO meta VALUES ('pruned_through', ?)", (through,))
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        self.conn.executescript("PRAGMA incremental_vacuum;")  # run to completion (execute() steps one page)
        self.pruned_events += deleted
        return int(deleted)

    @property
    def pruned_through(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'pruned_through'").fetchone()
        return int(row[0]) if row else 0

    def record_decision(self, record: DecisionRecord) -> None:
        """Buffer a decision; it is written with the next event batch (or `flush`)."""
        if self.enabled:
            payload = _EVENT_ENCODER.encode(record)
            self._pending_decisions.append((record.now_ms, record.n, payload, zlib.crc32(payload)))

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
        rows = self.conn.execute("SELECT last_seq, payload, crc32, version FROM snapshots ORDER BY id DESC")
        for last_seq, payload, crc, version in rows:
            if zlib.crc32(payload) != crc or version != STATE_VERSION:
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
        stopping at the first damaged row; the result reports how many were read and why it stopped.
        Reading from before the retained window, or a row that passes its crc and does not decode,
        raises `InvariantViolation`: neither is a torn tail, and cutting would lose good events."""
        pruned = self.pruned_through
        if seq < pruned:
            raise InvariantViolation(f"journal {self.db_path}: events up to seq {pruned} were pruned and no readable "
                                     f"state snapshot covers them (replay asked from seq {seq + 1})")
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
                raise InvariantViolation(f"journal {self.db_path}: event at seq {row_seq} passes its crc but does "
                                         f"not decode ({exc}); a bug or a foreign schema, not a torn write") from exc
            visit(row_seq, ev)
            expected += 1
        return JournalRead(events=[], count=expected - seq - 1)

    def load_decisions(self) -> list[DecisionRecord]:
        out = []
        for payload, crc in self.conn.execute("SELECT payload, crc32 FROM decisions ORDER BY id"):
            if zlib.crc32(payload) == crc:
                out.append(_DECISION_DECODER.decode(payload))
        return out

    def last_pacing(self) -> Pacing | None:
        """The pacing after the newest readable decision (what a restarted decision loop resumes)."""
        for payload, crc in self.conn.execute("SELECT payload, crc32 FROM decisions ORDER BY id DESC"):
            if zlib.crc32(payload) == crc:
                return _DECISION_DECODER.decode(payload).pacing
        return None

    def count_events(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
