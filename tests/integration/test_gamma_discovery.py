"""1. Gamma discovery: the trader's `GammaClient` / `MarketScheduler` find the venue's hourly
markets (current and next), map Up/Down by label, and read tick, minimum size and fees; the
CLOB's `GET /markets/{cid}` confirms them (reference A.3, A.5)."""

from __future__ import annotations

import asyncio

import aiohttp
from integration.pm_conformance_kit import START_MS, a_scenario

from hourmm_common.clock import ManualClock
from hourmm_common.hours import HOUR_MS, et_slugs
from hourmm_sim.polymarket.venue import PolymarketVenue
from hourmm_sim.scenarios import FeeConfig
from polymarket_trader.core.events import Event, FeeSchedule, MarketInfo, MarketSelected
from polymarket_trader.gamma_client import GammaClient, NoMarket
from polymarket_trader.market_scheduler import MarketScheduler
from polymarket_trader.rest_client import PolymarketRestClient


def spec_for(venue: PolymarketVenue, start_ms: int):  # type: ignore[no-untyped-def]
    return next(s.spec for s in venue.clob.markets.values() if s.spec.start_ms == start_ms)


async def test_series_listing_finds_the_current_and_next_hour_with_up_as_the_yes_token(
        venue: PolymarketVenue, http: aiohttp.ClientSession) -> None:
    gamma = GammaClient(base_url=venue.gamma_url, session=http)
    for start in (START_MS, START_MS + HOUR_MS):
        found = await gamma.get_hour_market(start)
        spec = spec_for(venue, start)
        assert isinstance(found, MarketInfo), found
        assert found.condition_id == spec.condition_id
        assert (found.up_token_id, found.down_token_id) == (spec.up_token, spec.down_token)
        assert (found.hour_start_ms, found.hour_end_ms) == (start, start + HOUR_MS)
        assert found.slug == spec.slug == et_slugs(start)[0]
        assert found.tick_e4 == 100 and found.min_size_e6 == 5_000_000 and found.neg_risk is False
        assert found.fees == FeeSchedule(enabled=False, rate_bps=0)
    assert gamma.counts["found_by_slug"] == 0
    first = await gamma.get_hour_market(START_MS)
    assert isinstance(first, MarketInfo)
    # written out by hand (reference A.1), not by the helper both sides share: 14:00 UTC = 10am EDT
    assert first.slug == "bitcoin-up-or-down-june-2-2025-10am-et"
    assert first.question == "Bitcoin Up or Down - June 2, 10AM ET"


async def test_an_hour_the_venue_does_not_list_is_no_market(venue: PolymarketVenue, http: aiohttp.ClientSession) -> None:
    found = await GammaClient(base_url=venue.gamma_url, session=http).get_hour_market(START_MS + 5 * HOUR_MS)
    assert isinstance(found, NoMarket)


async def test_slug_fallback_finds_the_hour_when_the_series_listing_does_not(
        venue: PolymarketVenue, http: aiohttp.ClientSession) -> None:
    gamma = GammaClient(base_url=venue.gamma_url, session=http, series_id="99999")  # listing answers []
    found = await gamma.get_hour_market(START_MS)
    assert isinstance(found, MarketInfo) and found.condition_id == spec_for(venue, START_MS).condition_id
    assert gamma.counts["found_by_slug"] == 1


async def test_fee_schedule_of_a_fee_charging_market_is_parsed(http: aiohttp.ClientSession) -> None:
    clock = ManualClock(START_MS + 60_000)
    venue = PolymarketVenue(a_scenario(fees=FeeConfig(rate=0.07, exponent=1)), clock)
    await venue.start()
    try:
        found = await GammaClient(base_url=venue.gamma_url, session=http).get_hour_market(START_MS)
        assert isinstance(found, MarketInfo), found
        assert found.fees == FeeSchedule(enabled=True, rate_bps=700, exponent=1, taker_only=True)
    finally:
        await venue.stop()


async def test_scheduler_confirms_with_the_clob_and_announces_current_then_next(
        venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock) -> None:
    out: asyncio.Queue[Event] = asyncio.Queue()
    rest = PolymarketRestClient(base_url=venue.clob_url, session=http, auth=None, clock=clock)
    scheduler = MarketScheduler(gamma=GammaClient(base_url=venue.gamma_url, session=http), out=out, clock=clock,
                                rest=rest, lead_ms=10 * 60_000)
    task = asyncio.create_task(scheduler.run())
    try:
        first = await asyncio.wait_for(out.get(), 5)
        assert isinstance(first, MarketSelected) and first.market.hour_start_ms == START_MS
        assert scheduler.counts["clob_unconfirmed"] == 0  # the CLOB record answered and agreed
        await clock.run_until(START_MS + HOUR_MS - 10 * 60_000)
        second = await asyncio.wait_for(out.get(), 5)
        assert isinstance(second, MarketSelected) and second.market.hour_start_ms == START_MS + HOUR_MS
        assert second.market.condition_id == spec_for(venue, START_MS + HOUR_MS).condition_id
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_clob_tick_change_wins_over_gammas_initial_tick(
        venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock) -> None:
    spec = spec_for(venue, START_MS)
    venue.clob.set_tick(spec.condition_id, 1_000, clock.now_ms())  # 0.001
    out: asyncio.Queue[Event] = asyncio.Queue()
    rest = PolymarketRestClient(base_url=venue.clob_url, session=http, auth=None, clock=clock)
    scheduler = MarketScheduler(gamma=GammaClient(base_url=venue.gamma_url, session=http), out=out, clock=clock,
                                rest=rest)
    found = await scheduler.market_for_hour(START_MS)
    assert isinstance(found, MarketInfo) and found.tick_e4 == 10
    tick = await rest.tick_size(spec.up_token)
    assert tick.value == 10  # type: ignore[union-attr]
