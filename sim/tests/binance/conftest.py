"""Shared builders for the stand-in's tests: real history loaded once, a running stand-in on a
ManualClock, and a small websocket probe. No real sleeps: time moves with `clock.run_until`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import cache
from typing import Any

import aiohttp
import pytest

from hourmm_common.clock import ManualClock
from hourmm_sim.binance.connection import StandInLimits
from hourmm_sim.binance.server import BinanceStandIn
from hourmm_sim.history import Candle, candles_between, data_path, load_candles
from hourmm_sim.tape import Tape, tape_from_candles

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
# 2025-06-16 10:00 UTC: two hours of real 1m candles from the 2025 file back the server tests.
TAPE_START_MS = 1_750_068_000_000
SAFETY_S = 5.0


@cache
def _candles(name: str) -> list[Candle]:
    return load_candles(data_path(name))


@cache
def two_hour_tape() -> Tape:
    """Two real hours (10:00-12:00 UTC, 2025-06-16), 30 trades a minute on average."""
    hours = candles_between(_candles("1m_2025"), TAPE_START_MS, TAPE_START_MS + 2 * HOUR_MS)
    return tape_from_candles(hours, seed=42, trades_per_minute=30)


@pytest.fixture
def candles() -> Callable[[str], list[Candle]]:
    """The candles of one of `DATA_FILES` (`"1m_2025"`, `"1m_2024"`, `"1h"`), cached per process."""
    return _candles


@pytest.fixture
def tape() -> Tape:
    return two_hour_tape()


StandInFactory = Callable[..., Awaitable[tuple[BinanceStandIn, ManualClock]]]


@pytest.fixture
async def standin_at() -> AsyncIterator[StandInFactory]:
    """`await standin_at(start_ms, tape=..., limits=...)` -> a started stand-in and its clock."""
    started: list[BinanceStandIn] = []

    async def make(
        start_ms: int, *, tape: Tape | None = None, limits: StandInLimits | None = None
    ) -> tuple[BinanceStandIn, ManualClock]:
        clock = ManualClock(start_ms)
        standin = BinanceStandIn(tape or two_hour_tape(), clock, limits=limits)
        await standin.start()
        started.append(standin)
        return standin, clock

    yield make
    for standin in started:
        await standin.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class WsProbe:
    """A websocket client that reads all the time, like a real one (so pings get their pongs at
    once), and hands messages to the test with a safety-net timeout."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.frames: asyncio.Queue[aiohttp.WSMessage] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            msg = await self.ws.receive()
            self.frames.put_nowait(msg)
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                return

    async def next_frame(self) -> aiohttp.WSMessage:
        async with asyncio.timeout(SAFETY_S):
            return await self.frames.get()

    async def next_json(self) -> Any:
        msg = await self.next_frame()
        while msg.type is aiohttp.WSMsgType.PING:
            msg = await self.next_frame()
        assert msg.type is aiohttp.WSMsgType.TEXT, f"expected text, got {msg.type} {msg.data!r}"
        return json.loads(msg.data)

    async def request(self, method: str, params: list[str] | None = None, req_id: int = 1) -> None:
        body: dict[str, Any] = {"method": method, "id": req_id}
        if params is not None:
            body["params"] = params
        await self.ws.send_str(json.dumps(body))

    async def until_reply(self, req_id: int) -> list[Any]:
        """Every message before the reply to request `req_id` (the reply proves nothing else is queued)."""
        before = []
        while True:
            message = await self.next_json()
            if isinstance(message, dict) and message.get("id") == req_id and ("result" in message or "error" in message):
                return before
            before.append(message)

    async def drain(self, req_id: int = 999_999) -> list[Any]:
        """Everything queued so far, fenced by a LIST_SUBSCRIPTIONS round trip."""
        await self.request("LIST_SUBSCRIPTIONS", req_id=req_id)
        return await self.until_reply(req_id)

    async def close(self) -> None:
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self.ws.close()


@pytest.fixture
async def connect(http: aiohttp.ClientSession) -> AsyncIterator[Callable[..., Awaitable[WsProbe]]]:
    """`await connect(url, autoping=True)` -> a `WsProbe`; closed at teardown."""
    opened: list[WsProbe] = []

    async def make(url: str, *, autoping: bool = True) -> WsProbe:
        probe = WsProbe(await http.ws_connect(url, autoping=autoping))
        opened.append(probe)
        return probe

    yield make
    for probe in opened:
        await probe.close()
