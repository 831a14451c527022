"""The local Binance stand-in: Binance spot's websocket streams and REST market data over a tape.

In: a `Tape` (real candles expanded, or the recorded 46 s) and an injected `Clock`. Out: on
127.0.0.1, the paths and message shapes of Binance spot (`/ws/<stream>`, `/stream?streams=a/b`,
SUBSCRIBE requests, pings; `GET /api/v3/time|ping|klines|exchangeInfo|ticker/bookTicker|trades`). Events are streamed as
the clock passes their time, by one task that sleeps on the clock until the next event, so the
same code runs under `ManualClock` in tests and `ScaledClock` in the demo. REST klines and
streamed klines are both aggregated from the tape's trades and so always agree.

Fault hooks for tests and scenarios: `drop_connections()`, `set_silent()`, `fail_next_rest()`,
`throttle_next_rest()`, `stall_next_rest()`. The real `BinanceWsClient` talks to this server
unchanged; only its base URLs differ.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import msgspec
from aiohttp import WSMsgType, web

from hourmm_common.clock import Clock
from hourmm_common.errors import InvariantViolation
from hourmm_common.logs import get_logger
from hourmm_sim.binance import messages
from hourmm_sim.binance.connection import ClientConnection, StandInLimits
from hourmm_sim.binance.rest import RestApi
from hourmm_sim.binance.streaming import StreamPublisher
from hourmm_sim.tape import Tape

_MAX_REQUEST_BYTES = 64 * 1024


class BinanceStandIn:
    """A websocket + REST server speaking Binance spot's market-data protocol over a tape."""

    def __init__(
        self,
        tape: Tape,
        clock: Clock,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        symbol: str = "BTCUSDT",
        limits: StandInLimits | None = None,
    ) -> None:
        self.tape = tape
        self.clock = clock
        self.symbol = symbol
        self.limits = limits or StandInLimits()
        self._host = host
        self._port = port
        self._counters: Counter[str] = Counter()
        self._clients: set[ClientConnection] = set()
        self._silent = False
        self._publisher = StreamPublisher(tape, clock, symbol=symbol, limits=self.limits,
                                          counters=self._counters, is_silent=self.is_silent)
        self._rest = RestApi(tape, clock, symbol=symbol, counters=self._counters)
        self._runner: web.AppRunner | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._client_tasks: set[asyncio.Task[None]] = set()
        self._bound_port = 0
        # Taken per instance, not at import: the entry point configures logging after importing us.
        self._log = get_logger("binance_standin")

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=_MAX_REQUEST_BYTES)
        app.router.add_get("/ws", self._handle_ws)
        app.router.add_get("/ws/{streams:.*}", self._handle_ws)
        app.router.add_get("/stream", self._handle_ws)
        self._rest.add_routes(app.router)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self._bound_port = int(self._runner.addresses[0][1])
        self._publisher.start_at(self.clock.now_ms())
        self._stream_task = asyncio.create_task(self._publisher.run(), name="binance_standin_stream")
        self._stream_task.add_done_callback(self._on_stream_done)
        self._log.info("standin_started", ws=self.ws_base_url, rest=self.rest_base_url, events=len(self.tape))

    async def stop(self) -> None:
        failure: BaseException | None = None
        if self._stream_task is not None:
            self._stream_task.cancel()
            (outcome,) = await asyncio.gather(self._stream_task, return_exceptions=True)
            failure = outcome if isinstance(outcome, Exception) else None
            self._stream_task = None
        self._rest.release_stalled()
        for client in list(self._clients):
            client.abort()
        for task in list(self._client_tasks):
            task.cancel()
        await asyncio.gather(*self._client_tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._log.info("standin_stopped", counters=dict(self._counters))
        if failure is not None:
            raise InvariantViolation("the stand-in's streaming loop failed") from failure

    def _on_stream_done(self, task: asyncio.Task[None]) -> None:
        """A streaming loop that dies is a bug: say so at once (`stop()` raises it too)."""
        if not task.cancelled() and task.exception() is not None:
            self._log.error("standin_stream_failed", error=repr(task.exception()))

    async def __aenter__(self) -> BinanceStandIn:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._bound_port

    @property
    def ws_base_url(self) -> str:
        return f"ws://{self._host}:{self._bound_port}"

    @property
    def rest_base_url(self) -> str:
        return f"http://{self._host}:{self._bound_port}"

    @property
    def counters(self) -> dict[str, int]:
        """A copy of the counters (connections, messages, pings, faults, bad requests)."""
        return dict(self._counters)

    @property
    def connection_count(self) -> int:
        return len(self._clients)

    # --- fault hooks ----------------------------------------------------------------------

    async def drop_connections(self) -> int:
        """Drop every websocket abruptly (no close frame), as a network fault would."""
        clients = list(self._clients)
        for client in clients:
            client.abort()
        self._counters["ws_forced_drops"] += len(clients)
        await asyncio.sleep(0)
        return len(clients)

    def set_silent(self, silent: bool) -> None:
        """Silent: connections stay open but get nothing (no data, no answers, no pings).

        Events that pass while silent are lost to clients (a gap); REST still answers and its
        klines still include them, which is what a client backfilling after the gap must see.
        """
        self._silent = silent
        self._log.info("standin_silence_changed", silent=silent)

    def is_silent(self) -> bool:
        return self._silent

    def fail_next_rest(self, count: int = 1, *, status: int = 503) -> None:
        """The next `count` REST requests answer a Binance-style 5xx."""
        self._rest.faults.add("5xx", count, status)

    def throttle_next_rest(self, count: int = 1) -> None:
        """The next `count` REST requests answer 429 with Binance's -1003 body and Retry-After."""
        self._rest.faults.add("429", count, 429)

    def stall_next_rest(self, count: int = 1) -> None:
        """The next `count` REST requests never answer (until `stop()`): the client must time out."""
        self._rest.faults.add("stall", count, 0)

    # --- websockets -----------------------------------------------------------------------

    async def _handle_ws(self, request: web.Request) -> web.WebSocketResponse:
        combined = request.path == "/stream"
        if combined:
            names = [s for s in request.query.get("streams", "").split("/") if s]
        else:
            names = [s for s in request.match_info.get("streams", "").split("/") if s]
        ws = web.WebSocketResponse(autoping=False, compress=False, timeout=self.limits.close_timeout_s,
                                   max_msg_size=_MAX_REQUEST_BYTES)
        await ws.prepare(request)
        client = ClientConnection(ws, request, combined=combined, clock=self.clock, limits=self.limits,
                                  counters=self._counters)
        self._clients.add(client)
        self._counters["ws_connections_opened"] += 1
        for name in names:
            self._subscribe(client, name)
        writer = self._spawn(client.write_loop(), "ws_writer")
        keeper = self._spawn(client.keep_alive(self.is_silent), "ws_keeper")
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    self._on_request(client, msg.data)
                elif msg.type is WSMsgType.PING:
                    await ws.pong(msg.data)
                elif msg.type is WSMsgType.PONG:
                    client.on_pong()
                else:
                    self._counters["ws_bad_frames"] += 1
        except (ConnectionError, RuntimeError):
            self._counters["ws_read_errors"] += 1
        finally:
            client.closing = True
            writer.cancel()
            if client.closing_cleanly:
                await asyncio.gather(keeper, return_exceptions=True)
            keeper.cancel()
            self._publisher.unsubscribe_all(client)
            self._clients.discard(client)
            self._counters["ws_connections_closed"] += 1
        return ws

    def _spawn(self, coro: object, name: str) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)  # type: ignore[arg-type]
        self._client_tasks.add(task)
        task.add_done_callback(self._client_tasks.discard)
        return task

    def _subscribe(self, client: ClientConnection, text: str) -> None:
        stream = messages.parse_stream(text)
        if stream is None or stream.symbol != self.symbol:
            # Binance accepts names it has no data for and simply sends nothing on them.
            self._counters["ws_unknown_streams"] += 1
            return
        self._publisher.subscribe(client, stream)

    def _on_request(self, client: ClientConnection, text: str) -> None:
        try:
            request = messages.parse_request(text)
        except messages.WsRequestError as exc:
            self._counters["ws_bad_requests"] += 1
            self._reply(client, {"error": {"code": exc.code, "msg": exc.msg}, "id": exc.request_id})
            return
        if request.method == "SUBSCRIBE":
            for name in request.params:
                self._subscribe(client, name)
            self._reply(client, {"result": None, "id": request.id})
        elif request.method == "UNSUBSCRIBE":
            for name in request.params:
                stream = messages.parse_stream(name)
                if stream is not None:
                    self._publisher.unsubscribe(client, stream)
            self._reply(client, {"result": None, "id": request.id})
        else:
            self._reply(client, {"result": sorted(client.streams), "id": request.id})

    def _reply(self, client: ClientConnection, body: dict[str, object]) -> None:
        if not self._silent:
            client.enqueue(msgspec.json.encode(body))
