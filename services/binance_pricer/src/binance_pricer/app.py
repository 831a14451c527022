"""`ContainerAApp`: builds container A from `AConfig` and runs its tasks in one TaskGroup.

Tasks: the websocket client (ingest), the fixed-rate snapshot publisher (and, with
`SNAPSHOT_PUBLISH_ON_EVENT`, its deferred publishes for events inside the rate cap), the open backfiller,
the warm start (once), and the HTTP server. Expected faults are retried inside the edge that
meets them; anything else is a bug: it escapes the TaskGroup, the process exits non-zero and the
supervisor restarts it into this same boot path. `stop()` (SIGTERM) ends every task and closes
the server and the HTTP session cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

from binance_pricer.binance_ws import BinanceWsClient
from binance_pricer.config import AConfig
from binance_pricer.core.events import BinanceEvent
from binance_pricer.core.features import FEATURE_ENGINES, FeatureEngine
from binance_pricer.core.health import FeedStatus, HealthTracker
from binance_pricer.core.hour_context import HourContextBuilder
from binance_pricer.core.pricer import PRICERS, Pricer
from binance_pricer.core.snapshot_builder import Ingest, SnapshotBuilder
from binance_pricer.metrics import PricerCollector, make_registry, render
from binance_pricer.open_backfill import OpenBackfiller, warm_start
from binance_pricer.rest_client import BinanceRestClient
from binance_pricer.snapshot_publisher import SnapshotPublisher
from binance_pricer.snapshot_server import SnapshotServer
from binance_pricer.snapshot_store import LatestSnapshotStore
from hourmm_common.clock import Clock
from hourmm_common.logs import get_logger


class ContainerAApp:
    def __init__(
        self,
        config: AConfig,
        clock: Clock,
        *,
        feature_engine: FeatureEngine | None = None,
        pricer: Pricer | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        now = clock.now_ms()
        self.hour_ctx = HourContextBuilder(now)
        self.features = feature_engine or FEATURE_ENGINES[config.feature_engine](config.feature_windows)
        self.pricer = pricer or PRICERS[config.pricer](config.pricer_params)
        self.health = HealthTracker(config.stale_threshold_ms, started_ms=now)
        self.ingest = Ingest(self.hour_ctx, self.features, self.health)
        self.store = LatestSnapshotStore()
        self.builder = SnapshotBuilder(self.hour_ctx, self.features, self.pricer, self.health)
        self._stop = asyncio.Event()
        self._log: Any = get_logger("app")
        # Network objects need a running loop: made in run().
        self.session: aiohttp.ClientSession | None = None
        self.binance: BinanceWsClient | None = None
        self.rest: BinanceRestClient | None = None
        self.backfiller: OpenBackfiller | None = None
        self.publisher: SnapshotPublisher | None = None
        self.server: SnapshotServer | None = None
        self.started = asyncio.Event()

    def feed_status(self) -> FeedStatus:
        ws = self.binance
        if ws is None:
            return FeedStatus(connected=False)
        return FeedStatus(connected=ws.connected, reconnects=ws.reconnects, parse_errors=ws.parse_errors)

    def health_reasons(self) -> tuple[str, ...]:
        ws = self.binance
        return self.health.reasons(
            self.clock.now_ms(),
            connected=ws is not None and ws.connected,
            has_open=self.hour_ctx.open_e8 is not None,
            warm=self.features.ready,
        )

    def _on_event(self, ev: BinanceEvent) -> None:
        """The websocket sink: ingest, then let the publisher publish on the event if so configured."""
        self.ingest.on_event(ev)
        publisher = self.publisher
        if publisher is not None and publisher.publish_on_event:
            publisher.on_ingested()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        cfg = self.config
        self.session = aiohttp.ClientSession()
        try:
            self.rest = BinanceRestClient(self.session, cfg.binance_rest_url, self.clock)
            self.binance = BinanceWsClient(
                session=self.session, base_url=cfg.binance_ws_url, symbol=cfg.symbol, clock=self.clock,
                sink=self._on_event, max_connection_ms=cfg.max_connection_ms,
            )
            self.backfiller = OpenBackfiller(
                rest=self.rest, hours=self.hour_ctx, clock=self.clock, symbol=cfg.symbol,
                grace_ms=cfg.open_backfill_grace_ms,
            )
            self.publisher = SnapshotPublisher(
                builder=self.builder, store=self.store, clock=self.clock,
                publish_hz=cfg.snapshot_publish_hz, feed_status=self.feed_status,
                publish_on_event=cfg.snapshot_publish_on_event,
                min_publish_interval_ms=cfg.snapshot_min_publish_interval_ms,
            )
            registry = make_registry(PricerCollector(
                ws=self.binance, ingest=self.ingest, publisher=self.publisher, rest=self.rest,
                latest=self.store.read_latest, backfills=self._backfill_counts,
            ))
            self.server = SnapshotServer(
                store=self.store, host=cfg.http_host, port=cfg.http_port,
                health_reasons=self.health_reasons, metrics=lambda: render(registry),
            )
            await self.server.start()
            self._log.info("started", http_port=self.server.bound_port, ws_url=self.binance.url,
                           pricer=self.pricer.name, feature_engine=self.features.name)
            self.started.set()
            await self._run_tasks()
        finally:
            if self.binance is not None:
                with contextlib.suppress(Exception):
                    await self.binance.close()
            if self.server is not None:
                await self.server.stop()
            await self.session.close()
            self._log.info("stopped")

    async def _run_tasks(self) -> None:
        assert self.binance and self.publisher and self.backfiller and self.rest
        async with asyncio.TaskGroup() as tg:
            tasks = [
                tg.create_task(self.binance.run(), name="binance_ws"),
                tg.create_task(self.publisher.run(), name="snapshot_publisher"),
                tg.create_task(self.backfiller.run(), name="open_backfill"),
            ]
            if self.config.snapshot_publish_on_event:
                tasks.append(tg.create_task(self.publisher.run_deferred(), name="snapshot_publisher_deferred"))
            if self.config.warm_start_minutes > 0:
                tasks.append(tg.create_task(self._warm_start(), name="warm_start"))
            await self._stop.wait()
            self._log.info("stopping")
            await self.binance.close()
            for task in tasks:
                task.cancel()

    async def _warm_start(self) -> None:
        assert self.rest is not None
        await warm_start(
            rest=self.rest, features=self.features, clock=self.clock, symbol=self.config.symbol,
            minutes=self.config.warm_start_minutes,
        )

    def _backfill_counts(self) -> tuple[int, int]:
        b = self.backfiller
        return (0, 0) if b is None else (b.backfills, b.failures)
