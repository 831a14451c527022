"""Binance stand-in and tape: how fast history loads, expands, streams and answers klines.

Figures: loading the 90-day 1m file; expanding one hour (the brief's bar: well under 100 ms) and a
day (a month for the backtest is thirty of those) and the memory an event holds; messages per second from tape to a websocket
client through the stand-in (ManualClock, so pure throughput); `GET /api/v3/klines` with 1000 1m
rows, cold and cached.
"""

from __future__ import annotations

import asyncio
import json
import time
import tracemalloc
from typing import Any

import aiohttp

from hourmm_common.clock import ManualClock
from hourmm_sim.binance.server import BinanceStandIn
from hourmm_sim.history import candles_between, data_path, load_candles
from hourmm_sim.tape import Tape, tape_from_candles

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
DAY_START = 1_750_032_000_000  # 2025-06-16 00:00 UTC


def _row(name: str, value: float, unit: str, target: str) -> dict[str, Any]:
    print(f"{name} | {value:.4g} {unit} | {target}")
    return {"name": name, "value": round(value, 4), "unit": unit, "target": target}


def _best_of(runs: int, fn: Any) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


async def _count_until_reply(ws: aiohttp.ClientWebSocketResponse) -> int:
    """Read like a real client (so pings get pongs) and count data messages until the fence reply."""
    received = 0
    while True:
        msg = await ws.receive()
        if msg.type is not aiohttp.WSMsgType.TEXT:
            continue
        if msg.data.startswith('{"result"'):
            return received
        received += 1


async def _stream_and_rest(tape: Tape, start_ms: int) -> tuple[float, int, float, float]:
    clock = ManualClock(start_ms)
    standin = BinanceStandIn(tape, clock)
    await standin.start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"{standin.ws_base_url}/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@kline_1m"
            async with http.ws_connect(url) as ws:
                reader = asyncio.create_task(_count_until_reply(ws))
                t = time.perf_counter()
                clock.set(start_ms + 10 * MINUTE_MS)  # one wake: ten minutes of tape in one burst
                await asyncio.sleep(0)
                await ws.send_str(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 1}))
                received = await reader
                stream_s = time.perf_counter() - t
            clock.set(start_ms + 20 * HOUR_MS)  # every 1m kline of the day is closed now
            query = f"{standin.rest_base_url}/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime={DAY_START}&limit=1000"
            async with http.get(f"{standin.rest_base_url}/api/v3/ping") as response:
                await response.read()  # connection set up: "cold" below is cold klines, not a cold socket
            timings = []
            for _ in range(2):
                t = time.perf_counter()
                async with http.get(query) as response:
                    rows = await response.json()
                timings.append(time.perf_counter() - t)
                assert len(rows) == 1000
    finally:
        await standin.stop()
    return stream_s, received, timings[0], timings[1]


def main() -> list[dict[str, Any]]:
    rows = []
    t = time.perf_counter()
    candles = load_candles(data_path("1m_2025"))
    rows.append(_row("history load 1m 90 days", time.perf_counter() - t, "s", "< 2 s"))
    day = candles_between(candles, DAY_START, DAY_START + 24 * HOUR_MS)
    hour = day[:60]
    hour_s = _best_of(5, lambda: tape_from_candles(hour, seed=1, trades_per_minute=100))
    rows.append(_row("tape expand 1 hour (100 trades/min)", hour_s * 1000, "ms", "< 100 ms"))
    hour_200_s = _best_of(3, lambda: tape_from_candles(hour, seed=1, trades_per_minute=200))
    rows.append(_row("tape expand 1 hour (200 trades/min)", hour_200_s * 1000, "ms", "< 100 ms"))
    tracemalloc.start()
    hour_tape = tape_from_candles(hour, seed=1, trades_per_minute=100)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    rows.append(_row("tape memory", held / len(hour_tape), "bytes/event", "< 300 bytes/event"))
    t = time.perf_counter()
    day_tape = tape_from_candles(day, seed=1, trades_per_minute=100)
    day_s = time.perf_counter() - t
    rows.append(_row("tape expand 1 day (100 trades/min)", day_s, "s", "< 3 s"))
    rows.append(_row("tape expansion rate", len(day_tape) / day_s, "events/s", ">= 200000 events/s"))
    stream_s, received, cold_s, warm_s = asyncio.run(_stream_and_rest(day_tape, DAY_START + 10 * HOUR_MS))
    rows.append(_row("stand-in stream to one client", received / stream_s, "msgs/s", ">= 20000 msgs/s"))
    rows.append(_row("REST klines 1000x1m cold", cold_s * 1000, "ms", "< 200 ms"))
    rows.append(_row("REST klines 1000x1m cached", warm_s * 1000, "ms", "< 50 ms"))
    return rows


if __name__ == "__main__":
    main()
