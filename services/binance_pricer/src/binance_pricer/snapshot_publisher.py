"""Fixed-rate snapshot publishing on the injected clock.

Every tick builds one snapshot from the pure `SnapshotBuilder` and swaps it into the store. The
schedule is drift-free: tick n is due at `start + n * period`, and a late tick skips the slots
it missed instead of publishing a burst (publish lag, the delay behind the slot, is measured).
Open notices from the hour context are logged here, off the hot path.

Optional publish-on-event mode (`SNAPSHOT_PUBLISH_ON_EVENT`): a fixed 50 Hz schedule puts a floor
of half a period (10 ms mean) between a Binance trade and the snapshot that carries it. With the
mode on, `on_ingested()` (called by the websocket edge after each event is ingested) publishes at
once when the price inputs (last trade, BBO, open) moved since the last publish, at most one
event publish per `min_publish_interval_ms` (heartbeat ticks do not count against the cap, so a
tick never delays an event); an event inside that interval is not lost, it is published by the
deferred task as soon as the interval ends, unless a tick carried it first. The fixed-rate schedule keeps running beside it
as the heartbeat (a quiet market still gets fresh `age_ms` / `t_remaining_ms`), and every publish,
either kind, takes the next `seq`.
"""

from __future__ import annotations

import asyncio
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
        publish_on_event: bool = False,
        min_publish_interval_ms: int = 1,
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
        self.publish_on_event = publish_on_event
        self.min_publish_interval_ms = min_publish_interval_ms
        self.event_publishes = 0
        self.deferred_publishes = 0
        self._last_event_publish_ms: int | None = None
        self._published_inputs = self._price_inputs()
        self._deferred = asyncio.Event()

    def _price_inputs(self) -> tuple[int | None, int | None, int | None, int | None]:
        h = self.builder.hours
        return (h.last_trade_e8, h.bid_e8, h.ask_e8, h.open_e8)

    def build_snapshot(self, now_ms: int) -> BinanceSnapshot:
        return self.builder.build(self.store.next_seq(), now_ms, self.feed_status())

    def publish_once(self, now_ms: int) -> BinanceSnapshot:
        snap = self.build_snapshot(now_ms)
        self.store.publish(snap)
        self.published += 1
        self._published_inputs = self._price_inputs()
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

    def on_ingested(self) -> None:
        """After each ingested event: publish now if the price inputs moved (publish-on-event mode).

        Synchronous, in the websocket reader's own step: no task hop between the frame and the
        store, so a long-polling reader is woken within the same loop iteration. Inside the rate
        cap the publish is handed to `run_deferred()` instead.
        """
        if not self.publish_on_event or self._price_inputs() == self._published_inputs:
            return
        now = self.clock.now_ms()
        if self._cap_allows(now):
            self.event_publishes += 1
            self._publish_event(now)
        else:
            self._deferred.set()

    async def run_deferred(self) -> None:
        """Publishes the changes that arrived inside the rate cap, as soon as the cap allows."""
        while True:
            await self._deferred.wait()
            self._deferred.clear()
            while self._price_inputs() != self._published_inputs:
                last = self._last_event_publish_ms
                if last is not None:
                    await self.clock.sleep_until(last + self.min_publish_interval_ms)
                now = self.clock.now_ms()
                if self._price_inputs() != self._published_inputs and self._cap_allows(now):
                    self.deferred_publishes += 1
                    self._publish_event(now)

    def _cap_allows(self, now_ms: int) -> bool:
        last = self._last_event_publish_ms
        return last is None or now_ms - last >= self.min_publish_interval_ms

    def _publish_event(self, now_ms: int) -> None:
        self._last_event_publish_ms = now_ms
        self.publish_once(now_ms)

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
