"""The tape: deterministic expansion of real candles that re-aggregates to the same candles."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from collections.abc import Callable

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hourmm_sim.history import Candle, candles_between
from hourmm_sim.klines import KlineAccumulator
from hourmm_sim.tape import (
    Tape,
    TapeQuote,
    TapeTrade,
    minute_path,
    tape_from_candles,
    tape_from_recorded,
)

Candles = Callable[[str], list[Candle]]
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_2025 = 1_750_032_000_000  # 2025-06-16 00:00 UTC
DAY_2024 = 1_733_702_400_000  # 2024-12-09 00:00 UTC


def test_the_same_seed_gives_the_same_tape_bit_for_bit(candles: Candles) -> None:
    hour = candles_between(candles("1m_2025"), DAY_2025, DAY_2025 + HOUR_MS)
    first = tape_from_candles(hour, seed=7)
    again = tape_from_candles(hour, seed=7)
    other = tape_from_candles(hour, seed=8)
    assert msgspec.json.encode(first.events) == msgspec.json.encode(again.events)
    assert msgspec.json.encode(first.events) != msgspec.json.encode(other.events)


def test_a_minute_expands_the_same_way_whatever_range_it_is_part_of(candles: Candles) -> None:
    two_hours = candles_between(candles("1m_2025"), DAY_2025, DAY_2025 + 2 * HOUR_MS)
    whole = tape_from_candles(two_hours, seed=3)
    second_alone = tape_from_candles(two_hours[60:], seed=3)

    def shape(trades: tuple[TapeTrade, ...] | list[TapeTrade]) -> list[tuple[int, float, float]]:
        return [(t.ts_ms, t.price, t.qty) for t in trades]

    later = [t for t in whole.trades if t.ts_ms >= DAY_2025 + HOUR_MS]
    assert shape(later) == shape(second_alone.trades)


@pytest.mark.parametrize(("name", "day_ms"), [("1m_2025", DAY_2025), ("1m_2024", DAY_2024)])
def test_one_minute_klines_from_the_tape_equal_a_day_of_real_candles(
    candles: Candles, name: str, day_ms: int
) -> None:
    day = candles_between(candles(name), day_ms, day_ms + 24 * HOUR_MS)
    assert len(day) == 1440
    tape = tape_from_candles(day, seed=11, trades_per_minute=40)
    for candle in day:
        kline = tape.kline(MINUTE_MS, candle.open_time_ms)
        assert kline is not None and kline.closed
        got = (kline.open, kline.high, kline.low, kline.close, kline.volume)
        assert got == (candle.open, candle.high, candle.low, candle.close, candle.volume)
        first = tape.trades_between(candle.open_time_ms, candle.open_time_ms + MINUTE_MS)[0]
        assert first.ts_ms >= candle.open_time_ms and first.price == candle.open


@pytest.mark.parametrize(("name", "day_ms"), [("1m_2025", DAY_2025), ("1m_2024", DAY_2024)])
def test_one_hour_klines_from_the_tape_equal_the_1h_file(candles: Candles, name: str, day_ms: int) -> None:
    day = candles_between(candles(name), day_ms, day_ms + 24 * HOUR_MS)
    tape = tape_from_candles(day, seed=5, trades_per_minute=20)
    hourly = candles_between(candles("1h"), day_ms, day_ms + 24 * HOUR_MS)
    assert len(hourly) == 24
    for candle in hourly:
        kline = tape.kline(HOUR_MS, candle.open_time_ms)
        assert kline is not None
        assert (kline.open, kline.high, kline.low, kline.close) == (candle.open, candle.high, candle.low, candle.close)
        assert kline.volume == pytest.approx(candle.volume, abs=1e-6)
        assert tape.price_at(candle.open_time_ms + HOUR_MS - 1) == candle.close


def test_quotes_follow_each_trade_on_the_touch_with_mostly_a_one_cent_spread(candles: Candles) -> None:
    hour = candles_between(candles("1m_2025"), DAY_2025, DAY_2025 + HOUR_MS)
    events = tape_from_candles(hour, seed=1).events
    spreads = []
    for trade, quote in zip(events[::2], events[1::2], strict=True):
        assert isinstance(trade, TapeTrade) and isinstance(quote, TapeQuote)
        assert quote.ts_ms == trade.ts_ms and quote.bid < quote.ask
        assert trade.price == (quote.bid if trade.is_buyer_maker else quote.ask)
        spreads.append(round((quote.ask - quote.bid) * 100))
    one_cent = spreads.count(1) / len(spreads)
    assert 0.75 < one_cent < 0.95 and max(spreads) > 2
    ids = [e.trade_id for e in events[::2] if isinstance(e, TapeTrade)]
    assert ids == list(range(ids[0], ids[0] + len(ids)))


def test_trade_sides_follow_the_tick_direction(candles: Candles) -> None:
    hour = candles_between(candles("1m_2025"), DAY_2025, DAY_2025 + HOUR_MS)
    trades = tape_from_candles(hour, seed=2).trades
    for before, after in zip(trades, trades[1:], strict=False):
        if after.price < before.price:
            assert after.is_buyer_maker
        elif after.price > before.price:
            assert not after.is_buyer_maker


@settings(max_examples=200, deadline=None)
@given(
    low=st.integers(1, 10_000_000),
    span=st.integers(0, 50_000),
    at=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    n=st.integers(4, 300),
    seed=st.integers(0, 2**32),
)
def test_a_candle_path_starts_at_open_touches_both_extremes_and_ends_at_close(
    low: int, span: int, at: tuple[float, float], n: int, seed: int
) -> None:
    high = low + span
    o, c = (low + round(span * x) for x in at)
    path = minute_path(o, high, low, c, n, random.Random(seed))
    assert len(path) == n and path[0] == o and path[-1] == c
    assert min(path) == low and max(path) == high


def test_a_zero_volume_candle_still_prints_its_open_and_close() -> None:
    halted = Candle(open_time_ms=HOUR_MS, open=28080.0, high=28080.0, low=28080.0, close=28080.0, volume=0.0)
    tape = tape_from_candles([halted], seed=0, interval_ms=HOUR_MS, trades_per_minute=4)
    kline = tape.kline(HOUR_MS, HOUR_MS)
    assert kline is not None and (kline.open, kline.close, kline.volume) == (28080.0, 28080.0, 0.0)


def _tiny_tape() -> Tape:
    def trade(ts: int, tid: int, price: float) -> TapeTrade:
        return TapeTrade(ts_ms=ts, trade_id=tid, price=price, qty=0.5, is_buyer_maker=False)

    quote = TapeQuote(ts_ms=61_000, update_id=1, bid=9.0, bid_qty=1.0, ask=9.01, ask_qty=1.0)
    return Tape([trade(60_000, 1, 10.0), trade(60_500, 2, 12.0), quote, trade(61_000, 3, 9.0),
                 trade(185_000, 4, 11.0)])


def test_lookups_by_time() -> None:
    tape = _tiny_tape()
    assert (tape.index_at(59_999), tape.index_at(60_000), tape.index_at(61_000), tape.index_at(10**9)) == (0, 1, 4, 5)
    assert [e.ts_ms for e in tape.events_between(60_500, 185_000)] == [60_500, 61_000, 61_000]
    assert (tape.price_at(59_999), tape.price_at(60_700), tape.price_at(184_999)) == (None, 12.0, 9.0)


def test_klines_are_partial_before_their_close_and_carry_the_close_over_an_empty_interval() -> None:
    tape = _tiny_tape()
    partial = tape.kline(MINUTE_MS, 60_000, up_to_ms=60_600)
    assert partial is not None and not partial.closed
    assert (partial.open, partial.high, partial.low, partial.close, partial.trades) == (10.0, 12.0, 10.0, 12.0, 2)
    full = tape.kline(MINUTE_MS, 60_000)
    assert full is not None and full.closed and (full.low, full.close, full.volume) == (9.0, 9.0, 1.5)
    assert (full.first_trade_id, full.last_trade_id) == (1, 3)
    empty = tape.kline(MINUTE_MS, 120_000)
    assert empty is not None and (empty.open, empty.close, empty.trades, empty.first_trade_id) == (9.0, 9.0, 0, -1)
    assert tape.kline(MINUTE_MS, 0) is None
    assert tape.kline(MINUTE_MS, 180_000, up_to_ms=170_000) is None


def test_events_out_of_time_order_are_refused() -> None:
    with pytest.raises(ValueError, match="time order"):
        Tape([TapeTrade(ts_ms=2, trade_id=1, price=1.0, qty=1.0, is_buyer_maker=True),
              TapeTrade(ts_ms=1, trade_id=2, price=1.0, qty=1.0, is_buyer_maker=True)])


def test_the_recorded_tape_merges_the_real_trades_and_quotes() -> None:
    tape = tape_from_recorded()
    assert len(tape.trades) == 2001 and len(tape) == 2001 + 451
    assert tape.start_ms == 1_610_064_000_278 and tape.end_ms == 1_610_064_046_674
    kline = tape.kline(MINUTE_MS, 1_610_064_000_000)
    assert kline is not None and kline.open == 39432.48 and kline.trades == 2001
    assert kline.volume == pytest.approx(87.071596, abs=1e-9)


def test_trade_by_trade_and_bulk_aggregation_give_the_same_kline(candles: Candles) -> None:
    hour = candles_between(candles("1m_2025"), DAY_2025, DAY_2025 + HOUR_MS)
    tape = tape_from_candles(hour, seed=9, trades_per_minute=60)
    rng = random.Random(0)
    for _ in range(50):
        interval = rng.choice([MINUTE_MS, 5 * MINUTE_MS, HOUR_MS])
        open_ms = DAY_2025 + rng.randrange(0, HOUR_MS, interval)
        up_to = open_ms + rng.randrange(interval)
        acc = KlineAccumulator(interval, open_ms, prev_close=tape.price_at(open_ms - 1))
        for trade in tape.trades_between(open_ms, up_to + 1):
            acc.add(trade)
        assert tape.kline(interval, open_ms, up_to_ms=up_to) == acc.snapshot(closed=up_to == open_ms + interval - 1)


def test_the_tape_is_the_same_in_another_process_with_another_hash_seed(candles: Candles) -> None:
    code = (
        "import hashlib, msgspec\n"
        "from hourmm_sim.history import Candle, candles_between, data_path, load_candles\n"
        "from hourmm_sim.tape import tape_from_candles\n"
        f"c = candles_between(load_candles(data_path('1m_2024')), {DAY_2024}, {DAY_2024 + 10 * MINUTE_MS})\n"
        "print(hashlib.sha256(msgspec.json.encode(tape_from_candles(c, seed=3).events)).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    here = candles_between(candles("1m_2024"), DAY_2024, DAY_2024 + 10 * MINUTE_MS)
    digest = hashlib.sha256(msgspec.json.encode(tape_from_candles(here, seed=3).events)).hexdigest()
    assert out.stdout.strip() == digest


def test_an_inconsistent_candle_is_refused() -> None:
    bad = Candle(open_time_ms=0, open=10.0, high=9.0, low=8.0, close=8.5, volume=1.0)
    with pytest.raises(ValueError, match="inconsistent candle"):
        tape_from_candles([bad], seed=0)
