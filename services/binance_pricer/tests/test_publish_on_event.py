"""Optional publish-on-event mode: a moved price is published at once, rate-capped, beside the heartbeat."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from pricer_testkit.builders import H0, a_book, a_kline, a_trade, trade_frame
from pricer_testkit.fake_binance import FakeBinance
from pricer_testkit.waiting import until

from binance_pricer.app import ContainerAApp
from binance_pricer.config import AConfig, load_config
from binance_pricer.core.features import DefaultFeatureEngine
from binance_pricer.core.health import FeedStatus, HealthTracker
from binance_pricer.core.hour_context import HourContextBuilder
from binance_pricer.core.pricer import BaselinePricer
from binance_pricer.core.snapshot_builder import Ingest, SnapshotBuilder
from binance_pricer.snapshot_publisher import SnapshotPublisher
from binance_pricer.snapshot_store import LatestSnapshotStore
from hourmm_common.clock import ManualClock
from hourmm_common.errors import ConfigError
from hourmm_common.snapshot import decode_snapshot

CONNECTED = FeedStatus(connected=True)
T0 = H0 + 10_000


class Rig:
    """Ingest -> publisher on a ManualClock; `event()` is what the app's websocket sink does."""

    def __init__(self, *, on_event: bool = True, min_interval_ms: int = 1, hz: float = 50) -> None:
        self.clock = ManualClock(T0)
        hours = HourContextBuilder(T0)
        feats = DefaultFeatureEngine()
        health = HealthTracker(3_000, started_ms=T0)
        self.ingest = Ingest(hours, feats, health)
        self.store = LatestSnapshotStore()
        self.pub = SnapshotPublisher(
            builder=SnapshotBuilder(hours, feats, BaselinePricer(), health), store=self.store, clock=self.clock,
            publish_hz=hz, feed_status=lambda: CONNECTED, publish_on_event=on_event,
            min_publish_interval_ms=min_interval_ms)

    def event(self, ev: object) -> None:
        self.ingest.on_event(ev)  # type: ignore[arg-type]
        self.pub.on_ingested()

    def last_price(self) -> float | None:
        snap = self.store.read_latest()
        return None if snap is None else snap.last_trade_price


def test_off_by_default_and_then_events_do_not_publish() -> None:
    assert AConfig().snapshot_publish_on_event is False
    rig = Rig(on_event=False)
    rig.event(a_trade(trade_id=1, price=98_000.0, ts=T0))
    assert rig.store.seq == 0 and rig.pub.event_publishes == 0


def test_a_trade_that_moves_the_price_is_published_at_once() -> None:
    rig = Rig()
    rig.event(a_trade(trade_id=1, price=98_000.0, ts=T0))
    snap = rig.store.read_latest()
    assert snap is not None and snap.seq == 1 and snap.last_trade_price == 98_000.0 and snap.ts_local_ms == T0
    rig.clock.set(T0 + 3)
    rig.event(a_book(bid=97_999.0, ask=98_001.0, local=T0 + 3))
    assert rig.store.seq == 2 and rig.pub.event_publishes == 2
    latest = rig.store.read_latest()
    assert latest is not None and latest.mid == 98_000.0


def test_an_event_that_leaves_the_price_inputs_unchanged_publishes_nothing() -> None:
    rig = Rig()
    rig.event(a_trade(trade_id=1, price=98_000.0, ts=T0))
    rig.clock.set(T0 + 5)
    rig.event(a_trade(trade_id=2, price=98_000.0, ts=T0 + 5))  # same price: same inputs
    rig.event(a_trade(trade_id=1, price=99_000.0, ts=T0 + 5))  # an old trade id: ignored by the context
    rig.event(a_kline(open_time=H0 - 3_600_000, open_price=1.0, ts=T0 + 5))  # another hour's kline
    assert rig.store.seq == 1 and rig.pub.event_publishes == 1


async def test_events_inside_the_rate_cap_are_published_when_it_ends_never_lost() -> None:
    rig = Rig(min_interval_ms=5)
    task = asyncio.create_task(rig.pub.run_deferred())
    try:
        rig.event(a_trade(trade_id=1, price=98_000.0, ts=T0))
        rig.clock.set(T0 + 1)
        rig.event(a_trade(trade_id=2, price=98_001.0, ts=T0 + 1))
        rig.event(a_trade(trade_id=3, price=98_002.0, ts=T0 + 1))
        await rig.clock.run_until(T0 + 4)
        assert rig.store.seq == 1 and rig.last_price() == 98_000.0  # capped: nothing yet
        await rig.clock.run_until(T0 + 5)
        assert rig.store.seq == 2 and rig.last_price() == 98_002.0  # one publish carries both
        snap = rig.store.read_latest()
        assert snap is not None and snap.ts_local_ms == T0 + 5
        assert (rig.pub.event_publishes, rig.pub.deferred_publishes) == (1, 1)
        await rig.clock.run_until(T0 + 50)
        assert rig.store.seq == 2  # no further change: no further publish
    finally:
        task.cancel()


async def test_a_deferred_change_already_carried_by_a_heartbeat_tick_is_not_published_twice() -> None:
    rig = Rig(min_interval_ms=10, hz=200)  # ticks every 5 ms, cap 10 ms
    deferred = asyncio.create_task(rig.pub.run_deferred())
    ticks = asyncio.create_task(rig.pub.run())
    try:
        await rig.clock.run_until(T0)  # tick 1 at T0
        rig.event(a_trade(trade_id=1, price=98_000.0, ts=T0))  # an event publish: opens the cap
        rig.clock.set(T0 + 1)
        rig.event(a_trade(trade_id=2, price=98_001.0, ts=T0 + 1))  # inside the cap: deferred to T0 + 10
        assert rig.last_price() == 98_000.0
        await rig.clock.run_until(T0 + 5)  # the T0 + 5 tick carries it
        assert rig.last_price() == 98_001.0
        seq = rig.store.seq
        await rig.clock.run_until(T0 + 12)
        assert rig.pub.deferred_publishes == 0 and rig.store.seq == seq + 1  # only the T0 + 10 tick
    finally:
        deferred.cancel()
        ticks.cancel()


async def test_the_fixed_rate_heartbeat_keeps_its_grid_and_seq_stays_contiguous() -> None:
    rig = Rig(min_interval_ms=1, hz=50)
    deferred = asyncio.create_task(rig.pub.run_deferred())
    ticks = asyncio.create_task(rig.pub.run())
    seqs: list[int] = []
    try:
        for i in range(1, 334):  # a trade every 3 ms, each at a new price, for ~1 s
            await rig.clock.run_until(T0 + 3 * i)
            rig.event(a_trade(trade_id=i, price=98_000.0 + i, ts=T0 + 3 * i))
            seqs.append(rig.store.seq)
            assert rig.last_price() == 98_000.0 + i  # published in the event's own step, even on a tick
        await rig.clock.run_until(T0 + 1_000)
        pub = rig.pub
        ticks_done = pub.published - pub.event_publishes - pub.deferred_publishes
        assert ticks_done == 51 and pub.skipped_slots == 0 and pub.max_publish_lag_ms == 0
        assert rig.store.seq == pub.published  # the store refuses any seq that is not +1
        assert seqs == sorted(seqs)
    finally:
        deferred.cancel()
        ticks.cancel()


def test_config_reads_the_mode_and_the_cap_and_rejects_bad_values() -> None:
    cfg, _ = load_config({"SNAPSHOT_PUBLISH_ON_EVENT": "true", "SNAPSHOT_MIN_PUBLISH_INTERVAL_MS": "3"})
    assert cfg.snapshot_publish_on_event is True and cfg.snapshot_min_publish_interval_ms == 3
    cfg, _ = load_config({})
    assert cfg.snapshot_publish_on_event is False and cfg.snapshot_min_publish_interval_ms == 1
    with pytest.raises(ConfigError) as bad:
        load_config({"SNAPSHOT_PUBLISH_ON_EVENT": "maybe", "SNAPSHOT_MIN_PUBLISH_INTERVAL_MS": "-1"})
    assert "SNAPSHOT_PUBLISH_ON_EVENT" in str(bad.value) and "SNAPSHOT_MIN_PUBLISH_INTERVAL_MS" in str(bad.value)


async def test_the_app_publishes_a_trade_to_a_long_poller_without_waiting_for_a_tick() -> None:
    fake = FakeBinance()
    await fake.start()
    clock = ManualClock(T0)
    cfg = AConfig(binance_ws_url=fake.ws_base_url, binance_rest_url=fake.rest_base_url, http_host="127.0.0.1",
                  http_port=0, warm_start_minutes=0, snapshot_publish_on_event=True)
    app = ContainerAApp(cfg, clock)
    task = asyncio.create_task(app.run())
    try:
        await asyncio.wait_for(app.started.wait(), timeout=5)
        await until(lambda: fake.open_sockets == 1 and app.store.seq >= 1)
        assert app.server is not None
        seq = app.store.seq
        url = f"http://127.0.0.1:{app.server.bound_port}/snapshot/latest?after_seq={seq}&wait_ms=5000"
        async with aiohttp.ClientSession() as http:
            waiting = asyncio.create_task(http.get(url))
            await fake.send(trade_frame(trade_id=7, price="98123.45000000", ts=T0))
            async with asyncio.timeout(5):
                resp = await waiting
                body = await resp.read()
                resp.release()
        snap = decode_snapshot(body)
        assert snap.seq == seq + 1 and snap.last_trade_price == 98_123.45
        assert clock.now_ms() == T0  # the clock never moved: no heartbeat tick carried it
    finally:
        app.stop()
        await asyncio.wait_for(task, timeout=10)
        await fake.stop()
