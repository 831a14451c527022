"""4. User websocket: the trader's `PolymarketUserWsClient` authenticated on the venue's
`/ws/user`. Our order events (placement, update, cancellation) and our fills, attributed to our
order as maker (same-token and complement-token matches) and as taker; trade statuses MATCHED ->
MINED -> CONFIRMED, RETRYING, and a FAILED trade (venue fault) reaching the trader as
`UserTradeEvent(status=FAILED)`. The REST backfill (`GET /data/trades`) translates to the same
fills (reference C.1-C.3)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from integration.pm_conformance_kit import Inbox, TraderAccount, subscribed

from hourmm_common.clock import ManualClock
from hourmm_sim.polymarket.faults import Fault
from hourmm_sim.polymarket.venue import PolymarketVenue
from polymarket_trader.core.events import (
    MarketInfo,
    OrderEventKind,
    OrderType,
    Side,
    Token,
    TradeFill,
    TradeRole,
    TradeStatus,
    UserOrderEvent,
    UserTradeEvent,
    VenueOrderStatus,
    WsConnected,
)
from polymarket_trader.reconciler import RestVenue
from polymarket_trader.rest_client import Ok
from polymarket_trader.user_ws import PolymarketUserWsClient


class UserFeed:
    def __init__(self, client: PolymarketUserWsClient, inbox: Inbox) -> None:
        self.client = client
        self.inbox = inbox


@pytest.fixture
async def feed(venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock, market: MarketInfo,
               mm: TraderAccount) -> AsyncIterator[UserFeed]:
    inbox = Inbox()
    client = PolymarketUserWsClient(url=venue.ws_user_url, session=http, out=inbox.queue, clock=clock,
                                    funder=mm.funder, api_key=mm.creds.api_key, api_secret=mm.creds.secret,
                                    api_passphrase=mm.creds.passphrase)
    client.switch_market(market)
    task = asyncio.create_task(client.run())
    try:
        await inbox.take(WsConnected)
        await subscribed(venue, mm.creds.api_key)
        yield UserFeed(client, inbox)
    finally:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def status_is(status: TradeStatus) -> Callable[[UserTradeEvent], bool]:
    return lambda e: e.status is status


def fak(account: TraderAccount, market: MarketInfo, **kw: object):  # type: ignore[no-untyped-def]
    return account.order(market, order_type=OrderType.FAK, post_only=False, expiration_s=0, **kw)  # type: ignore[arg-type]


async def test_placement_and_cancellation_of_our_order(feed: UserFeed, mm: TraderAccount, market: MarketInfo) -> None:
    order = mm.order(market, price_e4=4200)
    await mm.rest.place_orders([order])
    placed = await feed.inbox.take(UserOrderEvent)
    assert (placed.order_id, placed.kind, placed.status) == (order.order_id, OrderEventKind.PLACEMENT,
                                                             VenueOrderStatus.LIVE)
    assert (placed.token, placed.side, placed.price_e4, placed.original_size_e6, placed.size_matched_e6) == (
        Token.UP, Side.BUY, 4200, 10_000_000, 0)
    assert placed.expiration_s == (market.hour_end_ms + 60_000) // 1000
    await mm.rest.cancel([order.order_id])
    gone = await feed.inbox.take(UserOrderEvent, lambda e: e.kind is OrderEventKind.CANCELLATION)
    assert (gone.order_id, gone.status) == (order.order_id, VenueOrderStatus.CANCELED)
    assert feed.client.translator.counts["malformed_message"] == 0


async def test_complement_match_fills_our_maker_bid_and_walks_to_confirmed(
        feed: UserFeed, mm: TraderAccount, taker: TraderAccount, market: MarketInfo, clock: ManualClock) -> None:
    ours = mm.order(market, price_e4=4200, size_e6=10_000_000)
    await mm.rest.place_orders([ours])
    # the taker buys Down at 0.58: it meets our Up bid at 0.42 (a mint match)
    take = fak(taker, market, token=Token.DOWN, price_e4=5800, size_e6=6_000_000)
    [result] = await taker.rest.place_orders([take])
    assert isinstance(result, Ok), result
    matched = await feed.inbox.take(UserTradeEvent)
    assert matched.status is TradeStatus.MATCHED
    assert matched.fills == (TradeFill(trade_id=matched.trade_id, order_id=ours.order_id, token=Token.UP,
                                       side=Side.BUY, price_e4=4200, size_e6=6_000_000, role=TradeRole.MAKER),)
    update = await feed.inbox.take(UserOrderEvent, lambda e: e.kind is OrderEventKind.UPDATE)
    assert (update.order_id, update.size_matched_e6, update.status) == (ours.order_id, 6_000_000,
                                                                        VenueOrderStatus.LIVE)
    mined = await feed.inbox.take(UserTradeEvent, lambda e: e.status is TradeStatus.MINED, clock=clock)
    confirmed = await feed.inbox.take(UserTradeEvent, lambda e: e.status is TradeStatus.CONFIRMED, clock=clock)
    assert mined.trade_id == confirmed.trade_id == matched.trade_id
    assert mined.fills == confirmed.fills == matched.fills


async def test_our_taker_order_is_attributed_from_taker_order_id(
        feed: UserFeed, mm: TraderAccount, eoa: TraderAccount, market: MarketInfo) -> None:
    await eoa.rest.place_orders([eoa.order(market, token=Token.DOWN, price_e4=4500, size_e6=20_000_000)])
    ours = fak(mm, market, price_e4=5500, size_e6=8_000_000)
    [result] = await mm.rest.place_orders([ours])
    assert isinstance(result, Ok), result
    trade = await feed.inbox.take(UserTradeEvent)
    assert trade.status is TradeStatus.MATCHED
    assert trade.fills == (TradeFill(trade_id=trade.trade_id, order_id=ours.order_id, token=Token.UP, side=Side.BUY,
                                     price_e4=5500, size_e6=8_000_000, role=TradeRole.TAKER),)


async def test_same_token_match_fills_our_maker_ask_as_a_sell(
        feed: UserFeed, mm: TraderAccount, eoa: TraderAccount, taker: TraderAccount, market: MarketInfo,
        clock: ManualClock) -> None:
    # we get Up shares first (we take a Down bid: a mint), and wait for them to settle
    await eoa.rest.place_orders([eoa.order(market, token=Token.DOWN, price_e4=4000, size_e6=10_000_000)])
    await mm.rest.place_orders([fak(mm, market, price_e4=6000, size_e6=10_000_000)])
    await feed.inbox.take(UserTradeEvent, lambda e: e.status is TradeStatus.MINED, clock=clock)
    ask = mm.order(market, side=Side.SELL, price_e4=6500, size_e6=10_000_000)
    [placed] = await mm.rest.place_orders([ask])
    assert isinstance(placed, Ok), placed
    [took] = await taker.rest.place_orders([fak(taker, market, price_e4=6500, size_e6=5_000_000)])
    assert isinstance(took, Ok), took
    fill = await feed.inbox.take(UserTradeEvent, lambda e: e.fills[0].order_id == ask.order_id)
    assert fill.fills == (TradeFill(trade_id=fill.trade_id, order_id=ask.order_id, token=Token.UP, side=Side.SELL,
                                    price_e4=6500, size_e6=5_000_000, role=TradeRole.MAKER),)


async def test_a_failed_trade_reaches_the_trader_as_failed(
        feed: UserFeed, venue: PolymarketVenue, mm: TraderAccount, taker: TraderAccount, market: MarketInfo,
        clock: ManualClock) -> None:
    await venue.apply_fault(Fault(kind="fail_trades", count=1))
    ours = mm.order(market, price_e4=4200)
    await mm.rest.place_orders([ours])
    await taker.rest.place_orders([fak(taker, market, token=Token.DOWN, price_e4=5800, size_e6=5_000_000)])
    matched = await feed.inbox.take(UserTradeEvent)
    failed = await feed.inbox.take(UserTradeEvent, lambda e: e.status is TradeStatus.FAILED, clock=clock)
    assert matched.status is TradeStatus.MATCHED and failed.trade_id == matched.trade_id
    assert failed.fills == matched.fills and failed.fills[0].order_id == ours.order_id


async def test_a_retried_trade_goes_through_retrying_to_confirmed(
        feed: UserFeed, venue: PolymarketVenue, mm: TraderAccount, taker: TraderAccount, market: MarketInfo,
        clock: ManualClock) -> None:
    await venue.apply_fault(Fault(kind="retry_trades", count=1))
    await mm.rest.place_orders([mm.order(market, price_e4=4200)])
    await taker.rest.place_orders([fak(taker, market, token=Token.DOWN, price_e4=5800, size_e6=5_000_000)])
    statuses = []
    for status in (TradeStatus.MATCHED, TradeStatus.RETRYING, TradeStatus.MINED, TradeStatus.CONFIRMED):
        ev = await feed.inbox.take(UserTradeEvent, status_is(status), clock=clock)
        statuses.append(ev.status)
    assert statuses == [TradeStatus.MATCHED, TradeStatus.RETRYING, TradeStatus.MINED, TradeStatus.CONFIRMED]


async def test_rest_trade_backfill_gives_the_same_fills_as_the_socket(
        feed: UserFeed, mm: TraderAccount, taker: TraderAccount, market: MarketInfo, clock: ManualClock) -> None:
    ours = mm.order(market, price_e4=4200)
    await mm.rest.place_orders([ours])
    await taker.rest.place_orders([fak(taker, market, token=Token.DOWN, price_e4=5800, size_e6=5_000_000)])
    live = await feed.inbox.take(UserTradeEvent)
    items = await RestVenue(mm.rest).trades(market.condition_id, clock.now_ms() - 60_000)
    assert isinstance(items, Ok) and len(items.value) == 1
    backfilled = feed.client.translator.message_to_event(items.value[0], clock.now_ms())
    assert isinstance(backfilled, UserTradeEvent)
    assert (backfilled.trade_id, backfilled.status, backfilled.fills) == (live.trade_id, live.status, live.fills)


async def test_another_accounts_trade_is_not_ours(
        feed: UserFeed, mm: TraderAccount, eoa: TraderAccount, taker: TraderAccount, market: MarketInfo) -> None:
    await eoa.rest.place_orders([eoa.order(market, price_e4=4200)])
    [other] = await taker.rest.place_orders([fak(taker, market, token=Token.DOWN, price_e4=5800, size_e6=5_000_000)])
    assert isinstance(other, Ok) and other.value.status is VenueOrderStatus.MATCHED
    probe = mm.order(market, price_e4=3000)
    await mm.rest.place_orders([probe])
    await feed.inbox.take(UserOrderEvent, lambda e: e.order_id == probe.order_id)  # in order after the trade
    assert feed.inbox.all(UserTradeEvent) == []
    assert [e.order_id for e in feed.inbox.all(UserOrderEvent)] == [probe.order_id]


async def test_one_trade_filling_two_of_our_orders_and_someone_elses_gives_our_two_fills(
        feed: UserFeed, mm: TraderAccount, eoa: TraderAccount, taker: TraderAccount, market: MarketInfo) -> None:
    first, second = mm.order(market, price_e4=4200, size_e6=5_000_000), mm.order(market, price_e4=4200,
                                                                                 size_e6=6_000_000)
    await mm.rest.place_orders([first])
    await eoa.rest.place_orders([eoa.order(market, price_e4=4200, size_e6=5_000_000)])
    await mm.rest.place_orders([second])
    [took] = await taker.rest.place_orders([fak(taker, market, token=Token.DOWN, price_e4=5800, size_e6=16_000_000)])
    assert isinstance(took, Ok), took
    trade = await feed.inbox.take(UserTradeEvent)
    assert sorted((f.order_id, f.size_e6, f.role) for f in trade.fills) == sorted(
        [(first.order_id, 5_000_000, TradeRole.MAKER), (second.order_id, 6_000_000, TradeRole.MAKER)])


async def test_our_marketable_buy_is_reported_on_the_user_channel(
        feed: UserFeed, mm: TraderAccount, eoa: TraderAccount, market: MarketInfo) -> None:
    await eoa.rest.place_orders([eoa.order(market, token=Token.DOWN, price_e4=4300, size_e6=20_000_000)])
    ours = fak(mm, market, price_e4=5700, size_e6=3_330_000)
    [result] = await mm.rest.place_orders([ours])
    assert isinstance(result, Ok), result
    placed = await feed.inbox.take(UserOrderEvent, lambda e: e.order_id == ours.order_id)
    assert placed.kind is OrderEventKind.PLACEMENT and placed.side is Side.BUY
    assert feed.client.translator.counts["malformed_message"] == 0
