"""The Binance combined-stream websocket client: frames in, typed events out (to a sink).

Connects to `<base>/stream?streams=<sym>@trade/<sym>@bookTicker/<sym>@kline_1h` (the combined
URL is the subscription: nothing is sent after connecting). Each text frame is stamped with the
injected clock's time and decoded by `wire.decode_frame` straight into an event, which goes to
the synchronous sink (the pure ingest: hour context, features, health). A malformed or unknown
frame is counted and dropped; a sample of the first few is logged, never every one.

Keeping alive: aiohttp answers the server's pings (autoping); a connection silent for
`receive_timeout_s` is presumed dead; every drop reconnects with jittered exponential backoff
(reset once a connection has delivered data); and each connection is closed on purpose after
`max_connection_ms` (default 23.5 h), before Binance's 24-hour cut: the successor is opened
first (make-before-break) and frames both carried are dropped once, so a planned rotation leaves
no gap. Any other gap that may hide the hour's first trade is detected by the hour context from
trade ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp

from binance_pricer.core.events import BinanceEvent, BookTickerEvent, TradeEvent
from binance_pricer.wire import UnknownMessage, decode_frame
from hourmm_common.backoff import backoff_ms
from hourmm_common.clock import Clock
from hourmm_common.errors import ParseError
from hourmm_common.logs import get_logger
from hourmm_common.waits import sleep_until_or

DEFAULT_STREAMS = ("trade", "bookTicker", "kline_1h")
_LOGGED_SAMPLES = 5
_LOG_EVERY = 1000


def combined_stream_url(base_url: str, symbol: str, streams: Sequence[str] = DEFAULT_STREAMS) -> str:
    sym = symbol.lower()
    return f"{base_url.rstrip('/')}/stream?streams=" + "/".join(f"{sym}@{s}" for s in streams)


class BinanceWsClient:
    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        base_url: str,
        symbol: str,
        clock: Clock,
        sink: Callable[[BinanceEvent], None],
        streams: Sequence[str] = DEFAULT_STREAMS,
        max_connection_ms: int = 23 * 3_600_000 + 1_800_000,
        receive_timeout_s: float = 30.0,
        connect_timeout_s: float = 10.0,
        backoff_base_ms: int = 250,
        backoff_cap_ms: int = 30_000,
        rng: random.Random | None = None,
    ) -> None:
        self.session = session
        self.symbol = symbol
        self.url = combined_stream_url(base_url, symbol, streams)
        self.clock = clock
        self.sink = sink
        self.max_connection_ms = max_connection_ms
        self.receive_timeout_s = receive_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.backoff_base_ms = backoff_base_ms
        self.backoff_cap_ms = backoff_cap_ms
        self.rng = rng or random.Random()
        self.connected = False
        self.last_event_ts_exchange_ms: int | None = None
        self.last_event_ts_local_ms: int | None = None
        self.connections = 0
        self.reconnects = 0
        self.planned_reconnects = 0
        self.messages = 0
        self.events = 0
        self.parse_errors = 0
        self.unknown_messages = 0
        self.control_messages = 0
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._closing = False
        self._closed = asyncio.Event()
        self._rotating = False
        self._successor: aiohttp.ClientWebSocketResponse | None = None
        self._dedupe_trades = self._dedupe_books = False
        self._last_trade_id = -1
        self._last_update_id = -1
        self.duplicates_dropped = 0
        self._log: Any = get_logger("binance_ws")

    async def run(self) -> None:
        """Connect, read, reconnect; returns only after `close()`."""
        attempt = 0
        successor: aiohttp.ClientWebSocketResponse | None = None
        while not self.is_closing():
            got_data, planned, successor = await self._one_connection(successor)
            if self.is_closing():
                break
            self.reconnects += 1
            if planned:
                self.planned_reconnects += 1
                attempt = 0
                continue
            if got_data:
                attempt = 0
            delay = backoff_ms(attempt, base_ms=self.backoff_base_ms, cap_ms=self.backoff_cap_ms, rng=self.rng)
            attempt += 1
            self._log.warning("ws_reconnect_scheduled", delay_ms=delay, attempt=attempt)
            await self._sleep_unless_closed(self.clock.now_ms() + delay)

    def is_closing(self) -> bool:
        return self._closing

    async def close(self) -> None:
        self._closing = True
        self._closed.set()
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.connect_timeout_s):
                    await ws.close()

    def parse_message(self, raw: str | bytes) -> list[BinanceEvent]:
        """Decode one frame stamped now; defects are counted and give an empty list."""
        ev = self._decode(raw, self.clock.now_ms())
        return [] if ev is None else [ev]

    def _decode(self, raw: str | bytes, now_ms: int) -> BinanceEvent | None:
        self.messages += 1
        try:
            ev = decode_frame(raw, now_ms)
        except UnknownMessage as exc:
            self.unknown_messages += 1
            self._sample("ws_unknown_message", self.unknown_messages, exc)
            return None
        except ParseError as exc:
            self.parse_errors += 1
            self._sample("ws_parse_error", self.parse_errors, exc)
            return None
        if ev is None:
            self.control_messages += 1
        return ev

    def _on_frame(self, raw: str | bytes) -> None:
        now = self.clock.now_ms()
        ev = self._decode(raw, now)
        if ev is None:
            return
        if type(ev) is TradeEvent:
            if self._dedupe_trades:
                if ev.trade_id <= self._last_trade_id:
                    self.duplicates_dropped += 1
                    return
                self._dedupe_trades = False  # the first newer id ends the overlap
            self._last_trade_id = ev.trade_id
        elif type(ev) is BookTickerEvent:
            if self._dedupe_books:
                if ev.update_id <= self._last_update_id:
                    self.duplicates_dropped += 1
                    return
                self._dedupe_books = False
            self._last_update_id = ev.update_id
        self.events += 1
        self.last_event_ts_local_ms = now
        if ev.ts_exchange_ms is not None:
            self.last_event_ts_exchange_ms = ev.ts_exchange_ms
        self.sink(ev)

    async def _connect(self) -> aiohttp.ClientWebSocketResponse | None:
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                return await self.session.ws_connect(self.url, autoping=True, heartbeat=None,
                                                     max_msg_size=1 << 22)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self._log.warning("ws_connect_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            return None

    async def _one_connection(
        self, opened: aiohttp.ClientWebSocketResponse | None
    ) -> tuple[bool, bool, aiohttp.ClientWebSocketResponse | None]:
        """One connection's life: (delivered data, rotated on purpose, the successor already open).

        `opened` is a successor opened before its predecessor was closed (make-before-break):
        frames both connections carried are dropped once, by trade id and book update id.
        """
        got_data = False
        ws = opened or await self._connect()
        if ws is None:
            return False, False, None
        self._dedupe_trades = self._dedupe_books = opened is not None
        self._ws = ws
        self.connected = True
        self.connections += 1
        self._log.info("ws_connected", url=self.url, connection=self.connections)
        expiry = asyncio.create_task(self._expire(ws), name="binance_ws_expiry")
        try:
            while True:
                async with asyncio.timeout(self.receive_timeout_s):
                    msg = await ws.receive()
                if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    got_data = True
                    self._on_frame(msg.data)
                elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING,
                                  aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
        except TimeoutError:
            self._log.warning("ws_silent", seconds=self.receive_timeout_s)
        except (aiohttp.ClientError, OSError) as exc:
            self._log.warning("ws_read_failed", error=f"{type(exc).__name__}: {exc}"[:300])
        finally:
            planned, self._rotating = self._rotating, False
            successor, self._successor = self._successor, None
            expiry.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, aiohttp.ClientError, OSError):
                await expiry
            self.connected = False
            self._ws = None
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.connect_timeout_s):
                    await asyncio.shield(ws.close())
        if self._closing:
            self._log.info("ws_closed")
        else:
            self._log.warning("ws_disconnected", planned=planned, close_code=ws.close_code)
        if successor is not None and self._closing:
            await successor.close()
            successor = None
        return got_data, planned, successor

    async def _expire(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await self.clock.sleep_until(self.clock.now_ms() + self.max_connection_ms)
        self._log.info("ws_rotating", max_connection_ms=self.max_connection_ms)
        self._successor = await self._connect()  # None: fall back to break-then-make
        self._rotating = True
        async with asyncio.timeout(self.connect_timeout_s):
            await ws.close()

    async def _sleep_unless_closed(self, deadline_ms: int) -> None:
        """Sleep on the injected clock, but return at once when `close()` is called."""
        await sleep_until_or(self.clock, deadline_ms, self._closed)

    def _sample(self, event: str, count: int, exc: ParseError) -> None:
        if count <= _LOGGED_SAMPLES or count % _LOG_EVERY == 0:
            self._log.warning(event, count=count, reason=exc.reason[:200], sample=exc.sample[:120].decode("utf-8", "replace"))
