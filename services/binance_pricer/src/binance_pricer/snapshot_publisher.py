"""Fixed-rate snapshot publishing on the injected clock.

Every tick builds one snapshot from the pure `SnapshotBuilder` and swaps it into the store. The
schedule is drift-free: tick n is due at `start + n * period`, and a late tick skips the slots
it missed instead of publishing a burst (publish lag, the delay behind the slot, is measured).
Open notices from the hour context are logged here, off the hot path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from binance_pricer.core.health import FeedStatus
from binance_pricer.core.snapshot_builder import SnapshotBuilder
from binance_pricer.snapshot_store import LatestSnapshotStore
from hourmm_common.clock import Clock
from hourmm_common.hours import iso_ms
from hourmm_common.logs import get_logger
from hourmm_common.snapshot import BinanceSnapshot


class SnapshotPublisher:
    def __init__(
        self,
        *,
        builder: SnapshotBuilder,
        store: LatestSnapshotStore,
        clock: Clock,
        publish_hz: float,
        feed_status: Callable[[], FeedStatus],
    ) -> None:
        self.builder = builder
        self.store = store
        self.clock = clock
        self.publish_hz = publish_hz
        self.period_ms = max(1, round(1000 / publish_hz))
        self.feed_status = feed_status
        self.published = 0
        self.skipped_slots = 0
        self.last_publish_lag_ms = 0
        self.max_publish_lag_ms = 0
        self._log: Any = get_logger("snapshot_publisher")
        self._hour_start_ms: int | None = None

    def build_snapshot(self, now_ms: int) -> BinanceSnapshot:
        return self.builder.build(self.store.next_seq(), now_ms, self.feed_status())

    def publish_once(self, now_ms: int) -> BinanceSnapshot:
        snap = self.build_snapshot(now_ms)
        self.store.publish(snap)
        self.published += 1
        self._report(snap)
        return snap

    async def run(self) -> None:
        start = self.clock.now_ms()
        slot = 0
        while True:
            due = start + slot * self.period_ms
            await self.clock.sleep_until(due)
            now = self.clock.now_ms()
            lag = now - due
            self.last_publish_lag_ms = lag
            if lag > self.max_publish_lag_ms:
                self.max_publish_lag_ms = lag
            self.publish_once(now)
            next_slot = (now - start) // self.period_ms + 1
            self.skipped_slots += max(0, next_slot - slot - 1)
            slot = max(slot + 1, next_slot)

    def _report(self, snap: BinanceSnapshot) -> None:
        for notice in self.builder.hours.drain_notices():
            log = self._log.info if notice.kind == "set" else self._log.warning
            log(
                f"open_{notice.kind}",
                hour=iso_ms(notice.hour_start_ms),
                open=notice.open_e8 / 1e8,
                source=str(notice.source),
                previous=None if notice.previous_e8 is None else notice.previous_e8 / 1e8,
            )
        if snap.hour_start_ts_ms != self._hour_start_ms:
            if self._hour_start_ms is not None:
                self._log.info("hour_rolled", hour=snap.hour_id)
            self._hour_start_ms = snap.hour_start_ts_ms
