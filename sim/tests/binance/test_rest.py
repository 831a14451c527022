"""The stand-in's REST side: Binance's endpoints, errors and faults; klines agree with the stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from hourmm_common.paths import fixtures_dir
from hourmm_sim.binance.messages import price_str
from hourmm_sim.tape import Tape

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
TAPE_START_MS = 1_750_068_000_000  # the conftest tape: 2025-06-16 10:00-12:00 UTC
T0 = TAPE_START_MS + 30 * MINUTE_MS + 15_000
FIXTURES = fixtures_dir() / "binance"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with asyncio.timeout(5), http.get(url) as response:
        return response.status, await response.json()


async def test_time_ping_and_exchange_info(standin_at, http) -> None:
    standin, clock = await standin_at(T0)
    status, body = await get(http, f"{standin.rest_base_url}/api/v3/time")
    assert status == 200 and body == {"serverTime": T0}
    assert set(body) == set(fixture("rest/server_time.json"))
    assert await get(http, f"{standin.rest_base_url}/api/v3/ping") == (200, {})
    status, info = await get(http, f"{standin.rest_base_url}/api/v3/exchangeInfo")
    assert status == 200 and [s["symbol"] for s in info["symbols"]] == ["BTCUSDT"]
    assert set(info) == set(fixture("rest/exchange_info.json"))


async def test_kline_rows_have_the_fixture_shape_and_stop_at_now(standin_at, http, tape: Tape) -> None:
    standin, _ = await standin_at(T0)
    status, rows = await get(http, f"{standin.rest_base_url}/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000")
    assert status == 200
    assert [type(v).__name__ for v in rows[0]] == [type(v).__name__ for v in fixture("rest/klines.json")[0]]
    assert rows[0][0] == TAPE_START_MS and rows[-1][0] == T0 - T0 % MINUTE_MS
    assert len(rows) == 31
    current = tape.kline(MINUTE_MS, rows[-1][0], up_to_ms=T0)
    assert current is not None and not current.closed
    assert rows[-1][1:5] == [price_str(x) for x in (current.open, current.high, current.low, current.close)]
    assert rows[-1][8] == current.trades


async def test_the_hour_open_backfill_query_returns_the_hours_first_trade(standin_at, http, tape: Tape) -> None:
    standin, _ = await standin_at(T0)
    url = f"{standin.rest_base_url}/api/v3/klines?symbol=BTCUSDT&interval=1h&startTime={TAPE_START_MS}&limit=1"
    status, rows = await get(http, url)
    first_trade = tape.trades_between(TAPE_START_MS, TAPE_START_MS + HOUR_MS)[0]
    assert status == 200 and len(rows) == 1
    assert rows[0][0] == TAPE_START_MS and rows[0][1] == price_str(first_trade.price)
    # Binance selects on open time: a start inside the hour means the next hour, not yet open.
    status, rows = await get(http, url.replace(f"startTime={TAPE_START_MS}", f"startTime={TAPE_START_MS + 1}"))
    assert status == 200 and rows == []


async def test_start_end_and_limit_select_like_binance(standin_at, http) -> None:
    standin, _ = await standin_at(T0)
    base = f"{standin.rest_base_url}/api/v3/klines?symbol=BTCUSDT&interval=1m"
    _, rows = await get(http, f"{base}&startTime={TAPE_START_MS + 5 * MINUTE_MS}&limit=3")
    assert [r[0] for r in rows] == [TAPE_START_MS + k * MINUTE_MS for k in (5, 6, 7)]
    _, rows = await get(http, f"{base}&endTime={TAPE_START_MS + 10 * MINUTE_MS}&limit=2")
    assert [r[0] for r in rows] == [TAPE_START_MS + k * MINUTE_MS for k in (9, 10)]
    _, rows = await get(http, f"{base}&startTime={TAPE_START_MS - HOUR_MS}&endTime={TAPE_START_MS + MINUTE_MS}")
    assert [r[0] for r in rows] == [TAPE_START_MS, TAPE_START_MS + MINUTE_MS]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("symbol=ETHUSDT&interval=1m", -1121),
        ("interval=1m", -1102),
        ("symbol=BTCUSDT", -1102),
        ("symbol=BTCUSDT&interval=7m", -1120),
        ("symbol=BTCUSDT&interval=1m&limit=1001", -1130),
        ("symbol=BTCUSDT&interval=1m&limit=0", -1130),
        ("symbol=BTCUSDT&interval=1m&startTime=abc", -1100),
        ("symbol=BTCUSDT&interval=1m&startTime=20&endTime=10", -1023),
    ],
)
async def test_bad_kline_queries_get_binance_error_bodies(standin_at, http, query: str, code: int) -> None:
    standin, _ = await standin_at(T0)
    status, body = await get(http, f"{standin.rest_base_url}/api/v3/klines?{query}")
    assert status == 400 and body["code"] == code and isinstance(body["msg"], str)
    assert standin.counters["rest_rejected"] == 1


async def test_rest_klines_agree_with_the_streamed_trades_and_klines(standin_at, connect, http) -> None:
    start = TAPE_START_MS + 40 * MINUTE_MS - 1
    standin, clock = await standin_at(start)
    probe = await connect(f"{standin.ws_base_url}/stream?streams=btcusdt@trade/btcusdt@kline_1m")
    end = start + 1 + 3 * MINUTE_MS + 25_000
    await clock.run_until(end)
    messages = [m["data"] for m in await probe.drain()]
    trades = [m for m in messages if m["e"] == "trade"]
    closed = {m["k"]["t"]: m["k"] for m in messages if m["e"] == "kline" and m["k"]["x"]}
    _, rows = await get(http, f"{standin.rest_base_url}/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime={start + 1}")
    assert [r[0] for r in rows] == [start + 1 + k * MINUTE_MS for k in range(4)]
    for row in rows:
        minute = [t for t in trades if row[0] <= t["T"] < row[0] + MINUTE_MS]
        prices = [float(t["p"]) for t in minute]
        assert row[1] == minute[0]["p"] and row[4] == minute[-1]["p"]
        assert float(row[2]) == max(prices) and float(row[3]) == min(prices)
        assert row[8] == len(minute) and row[6] == row[0] + MINUTE_MS - 1
        assert abs(float(row[5]) - sum(float(t["q"]) for t in minute)) < 1e-9
        if row[0] in closed:
            k = closed[row[0]]
            assert [k["o"], k["h"], k["l"], k["c"], k["v"], k["n"]] == [row[1], row[2], row[3], row[4], row[5], row[8]]
    # The minute running when the client joined closes too, one millisecond in.
    assert sorted(closed) == [start + 1 + k * MINUTE_MS for k in (-1, 0, 1, 2)]


async def test_rest_faults_5xx_then_429_then_recovery(standin_at, http) -> None:
    standin, _ = await standin_at(T0)
    standin.fail_next_rest(2)
    standin.throttle_next_rest(1)
    url = f"{standin.rest_base_url}/api/v3/time"
    assert (await get(http, url))[0] == 503
    assert (await get(http, url))[0] == 503
    async with http.get(url) as response:
        assert response.status == 429 and response.headers["Retry-After"] == "1"
        assert (await response.json())["code"] == -1003
    assert await get(http, url) == (200, {"serverTime": T0})
    assert standin.counters["rest_fault_5xx"] == 2 and standin.counters["rest_fault_429"] == 1


async def test_a_stalled_request_never_answers_until_the_server_stops(standin_at, http) -> None:
    standin, _ = await standin_at(T0)
    standin.stall_next_rest(1)
    pending = asyncio.create_task(get(http, f"{standin.rest_base_url}/api/v3/time"))
    async with asyncio.timeout(5):
        while not standin.counters.get("rest_fault_stall"):
            await asyncio.sleep(0)
    assert await get(http, f"{standin.rest_base_url}/api/v3/ping") == (200, {})
    assert not pending.done()
    await standin.stop()
    status, _ = await pending
    assert status == 503


async def test_book_ticker_and_recent_trades_show_the_tape_at_now(standin_at, http, tape: Tape) -> None:
    standin, _ = await standin_at(T0)
    status, book = await get(http, f"{standin.rest_base_url}/api/v3/ticker/bookTicker?symbol=BTCUSDT")
    assert status == 200 and {k: type(v) for k, v in book.items()} == {
        k: type(v) for k, v in fixture("rest/book_ticker.json").items()
    }
    quote = tape.quote_at(T0)
    assert quote is not None and book["bidPrice"] == price_str(quote.bid) and book["askPrice"] == price_str(quote.ask)
    status, trades = await get(http, f"{standin.rest_base_url}/api/v3/trades?symbol=BTCUSDT&limit=5")
    assert status == 200 and len(trades) == 5
    assert {k: type(v) for k, v in trades[0].items()} == {k: type(v) for k, v in fixture("rest/trades.json")[0].items()}
    expected = tape.trades_between(0, T0 + 1)[-5:]
    assert [t["id"] for t in trades] == [t.trade_id for t in expected]
    assert abs(float(trades[-1]["quoteQty"]) - expected[-1].price * expected[-1].qty) < 1e-6
    assert trades[-1]["time"] <= T0
