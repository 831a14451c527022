"""Hour boundaries and the open rule (A-2, and the amendments' backfill / kline cross-check)."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st
from pricer_testkit.builders import H0, a_book, a_kline, a_trade, e8

from binance_pricer.core.hour_context import HourContextBuilder
from hourmm_common.enums import OpenSource
from hourmm_common.hours import HOUR_MS, hour_id

H1 = H0 + HOUR_MS


def a_builder_with_last_trade_before(hour: int, *, trade_id: int = 100) -> HourContextBuilder:
    b = HourContextBuilder(hour - 10_000)
    b.update_from_trade(a_trade(trade_id=trade_id, price=97_000.0, ts=hour - 50))
    return b


def test_first_trade_at_or_after_the_hour_start_is_the_open_and_never_changes() -> None:
    b = a_builder_with_last_trade_before(H1)
    b.update_from_trade(a_trade(trade_id=101, price=98_000.0, ts=H1))  # exactly at the start
    b.update_from_trade(a_trade(trade_id=102, price=98_500.0, ts=H1 + 10))
    ctx = b.get_context(H1 + 20)
    assert ctx.hour_id == hour_id(H1) and ctx.hour_start_ms == H1 and ctx.hour_end_ms == H1 + HOUR_MS
    assert ctx.open_e8 == e8(98_000.0) and ctx.open_source is OpenSource.TRADE
    assert ctx.last_trade_e8 == e8(98_500.0)
    b.update_from_trade(a_trade(trade_id=103, price=99_000.0, ts=H1 + 30 * 60_000))
    assert b.get_context(H1 + 31 * 60_000).open_e8 == e8(98_000.0)


def test_a_trade_one_ms_before_the_hour_belongs_to_the_previous_hour() -> None:
    b = a_builder_with_last_trade_before(H1)
    b.get_context(H1)  # the local clock rolls the hour first
    b.update_from_trade(a_trade(trade_id=101, price=97_100.0, ts=H1 - 1))  # late, previous hour
    b.update_from_trade(a_trade(trade_id=102, price=98_000.0, ts=H1 + 3))
    assert b.get_context(H1 + 10).open_e8 == e8(98_000.0)


def test_hour_rolls_at_the_boundary_and_t_remaining_resets() -> None:
    b = a_builder_with_last_trade_before(H1)
    before = b.get_context(H1 - 1)
    assert before.hour_start_ms == H0 and before.t_remaining_ms == 1
    after = b.get_context(H1)
    assert after.hour_start_ms == H1 and after.t_remaining_ms == HOUR_MS
    assert after.open_e8 is None and after.open_source is None  # reset_for_new_hour cleared it
    assert b.get_context(H1 + 1_000).t_remaining_ms == HOUR_MS - 1_000


def test_exchange_time_rolls_the_hour_even_when_the_local_clock_lags() -> None:
    b = a_builder_with_last_trade_before(H1)
    b.update_from_trade(a_trade(trade_id=101, price=98_000.0, ts=H1 + 2))
    ctx = b.get_context(H1 - 30)  # local clock 30 ms behind the exchange
    assert ctx.hour_start_ms == H1 and ctx.open_e8 == e8(98_000.0)
    assert ctx.t_remaining_ms == HOUR_MS  # clamped: never more than an hour


def test_rollover_with_late_and_out_of_order_trades_takes_the_lowest_id_of_the_new_hour() -> None:
    b = a_builder_with_last_trade_before(H1, trade_id=100)
    # Arrival order: 103 (new hour), 102 (new hour), 101 (late, old hour), 104.
    b.update_from_trade(a_trade(trade_id=103, price=98_030.0, ts=H1 + 40))
    assert b.get_context(H1 + 41).open_e8 is None  # 101 and 102 unseen: not proven yet
    b.update_from_trade(a_trade(trade_id=102, price=98_020.0, ts=H1 + 20))
    assert b.open_e8 is None  # is 101 before or after the boundary?
    b.update_from_trade(a_trade(trade_id=101, price=97_990.0, ts=H1 - 5))
    assert b.open_e8 == e8(98_020.0) and b.open_source is OpenSource.TRADE
    b.update_from_trade(a_trade(trade_id=104, price=98_040.0, ts=H1 + 60))
    assert b.open_e8 == e8(98_020.0)
    assert b.last_trade_e8 == e8(98_040.0)


def test_late_trade_in_the_new_hour_with_a_lower_id_still_becomes_the_open() -> None:
    b = a_builder_with_last_trade_before(H1, trade_id=100)
    b.update_from_trade(a_trade(trade_id=102, price=98_020.0, ts=H1 + 20))
    b.update_from_trade(a_trade(trade_id=101, price=98_010.0, ts=H1 + 1))
    assert b.open_e8 == e8(98_010.0)
    assert b.last_trade_e8 == e8(98_020.0)  # the last trade is the highest id, not the last to arrive


def test_mid_hour_start_never_takes_the_first_trade_seen_as_the_open() -> None:
    b = HourContextBuilder(H0 + 25 * 60_000)
    b.update_from_trade(a_trade(trade_id=5_000, price=98_700.0, ts=H0 + 25 * 60_000 + 10))
    b.update_from_trade(a_trade(trade_id=5_001, price=98_710.0, ts=H0 + 25 * 60_000 + 20))
    assert b.open_e8 is None
    assert b.backfill_due_ms(grace_ms=2_000) == H0 + 2_000  # due at once: already past
    assert b.update_from_rest_open(H0, e8(98_000.0))
    ctx = b.get_context(H0 + 26 * 60_000)
    assert ctx.open_e8 == e8(98_000.0) and ctx.open_source is OpenSource.REST_KLINE
    assert b.backfill_due_ms(grace_ms=2_000) is None


def test_a_mismatching_kline_corrects_the_rest_open() -> None:
    b = HourContextBuilder(H0 + 25 * 60_000)
    b.update_from_rest_open(H0, e8(98_000.0))
    b.update_from_kline(a_kline(open_time=H0, open_price=98_000.5))
    assert b.open_e8 == e8(98_000.5) and b.open_source is OpenSource.WS_KLINE
    kinds = [n.kind for n in b.drain_notices()]
    assert kinds == ["set", "corrected"]


def test_an_agreeing_kline_changes_nothing() -> None:
    b = a_builder_with_last_trade_before(H1)
    b.update_from_trade(a_trade(trade_id=101, price=98_000.0, ts=H1 + 1))
    b.update_from_kline(a_kline(open_time=H1, open_price=98_000.0))
    assert b.open_source is OpenSource.TRADE
    assert [n.kind for n in b.drain_notices()] == ["set"]


def test_kline_sets_the_open_when_none_is_known_and_ignores_other_hours_and_intervals() -> None:
    b = HourContextBuilder(H0 + 60_000)
    b.update_from_kline(a_kline(open_time=H0, interval="1m", open_price=1.0))
    b.update_from_kline(a_kline(open_time=H0 - HOUR_MS, open_price=2.0))
    assert b.open_e8 is None
    b.update_from_kline(a_kline(open_time=H0, open_price=98_001.0))
    assert b.open_e8 == e8(98_001.0) and b.open_source is OpenSource.WS_KLINE


def test_kline_of_the_next_hour_rolls_the_hour() -> None:
    b = HourContextBuilder(H0 + 60_000)
    b.update_from_kline(a_kline(open_time=H1, open_price=98_100.0, ts=H1 + 3))
    assert b.hour_start_ms == H1 and b.open_e8 == e8(98_100.0)


def test_rest_open_for_another_hour_is_ignored_and_a_disagreeing_one_is_reported() -> None:
    b = a_builder_with_last_trade_before(H1)
    b.update_from_trade(a_trade(trade_id=101, price=98_000.0, ts=H1 + 1))
    assert not b.update_from_rest_open(H0, e8(1.0))
    assert not b.update_from_rest_open(H1, e8(98_000.01))
    assert b.open_e8 == e8(98_000.0)
    assert [n.kind for n in b.drain_notices()] == ["set", "mismatch"]


def test_a_gap_across_the_boundary_breaks_the_proof_and_asks_for_rest() -> None:
    b = a_builder_with_last_trade_before(H1, trade_id=100)
    # Disconnected across the boundary: trades 101..149 were never seen.
    b.update_from_trade(a_trade(trade_id=150, price=98_300.0, ts=H1 + 90_000))
    assert b.open_e8 is None
    assert b.backfill_due_ms(grace_ms=2_000) == H1 + 2_000


def test_silent_feed_rolls_by_the_clock_and_skipped_hours_need_rest() -> None:
    b = a_builder_with_last_trade_before(H1, trade_id=100)
    ctx = b.get_context(H1 + 2 * HOUR_MS + 5)
    assert ctx.hour_start_ms == H1 + 2 * HOUR_MS and ctx.t_remaining_ms == HOUR_MS - 5
    b.update_from_trade(a_trade(trade_id=900, price=98_000.0, ts=H1 + 2 * HOUR_MS + 10))
    assert b.open_e8 is None


def test_bbo_gives_the_mid_and_is_the_reference_price() -> None:
    b = HourContextBuilder(H0)
    b.update_from_trade(a_trade(trade_id=1, price=98_000.0, ts=H0 + 1))
    assert b.get_context(H0 + 2).reference_price == 98_000.0
    b.update_from_book(a_book(bid=98_000.0, ask=98_000.02))
    ctx = b.get_context(H0 + 3)
    assert ctx.mid == 98_000.01 and ctx.reference_price == 98_000.01


def test_contexts_are_immutable_views() -> None:
    b = a_builder_with_last_trade_before(H1)
    first = b.get_context(H1 - 10)
    b.update_from_trade(a_trade(trade_id=101, price=98_000.0, ts=H1 + 1))
    b.get_context(H1 + 5)
    assert first.hour_start_ms == H0 and first.open_e8 is None


@given(
    before=st.integers(min_value=1, max_value=5),
    after=st.integers(min_value=1, max_value=8),
    order=st.randoms(use_true_random=False),
)
def test_any_arrival_order_never_yields_a_wrong_open_and_all_trades_prove_it(
    before: int, after: int, order: random.Random
) -> None:
    """Contiguous ids around the boundary, delivered in any order: a trade-sourced open is always
    the lowest id stamped at or after the hour start, and once every trade is in, it is set."""
    trades = [a_trade(trade_id=1_000 + i, price=97_000.0 + i, ts=H1 - (before - i) * 10) for i in range(before)]
    trades += [a_trade(trade_id=1_000 + before + j, price=98_000.0 + j, ts=H1 + j * 10) for j in range(after)]
    expected = e8(98_000.0)
    arrival = list(trades)
    order.shuffle(arrival)
    b = HourContextBuilder(H1 - 60_000)
    b.get_context(H1)  # the clock reached the hour; trades are all in flight
    for t in arrival:
        b.update_from_trade(t)
        assert b.open_e8 in (None, expected)
    assert b.open_e8 == expected and b.open_source is OpenSource.TRADE


def test_trades_after_a_backfilled_open_still_prove_the_next_hours_open() -> None:
    """Once the open is known the builder stops seeking it, but keeps the trade ids it needs."""
    b = HourContextBuilder(H0 + 10_000)  # mid-hour start: the open comes from REST
    assert b.update_from_rest_open(H0, e8(97_500.0))
    for i in range(1, 50):
        b.update_from_trade(a_trade(trade_id=i, price=97_000.0 + i, ts=H0 + 20_000 + i))
    b.update_from_trade(a_trade(trade_id=51, price=98_051.0, ts=H1 + 5))  # 50 is not seen yet
    assert b.get_context(H1 + 6).open_e8 is None
    b.update_from_trade(a_trade(trade_id=50, price=97_050.0, ts=H1 - 2))  # late: the predecessor
    assert b.get_context(H1 + 7).open_e8 == e8(98_051.0)
    assert b.get_context(H1 + 7).open_source is OpenSource.TRADE
    assert b.get_context(H1 + 7).last_trade_e8 == e8(98_051.0)
