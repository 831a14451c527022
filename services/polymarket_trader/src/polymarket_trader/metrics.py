"""Prometheus metrics of the trader, read from the components at scrape time.

The edges count in plain `Counter`s on their hot paths (no locking, no per-message metric calls);
this collector turns them into `hourmm_trader_<component>_total{key=...}` counters when
`/metrics` is scraped, plus gauges from the reducer's view (mode, session, queue depth, positions).
Each app owns its own registry, so tests can build many apps in one process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

CountSource = Callable[[], Mapping[str, int]]
GaugeSource = Callable[[], Mapping[str, float]]


class TraderCollector(Collector):
    def __init__(self) -> None:
        self.count_sources: dict[str, CountSource] = {}
        self.gauge_sources: dict[str, GaugeSource] = {}

    def add_counts(self, component: str, source: CountSource) -> None:
        self.count_sources[component] = source

    def add_gauges(self, component: str, source: GaugeSource) -> None:
        self.gauge_sources[component] = source

    def collect(self) -> Iterator[Any]:
        for component, source in self.count_sources.items():
            family = CounterMetricFamily(f"hourmm_trader_{component}", f"{component} event counts", labels=["key"])
            for key, value in sorted(source().items()):
                family.add_metric([key], float(value))
            yield family
        for component, gauges in self.gauge_sources.items():
            gauge_family = GaugeMetricFamily(f"hourmm_trader_{component}", f"{component} gauges", labels=["name"])
            for name, gauge in sorted(gauges().items()):
                gauge_family.add_metric([name], float(gauge))
            yield gauge_family


class TraderMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.collector = TraderCollector()
        self.registry.register(self.collector)

    def render(self) -> bytes:
        return generate_latest(self.registry)
