"""REST client retries and the open backfill / warm start against a scripted local server."""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pricer_testkit.builders import H0, a_book, a_trade, e8
from pricer_testkit.fake_binance import FakeBinance
from pricer_testkit.waiting import until

from binance_pricer.core.features import DefaultFeatureEngine
from binance_pricer.core.hour_context import HourContextBuilder
from binance_pricer.open_backfill import OpenBackfiller, warm_start
from binance_pricer.rest_client import BinanceRestClient, BinanceRestError
from hourmm_common.clock import ManualClock
from hourmm_common.enums import OpenSource
from hourmm_common.errors import ParseError, TransientError
from hourmm_common.hours import HOUR_MS, MINUTE_MS

H1 = H0 + HOUR_MS


def kline_rows(*rows: tuple[int, str, str]) -> bytes:
    """(open_time, open, close) -> a klines body."""
    return json.dumps([[t, o, o, c, c, "1.0", t + MINUTE_MS - 1, "1", 3, "0", "0", "0"] for t, o, c in rows]).encode()


class Env:
    def __init__(self, fake: FakeBinance, session: aiohttp.ClientSession) -> None:
        self.fake = fake
        self.clock = ManualClock(H0 + 25 * MINUTE_MS)
        self.rest = BinanceRestClient(session, fake.rest_base_url, self.clock, timeout_s=5.0, max_attempts=3,
                                      backoff_base_ms=100, backoff_cap_ms=400, rng=random.Random(0))


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    fake = FakeBinance()
    await fake.start()
    async with aiohttp.ClientSession() as session:
        yield Env(fake, session)
    await fake.stop()


async def drive(env: Env, coro: object) -> object:
    """Run `coro`, advancing the manual clock through any backoff sleeps it takes."""
    task = asyncio.ensure_future(coro)  # type: ignore[arg-type]
    async with asyncio.timeout(5):
        while not task.done():
            await asyncio.sleep(0)
            nxt = env.clock.next_deadline_ms()
            if nxt is not None:
                env.clock.set(max(nxt, env.clock.now_ms()))
    return task.result()


async def test_klines_sends_the_documented_query(env: Env) -> None:
    env.fake.rest_default = (200, kline_rows((H0, "98000.00000000", "98100.00000000")))
    rows = await env.rest.klines("btcusdt", "1h", start_ms=H0, limit=1)
    assert rows[0].open_e8 == e8(98_000.0)
    assert env.fake.queries == [{"symbol": "BTCUSDT", "interval": "1h", "limit": "1", "startTime": str(H0)}]


async def test_5xx_and_429_are_retried_with_backoff(env: Env) -> None:
    env.fake.rest_script = [(503, b"busy"), (429, b"{}")]
    env.fake.rest_default = (200, kline_rows((H0, "98000.00000000", "98100.00000000")))
    rows = await drive(env, env.rest.klines("BTCUSDT", "1h", start_ms=H0, limit=1))
    assert len(rows) == 1 and env.rest.requests == 3 and env.rest.errors == 2  # type: ignore[arg-type]
    assert env.clock.now_ms() > H0 + 25 * MINUTE_MS  # waited on the injected clock


async def test_exhausted_retries_raise_transient_error(env: Env) -> None:
    env.fake.rest_default = (502, b"bad gateway")
    with pytest.raises(TransientError, match="HTTP 502"):
        await drive(env, env.rest.klines("BTCUSDT", "1m"))
    assert env.rest.requests == 3


async def test_a_4xx_is_not_retried(env: Env) -> None:
    env.fake.rest_default = (400, b'{"code":-1121,"msg":"Invalid symbol."}')
    with pytest.raises(BinanceRestError, match="Invalid symbol"):
        await env.rest.klines("NOPE", "1m")
    assert env.rest.requests == 1


async def test_a_garbled_body_is_a_parse_error(env: Env) -> None:
    env.fake.rest_default = (200, b"<html>")
    with pytest.raises(ParseError):
        await env.rest.klines("BTCUSDT", "1m")


async def test_backfill_sets_the_open_from_the_rest_kline_of_the_hour(env: Env) -> None:
    hours = HourContextBuilder(env.clock.now_ms())
    hours.update_from_trade(a_trade(trade_id=500, price=98_700.0, ts=env.clock.now_ms()))
    env.fake.rest_default = (200, kline_rows((H0, "98000.00000000", "98700.00000000")))
    filler = OpenBackfiller(rest=env.rest, hours=hours, clock=env.clock, symbol="BTCUSDT", grace_ms=2_000)
    task = asyncio.create_task(filler.run())
    await until(lambda: hours.open_e8 is not None)
    assert hours.open_e8 == e8(98_000.0) and hours.open_source is OpenSource.REST_KLINE
    assert env.fake.queries[0]["startTime"] == str(H0) and env.fake.queries[0]["interval"] == "1h"
    # Next hour: the open is proven by trade ids within the grace, so REST is not asked.
    await until(lambda: env.clock.next_deadline_ms() == H1 + 2_000)
    hours.update_from_trade(a_trade(trade_id=501, price=98_900.0, ts=H1 + 5))
    env.clock.set(H1 + 2_000)
    await until(lambda: env.clock.next_deadline_ms() == H1 + HOUR_MS + 2_000)
    assert len(env.fake.queries) == 1 and hours.open_source is OpenSource.TRADE
    task.cancel()


async def test_backfill_keeps_trying_through_errors_and_empty_answers(env: Env) -> None:
    hours = HourContextBuilder(env.clock.now_ms())
    env.fake.rest_script = [(500, b""), (500, b""), (500, b""), (200, b"[]")]
    env.fake.rest_default = (200, kline_rows((H0, "98000.00000000", "98700.00000000")))
    filler = OpenBackfiller(rest=env.rest, hours=hours, clock=env.clock, symbol="BTCUSDT",
                            retry_base_ms=100, retry_cap_ms=200, rng=random.Random(0))
    task = asyncio.create_task(filler.run())
    async with asyncio.timeout(5):
        while hours.open_e8 is None:
            await asyncio.sleep(0)
            nxt = env.clock.next_deadline_ms()
            if nxt is not None and nxt < H1:
                env.clock.set(max(nxt, env.clock.now_ms()))
    assert hours.open_e8 == e8(98_000.0)
    assert filler.failures == 2 and filler.backfills == 1  # one exhausted retry run, one empty answer
    task.cancel()


async def test_warm_start_reads_closed_minutes_and_makes_the_engine_ready(env: Env) -> None:
    now = env.clock.now_ms()
    start = now - now % MINUTE_MS - 121 * MINUTE_MS
    rows = [(start + i * MINUTE_MS, "98000.00000000", f"{98_000 + (i % 2) * 50}.00000000") for i in range(122)]
    env.fake.rest_default = (200, kline_rows(*rows))
    engine = DefaultFeatureEngine()
    assert await warm_start(rest=env.rest, features=engine, clock=env.clock, symbol="BTCUSDT", minutes=120)
    assert engine.ready
    q = env.fake.queries[0]
    assert q["interval"] == "1m" and int(q["startTime"]) == now - 121 * MINUTE_MS
    # The minute-return EWMAs (the pricer's default) are filled too, from the 120 closed returns.
    ctx = HourContextBuilder(now).get_context(now)
    feats = engine.snapshot(ctx)
    d = 0.5 ** (60 / 300)
    assert feats["ewma_n_eff_m1_300s"] == pytest.approx((1 + d) / (1 - d))
    assert feats["ewma_vol_m1_1800s"] == pytest.approx(abs(math.log(98_050 / 98_000)) / math.sqrt(60), rel=0.1)
    # The first live minute's return is from the last *closed* kline (98,000), not the open one.
    v = feats["ewma_vol_m1_300s"] ** 2
    engine.update(a_book(bid=98_049.99, ask=98_050.01, local=now))
    engine.update(a_book(bid=98_049.99, ask=98_050.01, local=now - now % MINUTE_MS + MINUTE_MS))
    want = d * v + (1 - d) * math.log(98_050 / 98_000) ** 2 / 60
    assert engine.snapshot(ctx)["ewma_vol_m1_300s"] == pytest.approx(math.sqrt(want), rel=1e-9)
