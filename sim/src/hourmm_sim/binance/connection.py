"""One client's websocket on the stand-in: its subscriptions, its outbound queue, its keep-alive.

In: payloads from the server's streaming loop (`enqueue`), pongs from the client. Out: frames on
the socket, Binance-style keep-alive: a ping every `ping_interval_ms` of scenario time, an abrupt
drop when a ping goes unanswered for `pong_timeout_ms`, a clean close after `max_connection_ms`
(Binance's 24 h cut). A client too slow to drain its queue is dropped, as Binance does, rather than
letting memory grow. Owned and driven by `server.BinanceStandIn`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import msgspec
from aiohttp import WSCloseCode, WSMsgType, web

from hourmm_common.clock import Clock
from hourmm_common.hours import HOUR_MS


class StandInLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Binance's connection rules, in scenario milliseconds (tests may shorten them)."""

    ping_interval_ms: int = 20_000
    pong_timeout_ms: int = 60_000
    max_connection_ms: int = 24 * HOUR_MS
    kline_push_ms: int = 2_000
    queue_size: int = 50_000
    close_timeout_s: float = 2.0


class ClientConnection:
    """Lifetime state of one accepted websocket (raw `/ws/...` or combined `/stream?...`)."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        *,
        combined: bool,
        clock: Clock,
        limits: StandInLimits,
        counters: Counter[str],
    ) -> None:
        self.ws = ws
        self.combined = combined
        self.streams: set[str] = set()
        self.connected_ms = clock.now_ms()
        self.closing = False
        self.closing_cleanly = False
        self._request = request
        self._clock = clock
        self._limits = limits
        self._counters = counters
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=limits.queue_size)
        self._awaiting_pong_since_ms: int | None = None
        self._next_ping_ms = self.connected_ms + limits.ping_interval_ms

    def enqueue(self, payload: bytes) -> None:
        """Queue a frame; a client whose queue is full is dropped (a slow consumer)."""
        if self.closing:
            return
        try:
            self._queue.put_nowait(payload)
        except asyncio.QueueFull:
            self._counters["ws_slow_clients_dropped"] += 1
            self.abort()

    def on_pong(self) -> None:
        self._counters["ws_pongs_received"] += 1
        self._awaiting_pong_since_ms = None

    def abort(self) -> None:
        """Drop the TCP connection without a close handshake (what a network fault looks like)."""
        self.closing = True
        transport = self._request.transport
        if transport is not None:
            transport.abort()

    async def write_loop(self) -> None:
        """Send queued frames in order until the socket goes away."""
        while True:
            payload = await self._queue.get()
            try:
                await self.ws.send_frame(payload, WSMsgType.TEXT)
            except (ConnectionError, RuntimeError):
                return
            self._counters["ws_messages_sent"] += 1

    async def keep_alive(self, is_silent: Callable[[], bool]) -> None:
        """Pings, the pong deadline and the 24 h cut, all on the injected clock."""
        limits = self._limits
        cut_ms = self.connected_ms + limits.max_connection_ms
        while True:
            deadline = min(cut_ms, self._next_ping_ms)
            if self._awaiting_pong_since_ms is not None:
                deadline = min(deadline, self._awaiting_pong_since_ms + limits.pong_timeout_ms)
            await self._clock.sleep_until(deadline)
            now = self._clock.now_ms()
            if now >= cut_ms:
                self._counters["ws_cut_after_max_age"] += 1
                await self.close(WSCloseCode.GOING_AWAY, b"connection max age reached")
                return
            since = self._awaiting_pong_since_ms
            if since is not None and now - since >= limits.pong_timeout_ms:
                self._counters["ws_dropped_no_pong"] += 1
                self.abort()
                return
            if now >= self._next_ping_ms:
                self._next_ping_ms = now + limits.ping_interval_ms
                if not is_silent():
                    await self._ping(now)

    async def _ping(self, now_ms: int) -> None:
        try:
            await self.ws.ping(str(now_ms).encode())
        except (ConnectionError, RuntimeError):
            return
        self._counters["ws_pings_sent"] += 1
        if self._awaiting_pong_since_ms is None:
            self._awaiting_pong_since_ms = now_ms

    async def close(self, code: int, message: bytes) -> None:
        """A clean close frame; the client has `close_timeout_s` to answer before the socket goes."""
        self.closing = self.closing_cleanly = True
        try:
            await self.ws.close(code=code, message=message)
        except (ConnectionError, RuntimeError, TimeoutError):
            self.abort()
