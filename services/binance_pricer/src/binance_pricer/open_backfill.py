"""REST backfill of the hour's open, and the boot-time warm start of the feature engine.

`OpenBackfiller` sleeps until `hour start + grace`; if by then the open is still unknown (the
service started mid-hour, or a reconnect gap broke the trade-id chain), it asks
`GET /api/v3/klines?interval=1h&startTime=<hour start>&limit=1` and hands the row's open to the
hour context (`rest_kline`). Failures are retried with backoff until the open is known or the
hour is over; they never escape (an expected IO fault is the edge's problem).

`warm_start` fills the feature engine's volatility state from the last ~2 hours of 1-minute
klines, so the pricer is ready seconds after boot instead of after hours of trades.
"""

from __future__ import annotations

import random
from typing import Any

from binance_pricer.core.events import PRICE_SCALE
from binance_pricer.core.features import FeatureEngine
from binance_pricer.core.hour_context import HourContextBuilder
from binance_pricer.rest_client import BinanceRestClient, BinanceRestError
from hourmm_common.backoff import backoff_ms
from hourmm_common.clock import Clock
from hourmm_common.errors import ParseError, TransientError
from hourmm_common.hours import MINUTE_MS, iso_ms
from hourmm_common.logs import get_logger

_EXPECTED = (TransientError, BinanceRestError, ParseError)


class OpenBackfiller:
    def __init__(
        self,
        *,
        rest: BinanceRestClient,
        hours: HourContextBuilder,
        clock: Clock,
        symbol: str,
        grace_ms: int = 2_000,
        retry_base_ms: int = 500,
        retry_cap_ms: int = 10_000,
        rng: random.Random | None = None,
    ) -> None:
        self.rest = rest
        self.hours = hours
        self.clock = clock
        self.symbol = symbol
        self.grace_ms = grace_ms
        self.retry_base_ms = retry_base_ms
        self.retry_cap_ms = retry_cap_ms
        self.rng = rng or random.Random()
        self.backfills = 0
        self.failures = 0
        self._log: Any = get_logger("open_backfill")

    async def run(self) -> None:
        attempt = 0
        while True:
            due = self.hours.backfill_due_ms(self.grace_ms)
            if due is None:
                await self.clock.sleep_until(self.hours.hour_end_ms + self.grace_ms)
                attempt = 0
                continue
            await self.clock.sleep_until(due)
            if self.hours.backfill_due_ms(self.grace_ms) != due:
                continue  # the open arrived, or the hour rolled, while we slept
            if await self.backfill_once(self.hours.hour_start_ms):
                attempt = 0
                continue
            delay = backoff_ms(attempt, base_ms=self.retry_base_ms, cap_ms=self.retry_cap_ms, rng=self.rng)
            attempt += 1
            await self.clock.sleep_until(self.clock.now_ms() + delay)

    async def backfill_once(self, start_ms: int) -> bool:
        """One REST read of the hour's 1h kline; True when the hour context has its open."""
        try:
            rows = await self.rest.klines(self.symbol, "1h", start_ms=start_ms, limit=1)
        except _EXPECTED as exc:
            self.failures += 1
            self._log.warning("open_backfill_failed", hour=iso_ms(start_ms), error=str(exc)[:300])
            return False
        row = next((r for r in rows if r.open_time_ms == start_ms), None)
        if row is None:
            self.failures += 1
            self._log.warning("open_backfill_empty", hour=iso_ms(start_ms), rows=len(rows))
            return False
        self.backfills += 1
        self.hours.update_from_rest_open(start_ms, row.open_e8)
        return self.hours.hour_start_ms != start_ms or self.hours.open_e8 is not None


async def warm_start(
    *,
    rest: BinanceRestClient,
    features: FeatureEngine,
    clock: Clock,
    symbol: str,
    minutes: int = 120,
    retry_base_ms: int = 500,
    retry_cap_ms: int = 10_000,
    max_attempts: int = 20,
) -> bool:
    """Seed the feature engine from closed 1-minute klines; False when REST never answered."""
    log: Any = get_logger("warm_start")
    for attempt in range(max_attempts):
        now = clock.now_ms()
        try:
            rows = await rest.klines(symbol, "1m", start_ms=now - (minutes + 1) * MINUTE_MS, limit=minutes + 1)
        except _EXPECTED as exc:
            log.warning("warm_start_failed", attempt=attempt, error=str(exc)[:300])
            await clock.sleep_until(now + backoff_ms(attempt, base_ms=retry_base_ms, cap_ms=retry_cap_ms))
            continue
        closes = [r.close_e8 / PRICE_SCALE for r in rows if r.close_time_ms < now]
        features.warm_start(closes)
        log.info("warm_started", minutes=len(closes), ready=features.ready)
        return True
    return False
