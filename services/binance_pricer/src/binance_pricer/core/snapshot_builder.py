"""Ingest routing and snapshot assembly: the pure heart of the publisher.

`Ingest.on_event` is what the websocket edge calls for every decoded event (hour context,
features, health, in that order; O(1)). `SnapshotBuilder.build(seq, now_ms, feed)` reads all of
them at one instant and returns one immutable, self-consistent `BinanceSnapshot`: every field
comes from the same `HourContext`, so `hour_id`, the bounds, the open and `t_remaining_ms`
always agree. Neither knows which FeatureEngine or Pricer it holds (A-4).
"""

from __future__ import annotations

from binance_pricer.core.events import PRICE_SCALE, BinanceEvent, BookTickerEvent, KlineEvent, TradeEvent
from binance_pricer.core.features import FeatureEngine
from binance_pricer.core.health import FeedStatus, HealthTracker
from binance_pricer.core.hour_context import HourContextBuilder
from binance_pricer.core.pricer import Pricer
from hourmm_common.snapshot import BinanceSnapshot


class Ingest:
    """Routes one event to the hour context, the feature engine and the health tracker."""

    # Slots: the hot path reads and writes these on every event (no instance dict).
    __slots__ = ("_on_book", "_on_kline", "_on_trade", "_update_features", "events", "features", "health",
        "hours")

    def __init__(self, hours: HourContextBuilder, features: FeatureEngine, health: HealthTracker) -> None:
        self.hours = hours
        self.features = features
        self.health = health
        self.events = 0
        # Bound once: the hot path makes no attribute lookups through `hours`/`features`.
        self._on_trade = hours.update_from_trade
        self._on_book = hours.update_from_book
        self._on_kline = hours.update_from_kline
        self._update_features = features.update

    def on_event(self, ev: BinanceEvent) -> None:
        self.events += 1
        self.health.last_binance_event_local_ms = ev.ts_local_ms
        if type(ev) is TradeEvent:
            self._on_trade(ev)
        elif type(ev) is BookTickerEvent:
            self._on_book(ev)
        elif type(ev) is KlineEvent:
            self._on_kline(ev)
        self._update_features(ev)


class SnapshotBuilder:
    """Builds the snapshot for sequence number `seq` at `now_ms`."""

    def __init__(
        self, hours: HourContextBuilder, features: FeatureEngine, pricer: Pricer, health: HealthTracker
    ) -> None:
        self.hours = hours
        self.features = features
        self.pricer = pricer
        self.health = health
        self._hour_start_ms = hours.hour_start_ms

    def build(self, seq: int, now_ms: int, feed: FeedStatus) -> BinanceSnapshot:
        ctx = self.hours.get_context(now_ms)
        if ctx.hour_start_ms != self._hour_start_ms:
            self._hour_start_ms = ctx.hour_start_ms
            self.features.reset_for_new_hour(ctx)
            self.pricer.reset_for_new_hour(ctx)
        features = self.features.snapshot(ctx)
        out = self.pricer.price(ctx, features) if self.features.ready else None
        if out is not None and out.sigma is not None:
            features["sigma"] = out.sigma
        features["feed_connected"] = 1.0 if feed.connected else 0.0
        features["feed_reconnects"] = float(feed.reconnects)
        age = self.health.age_ms(now_ms)
        return BinanceSnapshot(
            seq=seq,
            ts_local_ms=now_ms,
            ts_exchange_ms=ctx.ts_exchange_ms,
            age_ms=age,
            stale=self.health.is_stale(now_ms),
            hour_id=ctx.hour_id,
            hour_start_ts_ms=ctx.hour_start_ms,
            hour_end_ts_ms=ctx.hour_end_ms,
            t_remaining_ms=ctx.t_remaining_ms,
            open_price=ctx.open_price,
            last_trade_price=None if ctx.last_trade_e8 is None else ctx.last_trade_e8 / PRICE_SCALE,
            bbo_bid=None if ctx.bid_e8 is None else ctx.bid_e8 / PRICE_SCALE,
            bbo_ask=None if ctx.ask_e8 is None else ctx.ask_e8 / PRICE_SCALE,
            mid=ctx.mid,
            features=features,
            p_yes_fair=None if out is None else out.p_yes,
            p_yes_band_lo=None if out is None else out.band_lo,
            p_yes_band_hi=None if out is None else out.band_hi,
            open_source=ctx.open_source,
        )
