"""Gated live checks of container B's public clients against the real Polymarket (spec 6.5).

Run with `make test-live` (sets RUN_LIVE_TESTS=1). Public endpoints only: Gamma discovery and the
market websocket. No credentials are read and no order is ever sent (the venue has no sandbox;
an order test would spend real money, so there is none). `GAMMA_URL` / `PM_WS_MARKET_URL`
override the endpoints. Skipped otherwise, saying why; never part of `make test` or CI.
"""

from __future__ import annotations

import asyncio
import os

import aiohttp
import pytest

from hourmm_common.clock import SystemClock
from hourmm_common.hours import HOUR_MS, hour_start_ms
from polymarket_trader.core.events import Event, MarketBboEvent, MarketInfo, Token, WsConnected
from polymarket_trader.gamma_client import GammaClient, NoMarket
from polymarket_trader.market_ws import PolymarketMarketWsClient

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(os.environ.get("RUN_LIVE_TESTS") != "1",
                       reason="live test against the real Polymarket: set RUN_LIVE_TESTS=1 (make test-live)"),
    pytest.mark.timeout(90),
]

GAMMA_URL = os.environ.get("GAMMA_URL", "https://gamma-api.polymarket.com")
WS_MARKET_URL = os.environ.get("PM_WS_MARKET_URL", "wss://ws-subscriptions-clob.polymarket.com/ws/market")
WITHIN_S = 20.0
UPDATES_WITHIN_S = 45.0


async def _current_market(session: aiohttp.ClientSession) -> MarketInfo:
    gamma = GammaClient(base_url=GAMMA_URL, session=session)
    found = await gamma.get_hour_market(hour_start_ms(SystemClock().now_ms()))
    assert not isinstance(found, NoMarket), found.reason
    return found


async def test_gamma_finds_and_verifies_the_current_hourly_market() -> None:
    start = hour_start_ms(SystemClock().now_ms())
    async with aiohttp.ClientSession() as session:
        market = await _current_market(session)
    assert market.hour_start_ms == start and market.hour_end_ms == start + HOUR_MS
    assert market.up_token_id and market.down_token_id and market.up_token_id != market.down_token_id
    assert market.condition_id.startswith("0x") and len(market.condition_id) == 66
    assert market.tick_e4 in (1000, 100, 10, 1) and market.min_size_e6 > 0
    assert not market.neg_risk


async def test_the_market_websocket_subscribes_and_streams_the_book() -> None:
    async with aiohttp.ClientSession() as session:
        market = await _current_market(session)
        queue: asyncio.Queue[Event] = asyncio.Queue()
        client = PolymarketMarketWsClient(url=WS_MARKET_URL, session=session, out=queue, clock=SystemClock())
        client.switch_market(market)
        task = asyncio.create_task(client.run())
        seen: list[Event] = []
        try:
            async with asyncio.timeout(WITHIN_S):
                # The subscription is acknowledged by the initial book dump: a top of book for each token.
                while {e.token for e in seen if isinstance(e, MarketBboEvent)} != {Token.UP, Token.DOWN}:
                    seen.append(await queue.get())
            dump_frames = client.counts["frames"]
            async with asyncio.timeout(UPDATES_WITHIN_S):
                # Then it keeps updating: at least one later frame (price change, trade, tick size).
                while client.counts["frames"] == dump_frames:
                    seen.append(await queue.get())
        finally:
            await client.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert isinstance(seen[0], WsConnected) and not seen[0].reconnect
    assert client.translator.counts["malformed_frame"] == 0 and client.translator.counts["malformed_message"] == 0
    assert client.translator.counts["msg_book"] >= 2
    for event in seen:
        if isinstance(event, MarketBboEvent) and event.best_bid_e4 is not None and event.best_ask_e4 is not None:
            assert 0 < event.best_bid_e4 < event.best_ask_e4 < 10_000
