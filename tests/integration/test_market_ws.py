"""3. Market websocket: the trader's `PolymarketMarketWsClient` subscribed to the venue's
`/ws/market`: the initial book dump becomes BBO events for both tokens, `price_change` deltas
move them, a trade's `last_trade_price` and fresh books arrive, a tick-size change reaches the
trader as `TickSizeChangedEvent`, and text PING is answered PONG (reference B.1-B.4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from integration.pm_conformance_kit import Inbox, TraderAccount

from hourmm_common.clock import ManualClock
from hourmm_sim.polymarket.venue import PolymarketVenue
from polymarket_trader.core.events import (
    LastTradePriceEvent,
    MarketBboEvent,
    MarketInfo,
    OrderType,
    Side,
    TickSizeChangedEvent,
    Token,
    WsConnected,
)
from polymarket_trader.market_ws import PolymarketMarketWsClient


def of_token(token: Token) -> Callable[[MarketBboEvent], bool]:
    return lambda e: e.token is token


class MarketFeed:
    def __init__(self, client: PolymarketMarketWsClient, inbox: Inbox) -> None:
        self.client = client
        self.inbox = inbox
        self.initial: dict[Token, MarketBboEvent] = {}

    async def read_initial_books(self) -> None:
        for token in Token:
            self.initial[token] = await self.inbox.take(MarketBboEvent, of_token(token))


@pytest.fixture
async def feed(venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock,
               market: MarketInfo, mm: TraderAccount) -> AsyncIterator[MarketFeed]:
    # a resting book before we subscribe: Up bid 0.42 x 10, Up ask 0.58 x 12 (a Down bid at 0.42)
    placed = await mm.rest.place_orders([mm.order(market, price_e4=4200),
                                         mm.order(market, token=Token.DOWN, price_e4=4200, size_e6=12_000_000)])
    assert all(type(r).__name__ == "Ok" for r in placed), placed
    inbox = Inbox()
    client = PolymarketMarketWsClient(url=venue.ws_market_url, session=http, out=inbox.queue, clock=clock)
    client.switch_market(market)
    task = asyncio.create_task(client.run())
    try:
        connected = await inbox.take(WsConnected)
        assert connected.reconnect is False
        feed = MarketFeed(client, inbox)
        await feed.read_initial_books()
        yield feed
    finally:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_initial_book_dump_gives_the_bbo_of_both_tokens(feed: MarketFeed) -> None:
    up, down = feed.initial[Token.UP], feed.initial[Token.DOWN]
    assert (up.best_bid_e4, up.best_ask_e4, up.bid_size_e6, up.ask_size_e6) == (4200, 5800, 10_000_000, 12_000_000)
    assert (down.best_bid_e4, down.best_ask_e4, down.bid_size_e6, down.ask_size_e6) == (
        4200, 5800, 12_000_000, 10_000_000)
    assert feed.client.translator.counts["malformed_message"] == 0


async def test_price_changes_move_the_bbo(feed: MarketFeed, mm: TraderAccount, market: MarketInfo) -> None:
    better = mm.order(market, price_e4=4500, size_e6=6_000_000)
    await mm.rest.place_orders([better])
    up = await feed.inbox.take(MarketBboEvent, lambda e: e.token is Token.UP)
    assert (up.best_bid_e4, up.bid_size_e6, up.best_ask_e4) == (4500, 6_000_000, 5800)
    down = await feed.inbox.take(MarketBboEvent, lambda e: e.token is Token.DOWN)
    assert (down.best_ask_e4, down.ask_size_e6) == (5500, 6_000_000)
    await mm.rest.cancel([better.order_id])
    up = await feed.inbox.take(MarketBboEvent, lambda e: e.token is Token.UP)
    assert (up.best_bid_e4, up.bid_size_e6) == (4200, 10_000_000)
    assert feed.client.translator.counts["price_change_before_snapshot"] == 0


async def test_a_trade_brings_last_trade_price_and_a_consistent_book(
        feed: MarketFeed, taker: TraderAccount, market: MarketInfo) -> None:
    take = taker.order(market, price_e4=5800, size_e6=5_000_000, order_type=OrderType.FAK, post_only=False,
                       expiration_s=0)
    [result] = await taker.rest.place_orders([take])
    assert type(result).__name__ == "Ok", result
    last = await feed.inbox.take(LastTradePriceEvent)
    assert (last.token, last.price_e4, last.size_e6, last.aggressor) == (Token.UP, 5800, 5_000_000, Side.BUY)
    up = await feed.inbox.take(MarketBboEvent, lambda e: e.token is Token.UP)
    assert (up.best_ask_e4, up.ask_size_e6) == (5800, 7_000_000)


async def test_tick_size_change_reaches_the_trader_for_both_tokens(
        feed: MarketFeed, venue: PolymarketVenue, market: MarketInfo, clock: ManualClock) -> None:
    venue.clob.set_tick(market.condition_id, 1_000, clock.now_ms())
    await venue.flush()
    got = {}
    for _ in range(2):
        ev = await feed.inbox.take(TickSizeChangedEvent)
        got[ev.token] = (ev.old_tick_e4, ev.new_tick_e4)
    assert got == {Token.UP: (100, 10), Token.DOWN: (100, 10)}


async def test_a_trade_beyond_the_band_tightens_the_tick_and_the_book_comes_back(
        feed: MarketFeed, mm: TraderAccount, taker: TraderAccount, market: MarketInfo) -> None:
    high = mm.order(market, token=Token.DOWN, price_e4=300, size_e6=40_000_000)  # an Up ask at 0.97
    await mm.rest.place_orders([high])
    lift = taker.order(market, price_e4=9700, size_e6=15_000_000, order_type=OrderType.FAK, post_only=False,
                       expiration_s=0)  # sweeps 0.58 then trades at 0.97: beyond 0.96
    [result] = await taker.rest.place_orders([lift])
    assert type(result).__name__ == "Ok", result
    tick = await feed.inbox.take(TickSizeChangedEvent, lambda e: e.token is Token.UP)
    assert tick.new_tick_e4 == 10
    up = await feed.inbox.take(MarketBboEvent, lambda e: e.token is Token.UP and e.best_bid_e4 is not None)
    assert (up.best_bid_e4, up.best_ask_e4) == (4200, 9700)  # the book after the trade, in the new epoch


async def test_text_ping_is_answered_pong_on_the_scenario_clock(feed: MarketFeed, clock: ManualClock) -> None:
    before = feed.client.last_pong_local_ms
    assert before is not None
    await clock.run_until(clock.now_ms() + 10_000)
    for _ in range(200):
        if feed.client.last_pong_local_ms != before:
            break
        await asyncio.sleep(0)
        await asyncio.to_thread(lambda: None)
    assert feed.client.last_pong_local_ms == clock.now_ms() and feed.client.connected



async def test_after_a_tick_change_without_a_trade_the_book_comes_back(
        feed: MarketFeed, venue: PolymarketVenue, mm: TraderAccount, market: MarketInfo,
        clock: ManualClock) -> None:
    venue.clob.set_tick(market.condition_id, 1_000, clock.now_ms())
    await venue.flush()
    await feed.inbox.take(TickSizeChangedEvent, lambda e: e.token is Token.UP)
    await mm.rest.place_orders([mm.order(market, price_e4=4250, tick_e4=10)])
    up = await feed.inbox.take(MarketBboEvent, lambda e: e.token is Token.UP and e.best_bid_e4 is not None,
                               clock=clock, max_ms=15_000)
    assert (up.best_bid_e4, up.best_ask_e4) == (4250, 5800)
