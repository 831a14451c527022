"""The market and user websockets at `/ws/market` and `/ws/user`, with the real handshakes.

In: subscribe messages (`assets_ids` + `type: market`; `auth` + `markets` + `type: user`), the
dynamic `operation: subscribe|unsubscribe`, and text `PING` (answered `PONG`). Out: the venue's
events, batched per flush into one frame per subscriber (an object, or an array when several),
through a per-socket queue and sender task so that one slow client never blocks the venue.
Faults act here: freeze (silence, no PONG), drop (close every socket), delay, duplicate and
reorder of user events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from hourmm_sim.polymarket.venue import PolymarketVenue

QUEUE_LIMIT = 10_000
USER_FIRST_GRACE_S = 0.02  # wall time: only under the user_first fault
USER_FIRST_WAIT_S = 1.0


@dataclass(eq=False)
class Subscriber:
    ws: web.WebSocketResponse
    channel: str
    assets: set[str] = field(default_factory=set)
    markets: set[str] = field(default_factory=set)
    api_key: str = ""
    custom: bool = False
    pending: list[dict[str, Any]] = field(default_factory=list)
    queue: asyncio.Queue[tuple[int, str] | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))


class Hub:
    """Subscribers of one channel and the delivery of their frames."""

    def __init__(self, venue: PolymarketVenue, channel: str) -> None:
        self.venue = venue
        self.channel = channel
        self.subscribers: set[Subscriber] = set()
        self.held: list[tuple[Subscriber, str]] = []  # reorder fault

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        sub = Subscriber(ws=ws, channel=self.channel)
        sender = asyncio.create_task(self._sender(sub), name=f"ws-{self.channel}-sender")
        self.subscribers.add(sub)
        self.venue.count(f"ws_{self.channel}_connections")
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                if msg.data == "PING":
                    if self.venue.faults.frozen(self.channel, self.venue.clock.now_ms()):
                        self.venue.count(f"ws_{self.channel}_pings_ignored")
                    else:
                        await ws.send_str("PONG")
                        self.venue.count(f"ws_{self.channel}_pongs")
                    continue
                try:
                    body = json.loads(msg.data)
                    if not isinstance(body, dict):
                        raise ValueError("not an object")
                    await self._on_message(sub, body)
                except (ValueError, TypeError, KeyError) as exc:
                    self.venue.count(f"ws_{self.channel}_bad_messages")
                    self.venue.log.warning("ws_message_rejected", channel=self.channel, reason=str(exc)[:100],
                                           sample=msg.data[:200])
        finally:
            self.subscribers.discard(sub)
            sender.cancel()
        return ws

    async def _on_message(self, sub: Subscriber, body: dict[str, Any]) -> None:
        op = body.get("operation")
        if self.channel == "market":
            assets = {str(a) for a in body.get("assets_ids", [])}
            if op == "unsubscribe":
                sub.assets -= assets
                return
            sub.assets |= assets
            sub.custom = bool(body.get("custom_feature_enabled", sub.custom))
            if body.get("initial_dump", True) and assets:
                now = self.venue.clock.now_ms()
                books = [b for a in sorted(assets) if (b := self.venue.book_snapshot(a, now)) is not None]
                if books:
                    self.enqueue(sub, books)
            return
        markets = {str(m) for m in body.get("markets", [])}
        if op == "unsubscribe":
            sub.markets -= markets
            return
        if op is None:
            auth = body.get("auth") or {}
            creds = self.venue.accounts.by_key.get(str(auth.get("apiKey", "")))
            if creds is None or creds.secret != auth.get("secret") or creds.passphrase != auth.get("passphrase"):
                self.venue.count("ws_user_auth_failures")
                await sub.ws.close()
                return
            sub.api_key = creds.api_key
        sub.markets |= markets

    # --- delivery ------------------------------------------------------------------------
    def enqueue(self, sub: Subscriber, messages: list[dict[str, Any]]) -> None:
        now = self.venue.clock.now_ms()
        faults = self.venue.faults
        if faults.frozen(self.channel, now):
            self.venue.count(f"ws_{self.channel}_frozen_dropped", len(messages))
            return
        frame = json.dumps(messages[0] if len(messages) == 1 else messages, separators=(",", ":"))
        if self.channel == "user" and now < faults.reorder_until:
            self.held.append((sub, frame))
            return
        deliver_at = now + (faults.user_delay_ms(now) if self.channel == "user" else 0)
        copies = 2 if self.channel == "user" and now < faults.duplicate_until else 1
        for _ in range(copies):
            try:
                sub.queue.put_nowait((deliver_at, frame))
            except asyncio.QueueFull:
                self.venue.count(f"ws_{self.channel}_overflow_closed")
                asyncio.get_running_loop().create_task(sub.ws.close())
                return

    def release_held(self) -> None:
        held, self.held = self.held, []
        for sub, frame in reversed(held):
            if sub in self.subscribers:
                sub.queue.put_nowait((0, frame))

    def flush_pending(self) -> None:
        for sub in list(self.subscribers):
            if sub.pending:
                messages, sub.pending = sub.pending, []
                self.enqueue(sub, messages)

    async def drained(self) -> None:
        """Wait until every queued frame has been written, then a moment more for the client to
        read it: the `user_first` fault makes the socket win the race against the REST answer."""
        for sub in list(self.subscribers):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sub.queue.join(), USER_FIRST_WAIT_S)
        await asyncio.sleep(USER_FIRST_GRACE_S)

    async def _sender(self, sub: Subscriber) -> None:
        clock = self.venue.clock
        while True:
            item = await sub.queue.get()
            try:
                if item is None:
                    return
                deliver_at, frame = item
                if deliver_at > clock.now_ms():
                    await clock.sleep_until(deliver_at)
                if sub.ws.closed:
                    return
                try:
                    await sub.ws.send_str(frame)
                except (ConnectionError, RuntimeError):
                    return
                self.venue.count(f"ws_{self.channel}_frames_sent")
            finally:
                sub.queue.task_done()

    async def drop_all(self) -> None:
        for sub in list(self.subscribers):
            await sub.ws.close()

    # --- routing -------------------------------------------------------------------------
    def to_assets(self, assets: tuple[str, ...], message: dict[str, Any], custom_only: bool = False) -> None:
        for sub in self.subscribers:
            if (not custom_only or sub.custom) and not sub.assets.isdisjoint(assets):
                sub.pending.append(message)

    def to_owner(self, api_key: str, market: str, message: dict[str, Any]) -> None:
        for sub in self.subscribers:
            if sub.api_key == api_key and (not sub.markets or market in sub.markets):
                sub.pending.append(message)
