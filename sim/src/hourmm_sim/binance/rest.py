"""The stand-in's REST side: Binance spot's public market-data endpoints over the tape.

Endpoints: `/api/v3/ping`, `/time`, `/exchangeInfo` (the recorded one, reduced to our symbol),
`/klines`, `/ticker/bookTicker` and `/trades` (the tape as of "now").

In: HTTP requests; the tape and the clock. Out: Binance's JSON answers, including its error
bodies (`{"code": -1121, "msg": "Invalid symbol."}` with HTTP 400) and, on demand, its faults
(5xx, 429 with Retry-After, or no answer at all). Klines are only served for open times at or
before "now"; the current one is partial, aggregated from the tape's trades up to now, exactly
like the kline stream. Closed klines are cached (they cannot change).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from aiohttp import web

from hourmm_common.clock import Clock
from hourmm_common.paths import fixtures_dir
from hourmm_sim.binance import messages
from hourmm_sim.tape import Tape

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

KLINES_DEFAULT_LIMIT = 500
KLINES_MAX_LIMIT = 1000
_FAULT_BODIES = {
    500: {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."},
    503: {"code": -1008, "msg": "Server is currently overloaded with other requests. Please try again in a few minutes."},
    429: {"code": -1003, "msg": "Too many requests; current limit of IP(127.0.0.1) request weight is 6000 per minute."},
}


class BinanceApiError(Exception):
    """A request Binance would refuse: answered with its code, message and HTTP status."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


class RestFaults:
    """Faults queued for the next requests, served first come first served."""

    def __init__(self) -> None:
        self._pending: deque[tuple[str, int]] = deque()

    def add(self, kind: str, count: int, status: int) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        self._pending.extend([(kind, status)] * count)

    def take(self) -> tuple[str, int] | None:
        return self._pending.popleft() if self._pending else None


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=msgspec.json.encode(body), status=status, content_type="application/json",
                        headers=headers)


def _int_param(request: web.Request, name: str) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 20:
        raise BinanceApiError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")
    return int(raw)


class RestApi:
    """`GET /api/v3/ping|time|exchangeInfo|klines|ticker/bookTicker|trades`, Binance's validation and faults."""

    def __init__(self, tape: Tape, clock: Clock, *, symbol: str, counters: Counter[str]) -> None:
        self._tape = tape
        self._clock = clock
        self._symbol = symbol
        self._counters = counters
        self.faults = RestFaults()
        self._released = asyncio.Event()
        self._closed_rows: dict[tuple[int, int], list[int | str]] = {}
        self._exchange_info = self._load_exchange_info(symbol)

    @staticmethod
    def _load_exchange_info(symbol: str) -> dict[str, Any]:
        info: dict[str, Any] = json.loads((fixtures_dir() / "binance/rest/exchange_info.json").read_text())
        info["symbols"] = [s for s in info["symbols"] if s.get("symbol") == symbol]
        return info

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v3/ping", self._guarded(self._ping))
        router.add_get("/api/v3/time", self._guarded(self._time))
        router.add_get("/api/v3/exchangeInfo", self._guarded(self._exchange_info_handler))
        router.add_get("/api/v3/klines", self._guarded(self._klines))
        router.add_get("/api/v3/ticker/bookTicker", self._guarded(self._book_ticker))
        router.add_get("/api/v3/trades", self._guarded(self._trades))

    def release_stalled(self) -> None:
        """Let stalled requests finish (at shutdown)."""
        self._released.set()

    def _guarded(self, handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            self._counters["rest_requests"] += 1
            fault = self.faults.take()
            if fault is not None:
                return await self._serve_fault(*fault)
            try:
                return await handler(request)
            except BinanceApiError as exc:
                self._counters["rest_rejected"] += 1
                return _json({"code": exc.code, "msg": exc.msg}, status=exc.status)

        return guarded

    async def _serve_fault(self, kind: str, status: int) -> web.StreamResponse:
        self._counters[f"rest_fault_{kind}"] += 1
        if kind == "stall":
            await self._released.wait()
            return _json(_FAULT_BODIES[503], status=503)
        headers = {"Retry-After": "1"} if status == 429 else None
        return _json(_FAULT_BODIES.get(status, _FAULT_BODIES[500]), status=status, headers=headers)

    async def _ping(self, _: web.Request) -> web.StreamResponse:
        return _json({})

    async def _time(self, _: web.Request) -> web.StreamResponse:
        return _json({"serverTime": self._clock.now_ms()})

    async def _exchange_info_handler(self, request: web.Request) -> web.StreamResponse:
        symbol = request.query.get("symbol")
        if symbol is not None and symbol != self._symbol:
            raise BinanceApiError(-1121, "Invalid symbol.")
        return _json({**self._exchange_info, "serverTime": self._clock.now_ms()})

    def _check_symbol(self, request: web.Request) -> None:
        symbol = request.query.get("symbol")
        if not symbol:
            raise BinanceApiError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
        if symbol != self._symbol:
            raise BinanceApiError(-1121, "Invalid symbol.")

    async def _book_ticker(self, request: web.Request) -> web.StreamResponse:
        self._check_symbol(request)
        quote = self._tape.quote_at(self._clock.now_ms())
        if quote is None:
            raise BinanceApiError(-1121, "Invalid symbol.")  # no book yet: Binance has no such market
        return _json(messages.book_ticker_rest(quote, self._symbol))

    async def _trades(self, request: web.Request) -> web.StreamResponse:
        """Recent trades (oldest first): the last `limit` (default 500, max 1000) at or before now."""
        self._check_symbol(request)
        limit = _int_param(request, "limit")
        limit = KLINES_DEFAULT_LIMIT if limit is None else limit
        if not 1 <= limit <= KLINES_MAX_LIMIT:
            raise BinanceApiError(-1130, "Invalid data sent for a parameter.")
        hi = self._tape.trade_index_at(self._clock.now_ms())
        return _json([messages.trade_rest(t) for t in self._tape.trades[max(0, hi - limit) : hi]])

    async def _klines(self, request: web.Request) -> web.StreamResponse:
        self._check_symbol(request)
        interval = request.query.get("interval")
        if not interval:
            raise BinanceApiError(-1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.")
        interval_ms = messages.INTERVALS_MS.get(interval)
        if interval_ms is None:
            raise BinanceApiError(-1120, "Invalid interval.")
        start_ms, end_ms = _int_param(request, "startTime"), _int_param(request, "endTime")
        limit = _int_param(request, "limit")
        limit = KLINES_DEFAULT_LIMIT if limit is None else limit
        if not 1 <= limit <= KLINES_MAX_LIMIT:
            raise BinanceApiError(-1130, "Invalid data sent for a parameter.")
        if start_ms is not None and end_ms is not None and start_ms > end_ms:
            raise BinanceApiError(-1023, "Start time is greater than end time.")
        return _json(self.kline_rows(interval_ms, start_ms, end_ms, limit))

    def kline_rows(self, interval_ms: int, start_ms: int | None, end_ms: int | None, limit: int) -> list[list[int | str]]:
        """Binance's selection: open time >= startTime and <= endTime (and <= now), oldest first.

        Without startTime, the latest `limit` klines ending at endTime (or now).
        """
        now = self._clock.now_ms()
        last_open = now - now % interval_ms
        if end_ms is not None:
            last_open = min(last_open, end_ms - end_ms % interval_ms)
        if start_ms is not None:
            first_open = -(-start_ms // interval_ms) * interval_ms
            opens = range(first_open, min(last_open, first_open + (limit - 1) * interval_ms) + 1, interval_ms)
        else:
            first_open = max(last_open - (limit - 1) * interval_ms, 0)
            opens = range(first_open, last_open + 1, interval_ms)
        rows: list[list[int | str]] = []
        for open_ms in opens:
            row = self._row(interval_ms, open_ms, now)
            if row is not None:
                rows.append(row)
        return rows

    def _row(self, interval_ms: int, open_ms: int, now_ms: int) -> list[int | str] | None:
        key = (interval_ms, open_ms)
        cached = self._closed_rows.get(key)
        if cached is not None:
            return cached
        kline = self._tape.kline(interval_ms, open_ms, up_to_ms=now_ms)
        if kline is None:
            return None
        row = messages.kline_row(kline)
        if kline.closed:
            self._closed_rows[key] = row
        return row
