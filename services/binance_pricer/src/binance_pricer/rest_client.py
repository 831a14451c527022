"""Binance spot REST, the two reads the pricer needs: `/api/v3/klines` and `/api/v3/time`.

Every request runs under `asyncio.timeout`; transient faults (connection errors, timeouts, 5xx,
429/418) are retried here with jittered backoff on the injected clock, honouring `Retry-After`.
A 4xx other than those, or a body that does not parse, is not retried: it raises at once
(`BinanceRestError`, or `ParseError` for the body). Exhausted retries raise `TransientError`.
"""

from __future__ import annotations

import asyncio
import random

import aiohttp
import msgspec

from binance_pricer.wire import KlineRow, decode_klines
from hourmm_common.backoff import backoff_ms
from hourmm_common.clock import Clock
from hourmm_common.errors import HourMMError, ParseError, TransientError


class BinanceRestError(HourMMError):
    """Binance refused the request (4xx): retrying the same request will not help."""


class _ServerTime(msgspec.Struct, frozen=True):
    serverTime: int


_SERVER_TIME = msgspec.json.Decoder(_ServerTime)


class BinanceRestClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        clock: Clock,
        *,
        timeout_s: float = 5.0,
        max_attempts: int = 4,
        backoff_base_ms: int = 200,
        backoff_cap_ms: int = 5_000,
        rng: random.Random | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.backoff_base_ms = backoff_base_ms
        self.backoff_cap_ms = backoff_cap_ms
        self.rng = rng or random.Random()
        self.requests = 0
        self.errors = 0
        self._retry_after_ms = 0

    async def klines(
        self, symbol: str, interval: str, *, start_ms: int | None = None, limit: int = 500
    ) -> tuple[KlineRow, ...]:
        params = {"symbol": symbol.upper(), "interval": interval, "limit": str(limit)}
        if start_ms is not None:
            params["startTime"] = str(start_ms)
        return decode_klines(await self._get("/api/v3/klines", params))

    async def server_time_ms(self) -> int:
        raw = await self._get("/api/v3/time", {})
        try:
            return _SERVER_TIME.decode(raw).serverTime
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ParseError(f"bad /api/v3/time body: {exc}", raw) from exc

    async def _get(self, path: str, params: dict[str, str]) -> bytes:
        url = self.base_url + path
        last = "no attempt"
        for attempt in range(self.max_attempts):
            if attempt:
                delay = backoff_ms(attempt - 1, base_ms=self.backoff_base_ms, cap_ms=self.backoff_cap_ms,
                                   rng=self.rng)
                await self.clock.sleep_until(self.clock.now_ms() + max(delay, self._retry_after_ms))
            self._retry_after_ms = 0
            self.requests += 1
            try:
                async with asyncio.timeout(self.timeout_s), self.session.get(url, params=params) as resp:
                    body = await resp.read()
                    if resp.status == 200:
                        return body
                    last = f"HTTP {resp.status}: {body[:200]!r}"
                    if resp.status in (418, 429):
                        self._retry_after_ms = _retry_after_ms(resp.headers.get("Retry-After"))
                    elif resp.status < 500:
                        self.errors += 1
                        raise BinanceRestError(f"GET {path} refused: {last}")
            except (aiohttp.ClientError, TimeoutError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            self.errors += 1
        raise TransientError(f"GET {path} failed after {self.max_attempts} attempts: {last}")


def _retry_after_ms(value: str | None) -> int:
    try:
        return max(0, min(int(value or "0"), 120)) * 1000
    except ValueError:
        return 0
