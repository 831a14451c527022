"""The hour boundary in paper mode: the trader, started late in the hour, selects the next hour's
market ahead of the roll, leaves nothing resting in the closing market once it closes, and quotes
the new one (reference A.1 'the current market', A.5; D.4 the GTD backstop)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from integration.pm_conformance_kit import START_MS, TraderAccount
from integration.pm_conformance_kit.paper import Session, live_quote, paper_trader

from hourmm_common.clock import ManualClock
from hourmm_common.enums import SessionState
from hourmm_common.hours import HOUR_MS
from hourmm_sim.polymarket.venue import PolymarketVenue
from polymarket_trader.core.events import Token

NEXT_HOUR_MS = START_MS + HOUR_MS


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NEXT_HOUR_MS - 90_000)  # ninety seconds before the boundary


@pytest.fixture
async def session(venue: PolymarketVenue, clock: ManualClock, mm: TraderAccount,
                  tmp_path: Path) -> AsyncIterator[Session]:
    async with paper_trader(venue, clock, mm, tmp_path) as running:
        yield running


async def test_the_trader_rolls_to_the_next_hour_and_leaves_nothing_in_the_old_one(
        session: Session, venue: PolymarketVenue, mm: TraderAccount) -> None:
    await session.drive(lambda s: s.active_market is not None and s.next_market is not None)
    view = session.view
    assert view.active_market is not None and view.next_market is not None
    old, new = view.active_market.condition_id, view.next_market.condition_id
    assert view.next_market.hour_start_ms == NEXT_HOUR_MS
    await session.clock.run_until(NEXT_HOUR_MS + 1_000)
    assert venue.clob.live_orders(mm.creds.api_key, market=old) == []
    await session.drive(lambda s: s.active_market is not None and s.active_market.condition_id == new
                        and s.session_state is SessionState.ACTIVE and live_quote(s, Token.UP) is not None,
                        max_ms=5 * 60_000)
    ours = {oid for oid, o in session.view.open_orders.items() if o.status.value == "LIVE"}
    assert ours and ours == {o.order_id for o in venue.clob.live_orders(mm.creds.api_key, market=new)}
