"""`ChannelClient`: the connection loop both Polymarket websocket clients share (one frame loop).

Connect, subscribe, text PING every 10 s, stale after 30 s without PONG, reconnect with jittered
backoff, report `WsConnected` / `WsDisconnected` so the reducer can HALT and cancel-all on a drop.
Subclasses give the subscription and translate frames. All timing uses the injected `Clock`.
Also here: the one way a bad frame or message is dropped (counted, a sample logged while due).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from typing import Any

import aiohttp

from hourmm_common.backoff import backoff_ms
from hourmm_common.clock import Clock
from hourmm_common.logs import get_logger
from hourmm_common.waits import first_completed
from polymarket_trader.core.events import Channel, Event, WsConnected, WsDisconnected

_IGNORED_TEXT = frozenset({"PONG", "NO NEW ASSETS"})
_SAMPLE_LOG_LIMIT = 20  # malformed-frame samples logged per client (then only counted)


def log_sample_due(count: int) -> bool:
    """Log the first few bad inputs and then every power of two: visible, never a flood."""
    return count <= _SAMPLE_LOG_LIMIT or count & (count - 1) == 0


def drop_bad_message(counts: Counter[str], log: Any, key: str, reason: str, raw: str | bytes) -> None:
    """Count a malformed frame or message under `key`, and log a truncated sample while due."""
    counts[key] += 1
    if log_sample_due(counts[key]):
        text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
        log.warning("bad_message_dropped", kind=key, reason=reason[:200], sample=text[:200], count=counts[key])



class ChannelClient:
    """One websocket channel: connect, subscribe, keep alive, translate, reconnect.

    Subclasses give the subscription message (None: nothing to subscribe yet) and translate
    frames. `resubscribe()` reconnects with the new subscription without reporting a drop.
    """

    channel: Channel

    def __init__(self, *, url: str, session: aiohttp.ClientSession, out: asyncio.Queue[Event],
                 clock: Clock, ping_interval_ms: int = 10_000, stale_after_ms: int = 30_000,
                 connect_timeout_s: float = 10.0, rng: random.Random | None = None) -> None:
        self.url = url
        self._session = session
        self._out = out
        self._clock = clock
        self.ping_interval_ms = ping_interval_ms
        self.stale_after_ms = stale_after_ms
        self._connect_timeout_s = connect_timeout_s
        self._rng = rng or random.Random()
        self._changed = asyncio.Event()
        self._closed = False
        self.connected = False
        self.connects = 0
        self.last_msg_local_ms: int | None = None
        self.last_pong_local_ms: int | None = None
        self.counts: Counter[str] = Counter()
        self._log = get_logger(f"{self.channel.value.lower()}_ws")

    # Subclass hooks -----------------------------------------------------------------------------

    def subscription(self) -> str | None:
        raise NotImplementedError

    def translate(self, raw: str, ts_local_ms: int) -> list[Event]:
        raise NotImplementedError

    def parse_message(self, raw: str) -> list[Event]:
        """One frame -> events, stamped now (the spec's name for `translate`)."""
        return self.translate(raw, self._clock.now_ms())

    # Control ------------------------------------------------------------------------------------

    def resubscribe(self) -> None:
        self._changed.set()

    async def close(self) -> None:
        self._closed = True
        self._changed.set()

    # Loop ---------------------------------------------------------------------------------------

    async def run(self) -> None:
        attempt = 0
        dropped = False  # a drop happened since the first connection: report reconnect=True
        while not self._closed:
            sub = self.subscription()
            if sub is None:
                self._changed.clear()
                await self._changed.wait()
                continue
            self._changed.clear()
            try:
                async with asyncio.timeout(self._connect_timeout_s):
                    ws = await self._session.ws_connect(self.url, autoping=True, heartbeat=None)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                self.counts["connect_failed"] += 1
                self._log.warning("ws_connect_failed", url=self.url, error=repr(exc)[:200], attempt=attempt)
                await self._pause(attempt)
                attempt += 1
                continue
            attempt = 0
            reason = await self._session_loop(ws, sub, reconnect=dropped)
            if reason == "resubscribe":
                dropped = False  # the drop was reported by this session's WsConnected(reconnect=True)
            else:
                dropped = True
                await self._out.put(WsDisconnected(ts_local_ms=self._clock.now_ms(), channel=self.channel,
                                                   reason=reason))
                self._log.warning("ws_disconnected", reason=reason)
                if not self._closed:
                    await self._pause(attempt)
                    attempt = 1

    async def _pause(self, attempt: int) -> None:
        delay = backoff_ms(attempt, base_ms=500, cap_ms=15_000, rng=self._rng)
        await first_completed(self._clock.sleep_until(self._clock.now_ms() + delay), self._wait_closed())

    async def _wait_closed(self) -> None:
        while not self._closed:
            self._changed.clear()
            await self._changed.wait()

    async def _session_loop(self, ws: aiohttp.ClientWebSocketResponse, sub: str, *, reconnect: bool) -> str:
        try:
            await ws.send_str(sub)
            now = self._clock.now_ms()
            self.connected = True
            self.connects += 1
            self.last_pong_local_ms = now
            await self._out.put(WsConnected(ts_local_ms=now, channel=self.channel, reconnect=reconnect))
            self._log.info("ws_connected", url=self.url, reconnect=reconnect)
            reason = await first_completed(self._reader(ws), self._pinger(ws), self._changed_wait())
        except (aiohttp.ClientError, ConnectionError) as exc:
            reason = f"error: {exc!r}"[:200]
        finally:
            self.connected = False
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await ws.close()
        return "closed" if self._closed else reason

    async def _changed_wait(self) -> str:
        await self._changed.wait()
        return "resubscribe"

    async def _reader(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        while True:
            msg = await ws.receive()
            if msg.type is aiohttp.WSMsgType.TEXT:
                await self._on_text(msg.data)
            elif msg.type is aiohttp.WSMsgType.BINARY:
                await self._on_text(msg.data.decode("utf-8", "replace"))
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                return "closed by peer"
            elif msg.type is aiohttp.WSMsgType.ERROR:
                return f"error: {ws.exception()!r}"[:200]

    async def _on_text(self, data: str) -> None:
        now = self._clock.now_ms()
        self.last_msg_local_ms = now
        text = data.strip()
        if text in _IGNORED_TEXT:
            if text == "PONG":
                self.last_pong_local_ms = now
            return
        self.counts["frames"] += 1
        for event in self.translate(data, now):
            await self._out.put(event)

    async def _pinger(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        next_ms = self._clock.now_ms() + self.ping_interval_ms
        while True:
            await self._clock.sleep_until(next_ms)
            next_ms += self.ping_interval_ms
            last = self.last_pong_local_ms or 0
            if self._clock.now_ms() - last >= self.stale_after_ms:
                self.counts["stale"] += 1
                return f"stale: no PONG for {self.stale_after_ms} ms"
            await ws.send_str("PING")

    def health(self) -> dict[str, Any]:
        now = self._clock.now_ms()
        return {
            "connected": self.connected,
            "connects": self.connects,
            "last_msg_age_ms": None if self.last_msg_local_ms is None else now - self.last_msg_local_ms,
            "last_pong_age_ms": None if self.last_pong_local_ms is None else now - self.last_pong_local_ms,
        }
