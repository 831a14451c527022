"""5. The dead-man switch and balances: the trader's `HeartbeatKeeper` keeps the venue's
`POST /v1/heartbeats` chain accepted (and resumes it with the id the venue returns after a
lapse, when the venue has cancelled our orders); `GET /balance-allowance` (6-decimal integer
strings) becomes the reconciler's `BalancesSnapshot` (reference D.3, E)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from integration.pm_conformance_kit import Inbox, TraderAccount

from hourmm_common.clock import ManualClock
from hourmm_sim.polymarket.venue import PolymarketVenue
from polymarket_trader.core.effects import OrderAction, QueryBalances, QueryOpenOrders
from polymarket_trader.core.events import (
    BalancesSnapshot,
    HeartbeatStatusEvent,
    MarketInfo,
    OpenOrdersSnapshot,
    OrderType,
    Token,
)
from polymarket_trader.heartbeat import HeartbeatKeeper
from polymarket_trader.reconciler import Reconciler, RestVenue
from polymarket_trader.rest_client import Ok
from polymarket_trader.user_ws import UserTranslator


class NoOrders:
    def submit(self, actions: Sequence[OrderAction]) -> None:
        raise AssertionError("no order actions expected")


async def test_heartbeat_chain_is_accepted_and_keeps_our_orders_alive(
        mm: TraderAccount, venue: PolymarketVenue, market: MarketInfo, clock: ManualClock) -> None:
    inbox = Inbox()
    keeper = HeartbeatKeeper(rest=mm.rest, out=inbox.queue, clock=clock, interval_ms=5_000)
    order = mm.order(market)
    await mm.rest.place_orders([order])
    keeper.set_armed(True)
    task = asyncio.create_task(keeper.run())
    try:
        first = await inbox.take(HeartbeatStatusEvent, clock=clock)
        assert first.ok
        await clock.run_until(clock.now_ms() + 30_000)
        assert keeper.counts["ok"] >= 6 and keeper.counts["failed"] == 0 and keeper.counts["id_resynced"] == 0
        assert venue.clob.orders[order.order_id].status == "LIVE"
        keeper.set_armed(False)  # the trader goes quiet: the venue cancels within 10 s
        await clock.run_until(clock.now_ms() + 11_000)
        assert venue.clob.orders[order.order_id].status == "CANCELED"
        keeper.set_armed(True)  # the stale id is answered 400 with a fresh one: the chain resumes
        await clock.run_until(clock.now_ms() + 1_000)
        assert keeper.counts["id_resynced"] == 1 and keeper.counts["failed"] == 0 and keeper.healthy
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_balances_become_a_balances_snapshot(
        mm: TraderAccount, eoa: TraderAccount, market: MarketInfo, clock: ManualClock) -> None:
    inbox = Inbox()
    reconciler = Reconciler(venue=RestVenue(mm.rest), out=inbox.queue, clock=clock, executor=NoOrders(),
                            translator=UserTranslator(funder=mm.funder, api_key=mm.creds.api_key))
    reconciler.switch_market(market)
    reconciler.handle([QueryBalances(reason="test")])
    snap = await inbox.take(BalancesSnapshot)
    assert (snap.usdc_e6, snap.up_e6, snap.down_e6, snap.condition_id) == (1_000_000_000, 0, 0,
                                                                           market.condition_id)
    # buy 10 Up at 0.60 against a Down bid at 0.40 (a mint), then wait for the trade to be mined
    await eoa.rest.place_orders([eoa.order(market, token=Token.DOWN, price_e4=4000, size_e6=10_000_000)])
    [took] = await mm.rest.place_orders([mm.order(market, price_e4=6000, size_e6=10_000_000,
                                                  order_type=OrderType.FAK, post_only=False, expiration_s=0)])
    assert isinstance(took, Ok), took
    await clock.run_until(clock.now_ms() + 3_000)
    reconciler.handle([QueryBalances(reason="test")])
    snap = await inbox.take(BalancesSnapshot)
    assert (snap.usdc_e6, snap.up_e6, snap.down_e6) == (994_000_000, 10_000_000, 0)


async def test_open_orders_query_becomes_an_open_orders_snapshot(
        mm: TraderAccount, market: MarketInfo, clock: ManualClock) -> None:
    inbox = Inbox()
    reconciler = Reconciler(venue=RestVenue(mm.rest), out=inbox.queue, clock=clock, executor=NoOrders(),
                            translator=UserTranslator(funder=mm.funder, api_key=mm.creds.api_key))
    reconciler.switch_market(market)
    orders = [mm.order(market, price_e4=p) for p in (3000, 3100)]
    await mm.rest.place_orders(orders)
    reconciler.handle([QueryOpenOrders(condition_id=market.condition_id, reason="test")])
    snap = await inbox.take(OpenOrdersSnapshot)
    assert sorted(o.order_id for o in snap.orders) == sorted(o.order_id for o in orders)
