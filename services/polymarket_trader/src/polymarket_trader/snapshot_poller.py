"""Pulls container A's latest `BinanceSnapshot` and hands each new one to the reducer.

In: `GET {SNAPSHOT_URL}` at `poll_hz` on the injected clock (fixed-rate slots, no drift), or, in
long-poll mode, `?after_seq=N&wait_ms=M` back to back (answers as soon as a newer snapshot exists).
Out: `latest`, every snapshot newer than the last one, which is what the decision loop reads (an
older or equal `seq` is counted and dropped, unless A's own timestamp moved on, which means A
restarted and began its sequence again; a malformed one is counted, logged with a sample,
dropped); `BinanceSnapshotEvent` into the reducer (and so the journal) only for a snapshot that
changes what the reducer knows: the first, a change of hour, of the stale flag or of whether it
has a fair value, a fair value `fair_step` or more from the last one sent, or `keepalive_ms`
since it (the reducer's freshness clock). At A's 50 Hz that is ~2-5 a second instead of 50, and
each decision journals the exact snapshot it used in its `DecisionRecord` anyway. And
`SnapshotUnavailable(reason)` when A becomes unreachable or keeps answering garbage (once per
outage: the reducer marks the fair value stale).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import aiohttp

from hourmm_common.backoff import backoff_ms
from hourmm_common.clock import Clock
from hourmm_common.errors import ParseError
from hourmm_common.logs import get_logger
from hourmm_common.snapshot import BinanceSnapshot, decode_snapshot
from polymarket_trader.core.events import BinanceSnapshotEvent, Event, SnapshotUnavailable
from polymarket_trader.ws_channel import log_sample_due


def worth_journaling(snap: BinanceSnapshot, sent: BinanceSnapshot | None, since_sent_ms: int, *,
                     keepalive_ms: int, fair_step: float) -> bool:
    """Whether `snap` changes what the reducer knows, given the last one it got (`sent`)."""
    if sent is None or since_sent_ms >= keepalive_ms:
        return True
    if (snap.hour_start_ts_ms, snap.stale, snap.p_yes_fair is None, snap.seq < sent.seq) != (
            sent.hour_start_ts_ms, sent.stale, sent.p_yes_fair is None, False):
        return True
    return snap.p_yes_fair is not None and sent.p_yes_fair is not None and (
        abs(snap.p_yes_fair - sent.p_yes_fair) >= fair_step)


class SnapshotPoller:
    def __init__(self, *, url: str, session: aiohttp.ClientSession, out: asyncio.Queue[Event], clock: Clock,
                 poll_hz: int = 20, long_poll_wait_ms: int = 0, timeout_s: float = 1.0,
                 rng: random.Random | None = None, on_new: Callable[[], None] | None = None,
                 keepalive_ms: int = 500, fair_step: float = 0.005) -> None:
        self.url = url
        self.poll_hz = poll_hz
        self.long_poll_wait_ms = long_poll_wait_ms
        self.timeout_s = timeout_s
        self._session = session
        self._out = out
        self._clock = clock
        self._rng = rng or random.Random()
        self._on_new = on_new  # e.g. setting the decision loop's `wake`: decide on a new snapshot at once
        self.latest: BinanceSnapshot | None = None
        self.keepalive_ms = keepalive_ms
        self.fair_step = fair_step
        self._sent: BinanceSnapshot | None = None  # the last one handed to the reducer
        self._sent_ms = 0
        self.last_ok_local_ms: int | None = None
        self.unavailable: str | None = None
        self._failures = 0
        self.counts: Counter[str] = Counter()
        self._log = get_logger("snapshot_poller")

    async def fetch_latest(self) -> BinanceSnapshot | None:
        """One request. None: no newer snapshot yet (long poll timed out, or A has none yet).

        Raises `ParseError` for a malformed answer, and aiohttp, OS or timeout errors when A is
        unreachable (the caller counts and reports both).
        """
        params: dict[str, str] = {}
        timeout = self.timeout_s
        if self.long_poll_wait_ms > 0:
            after = self.latest.seq if self.latest is not None else -1
            params = {"after_seq": str(max(after, 0)), "wait_ms": str(self.long_poll_wait_ms)}
            timeout += self.long_poll_wait_ms / 1000.0
        async with asyncio.timeout(timeout):
            async with self._session.get(self.url, params=params) as resp:
                body = await resp.read()
                if resp.status == 503:
                    return None
                if resp.status != 200:
                    raise ParseError(f"HTTP {resp.status}", body)
        return decode_snapshot(body)

    async def poll_once(self) -> None:
        try:
            snap = await self.fetch_latest()
        except ParseError as exc:
            self.counts["malformed"] += 1
            if log_sample_due(self.counts["malformed"]):
                self._log.warning("bad_message_dropped", kind="snapshot", reason=exc.reason[:200],
                                  sample=exc.sample.decode("utf-8", "replace"))
            await self._failed(f"malformed snapshot: {exc.reason}"[:200])
            return
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            self.counts["unreachable"] += 1
            await self._failed(f"container A unreachable: {exc!r}"[:200])
            return
        self._failures = 0
        now = self._clock.now_ms()
        self.last_ok_local_ms = now
        if self.unavailable is not None:
            self._log.info("snapshot_source_recovered", after=self.unavailable)
            self.unavailable = None
            self._sent = None  # the reducer marked the feed stale: the next snapshot goes to it at once
        if snap is None:
            self.counts["none_yet"] += 1
            return
        if self.latest is not None and snap.seq <= self.latest.seq:
            if snap.seq < self.latest.seq and snap.ts_local_ms > self.latest.ts_local_ms:
                # A restarted: its seq began again while its clock moved on. Newer data, older seq.
                self.counts["source_restarted"] += 1
                self._log.warning("snapshot_source_restarted", old_seq=self.latest.seq, new_seq=snap.seq)
            else:
                self.counts["not_newer"] += 1
                return
        self.latest = snap
        self.counts["accepted"] += 1
        if worth_journaling(snap, self._sent, now - self._sent_ms, keepalive_ms=self.keepalive_ms,
                            fair_step=self.fair_step):
            self._sent, self._sent_ms = snap, now
            self.counts["to_reducer"] += 1
            await self._out.put(BinanceSnapshotEvent(ts_local_ms=now, snapshot=snap))
        if self._on_new is not None:
            self._on_new()

    async def _failed(self, reason: str) -> None:
        self._failures += 1
        if self.unavailable is None:
            self.unavailable = reason
            self._log.warning("snapshot_unavailable", reason=reason)
            await self._out.put(SnapshotUnavailable(ts_local_ms=self._clock.now_ms(), reason=reason))

    async def run(self) -> None:
        period_ms = max(1, 1000 // self.poll_hz)
        next_ms = self._clock.now_ms()
        while True:
            await self.poll_once()
            now = self._clock.now_ms()
            if self._failures:
                next_ms = now + backoff_ms(self._failures - 1, base_ms=period_ms, cap_ms=2_000, rng=self._rng)
            elif self.long_poll_wait_ms > 0:
                next_ms = now  # the server paces us
            else:
                next_ms += period_ms
                if next_ms <= now:  # late: skip missed slots, keep the grid
                    next_ms += ((now - next_ms) // period_ms + 1) * period_ms
            await self._clock.sleep_until(next_ms)

    def health(self) -> dict[str, Any]:
        now = self._clock.now_ms()
        return {"seq": self.latest.seq if self.latest else None,
                "last_ok_age_ms": None if self.last_ok_local_ms is None else now - self.last_ok_local_ms,
                "unavailable": self.unavailable}
