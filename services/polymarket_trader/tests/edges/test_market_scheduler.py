"""B-1: the scheduler picks the hour's market from Gamma, verifies it, and rolls at the boundary."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from edges.edge_kit import fixture_text, hourly_event, start_server
from hourmm_common.clock import ManualClock
from hourmm_common.hours import HOUR_MS, et_slugs, parse_iso_ms
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
from polymarket_trader.gamma_client import GammaClient, NoMarket
from polymarket_trader.market_scheduler import MarketScheduler
from polymarket_trader.rest_client import PolymarketRestClient

H = parse_iso_ms("2026-06-10T14:00:00Z")


class FakeGamma:
    """Serves /events from a script: the series listing and per-slug answers, and records calls."""

    def __init__(self) -> None:
        self.listing: list[dict[str, Any]] | int = []
        self.by_slug: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[dict[str, str]] = []

    async def events(self, request: web.Request) -> web.Response:
        self.calls.append(dict(request.query))
        if "slug" in request.query:
            return web.json_response(self.by_slug.get(request.query["slug"], []))
        if isinstance(self.listing, int):
            return web.json_response({"error": "boom"}, status=self.listing)
        return web.json_response(self.listing)


@pytest.fixture
async def gamma() -> AsyncIterator[tuple[FakeGamma, GammaClient]]:
    fake = FakeGamma()
    app = web.Application()
    app.router.add_get("/events", fake.events)
    url, runner = await start_server(app)
    async with aiohttp.ClientSession() as session:
        yield fake, GammaClient(base_url=url, session=session)
    await runner.cleanup()


async def test_series_listing_selects_the_hour_and_maps_up_down_by_label(gamma: tuple[FakeGamma, GammaClient]) -> None:
    fake, client = gamma
    fake.listing = [hourly_event(H - HOUR_MS), hourly_event(H, up_first=False), hourly_event(H + HOUR_MS)]
    market = await client.get_hour_market(H)
    assert isinstance(market, MarketInfo)
    assert (market.hour_start_ms, market.hour_end_ms) == (H, H + HOUR_MS)
    assert (market.up_token_id, market.down_token_id) == (f"1{H}", f"2{H}")  # listed Down first
    assert client.resolve_token_ids(market) == (f"1{H}", f"2{H}")  # (YES, NO) = (Up, Down)
    assert market.tick_e4 == 100 and market.min_size_e6 == 5_000_000 and not market.neg_risk
    assert market.fees.enabled and market.fees.rate_bps == 700
    assert fake.calls[0]["series_id"] == "10114" and fake.calls[0]["closed"] == "false"


async def test_token_ids_as_real_lists_are_accepted(gamma: tuple[FakeGamma, GammaClient]) -> None:
    fake, client = gamma
    fake.listing = [hourly_event(H, tokens_as_list=True)]
    market = await client.get_hour_market(H)
    assert isinstance(market, MarketInfo) and market.up_token_id == f"1{H}"


@pytest.mark.parametrize("hour_iso", ["2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z",
                                      "2026-11-01T05:00:00Z", "2026-11-01T06:00:00Z"])
async def test_slug_fallback_on_dst_days_is_verified_by_start_time(gamma: tuple[FakeGamma, GammaClient],
                                                                   hour_iso: str) -> None:
    """Around DST changes; on 1 Nov two UTC hours share the label '1am ET': only eventStartTime decides."""
    fake, client = gamma
    h = parse_iso_ms(hour_iso)
    fake.listing = 503
    with_year, without_year = et_slugs(h)
    other = h - HOUR_MS if hour_iso.endswith("06:00:00Z") and "11-01" in hour_iso else h + HOUR_MS
    fake.by_slug = {without_year: [hourly_event(other), hourly_event(h)]}
    market = await client.get_hour_market(h)
    assert isinstance(market, MarketInfo) and market.hour_start_ms == h
    assert [c.get("slug") for c in fake.calls[-2:]] == [with_year, without_year]
    if hour_iso == "2026-03-08T07:00:00Z":
        assert with_year == "bitcoin-up-or-down-march-8-2026-3am-et"  # 2am EST does not exist that day
    if "11-01" in hour_iso:
        assert without_year == "bitcoin-up-or-down-november-1-1am-et"


async def test_slug_fallback_refuses_a_non_binance_market(gamma: tuple[FakeGamma, GammaClient]) -> None:
    fake, client = gamma
    fake.listing = []
    fake.by_slug = {et_slugs(H)[0]: [hourly_event(H, source="https://data.chain.link/streams/btc-usd")]}
    verdict = await client.get_hour_market(H)
    assert isinstance(verdict, NoMarket) and "not Binance" in verdict.reason


async def test_closed_or_missing_market_is_a_clear_reason(gamma: tuple[FakeGamma, GammaClient]) -> None:
    fake, client = gamma
    fake.listing = [hourly_event(H, closed=True)]
    verdict = await client.get_hour_market(H)
    assert isinstance(verdict, NoMarket) and "closed" in verdict.reason
    fake.listing = [hourly_event(H, accepting=False)]
    verdict = await client.get_hour_market(H)
    assert isinstance(verdict, NoMarket) and "not accepting" in verdict.reason
    fake.listing = [hourly_event(H + HOUR_MS)]
    verdict = await client.get_hour_market(H)
    assert isinstance(verdict, NoMarket) and "no listed event covers the hour" in verdict.reason


async def _drain(q: asyncio.Queue[Event]) -> list[Event]:
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out


async def test_scheduler_selects_now_picks_next_ahead_and_rolls_only_at_the_boundary(
        gamma: tuple[FakeGamma, GammaClient]) -> None:
    fake, client = gamma
    fake.listing = [hourly_event(H), hourly_event(H + HOUR_MS)]
    clock = ManualClock(H + 5 * 60_000)
    q: asyncio.Queue[Event] = asyncio.Queue()
    sched = MarketScheduler(gamma=client, out=q, clock=clock, lead_ms=10 * 60_000)
    task = asyncio.create_task(sched.run())
    try:
        first = await asyncio.wait_for(q.get(), 5)  # real IO to the fake server; the timeout is a net
        assert isinstance(first, MarketSelected) and first.market.hour_start_ms == H
        assert not sched.should_roll_market(H + HOUR_MS - 1)
        await clock.run_until(H + HOUR_MS - 10 * 60_000)
        ahead = await asyncio.wait_for(q.get(), 5)
        assert isinstance(ahead, MarketSelected) and ahead.market.hour_start_ms == H + HOUR_MS
        await clock.run_until(H + HOUR_MS - 1)
        assert await _drain(q) == []
        assert sched.should_roll_market(H + HOUR_MS)
        await clock.run_until(H + HOUR_MS)
        rolled = await asyncio.wait_for(q.get(), 5)
        assert rolled == SessionRolloverEvent(ts_local_ms=H + HOUR_MS, hour_start_ms=H + HOUR_MS)
        assert sched.active_market is not None and sched.active_market.hour_start_ms == H + HOUR_MS
    finally:
        task.cancel()


async def test_scheduler_reports_unavailable_once_per_reason(gamma: tuple[FakeGamma, GammaClient]) -> None:
    fake, client = gamma
    fake.listing = [hourly_event(H, closed=True)]
    q: asyncio.Queue[Event] = asyncio.Queue()
    sched = MarketScheduler(gamma=client, out=q, clock=ManualClock(H + 1000), retry_ms=1000)
    await sched._ensure_current(H + 1000)
    await sched._ensure_current(H + 2000)
    events = await _drain(q)
    assert len(events) == 1 and isinstance(events[0], MarketUnavailable) and "closed" in events[0].reason
    assert sched.active_market is None and "closed" in sched.unavailable_reason


async def test_rolled_away_markets_are_polled_until_their_winner_is_known() -> None:
    clob_records: dict[str, list[dict[str, Any]]] = {}

    async def market(request: web.Request) -> web.Response:
        answers = clob_records[request.match_info["cid"]]
        return web.json_response(answers.pop(0) if len(answers) > 1 else answers[0])

    app = web.Application()
    app.router.add_get("/markets/{cid}", market)
    url, runner = await start_server(app)
    closed = json.loads(fixture_text("rest/clob_market_closed_accepting_false.json"))
    cid = closed["condition_id"]
    trading = closed | {"closed": False, "tokens": [t | {"winner": False} for t in closed["tokens"]]}
    no_winner = closed | {"tokens": [t | {"winner": False} for t in closed["tokens"]]}
    clob_records[cid] = [trading, no_winner, closed]
    q: asyncio.Queue[Event] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        rest = PolymarketRestClient(base_url=url, session=session, auth=None, clock=ManualClock(H))
        resolved: list[str] = []
        sched = MarketScheduler(gamma=GammaClient(base_url=url, session=session), out=q, clock=ManualClock(H),
                                rest=rest, settling_provider=lambda: [cid], on_resolved=resolved.append)
        for _ in range(4):
            await sched.poll_resolutions()
    await runner.cleanup()
    events = await _drain(q)
    winner = next(t for t in closed["tokens"] if t["winner"])
    assert [(e.status, e.winning_token) for e in events if isinstance(e, MarketStatusEvent)] == [
        (MarketStatus.CLOSED, None),
        (MarketStatus.RESOLVED, Token.UP if winner["outcome"].lower() in ("up", "yes") else Token.DOWN)]
    assert all(e.condition_id == cid for e in events if isinstance(e, MarketStatusEvent))
    assert resolved == [cid]  # and the venue's balances are read again, once
