"""2. Signed orders: the trader's signing (py-clob-client-v2 builder, signature types 0 and 3)
and its REST client against the venue's own verification. The order id the trader computes
before sending is the venue's `orderID`; open orders, every cancel route, and the rejections the
trader must classify (post-only cross, off-grid price, small size, bad expiration) — reference
D.2, D.4, D.5."""

from __future__ import annotations

import aiohttp
import pytest
from integration.pm_conformance_kit import DEPOSIT_WALLET, NOW_MS, PK_EOA, Inbox, TraderAccount

from hourmm_common.clock import ManualClock
from hourmm_sim.polymarket.venue import PolymarketVenue
from polymarket_trader.core.effects import CancelAll, CancelOrders, PlaceOrder
from polymarket_trader.core.events import (
    CancelAckEvent,
    CancelAllAckEvent,
    MarketInfo,
    OrderSubmitted,
    OrderTerms,
    OrderType,
    RestFailure,
    RestOrderAckEvent,
    RestOrderRejected,
    Side,
    Token,
    VenueOpenOrder,
    VenueOrderStatus,
)
from polymarket_trader.executor import Executor
from polymarket_trader.reconciler import RestVenue
from polymarket_trader.rest_client import Failed, Ok, PlaceAck, PolymarketRestClient, Rejected
from polymarket_trader.signing import L2Auth, OrderSigner, OrderSpec


@pytest.mark.parametrize("who", ["mm", "eoa", "safe"])  # signature types 3 (deposit wallet), 0 (EOA), 2 (safe)
async def test_gtd_post_only_order_is_accepted_under_the_id_the_trader_computed(
        who: str, request: pytest.FixtureRequest, venue: PolymarketVenue, market: MarketInfo) -> None:
    account: TraderAccount = request.getfixturevalue(who)
    order = account.order(market, price_e4=4200, size_e6=10_000_000)
    [result] = await account.rest.place_orders([order])
    assert result == Ok(PlaceAck(order_id=order.order_id, status=VenueOrderStatus.LIVE))
    resting = venue.clob.orders[order.order_id]
    assert resting.holder == account.funder.lower()
    assert (resting.price_u, resting.size_u, resting.order_type) == (420_000, 10_000_000, "GTD")
    assert resting.expiration_s == (market.hour_end_ms + 60_000) // 1000
    listed = await RestVenue(account.rest).open_orders(market)
    assert listed == Ok([VenueOpenOrder(order_id=order.order_id, token=Token.UP, side=Side.BUY, price_e4=4200,
                                        original_size_e6=10_000_000, size_matched_e6=0,
                                        expiration_s=resting.expiration_s, created_ms=NOW_MS)])


async def test_down_token_order_round_trips(mm: TraderAccount, market: MarketInfo) -> None:
    down = mm.order(market, token=Token.DOWN, price_e4=3100, size_e6=7_500_000)
    [result] = await mm.rest.place_orders([down])
    assert isinstance(result, Ok) and result.value.order_id == down.order_id
    listed = await RestVenue(mm.rest).open_orders(market)
    assert isinstance(listed, Ok) and [(o.token, o.price_e4, o.original_size_e6) for o in listed.value] == [
        (Token.DOWN, 3100, 7_500_000)]


async def test_batch_of_orders_is_acked_one_result_per_order_in_order(mm: TraderAccount, market: MarketInfo) -> None:
    orders = [mm.order(market, price_e4=p) for p in (3000, 3100, 3200)]
    results = await mm.rest.place_orders(orders)
    assert results == [Ok(PlaceAck(order_id=o.order_id, status=VenueOrderStatus.LIVE)) for o in orders]


async def test_batch_leg_rejection_is_a_rejection_of_that_leg_only(mm: TraderAccount, market: MarketInfo) -> None:
    good = mm.order(market, price_e4=3000)
    small = mm.order(market, price_e4=3100, size_e6=1_000_000)
    results = await mm.rest.place_orders([good, small])
    assert isinstance(results[0], Ok)
    assert isinstance(results[1], Rejected) and "lower than the minimum" in results[1].reason


async def test_cancel_one_many_market_and_all(mm: TraderAccount, venue: PolymarketVenue, market: MarketInfo) -> None:
    orders = [mm.order(market, price_e4=p) for p in (3000, 3100, 3200, 3300, 3400)]
    down = mm.order(market, token=Token.DOWN, price_e4=3000)
    assert all(isinstance(r, Ok) for r in await mm.rest.place_orders([*orders, down]))

    one = await mm.rest.cancel([orders[0].order_id])
    assert isinstance(one, Ok) and one.value.canceled == (orders[0].order_id,)
    again = await mm.rest.cancel([orders[0].order_id])
    assert isinstance(again, Ok) and again.value.canceled == ()
    assert dict(again.value.not_canceled) == {orders[0].order_id: "already canceled or matched"}

    many = await mm.rest.cancel([orders[1].order_id, orders[2].order_id])
    assert isinstance(many, Ok) and set(many.value.canceled) == {orders[1].order_id, orders[2].order_id}

    by_asset = await mm.rest.cancel_market(market.condition_id, market.down_token_id)
    assert isinstance(by_asset, Ok) and by_asset.value.canceled == (down.order_id,)

    by_market = await mm.rest.cancel_market(market.condition_id)
    assert isinstance(by_market, Ok) and set(by_market.value.canceled) == {orders[3].order_id, orders[4].order_id}

    more = [mm.order(market, price_e4=p) for p in (2000, 2100)]
    await mm.rest.place_orders(more)
    everything = await mm.rest.cancel_all()
    assert isinstance(everything, Ok) and set(everything.value.canceled) == {o.order_id for o in more}
    assert await mm.rest.open_orders(market.condition_id) == Ok([])
    assert all(venue.clob.orders[o.order_id].status == "CANCELED" for o in [*orders, *more, down])


async def test_cancel_of_an_unknown_order_is_not_canceled_with_a_reason(mm: TraderAccount) -> None:
    unknown = "0x" + "ab" * 32
    result = await mm.rest.cancel([unknown])
    assert isinstance(result, Ok) and result.value.canceled == ()
    assert [oid for oid, _ in result.value.not_canceled] == [unknown]


async def test_post_only_cross_is_rejected_and_classified_as_post_only(
        mm: TraderAccount, taker: TraderAccount, market: MarketInfo) -> None:
    ask = taker.order(market, side=Side.BUY, token=Token.DOWN, price_e4=4500)  # = an Up ask at 0.55
    assert isinstance((await taker.rest.place_orders([ask]))[0], Ok)
    crossing = mm.order(market, price_e4=5500)
    [result] = await mm.rest.place_orders([crossing])
    assert isinstance(result, Rejected) and result.post_only_cross, result
    assert result.reason == "invalid post-only order: order crosses book"


async def test_off_grid_price_after_a_tick_change_is_rejected_with_the_tick_rule(
        mm: TraderAccount, venue: PolymarketVenue, market: MarketInfo, clock: ManualClock) -> None:
    fine = mm.order(market, price_e4=4150, tick_e4=10)  # the trader believes the tick is 0.001
    [result] = await mm.rest.place_orders([fine])
    assert isinstance(result, Rejected) and not result.post_only_cross
    assert result.status == 400 and "breaks minimum tick size rule: 0.01" in result.reason
    venue.clob.set_tick(market.condition_id, 1_000, clock.now_ms())
    [now_ok] = await mm.rest.place_orders([mm.order(market, price_e4=4150, tick_e4=10)])
    assert isinstance(now_ok, Ok)


async def test_below_minimum_size_is_rejected_with_the_venue_reason(mm: TraderAccount, market: MarketInfo) -> None:
    [result] = await mm.rest.place_orders([mm.order(market, size_e6=4_990_000)])
    assert isinstance(result, Rejected) and not result.post_only_cross
    assert "lower than the minimum: 5" in result.reason


async def test_gtd_expiration_inside_the_security_minute_is_rejected(mm: TraderAccount, market: MarketInfo) -> None:
    [result] = await mm.rest.place_orders([mm.order(market, expiration_s=NOW_MS // 1000 + 30)])
    assert isinstance(result, Rejected) and result.reason == "invalid expiration"


async def test_gtd_order_is_cancelled_by_the_venue_a_minute_before_its_expiration(
        mm: TraderAccount, venue: PolymarketVenue, market: MarketInfo, clock: ManualClock) -> None:
    expiration_s = NOW_MS // 1000 + 180
    order = mm.order(market, expiration_s=expiration_s)
    assert isinstance((await mm.rest.place_orders([order]))[0], Ok)
    await clock.run_until(expiration_s * 1000 - 60_000 - 500)
    assert venue.clob.orders[order.order_id].status == "LIVE"
    await clock.run_until(expiration_s * 1000 - 60_000 + 500)
    assert venue.clob.orders[order.order_id].status == "CANCELED"


async def test_fak_order_takes_liquidity_and_reports_matched(
        mm: TraderAccount, taker: TraderAccount, market: MarketInfo) -> None:
    resting = taker.order(market, side=Side.BUY, token=Token.DOWN, price_e4=4500, size_e6=20_000_000)
    assert isinstance((await taker.rest.place_orders([resting]))[0], Ok)
    fak = mm.order(market, price_e4=5500, size_e6=10_000_000, order_type=OrderType.FAK, post_only=False,
                   expiration_s=0)
    [result] = await mm.rest.place_orders([fak])
    assert result == Ok(PlaceAck(order_id=fak.order_id, status=VenueOrderStatus.MATCHED))


async def test_fak_buy_with_market_order_precision_is_accepted(
        mm: TraderAccount, taker: TraderAccount, market: MarketInfo) -> None:
    """A marketable BUY's amounts follow the market-order precision (pUSD in cents, shares to the
    tick's amount decimals), so its implied price is near, not on, the grid (reference D.4)."""
    resting = taker.order(market, side=Side.BUY, token=Token.DOWN, price_e4=4300, size_e6=20_000_000)
    assert isinstance((await taker.rest.place_orders([resting]))[0], Ok)
    fak = mm.order(market, price_e4=5700, size_e6=3_330_000, order_type=OrderType.FAK, post_only=False,
                   expiration_s=0)
    assert (fak.maker_amount, fak.taker_amount) == (1_890_000, 3_315_700)  # 1.89 / 3.3157 = 0.570015...
    [result] = await mm.rest.place_orders([fak])
    assert isinstance(result, Ok), result


async def test_executor_place_reject_and_cancel_events_follow_the_venue(
        mm: TraderAccount, taker: TraderAccount, market: MarketInfo, clock: ManualClock) -> None:
    await taker.rest.place_orders([taker.order(market, token=Token.DOWN, price_e4=4500)])  # Up ask 0.55
    inbox = Inbox()
    executor = Executor(rest=mm.rest, signer=mm.signer, out=inbox.queue, clock=clock)
    executor.set_market(market)
    def place(client_req_id: str, price_e4: int) -> PlaceOrder:
        return PlaceOrder(client_req_id=client_req_id, condition_id=market.condition_id, tick_e4=market.tick_e4,
                          terms=OrderTerms(token=Token.UP, side=Side.BUY, price_e4=price_e4, size_e6=10_000_000,
                                           expiration_s=(market.hour_end_ms + 60_000) // 1000))

    await executor.execute([place("q-bid", 4000), place("q-cross", 5600)])
    submitted = {e.client_req_id: e.order_id for e in inbox.all(OrderSubmitted)}
    ack = await inbox.take(RestOrderAckEvent)
    assert (ack.client_req_id, ack.order_id, ack.venue_status) == ("q-bid", submitted["q-bid"], VenueOrderStatus.LIVE)
    rejected = await inbox.take(RestOrderRejected)
    assert (rejected.client_req_id, rejected.order_id, rejected.post_only_cross) == (
        "q-cross", submitted["q-cross"], True)
    await executor.execute([CancelOrders(client_req_id="c1", order_ids=(submitted["q-bid"],), reason="test")])
    cancelled = await inbox.take(CancelAckEvent)
    assert cancelled.canceled == (submitted["q-bid"],) and cancelled.not_canceled == ()
    await executor.execute([place("q-2", 3000)])
    await executor.execute([CancelAll(client_req_id="ca", condition_id=market.condition_id, reason="test")])
    all_gone = await inbox.take(CancelAllAckEvent)
    assert all_gone.canceled == (inbox.all(OrderSubmitted)[-1].order_id,)


async def test_an_order_signed_by_another_key_is_refused_as_a_proven_rejection(
        venue: PolymarketVenue, mm: TraderAccount, eoa: TraderAccount, market: MarketInfo) -> None:
    forged = OrderSigner(private_key=PK_EOA, signature_type=3, funder=DEPOSIT_WALLET, owner=mm.creds.api_key)
    terms = OrderTerms(token=Token.UP, side=Side.BUY, price_e4=4000, size_e6=10_000_000,
                       expiration_s=(market.hour_end_ms + 60_000) // 1000)
    order = forged.sign(OrderSpec(token_id=market.up_token_id, terms=terms, tick_e4=market.tick_e4),
                        timestamp_ms=NOW_MS)
    [result] = await mm.rest.place_orders([order])
    assert isinstance(result, Rejected) and result.status == 400, result
    assert order.order_id not in venue.clob.orders


async def test_wrong_api_secret_is_unauthorized_not_rejected(
        venue: PolymarketVenue, mm: TraderAccount, market: MarketInfo, http: aiohttp.ClientSession,
        clock: ManualClock) -> None:
    auth = L2Auth(address_signer=mm.signer, api_key=mm.creds.api_key, api_secret="c2VjcmV0LXdyb25n",
                  api_passphrase=mm.creds.passphrase)
    rest = PolymarketRestClient(base_url=venue.clob_url, session=http, auth=auth, clock=clock, signature_type=3)
    [result] = await rest.place_orders([mm.order(market)])
    assert isinstance(result, Failed) and result.failure is RestFailure.UNAUTHORIZED
    assert isinstance(await rest.open_orders(market.condition_id), Failed)
