"""The CLOB engine: admission rules, matching (transfer, mint, merge), settlement delay, trade
lifecycle, GTD expiry, dead-man switch, tick changes, close and resolution."""

from __future__ import annotations

import pytest
from venue_testkit import START_MS, a_clob, an_order, market_of

from hourmm_sim.polymarket.clob_events import OrderEvent, TickEvent, TradeEvent
from hourmm_sim.polymarket.clob_rules import (
    CANCEL_ONLY_MSG,
    FAK_EMPTY,
    FOK_KILLED,
    NOT_ENOUGH,
    POST_ONLY_CROSS,
    ClobConfig,
    order_from_amounts,
    taker_fee_u,
)
from hourmm_sim.polymarket.ledger import FEES_ADDRESS, PUSD
from hourmm_sim.polymarket.matching import BUY, DOWN, SELL, UP

T0 = START_MS + 60_000


def funded(clob, *who, pusd=1_000.0):
    for w in who:
        clob.ledger.deposit(w, int(pusd * 1_000_000))
    return clob


def test_buy_up_meets_buy_down_by_minting_a_complete_set():
    clob = funded(a_clob(), "a", "b")
    spec = market_of(clob)
    assert clob.place(an_order(clob, who="a", token=UP, price=0.40, size=10), T0).success
    result = clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=10), T0)
    assert result.success and result.status == "matched"
    trade = clob.trades[result.trade_ids[0]].record
    assert trade.makers[0].side == BUY and trade.makers[0].token == UP and trade.side == BUY and trade.token == DOWN
    assert clob.ledger.sets[spec.condition_id] == 10_000_000
    assert clob.ledger.total("a", spec.up_token) == 10_000_000
    assert clob.ledger.total("b", spec.down_token) == 10_000_000
    assert clob.ledger.total("a", PUSD) == 996_000_000 and clob.ledger.total("b", PUSD) == 994_000_000
    clob.ledger.check_conservation()


def test_sells_of_both_tokens_merge_back_into_collateral():
    clob = funded(a_clob(), "a", "b")
    spec = market_of(clob)
    clob.place(an_order(clob, who="a", token=UP, price=0.40, size=10), T0)
    clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=10), T0)
    clob.advance(T0 + 10_000)  # mined: shares now settled
    assert clob.place(an_order(clob, who="a", token=UP, side=SELL, price=0.45, size=10), T0 + 10_000).success
    result = clob.place(an_order(clob, who="b", token=DOWN, side=SELL, price=0.55, size=10), T0 + 10_000)
    assert result.status == "matched"
    assert clob.ledger.sets[spec.condition_id] == 0
    clob.advance(T0 + 20_000)
    assert clob.ledger.total("a", PUSD) == 1_000_500_000  # paid 4.0, got 4.5
    assert clob.ledger.total("b", PUSD) == 999_500_000
    clob.ledger.check_conservation()


def test_price_time_priority_and_partial_fills_at_the_makers_price():
    clob = funded(a_clob(), "m1", "m2", "m3", "t")
    first = an_order(clob, who="m1", token=UP, price=0.40, size=10)
    second = an_order(clob, who="m2", token=UP, price=0.40, size=10)
    better = an_order(clob, who="m3", token=UP, price=0.41, size=5)
    for o in (first, second, better):
        clob.place(o, T0)
    # the taker buys Down at up to 0.60, i.e. meets Up bids at 0.40 and better (minting)
    result = clob.place(an_order(clob, who="t", token=DOWN, price=0.60, size=12), T0)
    trades = [clob.trades[t].record for t in result.trade_ids]
    assert [t.price_u for t in trades] == [590_000, 600_000]  # one trade per level, taker's prices
    assert [(m.order_id, m.matched_u) for m in trades[0].makers] == [(better.order_id, 5_000_000)]
    assert [(m.order_id, m.matched_u) for m in trades[1].makers] == [(first.order_id, 7_000_000)]
    assert clob.orders[first.order_id].remaining_u == 3_000_000
    assert clob.orders[second.order_id].matched_u == 0
    clob.ledger.check_conservation()


def test_post_only_order_that_would_cross_is_rejected():
    clob = funded(a_clob(), "a", "b")
    clob.place(an_order(clob, who="a", token=UP, price=0.40, size=10), T0)
    result = clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=10, post_only=True), T0)
    assert not result.success and result.error == POST_ONLY_CROSS
    assert clob.ledger.reserved["b", PUSD] == 0


@pytest.mark.parametrize(("price", "size", "fragment"), [
    (0.405, 10, "breaks minimum tick size rule: 0.01"),
    (0.0, 10, "breaks minimum tick size rule"),
    (0.995, 10, "breaks minimum tick size rule"),
    (0.40, 4.99, "lower than the minimum: 5"),
])
def test_tick_bounds_and_minimum_size_use_the_real_error_texts(price, size, fragment):
    clob = funded(a_clob(), "a")
    result = clob.place(an_order(clob, who="a", price=price, size=size), T0)
    assert not result.success and fragment in result.error and result.error.startswith("order 0x")


def test_balance_is_enforced_and_reserved_by_resting_buys():
    clob = funded(a_clob(), "a", pusd=5.0)
    assert clob.place(an_order(clob, who="a", price=0.40, size=10), T0).success  # locks 4.0
    result = clob.place(an_order(clob, who="a", price=0.40, size=5), T0)
    assert not result.success and result.error == NOT_ENOUGH
    assert clob.ledger.available("a", PUSD) == 1_000_000


def test_just_bought_shares_cannot_be_sold_until_the_trade_is_mined():
    clob = funded(a_clob(), "a", "b")
    clob.place(an_order(clob, who="a", token=UP, price=0.40, size=10), T0)
    clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=10), T0)
    early = clob.place(an_order(clob, who="a", token=UP, side=SELL, price=0.45, size=10), T0 + 500)
    assert early.error == NOT_ENOUGH
    clob.advance(T0 + ClobConfig().mined_delay_ms)
    assert clob.place(an_order(clob, who="a", token=UP, side=SELL, price=0.45, size=10), T0 + 2_000).success


def test_trade_moves_matched_mined_confirmed_on_schedule():
    cfg = ClobConfig(mined_delay_ms=1_000, confirmed_delay_ms=4_000)
    clob = funded(a_clob(cfg), "a", "b")
    clob.place(an_order(clob, who="a", price=0.40, size=10), T0)
    tid = clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=10), T0).trade_ids[0]
    clob.drain()
    statuses = []
    for t in (T0 + 999, T0 + 1_000, T0 + 3_999, T0 + 4_000):
        clob.advance(t)
        statuses += [e.trade.status for e in clob.drain() if isinstance(e, TradeEvent) and e.trade.trade_id == tid]
    assert statuses == ["MINED", "CONFIRMED"]
    assert clob.trades[tid].record.status == "CONFIRMED"


def test_failed_trade_reverts_the_ledger_exactly():
    clob = funded(a_clob(), "a", "b")
    spec = market_of(clob)
    clob.pipeline.add_fault("fail", 1)
    clob.place(an_order(clob, who="a", price=0.40, size=10), T0)
    tid = clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=10), T0).trade_ids[0]
    clob.advance(T0 + 5_000)
    assert clob.trades[tid].record.status == "FAILED"
    assert clob.ledger.total("a", PUSD) == clob.ledger.total("b", PUSD) == 1_000_000_000
    assert clob.ledger.total("a", spec.up_token) == 0 and clob.ledger.sets[spec.condition_id] == 0
    clob.ledger.check_conservation()


def test_gtd_order_is_cancelled_a_minute_before_its_expiration():
    clob = funded(a_clob(), "a")
    expiration_s = (T0 + 300_000) // 1000
    order = an_order(clob, who="a", order_type="GTD", expiration_s=expiration_s)
    assert clob.place(order, T0).success
    clob.advance(expiration_s * 1000 - 60_001)
    assert clob.orders[order.order_id].status == "LIVE"
    clob.drain()
    clob.advance(expiration_s * 1000 - 60_000)
    cancels = [e for e in clob.drain() if isinstance(e, OrderEvent) and e.kind == "CANCELLATION"]
    assert [e.order.order_id for e in cancels] == [order.order_id]
    assert clob.ledger.reserved["a", PUSD] == 0


def test_gtd_expiration_inside_the_security_minute_is_invalid():
    clob = funded(a_clob(), "a")
    result = clob.place(an_order(clob, who="a", order_type="GTD", expiration_s=(T0 + 59_000) // 1000), T0)
    assert result.error == "invalid expiration"


def test_fok_and_fak_are_killed_with_the_real_texts():
    clob = funded(a_clob(), "a", "b")
    clob.place(an_order(clob, who="a", price=0.40, size=5), T0)
    fok = clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=10, order_type="FOK"), T0)
    assert fok.error == FOK_KILLED
    fak_empty = clob.place(an_order(clob, who="b", token=DOWN, price=0.50, size=10, order_type="FAK"), T0)
    assert fak_empty.error == FAK_EMPTY
    fak = clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=10, order_type="FAK"), T0)
    assert fak.success and clob.orders[fak.order_id].status == "CANCELED"
    assert clob.orders[fak.order_id].matched_u == 5_000_000
    clob.ledger.check_conservation()


def test_heartbeat_silence_for_ten_seconds_cancels_the_users_orders():
    clob = funded(a_clob(), "a")
    order = an_order(clob, who="a")
    clob.place(order, T0)
    ok, hb = clob.deadlines.heartbeat("key-a", "", T0)
    assert ok
    ok, hb = clob.deadlines.heartbeat("key-a", hb, T0 + 5_000)
    assert ok
    assert clob.deadlines.heartbeat("key-a", "wrong", T0 + 6_000) == (False, hb)
    clob.advance(T0 + 15_000)
    assert clob.orders[order.order_id].status == "LIVE"
    clob.advance(T0 + 15_001)
    assert clob.orders[order.order_id].status == "CANCELED"


def test_cancel_only_mode_refuses_new_orders_but_allows_cancels():
    clob = funded(a_clob(), "a")
    order = an_order(clob, who="a")
    clob.place(order, T0)
    clob.cancel_only = True
    result = clob.place(an_order(clob, who="a"), T0)
    assert (result.http_status, result.error) == (503, CANCEL_ONLY_MSG)
    assert clob.cancel("key-a", [order.order_id], T0) == ([order.order_id], {})
    assert clob.cancel("key-a", [order.order_id], T0)[1] == {order.order_id: "already canceled or matched"}


def test_trading_near_the_edge_tightens_the_tick_to_a_tenth_of_a_cent():
    clob = funded(a_clob(), "a", "b")
    spec = market_of(clob)
    clob.place(an_order(clob, who="a", token=UP, price=0.97, size=40), T0)
    clob.place(an_order(clob, who="b", token=DOWN, price=0.03, size=40), T0)
    ticks = [e for e in clob.drain() if isinstance(e, TickEvent)]
    assert [(e.old_tick_u, e.new_tick_u) for e in ticks] == [(10_000, 1_000)]
    assert clob.markets[spec.condition_id].tick_u == 1_000
    assert clob.place(an_order(clob, who="a", token=UP, price=0.975, size=10), T0).success


def test_resolution_pays_one_per_winning_share_and_closes_the_book():
    clob = funded(a_clob(), "a", "b")
    spec = market_of(clob)
    clob.place(an_order(clob, who="a", token=UP, price=0.40, size=10), T0)
    clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=10), T0)
    resting = an_order(clob, who="a", token=UP, price=0.30, size=10)
    clob.place(resting, T0)
    clob.advance(spec.end_ms, outcome=lambda s: UP)
    assert clob.orders[resting.order_id].status == "CANCELED_MARKET_RESOLVED"
    clob.advance(spec.end_ms + ClobConfig().resolve_delay_ms, outcome=lambda s: UP)
    assert clob.markets[spec.condition_id].winner == UP
    assert clob.ledger.total("a", PUSD) == 1_006_000_000  # paid 4, got 10
    assert clob.ledger.total("b", PUSD) == 994_000_000
    assert clob.ledger.sets[spec.condition_id] == 0
    clob.ledger.check_conservation()


def test_taker_fees_are_charged_and_kept_by_the_operator():
    clob = funded(a_clob(fee_rate_e5=7_000), "a", "b")
    clob.place(an_order(clob, who="a", price=0.40, size=100), T0)
    clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=100), T0)
    fee = taker_fee_u(100_000_000, 600_000, 7_000, 1)
    assert fee == 1_680_000  # 100 x 0.07 x 0.24
    assert clob.ledger.total("b", PUSD) == 1_000_000_000 - 60_000_000 - fee
    assert clob.ledger.total(FEES_ADDRESS, PUSD) == fee
    clob.ledger.check_conservation()


def test_order_amounts_give_price_and_size_as_the_sdk_builds_them():
    assert order_from_amounts(BUY, 5_100_000, 10_000_000) == (510_000, 10_000_000)
    assert order_from_amounts(SELL, 10_000_000, 5_100_000) == (510_000, 10_000_000)
    with pytest.raises(ValueError):
        order_from_amounts(BUY, 0, 10)


def test_marketable_buy_needs_one_dollar_not_five_shares():
    clob = funded(a_clob(), "a", "b")
    clob.place(an_order(clob, who="a", token=UP, price=0.40, size=10), T0)
    small = clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=1), T0)
    assert small.error == "invalid amount for a marketable BUY order ($0.6), min size: $1"
    assert clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=2), T0).status == "matched"


def test_a_buy_beyond_the_pusd_allowance_is_refused():
    clob = funded(a_clob(), "a")
    clob.ledger.allowance["a"] = 5_000_000
    assert clob.place(an_order(clob, who="a", price=0.40, size=10), T0).success  # 4.0 of 5.0
    result = clob.place(an_order(clob, who="a", price=0.40, size=5), T0)
    assert result.error == NOT_ENOUGH and clob.ledger.available("a", PUSD) == 996_000_000


def test_a_retried_trade_goes_through_retrying_before_it_is_mined():
    cfg = ClobConfig(mined_delay_ms=1_000, confirmed_delay_ms=4_000)
    clob = funded(a_clob(cfg), "a", "b")
    clob.pipeline.add_fault("retry", 1)
    clob.place(an_order(clob, who="a", price=0.40, size=10), T0)
    tid = clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=10), T0).trade_ids[0]
    clob.drain()
    statuses = []
    for t in range(T0, T0 + 10_000, 500):
        clob.advance(t)
        statuses += [e.trade.status for e in clob.drain() if isinstance(e, TradeEvent) and e.trade.trade_id == tid]
    assert statuses == ["RETRYING", "MINED", "CONFIRMED"]
    clob.ledger.check_conservation()


def test_trade_faults_can_aim_at_some_owners_only():
    clob = funded(a_clob(), "a", "b", "c")
    clob.pipeline.add_fault("fail", 1, owners=frozenset({"key-c"}))
    clob.place(an_order(clob, who="a", price=0.40, size=10), T0)
    bystanders = clob.place(an_order(clob, who="b", token=DOWN, price=0.60, size=5), T0).trade_ids[0]
    aimed = clob.place(an_order(clob, who="c", token=DOWN, price=0.60, size=5), T0).trade_ids[0]
    clob.advance(T0 + 5_000)
    assert clob.trades[bystanders].record.status == "MINED"
    assert clob.trades[aimed].record.status == "FAILED"


def test_the_venue_counts_each_owners_order_outcomes_per_market():
    clob = funded(a_clob(), "a", "b")
    market = market_of(clob).condition_id
    mine = an_order(clob, who="a", price=0.40)
    expiring = an_order(clob, who="a", price=0.30, order_type="GTD", expiration_s=(T0 + 300_000) // 1000)
    for order in (mine, expiring, an_order(clob, who="a", price=0.20)):
        assert clob.place(order, T0).success
    assert not clob.place(an_order(clob, who="a", token=DOWN, price=0.65, post_only=True), T0).success  # crosses
    assert clob.place(an_order(clob, who="b", price=0.35), T0).success  # someone else's
    clob.cancel("key-a", [mine.order_id], T0 + 1_000)
    clob.advance(expiring.expiration_s * 1000 - 60_000)
    assert clob.order_counts("key-a") == {market: {"placed": 4, "cancelled": 1, "expired": 1, "rejected": 1}}
    assert clob.order_counts("key-b") == {market: {"placed": 1, "cancelled": 0, "expired": 0, "rejected": 0}}
    clob.close_market(market, T0 + 2_000)  # the last working order ends with the market, not by its owner
    assert clob.order_counts("key-a")[market]["expired"] == 2
