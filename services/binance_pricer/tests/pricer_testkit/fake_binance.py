"""A tiny scripted Binance websocket + REST server on 127.0.0.1:0 for edge tests.

It records every connection's path and pong, sends the frames a test pushes, drops connections
on demand, and answers `/api/v3/klines` from a script of (status, body) replies. The full
market stand-in lives in `hourmm_sim.binance`; this fake exists to script faults precisely.
"""

from __future__ import annotations

import asyncio

from aiohttp import WSMsgType, web


class FakeBinance:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.queries: list[dict[str, str]] = []
        self.pongs = 0
        self.timeline: list[str] = []  # "open" / "close" per websocket, in order
        self.rest_script: list[tuple[int, bytes]] = []
        self.rest_default: tuple[int, bytes] = (200, b"[]")
        self._sockets: list[web.WebSocketResponse] = []
        self.connected = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        app = web.Application()
        app.router.add_get("/stream", self._ws)
        app.router.add_get("/api/v3/klines", self._klines)
        self.app = app

    @property
    def ws_base_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def rest_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        await self.drop()
        if self._runner is not None:
            await self._runner.cleanup()

    async def send(self, *frames: str) -> None:
        for ws in list(self._sockets):
            for f in frames:
                await ws.send_str(f)

    async def ping(self) -> None:
        for ws in list(self._sockets):
            await ws.ping(b"hi")

    async def drop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        self._sockets.clear()
        self.connected.clear()

    @property
    def open_sockets(self) -> int:
        return len(self._sockets)

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        self.paths.append(request.path_qs)
        self.timeline.append("open")
        self._sockets.append(ws)
        self.connected.set()
        async for msg in ws:
            if msg.type is WSMsgType.PONG:
                self.pongs += 1
            elif msg.type is WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type is WSMsgType.CLOSE:
                break
        if ws in self._sockets:
            self._sockets.remove(ws)
        self.timeline.append("close")
        return ws

    async def _klines(self, request: web.Request) -> web.Response:
        self.queries.append(dict(request.rel_url.query))
        status, body = self.rest_script.pop(0) if self.rest_script else self.rest_default
        return web.Response(status=status, body=body, content_type="application/json")
