"""B-3 at the reducer level: positions and open orders derive from user events; fills count once
per (trade id, order id), survive duplicates and out-of-order delivery, and FAILED reverses them."""

from __future__ import annotations

from trader_testkit.builders import (
    a_fill,
    a_submit,
    a_user_order,
    a_user_trade,
    an_ack,
    at,
    boot_events,
    e6,
)
from trader_testkit.harness import CoreHarness

from hourmm_common.enums import RiskMode
from polymarket_trader.core.effects import CancelAll, RaiseAlert
from polymarket_trader.core.events import (
    OrderEventKind,
    OrderType,
    Side,
    Token,
    TradeRole,
    TradeStatus,
    VenueOrderStatus,
)
from polymarket_trader.core.fills import taker_fee_e6
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.core.state import decode_state

CASH = e6(1_000)


def booted() -> CoreHarness:
    h = CoreHarness(now_ms=at(1))
    h.feed_all(boot_events(usdc=1_000))
    h.fresh_snapshot(0.5)
    return h


def test_placed_partial_duplicate_more_mined_confirmed_cancel() -> None:
    h = booted()
    h.feed(a_submit("0xo1", price=0.5, size=10, ts=at(2)))
    assert h.state.open_orders["0xo1"].status is OrderStatus.PENDING_SUBMIT
    assert h.state.positions.reserved_usdc_e6 == e6(5)

    h.feed(a_user_order("0xo1", kind=OrderEventKind.PLACEMENT, status=VenueOrderStatus.LIVE, ts=at(2)),
           an_ack("0xo1", ts=at(2)))
    assert h.state.open_orders["0xo1"].status is OrderStatus.LIVE

    partial = a_user_trade(a_fill("0xo1", trade_id="t1", size=4), ts=at(3))
    h.feed(partial, a_user_order("0xo1", matched=4, ts=at(3)))
    o = h.state.open_orders["0xo1"]
    assert (o.status, o.filled_e6, o.remaining_e6) == (OrderStatus.PARTIALLY_FILLED, e6(4), e6(6))
    assert h.state.positions.up_e6 == e6(4)
    assert h.state.positions.usdc_e6 == CASH - e6(2)
    assert h.state.positions.reserved_usdc_e6 == e6(3)

    h.feed(partial)  # duplicate delivery
    assert h.state.positions.up_e6 == e6(4)

    h.feed(a_user_trade(a_fill("0xo1", trade_id="t2", size=3), ts=at(4)))
    o = h.state.open_orders["0xo1"]
    assert (o.filled_e6, o.remaining_e6) == (e6(7), e6(3))
    assert h.state.positions.up_e6 == e6(7)

    for status in (TradeStatus.MINED, TradeStatus.CONFIRMED, TradeStatus.MINED):
        h.feed(a_user_trade(a_fill("0xo1", trade_id="t1", size=4), status=status, ts=at(5)))
    assert h.state.positions.up_e6 == e6(7)
    assert h.state.positions.up_settled_e6 == e6(4)  # only t1 is confirmed: sellable
    assert h.state.fills["t1|0xo1"].status is TradeStatus.CONFIRMED

    h.feed(a_user_order("0xo1", kind=OrderEventKind.CANCELLATION, status=VenueOrderStatus.CANCELED, matched=7,
                        ts=at(6)))
    assert "0xo1" not in h.state.open_orders
    assert h.state.closed_orders["0xo1"].status is OrderStatus.CANCELED
    assert h.state.positions.reserved_usdc_e6 == 0
    assert h.state.positions == h.state.positions.__class__(
        up_e6=e6(7), usdc_e6=CASH - e6(3.5), up_settled_e6=e6(4))
    assert not h.state.anomalies


def test_a_trade_that_fails_is_reversed_exactly_once() -> None:
    h = booted()
    h.feed(a_submit("0xo1", size=10, ts=at(2)), an_ack("0xo1", ts=at(2)))
    h.feed(a_user_trade(a_fill("0xo1", trade_id="t1", size=10), ts=at(3)))
    assert h.state.open_orders.get("0xo1") is None and h.state.closed_orders["0xo1"].status is OrderStatus.FILLED
    fx = h.feed(a_user_trade(a_fill("0xo1", trade_id="t1", size=10), status=TradeStatus.FAILED, ts=at(4)))
    assert any(isinstance(e, RaiseAlert) and e.code == "trade_failed" for e in fx)
    assert (h.state.positions.up_e6, h.state.positions.usdc_e6) == (0, CASH)
    h.feed(a_user_trade(a_fill("0xo1", trade_id="t1", size=10), status=TradeStatus.FAILED, ts=at(4)))
    h.feed(a_user_trade(a_fill("0xo1", trade_id="t1", size=10), status=TradeStatus.MATCHED, ts=at(4)))
    assert (h.state.positions.up_e6, h.state.positions.usdc_e6) == (0, CASH)


def test_failed_reversal_works_after_a_restart() -> None:
    h = booted()
    h.feed(a_submit("0xo1", size=10, ts=at(2)), an_ack("0xo1", ts=at(2)))
    h.feed(a_user_trade(a_fill("0xo1", trade_id="t1", size=5), ts=at(3)))
    h.state = decode_state(h.state.clone_for_persist())  # the process died; the journal brought it back
    h.feed(a_user_trade(a_fill("0xo1", trade_id="t1", size=5), status=TradeStatus.FAILED, ts=at(4)))
    assert (h.state.positions.up_e6, h.state.positions.usdc_e6) == (0, CASH)
    assert h.state.open_orders["0xo1"].filled_e6 == 0


def test_failed_seen_first_blocks_a_late_matched() -> None:
    h = booted()
    h.feed(a_submit("0xo1", size=10, ts=at(2)), an_ack("0xo1", ts=at(2)))
    h.feed(a_user_trade(a_fill("0xo1", trade_id="t9", size=5), status=TradeStatus.FAILED, ts=at(3)),
           a_user_trade(a_fill("0xo1", trade_id="t9", size=5), status=TradeStatus.MATCHED, ts=at(3)))
    assert h.state.positions.up_e6 == 0


def test_first_sight_may_be_confirmed_and_counts_as_settled() -> None:
    h = booted()
    h.feed(a_submit("0xo1", size=10, ts=at(2)), an_ack("0xo1", ts=at(2)))
    h.feed(a_user_trade(a_fill("0xo1", size=5), status=TradeStatus.CONFIRMED, ts=at(3)))
    assert (h.state.positions.up_e6, h.state.positions.up_settled_e6) == (e6(5), e6(5))


def test_taker_fill_pays_the_market_fee_and_sell_returns_cash() -> None:
    h = booted()
    h.feed(a_submit("0xo1", token=Token.DOWN, side=Side.BUY, price=0.4, size=10, ts=at(2)),
           an_ack("0xo1", ts=at(2)))
    h.feed(a_user_trade(a_fill("0xo1", token=Token.DOWN, price=0.4, size=10, role=TradeRole.TAKER), ts=at(3)))
    fee = taker_fee_e6(e6(10), 4000, h.state.active_market.fees)  # type: ignore[union-attr]
    assert fee == e6(10) * 7 // 100 * 24 // 100  # 10 * 0.07 * 0.4 * 0.6 = 0.168
    assert h.state.positions.usdc_e6 == CASH - e6(4) - fee
    assert h.state.positions.fees_paid_e6 == fee


def test_one_trade_with_two_of_our_maker_orders_counts_both() -> None:
    h = booted()
    h.feed(a_submit("0xa", size=10, ts=at(2)), a_submit("0xb", token=Token.DOWN, size=10, ts=at(2)))
    h.feed(a_user_trade(a_fill("0xa", trade_id="T", size=3), a_fill("0xb", trade_id="T", token=Token.DOWN, size=2),
                        ts=at(3)))
    assert (h.state.positions.up_e6, h.state.positions.down_e6) == (e6(3), e6(2))
    assert set(h.state.fills) == {"T|0xa", "T|0xb"}


def test_a_fill_on_an_order_we_never_sent_is_booked_and_halts() -> None:
    h = booted()
    h.set_time(at(2))
    fx = h.feed(a_user_trade(a_fill("0xforeign", size=5), ts=at(2)))
    assert h.state.positions.up_e6 == e6(5)  # our account's ledger moved: book it
    assert any(isinstance(e, CancelAll) for e in fx)
    assert h.state.risk_mode is RiskMode.HALT
    assert h.state.anomalies["fill_for_unknown_order"] == 1


def test_fills_still_arrive_after_a_cancel() -> None:
    h = booted()
    h.feed(a_submit("0xo1", size=10, ts=at(2)), an_ack("0xo1", ts=at(2)))
    h.feed(a_user_order("0xo1", kind=OrderEventKind.CANCELLATION, status=VenueOrderStatus.CANCELED, ts=at(3)))
    h.feed(a_user_trade(a_fill("0xo1", size=10), ts=at(3)))
    assert h.state.closed_orders["0xo1"].status is OrderStatus.FILLED
    assert h.state.positions.up_e6 == e6(10)
    assert not h.state.anomalies


def test_a_placement_report_after_the_rest_answer_closed_a_fak_is_stale_not_a_halt() -> None:
    h = booted()
    h.feed(a_submit("0xfak", order_type=OrderType.FAK, price=0.6, size=10),
           an_ack("0xfak", status=VenueOrderStatus.MATCHED))
    closed = h.state.order("0xfak")
    assert closed is not None and closed.status is OrderStatus.CANCELED
    mode_before = h.state.risk_mode
    fx = h.feed(a_user_order("0xfak", kind=OrderEventKind.PLACEMENT, status=VenueOrderStatus.LIVE, price=0.6))
    assert h.state.risk_mode is mode_before is not RiskMode.HALT
    assert not any(isinstance(e, CancelAll) for e in fx)
    assert h.state.order("0xfak").status is OrderStatus.CANCELED  # type: ignore[union-attr]
    # The fill that the FAK made still counts when its trade arrives.
    h.feed(a_user_trade(a_fill("0xfak", trade_id="tf", price=0.6, size=10, role=TradeRole.TAKER)))
    assert h.state.order("0xfak").status is OrderStatus.FILLED  # type: ignore[union-attr]
