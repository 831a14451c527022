"""6. Faults between the trader and the venue: a POST answered by a timeout or a 5xx with the
order placed behind it leaves the order UNKNOWN (reference D.5 ambiguity rule) and the
open-orders query finds it under the id computed before sending; a refused POST is not placed;
cancel-only and 429 are typed failures; a dropped or frozen websocket is reported
`WsDisconnected` and comes back `WsConnected(reconnect=True)`."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from integration.pm_conformance_kit import Inbox, TraderAccount, an_account

from hourmm_common.clock import ManualClock
from hourmm_sim.polymarket.faults import Fault
from hourmm_sim.polymarket.venue import PolymarketVenue
from polymarket_trader.core.effects import PlaceOrder
from polymarket_trader.core.events import (
    Channel,
    MarketInfo,
    OrderSubmitted,
    OrderTerms,
    RestErrorEvent,
    RestFailure,
    RestOrderAckEvent,
    Side,
    Token,
    WsConnected,
    WsDisconnected,
)
from polymarket_trader.executor import Executor
from polymarket_trader.market_ws import PolymarketMarketWsClient
from polymarket_trader.reconciler import RestVenue
from polymarket_trader.rest_client import Failed, Ok
from polymarket_trader.user_ws import PolymarketUserWsClient
from polymarket_trader.ws_channel import ChannelClient


def a_place(market: MarketInfo, **kw: object) -> PlaceOrder:
    terms: dict[str, object] = {"token": Token.UP, "side": Side.BUY, "price_e4": 4200, "size_e6": 10_000_000,
                                "expiration_s": (market.hour_end_ms + 60_000) // 1000}
    terms.update(kw)
    return PlaceOrder(client_req_id="d1-bid", condition_id=market.condition_id, tick_e4=market.tick_e4,
                      terms=OrderTerms(**terms))  # type: ignore[arg-type]


def an_executor(account: TraderAccount, market: MarketInfo, clock: ManualClock, inbox: Inbox) -> Executor:
    executor = Executor(rest=account.rest, signer=account.signer, out=inbox.queue, clock=clock)
    executor.set_market(market)
    return executor


@pytest.mark.parametrize(("fault", "failure"), [
    (Fault(kind="rest_timeout", path="/order", placed=True, delay_ms=30_000), RestFailure.TIMEOUT),
    (Fault(kind="rest_error", path="/order", status=500, placed=True), RestFailure.SERVER_ERROR),
    (Fault(kind="rest_error", path="/order", status=503, placed=True), RestFailure.SERVER_ERROR),
], ids=["timeout", "500", "503"])
async def test_post_without_a_proven_answer_is_unknown_and_the_open_orders_query_resolves_it(
        fault: Fault, failure: RestFailure, venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock,
        market: MarketInfo) -> None:
    account = an_account(venue, http, clock, "mm", timeout_s=0.3)  # wall time: the venue holds the answer
    await venue.apply_fault(fault)
    inbox = Inbox()
    await an_executor(account, market, clock, inbox).execute([a_place(market)])
    submitted = await inbox.take(OrderSubmitted)
    unknown = await inbox.take(RestErrorEvent)
    assert unknown.order_ids == (submitted.order_id,) and unknown.client_req_id == "d1-bid"
    assert unknown.failure is failure
    assert inbox.all(RestOrderAckEvent) == []
    listed = await RestVenue(account.rest).open_orders(market)
    assert isinstance(listed, Ok) and [o.order_id for o in listed.value] == [submitted.order_id]
    await clock.run_until(clock.now_ms() + 31_000)  # let the held request finish on the venue


async def test_a_refused_post_places_nothing(venue: PolymarketVenue, mm: TraderAccount, clock: ManualClock,
                                            market: MarketInfo) -> None:
    await venue.apply_fault(Fault(kind="rest_error", path="/order", status=500, placed=False))
    inbox = Inbox()
    await an_executor(mm, market, clock, inbox).execute([a_place(market)])
    error = await inbox.take(RestErrorEvent)
    assert error.failure is RestFailure.SERVER_ERROR
    assert await mm.rest.open_orders(market.condition_id) == Ok([])


async def test_cancel_only_refuses_orders_with_a_typed_failure_and_keeps_cancels(
        venue: PolymarketVenue, mm: TraderAccount, market: MarketInfo) -> None:
    resting = mm.order(market, price_e4=3000)
    await mm.rest.place_orders([resting])
    await venue.apply_fault(Fault(kind="cancel_only", enabled=True))
    [refused] = await mm.rest.place_orders([mm.order(market, price_e4=3100)])
    assert isinstance(refused, Failed) and refused.failure is RestFailure.CANCEL_ONLY
    cancelled = await mm.rest.cancel([resting.order_id])
    assert isinstance(cancelled, Ok) and cancelled.value.canceled == (resting.order_id,)


async def test_rate_limited_post_is_a_typed_failure(venue: PolymarketVenue, mm: TraderAccount,
                                                    market: MarketInfo) -> None:
    await venue.apply_fault(Fault(kind="rest_error", path="/order", status=429))
    [limited] = await mm.rest.place_orders([mm.order(market)])
    assert isinstance(limited, Failed) and limited.failure is RestFailure.RATE_LIMITED


async def run_client(client: ChannelClient) -> asyncio.Task[None]:
    return asyncio.create_task(client.run())


@pytest.mark.parametrize("channel", ["market", "user"])
async def test_a_dropped_socket_is_reported_and_reconnects(
        channel: str, venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock, market: MarketInfo,
        mm: TraderAccount) -> None:
    inbox = Inbox()
    client: ChannelClient
    if channel == "market":
        client = PolymarketMarketWsClient(url=venue.ws_market_url, session=http, out=inbox.queue, clock=clock)
    else:
        client = PolymarketUserWsClient(url=venue.ws_user_url, session=http, out=inbox.queue, clock=clock,
                                        funder=mm.funder, api_key=mm.creds.api_key, api_secret=mm.creds.secret,
                                        api_passphrase=mm.creds.passphrase)
    client.switch_market(market)
    task = await run_client(client)
    try:
        first = await inbox.take(WsConnected)
        assert first.reconnect is False
        await venue.apply_fault(Fault(kind="ws_drop", channel=channel))
        dropped = await inbox.take(WsDisconnected)
        assert dropped.channel is Channel(channel.upper())
        back = await inbox.take(WsConnected, clock=clock)
        assert back.reconnect is True and back.channel is Channel(channel.upper())
    finally:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_frozen_market_socket_goes_stale_and_reconnects(
        venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock, market: MarketInfo) -> None:
    inbox = Inbox()
    client = PolymarketMarketWsClient(url=venue.ws_market_url, session=http, out=inbox.queue, clock=clock)
    client.switch_market(market)
    task = await run_client(client)
    try:
        await inbox.take(WsConnected)
        started = clock.now_ms()
        await venue.apply_fault(Fault(kind="ws_freeze", channel="market", duration_ms=45_000))
        stale = await inbox.take(WsDisconnected, clock=clock)
        assert stale.reason.startswith("stale") and 30_000 <= clock.now_ms() - started <= 41_000
        back = await inbox.take(WsConnected, clock=clock)
        assert back.reconnect is True
    finally:
        await client.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
