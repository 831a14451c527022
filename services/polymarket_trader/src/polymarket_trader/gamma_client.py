"""Gamma: find the hourly "Bitcoin Up or Down" market for an hour, and verify it before we trust it.

In: an hour start (UTC ms). Out: a verified `MarketInfo`, or the reason no market fits.

Lookup order (reference A.5): the hourly series listing (`GET /events?series_id=10114&closed=false`)
matched on `eventStartTime == H` and `endDate == H + 1h`; if the listing fails or lacks the hour,
the ET slugs (DST-aware, with the year, then without) through `GET /events?slug=`. Whatever the
route, the market is verified from its own fields: start and end match the hour, the Binance
resolution source, outcomes Up/Down mapped by label (`outcomes`/`clobTokenIds` as JSON strings or
lists), tradable flags, tick size, minimum size, fees. `verify_market` is pure and tested on its own.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import aiohttp
import msgspec

from hourmm_common.hours import HOUR_MS, et_slugs, parse_iso_ms
from hourmm_common.logs import get_logger
from polymarket_trader import wire
from polymarket_trader.core.events import FeeSchedule, MarketInfo

HOURLY_SERIES_ID = "10114"
VALID_TICKS_E4 = (1000, 100, 10, 1)


class NoMarket(msgspec.Struct, frozen=True):
    """Why no market fits the hour (for logs, health and `MarketUnavailable`)."""

    reason: str


def _as_list(value: str | list[str] | None, name: str) -> list[str]:
    if value is None:
        raise ValueError(f"{name} missing")
    if isinstance(value, list):
        return [str(v) for v in value]
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name} is neither a list nor a JSON list") from exc
    if not isinstance(parsed, list):
        raise ValueError(f"{name} is not a list")
    return [str(v) for v in parsed]


def _iso(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return parse_iso_ms(value)
    except ValueError:
        return None


def verify_market(event: wire.GammaEvent, market: wire.GammaMarket, hour_start_ms: int, *,
                  require_binance: bool, require_accepting: bool = True) -> MarketInfo | NoMarket:
    """The market as `MarketInfo` if every check passes, else the first failed check."""
    start = _iso(market.eventStartTime) or _iso(event.startTime)
    end = _iso(market.endDate) or _iso(event.endDate)
    if start != hour_start_ms or end != hour_start_ms + HOUR_MS:
        return NoMarket(f"{market.slug or event.slug}: window {market.eventStartTime or event.startTime}"
                        f"..{market.endDate or event.endDate} is not the hour")
    source = (market.resolutionSource or event.resolutionSource or "").lower()
    if (source or require_binance) and "binance" not in source:
        return NoMarket(f"{market.slug or event.slug}: resolution source {source or 'missing'!r} is not Binance")
    try:
        outcomes = [o.strip().lower() for o in _as_list(market.outcomes, "outcomes")]
        tokens = _as_list(market.clobTokenIds, "clobTokenIds")
    except ValueError as exc:
        return NoMarket(f"{market.slug}: {exc}")
    if len(outcomes) != 2 or len(tokens) != 2 or sorted(outcomes) != ["down", "up"] or not all(tokens):
        return NoMarket(f"{market.slug}: outcomes {outcomes} / {len(tokens)} token ids are not exactly Up and Down")
    if not market.conditionId:
        return NoMarket(f"{market.slug}: no conditionId")
    if market.closed or not market.active:
        return NoMarket(f"{market.slug}: closed" if market.closed else f"{market.slug}: not active")
    if not market.enableOrderBook:
        return NoMarket(f"{market.slug}: order book not enabled")
    if require_accepting and not market.acceptingOrders:
        return NoMarket(f"{market.slug}: not accepting orders")
    try:
        tick = wire.price_e4(market.orderPriceMinTickSize) if market.orderPriceMinTickSize is not None else 100
        min_size = wire.size_e6(market.orderMinSize) if market.orderMinSize is not None else 5_000_000
        fees = _fees(market)
    except ValueError as exc:
        return NoMarket(f"{market.slug}: {exc}")
    if tick not in VALID_TICKS_E4:
        return NoMarket(f"{market.slug}: tick size {market.orderPriceMinTickSize} is not a venue tick")
    up = tokens[outcomes.index("up")]
    down = tokens[outcomes.index("down")]
    return MarketInfo(condition_id=market.conditionId, question=market.question, slug=market.slug or event.slug,
                      hour_start_ms=hour_start_ms, hour_end_ms=hour_start_ms + HOUR_MS, up_token_id=up,
                      down_token_id=down, tick_e4=tick, min_size_e6=min_size, neg_risk=bool(market.negRisk),
                      fees=fees, accepting_orders=bool(market.acceptingOrders))


def _fees(market: wire.GammaMarket) -> FeeSchedule:
    sched = market.feeSchedule
    if not market.feesEnabled or sched is None:
        return FeeSchedule(enabled=bool(market.feesEnabled), rate_bps=0)
    return FeeSchedule(enabled=True, rate_bps=wire.fixed(sched.rate, 4), exponent=wire.fixed(sched.exponent, 0),
                       taker_only=sched.takerOnly)


def find_in_events(events: list[wire.GammaEvent], hour_start_ms: int, *, require_binance: bool,
                   require_accepting: bool = True) -> MarketInfo | NoMarket:
    """The verified market for the hour among `events`, or the most telling reason why not."""
    reasons: list[str] = []
    for event in events:
        for market in event.markets or ():
            verdict = verify_market(event, market, hour_start_ms, require_binance=require_binance,
                                    require_accepting=require_accepting)
            if isinstance(verdict, MarketInfo):
                return verdict
            reasons.append(verdict.reason)
    in_window = [r for r in reasons if "is not the hour" not in r]
    if in_window:
        return NoMarket(in_window[0])
    return NoMarket(f"no listed event covers the hour ({len(reasons)} markets looked at)")


class GammaClient:
    def __init__(self, *, base_url: str, session: aiohttp.ClientSession, timeout_s: float = 10.0,
                 series_id: str = HOURLY_SERIES_ID) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self.timeout_s = timeout_s
        self.series_id = series_id
        self.counts: Counter[str] = Counter()
        self.last_error = ""
        self._log = get_logger("gamma")

    async def _events(self, params: dict[str, str]) -> list[wire.GammaEvent] | NoMarket:
        try:
            async with asyncio.timeout(self.timeout_s):
                async with self._session.get(f"{self.base_url}/events", params=params) as resp:
                    body = await resp.read()
                    status = resp.status
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            self.counts["failed"] += 1
            self.last_error = f"gamma unreachable: {exc!r}"[:200]
            return NoMarket(self.last_error)
        if status != 200:
            self.counts["failed"] += 1
            self.last_error = f"gamma answered HTTP {status}"
            return NoMarket(self.last_error)
        try:
            events = wire.GAMMA_EVENTS_DECODER.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self.counts["malformed"] += 1
            self.last_error = f"gamma answer malformed: {exc}"[:200]
            self._log.warning("bad_message_dropped", kind="gamma_events", reason=self.last_error,
                              sample=body[:200].decode("utf-8", "replace"))
            return NoMarket(self.last_error)
        self.counts["ok"] += 1
        return events

    async def list_hourly_events(self, pages: int = 3) -> list[wire.GammaEvent] | NoMarket:
        """The open events of the hourly series (about 48 hours ahead: one or two pages)."""
        events: list[wire.GammaEvent] = []
        for page in range(pages):
            got = await self._events({"series_id": self.series_id, "closed": "false", "limit": "100",
                                      "offset": str(page * 100)})
            if isinstance(got, NoMarket):
                return events if events else got
            events.extend(got)
            if len(got) < 100:
                break
        return events

    async def events_by_slug(self, slug: str) -> list[wire.GammaEvent] | NoMarket:
        return await self._events({"slug": slug})

    async def get_hour_market(self, hour_start_ms: int, *, require_accepting: bool = True) -> MarketInfo | NoMarket:
        """Series listing first, then both ET slug forms; verified either way."""
        listed = await self.list_hourly_events()
        first_reason = ""
        if not isinstance(listed, NoMarket):
            found = find_in_events(listed, hour_start_ms, require_binance=False, require_accepting=require_accepting)
            if isinstance(found, MarketInfo):
                return found
            first_reason = found.reason
        else:
            first_reason = listed.reason
        for slug in et_slugs(hour_start_ms):
            by_slug = await self.events_by_slug(slug)
            if isinstance(by_slug, NoMarket) or not by_slug:
                continue
            found = find_in_events(by_slug, hour_start_ms, require_binance=True, require_accepting=require_accepting)
            if isinstance(found, MarketInfo):
                self.counts["found_by_slug"] += 1
                return found
            return NoMarket(f"slug {slug}: {found.reason}")
        return NoMarket(f"series listing: {first_reason}; no event under slugs {', '.join(et_slugs(hour_start_ms))}")

    @staticmethod
    def resolve_token_ids(market: MarketInfo) -> tuple[str, str]:
        """(YES, NO) token ids: Up is the YES token (mapped by label when the market was verified)."""
        return market.up_token_id, market.down_token_id

    async def healthcheck(self) -> bool:
        return not isinstance(await self._events({"series_id": self.series_id, "closed": "false", "limit": "1"}),
                              NoMarket)
