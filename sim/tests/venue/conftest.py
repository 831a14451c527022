"""A started venue on 127.0.0.1 (port 0) driven by a ManualClock, stopped after the test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from venue_testkit import START_MS, a_scenario

from hourmm_common.clock import ManualClock
from hourmm_sim.polymarket.venue import PolymarketVenue


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START_MS + 60_000)


@pytest.fixture
async def venue(clock: ManualClock) -> AsyncIterator[PolymarketVenue]:
    v = PolymarketVenue(a_scenario(), clock)
    await v.start()
    try:
        yield v
    finally:
        await v.stop()
