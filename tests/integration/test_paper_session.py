"""7. A short in-process paper session: `ContainerBApp` (the whole trader: reducer, executor,
reconciler, both websockets, heartbeat, scheduler) quotes on the venue; an independent taker
lifts our bid and our ask; once the trades are confirmed the trader's positions equal the
venue's ledger for our deposit wallet, and its fills equal the venue's trades."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from integration.pm_conformance_kit import DEPOSIT_WALLET, START_MS, TraderAccount
from integration.pm_conformance_kit.paper import Session, live_quote, paper_trader

from hourmm_common.clock import ManualClock
from hourmm_common.enums import SessionState
from hourmm_sim.polymarket.faults import Fault
from hourmm_sim.polymarket.ledger import PUSD
from hourmm_sim.polymarket.venue import PolymarketVenue
from polymarket_trader.core.effects import QueryBalances
from polymarket_trader.core.events import OrderType, Token, TradeStatus, VenueOrderStatus
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.rest_client import Ok


@pytest.fixture
async def session(venue: PolymarketVenue, clock: ManualClock, mm: TraderAccount,
                  tmp_path: Path) -> AsyncIterator[Session]:
    async with paper_trader(venue, clock, mm, tmp_path) as running:
        yield running


@pytest.mark.parametrize("fault", [
    None,
    Fault(kind="fail_trades", count=1),
    Fault(kind="retry_trades", count=2),
    Fault(kind="user_duplicate", duration_ms=20_000),
    Fault(kind="user_reorder", duration_ms=5_000),
    Fault(kind="user_delay", delay_ms=3_000, duration_ms=20_000),
], ids=["clean", "failed_trade", "retrying", "duplicated", "reordered", "delayed"])
async def test_positions_after_our_quotes_are_lifted_equal_the_venue_ledger(
        fault: Fault | None, session: Session, venue: PolymarketVenue, taker: TraderAccount,
        mm: TraderAccount) -> None:
    await session.drive(lambda s: s.session_state is SessionState.ACTIVE)
    market = session.view.active_market
    assert market is not None and market.hour_start_ms == START_MS
    await session.drive(lambda s: live_quote(s, Token.UP) is not None and live_quote(s, Token.DOWN) is not None)
    bid, ask = live_quote(session.view, Token.UP), live_quote(session.view, Token.DOWN)
    assert bid is not None and ask is not None
    if fault is not None:
        await venue.apply_fault(fault)
    # the taker sells into our Up bid (buys Down at 1 - bid) and buys from our Down bid (buys Up at 1 - it)
    for token, price in ((Token.DOWN, 10_000 - bid[1]), (Token.UP, 10_000 - ask[1])):
        [took] = await taker.rest.place_orders([taker.order(
            market, token=token, price_e4=price, size_e6=5_000_000, order_type=OrderType.FAK, post_only=False,
            expiration_s=0, now_ms=session.clock.now_ms())])
        assert isinstance(took, Ok) and took.value.status is VenueOrderStatus.MATCHED, took
    await session.clock.run_until(session.clock.now_ms() + 30_000)  # every trade terminal, every event in
    assert {t.record.status for t in venue.clob.trades.values()} <= {"CONFIRMED", "FAILED"}
    holder = DEPOSIT_WALLET.lower()
    ledger = venue.clob.ledger
    pos = session.view.positions
    assert (pos.up_e6, pos.down_e6) == (ledger.total(holder, market.up_token_id),
                                        ledger.total(holder, market.down_token_id))
    assert pos.usdc_e6 == ledger.total(holder, PUSD)
    assert pos.reserved_usdc_e6 == ledger.reserved.get((holder, PUSD), 0)
    counted = {(f.trade_id, f.order_id) for f in session.view.fills.values()
               if f.applied and f.status is not TradeStatus.FAILED}
    venue_ok = {(t.record.trade_id, m.order_id) for t in venue.clob.trades.values() if t.record.status != "FAILED"
                for m in t.record.makers if m.owner == mm.creds.api_key}
    assert counted == venue_ok
    heartbeat = session.app.heartbeat
    assert heartbeat is not None and heartbeat.counts["ok"] >= 6 and heartbeat.counts["failed"] == 0


async def test_a_balance_read_between_matched_and_mined_keeps_positions_equal_to_the_ledger(
        session: Session, venue: PolymarketVenue, taker: TraderAccount) -> None:
    await session.drive(lambda s: s.session_state is SessionState.ACTIVE)
    market = session.view.active_market
    assert market is not None
    await session.drive(lambda s: live_quote(s, Token.UP) is not None)
    bid = live_quote(session.view, Token.UP)
    assert bid is not None
    [took] = await taker.rest.place_orders([taker.order(
        market, token=Token.DOWN, price_e4=10_000 - bid[1], size_e6=5_000_000, order_type=OrderType.FAK,
        post_only=False, expiration_s=0, now_ms=session.clock.now_ms())])
    assert isinstance(took, Ok), took
    await session.drive(lambda s: any(f.order_id == bid[0] and f.applied for f in s.fills.values()))
    assert venue.clob.trades[next(iter(venue.clob.trades))].record.status == "MATCHED"
    # the boot-sync balance read (a restart right after the fill) lands before the trade is mined
    session.app.reconciler.handle([QueryBalances(reason="boot_sync")])
    await session.drive(lambda s: s.balances_deferred, max_ms=1_000)  # not adopted: our fill is not mined
    await session.clock.run_until(session.clock.now_ms() + 10_000)  # mined and confirmed
    holder = DEPOSIT_WALLET.lower()
    pos = session.view.positions
    assert pos.up_e6 == venue.clob.ledger.total(holder, market.up_token_id) == 5_000_000
    assert not session.view.balances_deferred  # re-read and adopted once the fill was mined


async def test_a_fill_hidden_by_a_frozen_user_socket_is_backfilled_after_the_reconnect(
        session: Session, venue: PolymarketVenue, taker: TraderAccount) -> None:
    await session.drive(lambda s: s.session_state is SessionState.ACTIVE)
    market = session.view.active_market
    assert market is not None
    await session.drive(lambda s: live_quote(s, Token.UP) is not None)
    bid = live_quote(session.view, Token.UP)
    assert bid is not None
    # the user channel goes silent (no events, no PONG); a taker lifts our bid right away
    await venue.apply_fault(Fault(kind="ws_freeze", channel="user", duration_ms=40_000))
    [took] = await taker.rest.place_orders([taker.order(
        market, token=Token.DOWN, price_e4=10_000 - bid[1], size_e6=5_000_000, order_type=OrderType.FAK,
        post_only=False, expiration_s=0, now_ms=session.clock.now_ms())])
    assert isinstance(took, Ok) and took.value.status is VenueOrderStatus.MATCHED, took
    await session.clock.run_until(session.clock.now_ms() + 45_000)  # stale at 30-40 s, then reconnected
    await session.drive(lambda s: s.health.user_ws_connected)
    await session.clock.run_until(session.clock.now_ms() + 5_000)  # the backfill and its fold
    assert any(f.order_id == bid[0] and f.applied for f in session.view.fills.values()), \
        "the fill made while the user socket was frozen was never counted"
    holder = DEPOSIT_WALLET.lower()
    assert session.view.positions.up_e6 == venue.clob.ledger.total(holder, market.up_token_id)


async def test_an_unanswered_post_is_resolved_and_the_trader_agrees_with_the_venue_on_open_orders(
        session: Session, venue: PolymarketVenue, mm: TraderAccount) -> None:
    for path in ("/order", "/orders"):  # the first quotes, whichever route: processed, then answered 500
        await venue.apply_fault(Fault(kind="rest_error", path=path, status=500, placed=True))
    executor = session.app.executor
    await session.drive(lambda s: executor.counts["place_failed_server_error"] > 0)
    await session.clock.run_until(session.clock.now_ms() + 30_000)
    await session.drive(lambda s: s.session_state is SessionState.ACTIVE and not any(
        o.status is OrderStatus.UNKNOWN for o in s.open_orders.values()))
    await session.clock.run_until(session.clock.now_ms() + 2_000)
    ours = {oid for oid, o in session.view.open_orders.items() if o.status is OrderStatus.LIVE}
    venue_live = {o.order_id for o in venue.clob.live_orders(mm.creds.api_key)}
    assert ours == venue_live


async def test_user_events_ahead_of_the_rest_answer_leave_no_unknown_order(
        session: Session, venue: PolymarketVenue, mm: TraderAccount) -> None:
    await venue.apply_fault(Fault(kind="user_first", count=4))  # the first posts: the socket wins the race
    await session.drive(lambda s: live_quote(s, Token.UP) is not None and live_quote(s, Token.DOWN) is not None)
    await session.clock.run_until(session.clock.now_ms() + 5_000)
    assert venue.faults.user_first < 4, "no single POST /order was made: the fault was never exercised"
    assert session.view.anomalies.get("order_event_for_unknown_order", 0) == 0
    ours = {oid for oid, o in session.view.open_orders.items() if o.status is OrderStatus.LIVE}
    assert ours == {o.order_id for o in venue.clob.live_orders(mm.creds.api_key)}
