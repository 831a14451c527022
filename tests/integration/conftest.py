"""Fixtures of the conformance tests: a started venue on 127.0.0.1:0 on a ManualClock, an HTTP
session, the trader-side accounts, and the current hour's market as the trader's Gamma client
finds it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from integration.pm_conformance_kit import NOW_MS, START_MS, TraderAccount, a_scenario, an_account

from hourmm_common.clock import ManualClock
from hourmm_sim.polymarket.venue import PolymarketVenue
from polymarket_trader.core.events import MarketInfo
from polymarket_trader.gamma_client import GammaClient


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW_MS)


@pytest.fixture
async def venue(clock: ManualClock) -> AsyncIterator[PolymarketVenue]:
    v = PolymarketVenue(a_scenario(), clock)
    await v.start()
    try:
        yield v
    finally:
        await v.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def market(venue: PolymarketVenue, http: aiohttp.ClientSession) -> MarketInfo:
    found = await GammaClient(base_url=venue.gamma_url, session=http).get_hour_market(START_MS)
    assert isinstance(found, MarketInfo), found
    return found


@pytest.fixture
def mm(venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock) -> TraderAccount:
    return an_account(venue, http, clock, "mm")


@pytest.fixture
def eoa(venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock) -> TraderAccount:
    return an_account(venue, http, clock, "eoa")


@pytest.fixture
def taker(venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock) -> TraderAccount:
    return an_account(venue, http, clock, "taker")


@pytest.fixture
def safe(venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock) -> TraderAccount:
    return an_account(venue, http, clock, "safe")
