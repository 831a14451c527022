"""The market scheduler: which hour's market the trader is on, and when it moves to the next.

Out, into the reducer's inbox: `MarketSelected` for the current hour (at start), `MarketSelected`
for the next hour ahead of the roll (`lead_ms` before the boundary, retried until found),
`SessionRolloverEvent` at the boundary, and `MarketUnavailable(reason)` whenever no market fits
(the trader stays flat; the reason shows in health). The CLOB's own market record, when the
CLOB answers, confirms the token ids and gives the authoritative tick size and accepting flag.

`run_resolutions` polls the CLOB record of every market the trader still holds shares in after
the roll (`settling_provider`, read from the reducer's view) and reports `MarketStatusEvent(RESOLVED,
winner)` once the winner is known: the `market_resolved` websocket event is documented but reported
never sent, and we are no longer subscribed to an old hour's tokens anyway. A resolution also asks
for the venue's balances (`on_resolved`): settlement moves collateral, and the venue's ledger is
the truth the reducer adopts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from hourmm_common.clock import Clock
from hourmm_common.hours import hour_start_ms
from hourmm_common.logs import get_logger
from polymarket_trader import wire
from polymarket_trader.core.events import (
    Event,
    MarketInfo,
    MarketSelected,
    MarketStatus,
    MarketStatusEvent,
    MarketUnavailable,
    SessionRolloverEvent,
    Token,
)
from polymarket_trader.gamma_client import VALID_TICKS_E4, GammaClient, NoMarket
from polymarket_trader.rest_client import Ok, PolymarketRestClient


def resolution_of(clob: wire.ClobMarket) -> tuple[MarketStatus, Token | None] | None:
    """RESOLVED with the winner (mapped by outcome label), CLOSED, or None while still trading."""
    for token in clob.tokens:
        if token.winner:
            label = token.outcome.strip().lower()
            return MarketStatus.RESOLVED, Token.UP if label in ("up", "yes") else Token.DOWN
    if clob.closed:
        return MarketStatus.CLOSED, None
    return None


def confirm_with_clob(market: MarketInfo, clob: wire.ClobMarket) -> MarketInfo | NoMarket:
    """Cross-check Gamma's market with the CLOB's record (pure)."""
    ids = {t.token_id for t in clob.tokens}
    if ids != {market.up_token_id, market.down_token_id}:
        return NoMarket(f"{market.slug}: CLOB token ids differ from Gamma's")
    if clob.closed or not clob.accepting_orders:
        return NoMarket(f"{market.slug}: CLOB says {'closed' if clob.closed else 'not accepting orders'}")
    tick = market.tick_e4
    if clob.minimum_tick_size is not None:
        try:
            tick = wire.price_e4(clob.minimum_tick_size)
        except ValueError:
            return NoMarket(f"{market.slug}: CLOB tick {clob.minimum_tick_size!r} unreadable")
    if tick not in VALID_TICKS_E4:
        return NoMarket(f"{market.slug}: CLOB tick {clob.minimum_tick_size} is not a venue tick")
    return msgspec.structs.replace(market, tick_e4=tick, neg_risk=clob.neg_risk, accepting_orders=True)


class MarketScheduler:
    def __init__(self, *, gamma: GammaClient, out: asyncio.Queue[Event], clock: Clock,
                 rest: PolymarketRestClient | None = None, lead_ms: int = 10 * 60_000,
                 retry_ms: int = 15_000, settling_provider: Callable[[], Iterable[str]] = lambda: (),
                 resolution_poll_ms: int = 15_000, on_resolved: Callable[[str], None] | None = None) -> None:
        self._gamma = gamma
        self._rest = rest
        self._out = out
        self._clock = clock
        self.lead_ms = lead_ms
        self.retry_ms = retry_ms
        self.active_market: MarketInfo | None = None
        self.next_market: MarketInfo | None = None
        self.unavailable_reason = ""
        self.counts: Counter[str] = Counter()
        self._settling_provider = settling_provider
        self.resolution_poll_ms = resolution_poll_ms
        self._reported: dict[str, MarketStatus] = {}
        self._on_resolved = on_resolved
        self._log = get_logger("scheduler")

    @property
    def active_hour_id(self) -> int | None:
        return self.active_market.hour_start_ms if self.active_market else None

    async def select_market_for_now(self, now_ms: int) -> MarketInfo | NoMarket:
        return await self.market_for_hour(hour_start_ms(now_ms))

    async def market_for_hour(self, start_ms: int) -> MarketInfo | NoMarket:
        found = await self._gamma.get_hour_market(start_ms)
        if isinstance(found, NoMarket) or self._rest is None:
            return found
        clob = await self._rest.clob_market(found.condition_id)
        if not isinstance(clob, Ok):
            self.counts["clob_unconfirmed"] += 1  # hydration window or CLOB trouble: Gamma's word stands
            return found
        return confirm_with_clob(found, clob.value)

    def should_roll_market(self, now_ms: int) -> bool:
        return self.active_market is not None and now_ms >= self.active_market.hour_end_ms

    async def roll_to_next_market(self, now_ms: int) -> MarketInfo | None:
        """At the boundary: announce the rollover (the reducer switches if it has the next market)."""
        start = hour_start_ms(now_ms)
        nxt = self.next_market if self.next_market and self.next_market.hour_start_ms == start else None
        await self._out.put(SessionRolloverEvent(ts_local_ms=now_ms, hour_start_ms=start))
        self._log.info("session_rolled", hour_start_ms=start, market=nxt.slug if nxt else None)
        self.active_market, self.next_market = nxt, None
        return nxt

    async def run(self) -> None:
        while True:
            now = self._clock.now_ms()
            if self.should_roll_market(now):
                await self.roll_to_next_market(now)
            if self.active_market is None:
                await self._ensure_current(now)
            elif self.next_market is None and now >= self.active_market.hour_end_ms - self.lead_ms:
                await self._ensure_next(now)
            await self._clock.sleep_until(self._next_wake(self._clock.now_ms()))

    def _next_wake(self, now: int) -> int:
        if self.active_market is None:
            return now + self.retry_ms
        end = self.active_market.hour_end_ms
        if self.next_market is None and now >= end - self.lead_ms:
            return min(end, now + self.retry_ms)
        return end if now >= end - self.lead_ms else end - self.lead_ms

    async def _ensure_current(self, now: int) -> None:
        start = hour_start_ms(now)
        found = await self.market_for_hour(start)
        if isinstance(found, NoMarket):
            await self._unavailable(start, found.reason)
            return
        self.active_market = found
        self.unavailable_reason = ""
        self.counts["selected"] += 1
        self._log.info("market_selected", hour_start_ms=start, slug=found.slug, condition_id=found.condition_id)
        await self._out.put(MarketSelected(ts_local_ms=self._clock.now_ms(), market=found))

    async def _ensure_next(self, now: int) -> None:
        assert self.active_market is not None
        start = self.active_market.hour_end_ms
        found = await self.market_for_hour(start)
        if isinstance(found, NoMarket):
            await self._unavailable(start, found.reason)
            return
        self.next_market = found
        self.counts["selected_next"] += 1
        self._log.info("next_market_selected", hour_start_ms=start, slug=found.slug)
        await self._out.put(MarketSelected(ts_local_ms=self._clock.now_ms(), market=found))

    async def _unavailable(self, start: int, reason: str) -> None:
        self.counts["unavailable"] += 1
        if reason != self.unavailable_reason:  # report changes, not every retry
            self.unavailable_reason = reason
            self._log.warning("market_unavailable", hour_start_ms=start, reason=reason)
            await self._out.put(MarketUnavailable(ts_local_ms=self._clock.now_ms(), hour_start_ms=start,
                                                  reason=reason))

    async def run_resolutions(self) -> None:
        while True:
            await self.poll_resolutions()
            await self._clock.sleep_until(self._clock.now_ms() + self.resolution_poll_ms)

    async def poll_resolutions(self) -> None:
        if self._rest is None:
            return
        for cid in list(dict.fromkeys(self._settling_provider())):
            if self._reported.get(cid) is MarketStatus.RESOLVED:
                continue
            clob = await self._rest.clob_market(cid)
            if not isinstance(clob, Ok):
                self.counts["resolution_unreadable"] += 1
                continue
            verdict = resolution_of(clob.value)
            if verdict is None or self._reported.get(cid) is verdict[0]:
                continue
            status, winner = verdict
            self._reported[cid] = status
            self.counts[f"market_{status.value.lower()}"] += 1
            self._log.info("market_status_changed", condition_id=cid, status=status.value,
                           winner=winner.value if winner else None)
            await self._out.put(MarketStatusEvent(ts_local_ms=self._clock.now_ms(), condition_id=cid, status=status,
                                                  winning_token=winner))
            if status is MarketStatus.RESOLVED and self._on_resolved is not None:
                self._on_resolved(cid)  # settlement moves collateral: re-read the venue's balances

    def health(self) -> dict[str, Any]:
        return {"active": self.active_market.slug if self.active_market else None,
                "next": self.next_market.slug if self.next_market else None,
                "unavailable_reason": self.unavailable_reason}
