"""The public market websocket: book, price changes, tick size, last trade -> reducer events.

In: frames from `wss://.../ws/market` (one object or an array; text `PONG` / `NO NEW ASSETS`).
Out: `MarketBboEvent` (only when a token's top of book changes), `TickSizeChangedEvent`,
`LastTradePriceEvent`, `MarketStatusEvent` (resolution), and `WsConnected` / `WsDisconnected`
so the reducer can HALT and cancel-all on a drop.

`MarketTranslator` is the pure part (frames in, events out, tested on the recorded fixtures); it
keeps one `core.book.L2Book` per token. `ChannelClient` is the connection loop both websocket
clients share: subscribe, text PING every 10 s, stale after 30 s without PONG, reconnect with
jittered backoff. All timing uses the injected `Clock`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from typing import Any

import aiohttp
import msgspec

from hourmm_common.backoff import backoff_ms
from hourmm_common.clock import Clock
from hourmm_common.logs import get_logger
from polymarket_trader import wire
from polymarket_trader.core.book import EMPTY_TOP, L2Book, Top
from polymarket_trader.core.events import (
    Channel,
    Event,
    LastTradePriceEvent,
    MarketBboEvent,
    MarketInfo,
    MarketStatus,
    MarketStatusEvent,
    Side,
    TickSizeChangedEvent,
    Token,
    WsConnected,
    WsDisconnected,
)

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


class MarketTranslator:
    """Market-channel frames -> events for the current market's two tokens. Pure (no IO)."""

    def __init__(self) -> None:
        self.market: MarketInfo | None = None
        self._tokens: dict[str, Token] = {}
        self._books: dict[Token, L2Book] = {}
        self._tops: dict[Token, Top] = {}
        self.counts: Counter[str] = Counter()
        self._log = get_logger("market_ws")

    def set_market(self, market: MarketInfo | None) -> None:
        self.market = market
        self._tokens = {} if market is None else {market.up_token_id: Token.UP, market.down_token_id: Token.DOWN}
        self._books = {t: L2Book() for t in Token}
        self._tops = {t: EMPTY_TOP for t in Token}

    def book(self, token: Token) -> L2Book:
        return self._books[token]

    def frame_to_events(self, raw: str | bytes, ts_local_ms: int) -> list[Event]:
        try:
            decoded = wire.MARKET_FRAME_DECODER.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._bad("malformed_frame", str(exc), raw)
            return []
        msgs = decoded if isinstance(decoded, list) else [decoded]
        out: list[Event] = []
        for msg in msgs:
            try:
                self._one(msg, ts_local_ms, out)
            except ValueError as exc:
                self._bad("malformed_message", str(exc), msgspec.json.encode(msg))
        return out

    def _bad(self, key: str, reason: str, raw: str | bytes) -> None:
        drop_bad_message(self.counts, self._log, key, reason, raw)

    def _one(self, msg: wire.MarketWsMsg, ts: int, out: list[Event]) -> None:
        kind = wire.classify_market(msg)
        self.counts[f"msg_{kind}"] += 1
        if kind == "book":
            self._book(msg, ts, out)
        elif kind == "price_change":
            self._price_change(msg, ts, out)
        elif kind == "tick_size_change":
            self._tick_size_change(msg, ts, out)
        elif kind == "last_trade_price":
            token = self._token(msg.asset_id)
            if token is not None and msg.price is not None and msg.size is not None:
                out.append(LastTradePriceEvent(
                    ts_local_ms=ts, token=token, price_e4=wire.price_e4(msg.price),
                    size_e6=wire.size_e6(msg.size), aggressor=Side(_side(msg.side)),
                    ts_exchange_ms=wire.timestamp_ms(msg.timestamp)))
        elif kind == "market_resolved":
            if self.market is not None and msg.market == self.market.condition_id:
                out.append(MarketStatusEvent(
                    ts_local_ms=ts, condition_id=msg.market, status=MarketStatus.RESOLVED,
                    winning_token=self._tokens.get(msg.winning_asset_id or "")))
        elif kind in ("best_bid_ask", "new_market"):
            pass  # counted above; the BBO comes from our own book, new markets from Gamma
        else:
            self.counts["unknown_event_type"] += 1

    def _token(self, asset_id: str | None) -> Token | None:
        token = self._tokens.get(asset_id or "")
        if token is None:
            self.counts["other_asset"] += 1
        return token

    def _book(self, msg: wire.MarketWsMsg, ts: int, out: list[Event]) -> None:
        token = self._token(msg.asset_id)
        if token is None:
            return
        bids = [(wire.price_e4(lv.price), wire.size_e6(lv.size)) for lv in msg.bids or ()]
        asks = [(wire.price_e4(lv.price), wire.size_e6(lv.size)) for lv in msg.asks or ()]
        self._books[token].apply_snapshot(bids, asks)
        self._emit_top(token, ts, wire.timestamp_ms(msg.timestamp), out)

    def _price_change(self, msg: wire.MarketWsMsg, ts: int, out: list[Event]) -> None:
        if msg.price_changes is not None:
            entries = [(c.asset_id, c.price, c.size, c.side) for c in msg.price_changes]
        elif msg.asset_id is not None and msg.price is not None and msg.size is not None:
            entries = [(msg.asset_id, msg.price, msg.size, msg.side or "")]  # pre-2025-09-15 shape
        else:
            raise ValueError("price_change without levels")
        touched: list[Token] = []
        for asset_id, price, size, side in entries:
            token = self._token(asset_id)
            if token is None:
                continue
            is_bid = _side(side) == "BUY"
            if self._books[token].apply_level(is_bid, wire.price_e4(price), wire.size_e6(size)):
                if token not in touched:
                    touched.append(token)
            else:
                self.counts["price_change_before_snapshot"] += 1
        ts_ex = wire.timestamp_ms(msg.timestamp)
        for token in touched:
            self._emit_top(token, ts, ts_ex, out)

    def _tick_size_change(self, msg: wire.MarketWsMsg, ts: int, out: list[Event]) -> None:
        token = self._token(msg.asset_id)
        if token is None or msg.new_tick_size is None:
            return
        old = wire.price_e4(msg.old_tick_size) if msg.old_tick_size is not None else 0
        ts_ex = wire.timestamp_ms(msg.timestamp)
        out.append(TickSizeChangedEvent(ts_local_ms=ts, token=token, old_tick_e4=old,
                                        new_tick_e4=wire.price_e4(msg.new_tick_size), ts_exchange_ms=ts_ex))
        self._books[token].start_epoch()
        self._emit_top(token, ts, ts_ex, out)

    def _emit_top(self, token: Token, ts: int, ts_ex: int | None, out: list[Event]) -> None:
        top = self._books[token].top()
        if top == self._tops[token]:
            return
        self._tops[token] = top
        out.append(MarketBboEvent(ts_local_ms=ts, token=token, best_bid_e4=top.best_bid_e4,
                                  best_ask_e4=top.best_ask_e4, bid_size_e6=top.bid_size_e6,
                                  ask_size_e6=top.ask_size_e6, ts_exchange_ms=ts_ex))


def _side(text: str | None) -> str:
    side = (text or "").upper()
    if side not in ("BUY", "SELL"):
        raise ValueError(f"side {text!r} is neither BUY nor SELL")
    return side


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
        waiter = asyncio.ensure_future(self._clock.sleep_until(self._clock.now_ms() + delay))
        closer = asyncio.ensure_future(self._wait_closed())
        await asyncio.wait({waiter, closer}, return_when=asyncio.FIRST_COMPLETED)
        for task in (waiter, closer):
            task.cancel()

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
            tasks = {asyncio.ensure_future(self._reader(ws)), asyncio.ensure_future(self._pinger(ws)),
                     asyncio.ensure_future(self._changed_wait())}
            try:
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                reason: str = next(iter(done)).result()
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
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


class PolymarketMarketWsClient(ChannelClient):
    """Market channel for the current market's two tokens."""

    channel = Channel.MARKET

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.translator = MarketTranslator()

    @property
    def market_id(self) -> str | None:
        return self.translator.market.condition_id if self.translator.market else None

    def switch_market(self, market: MarketInfo) -> None:
        if self.translator.market == market:
            return
        self.translator.set_market(market)
        self.resubscribe()

    def subscription(self) -> str | None:
        market = self.translator.market
        if market is None:
            return None
        return msgspec.json.encode({
            "assets_ids": [market.up_token_id, market.down_token_id], "type": "market",
            "custom_feature_enabled": True, "initial_dump": True, "level": 2,
        }).decode()

    def translate(self, raw: str, ts_local_ms: int) -> list[Event]:
        events = self.translator.frame_to_events(raw, ts_local_ms)
        for ev in events:
            if type(ev) is TickSizeChangedEvent:
                # The book is dropped until the next snapshot, and the venue sends one only on
                # subscribe or after a trade: resubscribe to get it now (reference B.1, B.4).
                self.counts["tick_change_resubscribes"] += 1
                self.resubscribe()
                break
        return events
