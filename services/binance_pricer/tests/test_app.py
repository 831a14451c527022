"""The running service against the local Binance stand-in (real sockets on 127.0.0.1).

Scenario time is a ManualClock shared by the stand-in and the service, stepped by the test.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import cache

import aiohttp
import pytest
from pricer_testkit.builders import trade_frame
from pricer_testkit.fake_binance import FakeBinance
from pricer_testkit.waiting import until

from binance_pricer.app import ContainerAApp
from binance_pricer.config import AConfig
from binance_pricer.core.events import PRICE_SCALE, BinanceEvent, TradeEvent
from binance_pricer.core.features import DefaultFeatureEngine
from hourmm_common.clock import ManualClock
from hourmm_common.enums import OpenSource
from hourmm_common.hours import HOUR_MS, MINUTE_MS, hour_id
from hourmm_common.snapshot import BinanceSnapshot, decode_snapshot
from hourmm_sim.binance.server import BinanceStandIn
from hourmm_sim.history import candles_between, data_path, load_candles
from hourmm_sim.tape import Tape, tape_from_candles

H = 1_750_075_200_000  # 2025-06-16T12:00:00Z
START = H - 30_000  # the service boots 30 s before the hour: mid-hour for hour H-1


@cache
def tape() -> Tape:
    candles = candles_between(load_candles(data_path("1m_2025")), H - 125 * MINUTE_MS, H + 10 * MINUTE_MS)
    return tape_from_candles(candles, seed=7, trades_per_minute=60)


class Service:
    def __init__(self, standin: BinanceStandIn, app: ContainerAApp, clock: ManualClock,
                 http: aiohttp.ClientSession) -> None:
        self.standin = standin
        self.app = app
        self.clock = clock
        self.http = http
        self.base = ""

    async def step_to(self, target_ms: int, *, expect_feed: bool = True) -> None:
        """Advance scenario time in 100 ms steps, letting the feed catch up after each."""
        while self.clock.now_ms() < target_ms:
            t = min(target_ms, self.clock.now_ms() + 100)
            await self.clock.run_until(t)
            if expect_feed:
                trades = tape().trades_between(START + 1, t + 1)
                if trades:
                    await self._until_trade_seen(trades[-1].ts_ms)

    async def _until_trade_seen(self, ts_ms: int) -> None:
        hours = self.app.hour_ctx
        await until(lambda: (hours.last_trade_ts_exchange_ms or 0) >= ts_ms)

    async def get(self, path: str) -> tuple[int, bytes]:
        async with self.http.get(self.base + path) as r:
            return r.status, await r.read()

    async def snapshot(self, query: str = "") -> BinanceSnapshot:
        status, body = await self.get("/snapshot/latest" + query)
        assert status == 200, body
        return decode_snapshot(body)


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    clock = ManualClock(START)
    standin = BinanceStandIn(tape(), clock)
    await standin.start()
    cfg = AConfig(binance_ws_url=standin.ws_base_url, binance_rest_url=standin.rest_base_url,
                  http_host="127.0.0.1", http_port=0, stale_threshold_ms=10_000, snapshot_publish_hz=50)
    app = ContainerAApp(cfg, clock)
    task = asyncio.create_task(app.run())
    await asyncio.wait_for(app.started.wait(), timeout=5)
    async with aiohttp.ClientSession() as http:
        svc = Service(standin, app, clock, http)
        assert app.server is not None
        svc.base = f"http://127.0.0.1:{app.server.bound_port}"
        await until(lambda: app.binance is not None and app.binance.connected)
        await until(lambda: app.features.ready and app.hour_ctx.open_e8 is not None, timeout_s=10)
        yield svc
        app.stop()
        await asyncio.wait_for(task, timeout=10)
    await standin.stop()


def kline_open(start_ms: int) -> float:
    k = tape().kline(HOUR_MS, start_ms)
    assert k is not None
    return k.open


async def test_mid_hour_boot_takes_the_open_from_rest_then_proves_the_next_from_trades(service: Service) -> None:
    app = service.app
    assert app.hour_ctx.open_source is OpenSource.REST_KLINE
    assert app.hour_ctx.open_e8 == round(kline_open(H - HOUR_MS) * PRICE_SCALE)
    await service.step_to(START + 10_000)
    first = await service.snapshot()
    assert first.hour_id == hour_id(H - HOUR_MS) and first.open_source is OpenSource.REST_KLINE
    assert first.p_yes_fair is not None and not first.stale and first.features["warm_started"] == 1.0
    status, body = await service.get("/health")
    assert status == 200, body

    await service.step_to(H + 3_000)
    snap = await service.snapshot()
    assert snap.hour_id == hour_id(H) and snap.hour_start_ts_ms == H
    assert snap.open_price == kline_open(H) and snap.open_source is OpenSource.TRADE
    assert snap.t_remaining_ms == HOUR_MS - 3_000
    assert snap.p_yes_fair is not None and 0.001 <= snap.p_yes_fair <= 0.999


async def test_snapshots_over_http_have_seq_plus_one_and_consistent_hours(service: Service) -> None:
    await service.step_to(H - 2_000)
    seen: list[BinanceSnapshot] = []
    last = (await service.snapshot()).seq
    for _ in range(200):  # 4 s of publishing at 50 Hz, across the hour boundary
        poll = asyncio.create_task(service.snapshot(f"?after_seq={last}&wait_ms=5000"))
        readers = [asyncio.create_task(service.snapshot()) for _ in range(3)]
        await service.step_to(service.clock.now_ms() + 20)
        snap = await poll
        assert snap.seq == last + 1  # one publish per 20 ms step, seq strictly +1
        last = snap.seq
        seen.append(snap)
        seen.extend(await asyncio.gather(*readers))  # decode_snapshot checks hour_id vs hour_start
    assert {s.hour_id for s in seen} == {hour_id(H - HOUR_MS), hour_id(H)}


async def test_reconnects_after_a_forced_drop(service: Service) -> None:
    ws = service.app.binance
    assert ws is not None
    await service.step_to(START + 2_000)
    await service.standin.drop_connections()
    await until(lambda: not ws.connected)
    await service.step_to(START + 40_000, expect_feed=False)  # covers any backoff (cap 30 s)
    await until(lambda: ws.connected)
    assert ws.reconnects == 1 and ws.connections == 2
    await service.step_to(H + 5_000)
    snap = await service.snapshot()
    assert snap.features["feed_reconnects"] == 1.0 and not snap.stale
    assert snap.open_price == kline_open(H)  # proven by trade ids or backfilled: right either way
    status, metrics = await service.get("/metrics")
    assert status == 200 and b"pricer_ws_reconnects_total 1.0" in metrics
    for name in (b"pricer_events_total", b"pricer_parse_errors_total 0.0", b"pricer_snapshot_age_ms",
                 b"pricer_publish_lag_ms", b"pricer_ws_connected 1.0", b"pricer_open_backfills_total",
                 b"pricer_snapshot_event_publishes_total 0.0", b"pricer_snapshot_deferred_publishes_total 0.0"):
        assert name in metrics, name


async def test_stale_when_the_feed_goes_silent_and_fresh_when_it_resumes(service: Service) -> None:
    await service.step_to(START + 10_000)
    assert not (await service.snapshot()).stale
    service.standin.set_silent(True)
    await service.step_to(START + 25_000, expect_feed=False)
    silent = await service.snapshot()
    assert silent.stale and silent.age_ms > 10_000
    status, body = await service.get("/health")
    assert status == 503 and b"stale" in body
    service.standin.set_silent(False)
    await service.step_to(START + 29_000, expect_feed=False)  # suppressed frames are never sent
    await until(lambda: service.app.health.age_ms(service.clock.now_ms()) < 10_000)
    await service.step_to(START + 29_100, expect_feed=False)
    assert not (await service.snapshot()).stale


class ExplodingFeatures(DefaultFeatureEngine):
    """A plug-in with a bug: the first trade breaks it."""

    def update(self, event: BinanceEvent) -> None:
        if isinstance(event, TradeEvent):
            raise RuntimeError("feature bug")
        super().update(event)


async def test_a_bug_crashes_the_app_and_releases_its_resources() -> None:
    fake = FakeBinance()
    await fake.start()
    clock = ManualClock(START)
    cfg = AConfig(binance_ws_url=fake.ws_base_url, binance_rest_url=fake.rest_base_url, http_host="127.0.0.1",
                  http_port=0, warm_start_minutes=0)
    app = ContainerAApp(cfg, clock, feature_engine=ExplodingFeatures())
    task = asyncio.create_task(app.run())
    try:
        await until(lambda: fake.open_sockets == 1)
        await fake.send(trade_frame(trade_id=1, ts=START))
        with pytest.raises(ExceptionGroup) as crash:
            await asyncio.wait_for(task, timeout=10)
        assert crash.group_contains(RuntimeError, match="feature bug")
        assert app.server is not None and app.session is not None and app.session.closed
    finally:
        await fake.stop()
