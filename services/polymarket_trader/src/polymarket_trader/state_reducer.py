"""`StateReducer`: the single writer of `CanonicalState` (house style rule 3).

Its task is short: take a batch from `inbox` (whatever is queued, up to `max_batch`), journal it
in one transaction (write-ahead, group commit), fold it through `reduce`, publish the new view
(a reference swap: readers holding the old view keep an unchanged object), write a snapshot every
`snapshot_every` events, and hand the effects to the `EffectSink`. Mode and session changes,
alerts and cancel-alls are logged here (the core only returns them as data); everything else is
counted, not logged.

`restore(journal, initial)` is the boot path and the test path alike: latest good snapshot plus a
fold of the events after it; a torn tail is reported and cut so new events continue from there.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Sequence
from typing import Any

import msgspec

from hourmm_common.clock import Clock
from hourmm_common.errors import InvariantViolation
from hourmm_common.logs import get_logger
from polymarket_trader.core.effects import (
    CancelAll,
    Effect,
    RaiseAlert,
    ReportModeChange,
    ReportSessionChange,
)
from polymarket_trader.core.events import Event
from polymarket_trader.core.ports import EffectSink
from polymarket_trader.core.reducer import reduce
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.journal_sqlite import EventJournalSQLite

_log = get_logger("state_reducer")


class RestoreReport(msgspec.Struct, frozen=True, kw_only=True):
    from_snapshot_seq: int | None
    replayed: int
    problem: str | None = None
    dropped_rows: int = 0


def restore(journal: EventJournalSQLite, initial: CanonicalState) -> tuple[CanonicalState, RestoreReport]:
    """Latest snapshot (or `initial` when there is none) + fold of the later events."""
    snap = journal.load_latest_snapshot()
    state = snap if snap is not None else initial
    box = [state]

    def fold(_seq: int, ev: Event) -> None:
        box[0] = reduce(box[0], ev)[0]

    gc_was_on = gc.isenabled()
    gc.disable()  # a replay allocates millions of short-lived objects and keeps none: skip the cycle scans
    try:
        read = journal.scan_events_since(state.seq, fold)
    finally:
        if gc_was_on:
            gc.enable()
    state = box[0]
    dropped = 0
    if read.problem is not None and read.bad_seq is not None:
        dropped = journal.truncate_from(read.bad_seq)
        _log.error("journal_tail_damaged", problem=read.problem, dropped_rows=dropped, resumed_at_seq=state.seq)
    if journal.last_seq != state.seq:
        raise InvariantViolation(f"journal ends at seq {journal.last_seq} but the restored state is at {state.seq}")
    return state, RestoreReport(from_snapshot_seq=snap.seq if snap is not None else None,
                                replayed=read.count, problem=read.problem, dropped_rows=dropped)


class StateReducer:
    def __init__(self, journal: EventJournalSQLite, initial_state: CanonicalState, effect_sink: EffectSink,
                 clock: Clock, *, snapshot_every: int = 1_000, max_batch: int = 512, inbox_size: int = 10_000,
                 inbox: asyncio.Queue[Event] | None = None) -> None:
        self.journal = journal
        self.effect_sink = effect_sink
        self.clock = clock
        self.snapshot_every = snapshot_every
        self.max_batch = max_batch
        # Passed in when the edges that write to it are built before the reducer (the app).
        self.inbox: asyncio.Queue[Event] = inbox if inbox is not None else asyncio.Queue(maxsize=inbox_size)
        self._state = initial_state
        self._changed = asyncio.Condition()
        self._last_snapshot_seq = initial_state.seq
        self.batches = 0
        self.events = 0
        self.effects_out = 0

    @classmethod
    def restored(cls, journal: EventJournalSQLite, initial_state: CanonicalState, effect_sink: EffectSink,
                 clock: Clock, **kwargs: Any) -> StateReducer:
        state, report = restore(journal, initial_state)
        _log.info("state_restored", seq=state.seq, from_snapshot_seq=report.from_snapshot_seq,
                  replayed=report.replayed, problem=report.problem)
        return cls(journal, state, effect_sink, clock, **kwargs)

    @property
    def view(self) -> CanonicalState:
        """The latest published state (deeply immutable; never changes under the reader)."""
        return self._state

    @property
    def version(self) -> int:
        return self._state.seq

    async def wait_for_version(self, n: int) -> CanonicalState:
        """Return the view once it includes at least `n` events."""
        async with self._changed:
            await self._changed.wait_for(lambda: self._state.seq >= n)
        return self._state

    async def wait_changed(self, after: int) -> CanonicalState:
        return await self.wait_for_version(after + 1)

    async def run(self) -> None:
        while True:
            first = await self.inbox.get()
            batch = [first]
            while len(batch) < self.max_batch and not self.inbox.empty():
                batch.append(self.inbox.get_nowait())
            await self.apply_batch(batch)

    async def apply_batch(self, batch: Sequence[Event]) -> list[Effect]:
        effects = self.fold(batch)
        async with self._changed:
            self._changed.notify_all()
        if effects:
            self.effects_out += len(effects)
            self.effect_sink.handle(effects)
        return effects

    def fold(self, batch: Sequence[Event]) -> list[Effect]:
        """Journal, apply, publish, snapshot (the synchronous heart of a turn)."""
        self.journal.append_batch(batch)
        state = self._state
        effects: list[Effect] = []
        for ev in batch:
            state, fx = reduce(state, ev)
            if fx:
                effects.extend(fx)
        self._state = state  # publish: a reference swap
        self.batches += 1
        self.events += len(batch)
        if state.seq - self._last_snapshot_seq >= self.snapshot_every:
            self.journal.append_snapshot(state)
            self._last_snapshot_seq = state.seq
        for eff in effects:
            _log_effect(eff, state)
        return effects


def _log_effect(eff: Effect, state: CanonicalState) -> None:
    match eff:
        case ReportModeChange():
            _log.warning("mode_changed", old=eff.old.value, new=eff.new.value, reason=eff.reason, seq=state.seq)
        case ReportSessionChange():
            _log.info("session_changed", old=eff.old.value, new=eff.new.value, reason=eff.reason, seq=state.seq)
        case RaiseAlert():
            _log.warning("alert_raised", code=eff.code, detail=eff.detail[:200], severity=eff.severity)
        case CancelAll():
            _log.warning("cancel_all_started", client_req_id=eff.client_req_id, condition_id=eff.condition_id,
                         reason=eff.reason)
        case _:
            pass
