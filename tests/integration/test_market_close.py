"""The hour's end as both sides see it: the venue closes the market at `endDate` and cancels our
resting orders (`CANCELED_MARKET_RESOLVED` on the user channel, reference C.1), Gamma then lists
it closed, and the `market_resolved` custom event reaches the trader with the winning token
(reference B.3); a taker fill's fee computed by the trader equals what the venue charged
(reference D.7)."""

from __future__ import annotations

import asyncio

import aiohttp
from integration.pm_conformance_kit import NOW_MS, START_MS, Inbox, a_scenario, an_account, subscribed

from hourmm_common.clock import ManualClock
from hourmm_common.hours import HOUR_MS
from hourmm_sim.polymarket.ledger import FEES_ADDRESS, PUSD
from hourmm_sim.polymarket.venue import PolymarketVenue
from hourmm_sim.scenarios import FeeConfig
from polymarket_trader.core.events import (
    MarketInfo,
    MarketStatus,
    MarketStatusEvent,
    OrderEventKind,
    OrderType,
    Token,
    TradeRole,
    UserOrderEvent,
    UserTradeEvent,
    VenueOrderStatus,
    WsConnected,
)
from polymarket_trader.core.fills import taker_fee_e6
from polymarket_trader.gamma_client import GammaClient, NoMarket
from polymarket_trader.market_ws import PolymarketMarketWsClient
from polymarket_trader.rest_client import Ok
from polymarket_trader.user_ws import PolymarketUserWsClient


async def test_hour_end_cancels_our_quotes_and_the_resolution_reaches_the_trader(http: aiohttp.ClientSession) -> None:
    clock = ManualClock(NOW_MS)
    venue = PolymarketVenue(a_scenario(), clock, outcome=lambda spec: 0)  # Up wins
    await venue.start()
    inbox = Inbox()
    clients = []
    try:
        market = await GammaClient(base_url=venue.gamma_url, session=http).get_hour_market(START_MS)
        assert isinstance(market, MarketInfo)
        mm = an_account(venue, http, clock, "mm")
        user = PolymarketUserWsClient(url=venue.ws_user_url, session=http, out=inbox.queue, clock=clock,
                                      funder=mm.funder, api_key=mm.creds.api_key, api_secret=mm.creds.secret,
                                      api_passphrase=mm.creds.passphrase)
        feed = PolymarketMarketWsClient(url=venue.ws_market_url, session=http, out=inbox.queue, clock=clock)
        for client in (user, feed):
            client.switch_market(market)
            clients.append((client, asyncio.create_task(client.run())))
        await inbox.take(WsConnected)
        await inbox.take(WsConnected)
        # an expiration well past the hour: it is the close, not the GTD expiry, that cancels it
        order = mm.order(market, price_e4=4200, expiration_s=(market.hour_end_ms + 600_000) // 1000)
        await mm.rest.place_orders([order])
        await inbox.take(UserOrderEvent, lambda e: e.kind is OrderEventKind.PLACEMENT)
        gone = await inbox.take(UserOrderEvent, lambda e: e.kind is OrderEventKind.CANCELLATION, clock=clock,
                                step_ms=60_000, max_ms=HOUR_MS)
        assert gone.order_id == order.order_id and gone.status is VenueOrderStatus.CANCELED_MARKET_RESOLVED
        assert clock.now_ms() >= market.hour_end_ms
        after = await GammaClient(base_url=venue.gamma_url, session=http).get_hour_market(START_MS)
        assert isinstance(after, NoMarket)
        resolved = await inbox.take(MarketStatusEvent, clock=clock, step_ms=5_000, max_ms=5 * 60_000)
        assert (resolved.condition_id, resolved.status, resolved.winning_token) == (
            market.condition_id, MarketStatus.RESOLVED, Token.UP)
    finally:
        for client, task in clients:
            await client.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await venue.stop()


async def test_the_trader_prices_a_taker_fee_as_the_venue_charges_it(http: aiohttp.ClientSession) -> None:
    clock = ManualClock(NOW_MS)
    venue = PolymarketVenue(a_scenario(fees=FeeConfig(rate=0.07, exponent=1)), clock)
    await venue.start()
    inbox = Inbox()
    try:
        market = await GammaClient(base_url=venue.gamma_url, session=http).get_hour_market(START_MS)
        assert isinstance(market, MarketInfo) and market.fees.enabled
        mm, eoa = an_account(venue, http, clock, "mm"), an_account(venue, http, clock, "eoa")
        user = PolymarketUserWsClient(url=venue.ws_user_url, session=http, out=inbox.queue, clock=clock,
                                      funder=mm.funder, api_key=mm.creds.api_key, api_secret=mm.creds.secret,
                                      api_passphrase=mm.creds.passphrase)
        user.switch_market(market)
        task = asyncio.create_task(user.run())
        try:
            await inbox.take(WsConnected)
            await subscribed(venue, mm.creds.api_key)
            await eoa.rest.place_orders([eoa.order(market, token=Token.DOWN, price_e4=3700, size_e6=20_000_000)])
            [took] = await mm.rest.place_orders([mm.order(market, price_e4=6300, size_e6=13_000_000,
                                                          order_type=OrderType.FAK, post_only=False,
                                                          expiration_s=0)])
            assert isinstance(took, Ok), took
            trade = await inbox.take(UserTradeEvent)
            [fill] = trade.fills
            assert fill.role is TradeRole.TAKER
            charged = venue.clob.ledger.total(FEES_ADDRESS, PUSD)
            assert charged > 0
            assert taker_fee_e6(fill.size_e6, fill.price_e4, market.fees, fill.fee_rate_bps) == charged
        finally:
            await user.close()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await venue.stop()
