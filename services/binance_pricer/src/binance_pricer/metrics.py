"""Prometheus metrics, collected at scrape time from plain counters (nothing on the hot path).

The websocket client, REST client, backfiller and publisher keep ints; this collector reads
them when `/metrics` is scraped, into a registry of its own (tests may build many apps).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from binance_pricer.binance_ws import BinanceWsClient
from binance_pricer.core.snapshot_builder import Ingest
from binance_pricer.snapshot_publisher import SnapshotPublisher
from hourmm_common.snapshot import BinanceSnapshot


class _Counts(Protocol):
    requests: int
    errors: int


class PricerCollector(Collector):
    def __init__(
        self,
        *,
        ws: BinanceWsClient,
        ingest: Ingest,
        publisher: SnapshotPublisher,
        rest: _Counts,
        latest: Callable[[], BinanceSnapshot | None],
        backfills: Callable[[], tuple[int, int]],
    ) -> None:
        self.ws = ws
        self.ingest = ingest
        self.publisher = publisher
        self.rest = rest
        self.latest = latest
        self.backfills = backfills

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        ws = self.ws
        yield _counter("pricer_ws_messages", "Websocket frames received", ws.messages)
        yield _counter("pricer_events", "Binance events ingested", self.ingest.events)
        yield _counter("pricer_parse_errors", "Malformed frames dropped", ws.parse_errors)
        yield _counter("pricer_unknown_messages", "Frames of unknown streams dropped", ws.unknown_messages)
        yield _counter("pricer_ws_reconnects", "Websocket reconnects (all causes)", ws.reconnects)
        yield _counter("pricer_ws_planned_reconnects", "Reconnects before the 24 h cut", ws.planned_reconnects)
        yield _counter("pricer_ws_duplicates_dropped", "Frames repeated by a rotation's successor",
                       ws.duplicates_dropped)
        yield _gauge("pricer_ws_connected", "1 while the websocket is connected", 1.0 if ws.connected else 0.0)
        yield _counter("pricer_rest_requests", "REST requests sent", self.rest.requests)
        yield _counter("pricer_rest_errors", "REST requests failed", self.rest.errors)
        done, failed = self.backfills()
        yield _counter("pricer_open_backfills", "Opens read from REST klines", done)
        yield _counter("pricer_open_backfill_failures", "Failed open backfills", failed)
        pub = self.publisher
        yield _counter("pricer_snapshots_published", "Snapshots published", pub.published)
        yield _counter("pricer_publish_skipped_slots", "Publish slots skipped (late ticks)", pub.skipped_slots)
        yield _counter("pricer_snapshot_event_publishes", "Snapshots published on a Binance event (publish-on-event)",
                       pub.event_publishes)
        yield _counter("pricer_snapshot_deferred_publishes",
                       "Event snapshots published when the rate cap ended", pub.deferred_publishes)
        yield _gauge("pricer_publish_lag_ms", "Delay of the last publish behind its slot", pub.last_publish_lag_ms)
        yield _gauge("pricer_publish_lag_max_ms", "Largest publish delay seen", pub.max_publish_lag_ms)
        snap = self.latest()
        if snap is not None:
            yield _gauge("pricer_snapshot_seq", "Sequence number of the latest snapshot", snap.seq)
            yield _gauge("pricer_snapshot_age_ms", "Age of the latest Binance event at publish", snap.age_ms)
            yield _gauge("pricer_snapshot_stale", "1 when the latest snapshot is stale", 1.0 if snap.stale else 0.0)
            if snap.p_yes_fair is not None:
                yield _gauge("pricer_p_yes_fair", "Latest fair probability of Up", snap.p_yes_fair)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def make_registry(collector: Collector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
