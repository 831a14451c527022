"""Gated live checks (spec 6.5): only with RUN_LIVE_TESTS=1 (`make test-live`); never in CI.

Finds this hour's market on the real Gamma and reads its book on the real market websocket.
Read-only: no credentials, no orders.
"""

from __future__ import annotations

import asyncio
import os

import aiohttp
import pytest

from hourmm_common.clock import SystemClock
from polymarket_trader.config import PUBLIC_ENDPOINTS
from polymarket_trader.core.events import Event, MarketBboEvent, MarketInfo, WsConnected
from polymarket_trader.gamma_client import GammaClient
from polymarket_trader.market_scheduler import MarketScheduler
from polymarket_trader.market_ws import PolymarketMarketWsClient

pytestmark = [pytest.mark.live,
              pytest.mark.skipif(os.environ.get("RUN_LIVE_TESTS") != "1", reason="live tests need RUN_LIVE_TESTS=1")]


async def test_this_hours_market_is_found_and_its_book_streams() -> None:
    clock = SystemClock()
    q: asyncio.Queue[Event] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        gamma = GammaClient(base_url=PUBLIC_ENDPOINTS["GAMMA_URL"], session=session)
        market = await MarketScheduler(gamma=gamma, out=q, clock=clock).select_market_for_now(clock.now_ms())
        assert isinstance(market, MarketInfo), market
        client = PolymarketMarketWsClient(url=PUBLIC_ENDPOINTS["PM_WS_MARKET_URL"], session=session, out=q,
                                          clock=clock)
        client.switch_market(market)
        task = asyncio.create_task(client.run())
        try:
            assert isinstance(await asyncio.wait_for(q.get(), 30), WsConnected)
            bbo = await asyncio.wait_for(q.get(), 30)
            assert isinstance(bbo, MarketBboEvent)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
