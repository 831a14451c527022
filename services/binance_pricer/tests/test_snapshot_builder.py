"""Snapshot assembly and publishing: A-3 (atomic, seq +1, stale), A-4 (pluggability), smoke 7.1."""

from __future__ import annotations

from collections.abc import Mapping

from pricer_testkit.builders import H0, a_book, a_trade

from binance_pricer.config import AConfig
from binance_pricer.core.events import BinanceEvent
from binance_pricer.core.features import DefaultFeatureEngine
from binance_pricer.core.health import FeedStatus, HealthTracker
from binance_pricer.core.hour_context import HourContext, HourContextBuilder
from binance_pricer.core.pricer import BaselinePricer, PricerOutput
from binance_pricer.core.snapshot_builder import Ingest, SnapshotBuilder
from binance_pricer.snapshot_publisher import SnapshotPublisher
from binance_pricer.snapshot_store import LatestSnapshotStore
from hourmm_common.clock import ManualClock
from hourmm_common.enums import OpenSource
from hourmm_common.hours import HOUR_MS, hour_id
from hourmm_common.snapshot import decode_snapshot, encode_snapshot, snapshot_problem

H1 = H0 + HOUR_MS
CONNECTED = FeedStatus(connected=True)


class DummyFeatures:
    """Deterministic features: proves the builder needs no knowledge of the engine (A-4)."""

    name = "dummy"
    feature_names = ("answer",)
    ready = True

    def __init__(self) -> None:
        self.updates = 0
        self.resets = 0

    def update(self, event: BinanceEvent) -> None:
        self.updates += 1

    def warm_start(self, minute_closes: object) -> None:
        pass

    def snapshot(self, ctx: HourContext) -> dict[str, float]:
        return {"answer": 42.0}

    def reset_for_new_hour(self, ctx: HourContext) -> None:
        self.resets += 1


class DummyPricer:
    name = "dummy"

    def price(self, ctx: HourContext, features: Mapping[str, float]) -> PricerOutput:
        if ctx.open_e8 is None:
            return PricerOutput(p_yes=None, reason="no_open")
        return PricerOutput(p_yes=features["answer"] / 100, band_lo=0.4, band_hi=0.44)

    def reset_for_new_hour(self, ctx: HourContext) -> None:
        pass


def a_pipeline(now: int, *, features: object | None = None, pricer: object | None = None,
               stale_ms: int = 3_000) -> tuple[Ingest, SnapshotBuilder]:
    hours = HourContextBuilder(now)
    feats = features or DefaultFeatureEngine()
    health = HealthTracker(stale_ms, started_ms=now)
    return (Ingest(hours, feats, health),  # type: ignore[arg-type]
            SnapshotBuilder(hours, feats, pricer or BaselinePricer(), health))  # type: ignore[arg-type]


def test_smoke_wiring_builds_a_serialisable_snapshot_and_seq_increments() -> None:
    cfg = AConfig(http_port=0)
    clock = ManualClock(H0 + 10_000)
    ingest, builder = a_pipeline(clock.now_ms())
    store = LatestSnapshotStore()
    pub = SnapshotPublisher(builder=builder, store=store, clock=clock, publish_hz=cfg.snapshot_publish_hz,
                            feed_status=lambda: CONNECTED)
    ingest.on_event(a_trade(trade_id=1, price=98_000.0, ts=H0 + 9_000))
    s1 = pub.publish_once(clock.now_ms())
    s2 = pub.publish_once(clock.now_ms())
    assert (s1.seq, s2.seq) == (1, 2) and store.seq == 2
    assert decode_snapshot(encode_snapshot(s2)) == s2
    assert snapshot_problem(s2) is None
    assert s2.hour_id == hour_id(H0) and s2.last_trade_price == 98_000.0
    assert s2.p_yes_fair is None and s2.open_price is None  # mid-hour start: no open yet


def test_publisher_output_includes_plugged_features_and_pricer_unchanged() -> None:
    feats = DummyFeatures()
    ingest, builder = a_pipeline(H1 - 1_000, features=feats, pricer=DummyPricer())
    ingest.on_event(a_trade(trade_id=10, price=97_000.0, ts=H1 - 500))
    ingest.on_event(a_trade(trade_id=11, price=98_000.0, ts=H1 + 1))
    snap = builder.build(1, H1 + 10, CONNECTED)
    assert feats.updates == 2 and feats.resets == 1
    assert snap.features["answer"] == 42.0
    assert (snap.p_yes_fair, snap.p_yes_band_lo, snap.p_yes_band_hi) == (0.42, 0.4, 0.44)
    assert snap.open_price == 98_000.0 and snap.open_source is OpenSource.TRADE


def test_stale_flips_on_silence_and_back_when_the_feed_resumes() -> None:
    ingest, builder = a_pipeline(H0, stale_ms=3_000)
    assert builder.build(1, H0 + 10, CONNECTED).stale  # nothing received yet
    ingest.on_event(a_book(local=H0 + 100))
    assert not builder.build(2, H0 + 3_100, CONNECTED).stale  # exactly at the threshold
    silent = builder.build(3, H0 + 3_101, CONNECTED)
    assert silent.stale and silent.age_ms == 3_001
    ingest.on_event(a_book(local=H0 + 9_000))
    back = builder.build(4, H0 + 9_010, CONNECTED)
    assert not back.stale and back.age_ms == 10


def test_the_pricer_waits_for_warm_features_and_an_open() -> None:
    ingest, builder = a_pipeline(H1 - 5_000)
    ingest.on_event(a_trade(trade_id=1, price=98_000.0, ts=H1 - 4_000))
    ingest.on_event(a_trade(trade_id=2, price=98_010.0, ts=H1 + 5))
    ingest.on_event(a_book(bid=98_019.99, ask=98_020.01, local=H1 + 10))
    assert builder.build(1, H1 + 20, CONNECTED).p_yes_fair is None  # not warm
    builder.features.warm_start([98_000.0 * (1 + 0.0005 * (-1) ** i) for i in range(60)])
    snap = builder.build(2, H1 + 30, CONNECTED)
    assert snap.open_price == 98_010.0 and snap.mid == 98_020.0
    assert snap.p_yes_fair is not None and 0.5 < snap.p_yes_fair < 0.999
    assert snap.features["sigma"] > 0 and snap.features["feed_connected"] == 1.0


def test_every_published_snapshot_is_self_consistent_across_an_hour_boundary() -> None:
    ingest, builder = a_pipeline(H1 - 2_000)
    store = LatestSnapshotStore()
    for seq, now in enumerate(range(H1 - 2_000, H1 + 2_000, 20), start=1):
        ingest.on_event(a_trade(trade_id=now, price=98_000.0, ts=now, local=now))
        store.publish(builder.build(seq, now, CONNECTED))
        snap = store.read_latest()
        assert snap is not None and snapshot_problem(snap) is None
        assert snap.hour_start_ts_ms == (H0 if now < H1 else H1)


async def test_publisher_runs_at_a_fixed_rate_without_drift() -> None:
    import asyncio

    clock = ManualClock(H0)
    _, builder = a_pipeline(H0)
    store = LatestSnapshotStore()
    pub = SnapshotPublisher(builder=builder, store=store, clock=clock, publish_hz=50,
                            feed_status=lambda: CONNECTED)
    task = asyncio.create_task(pub.run())
    await clock.run_until(H0 + 1_000)
    assert store.seq == 51  # slots at 0, 20, ..., 1000 ms
    snap = store.read_latest()
    assert snap is not None and snap.ts_local_ms == H0 + 1_000
    # A late wake-up skips missed slots instead of bursting.
    clock.set(H0 + 1_105)
    await clock.run_until(H0 + 1_105)
    assert store.seq == 52 and pub.skipped_slots == 4 and pub.last_publish_lag_ms == 85
    await clock.run_until(H0 + 1_120)
    assert store.seq == 53
    task.cancel()
