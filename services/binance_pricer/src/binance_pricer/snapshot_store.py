"""The latest snapshot, held as one immutable reference (with its JSON bytes).

`publish` swaps a single `(snapshot, json)` tuple, so a reader can never see half of one
snapshot and half of another, and the server writes pre-encoded bytes (encoded once per
publish, not once per request). `seq` must grow by exactly one per publish: anything else is a
bug and raises. Long-poll readers wait on an `asyncio.Event` that each publish sets and replaces.
"""

from __future__ import annotations

import asyncio

from hourmm_common.errors import InvariantViolation
from hourmm_common.snapshot import BinanceSnapshot, encode_snapshot


class LatestSnapshotStore:
    def __init__(self) -> None:
        self._latest: tuple[BinanceSnapshot, bytes] | None = None
        self._published = asyncio.Event()

    @property
    def seq(self) -> int:
        """Sequence number of the latest snapshot; 0 before the first publish."""
        latest = self._latest
        return 0 if latest is None else latest[0].seq

    def next_seq(self) -> int:
        return self.seq + 1

    def publish(self, snapshot: BinanceSnapshot) -> None:
        if snapshot.seq != self.seq + 1:
            raise InvariantViolation(f"snapshot seq {snapshot.seq} does not follow {self.seq}")
        self._latest = (snapshot, encode_snapshot(snapshot))
        event, self._published = self._published, asyncio.Event()
        event.set()

    def read_latest(self) -> BinanceSnapshot | None:
        latest = self._latest
        return None if latest is None else latest[0]

    def read_latest_json(self) -> tuple[int, bytes] | None:
        latest = self._latest
        return None if latest is None else (latest[0].seq, latest[1])

    async def wait_newer(self, after_seq: int, timeout_s: float) -> tuple[int, bytes] | None:
        """The first snapshot with seq > `after_seq`, waiting at most `timeout_s`; else the latest."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self.seq <= after_seq:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):
                    await self._published.wait()
            except TimeoutError:
                break
        return self.read_latest_json()
