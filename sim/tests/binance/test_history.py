"""The history loader reads the real files as their README describes and refuses bad rows."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hourmm_sim.history import (
    DATA_FILES,
    Candle,
    HistoryFormatError,
    candle_interval_ms,
    candles_between,
    data_path,
    load_candles,
    load_quotes,
    load_trades,
)

HOUR_MS = 3_600_000


@pytest.mark.parametrize(
    ("name", "rows", "first_open_ms", "interval_ms"),
    [
        ("1m_2025", 130_708, 1_747_699_200_000, 60_000),
        ("1m_2024", 41_761, 1_733_007_600_000, 60_000),
        ("1h", 44_283, 1_622_505_600_000, HOUR_MS),
    ],
)
def test_candle_files_load_with_the_counts_of_their_readme(
    candles: Callable[[str], list[Candle]], name: str, rows: int, first_open_ms: int, interval_ms: int
) -> None:
    loaded = candles(name)
    assert len(loaded) == rows
    assert loaded[0].open_time_ms == first_open_ms
    assert candle_interval_ms(loaded) == interval_ms
    assert all(c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high for c in loaded)


def test_trade_counts_are_kept_only_where_the_source_had_them(candles: Callable[[str], list[Candle]]) -> None:
    assert candles("1m_2024")[0].trades == 3577
    assert candles("1m_2025")[0].trades is None
    first = candles("1m_2025")[0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        105573.73, 105597.10, 105554.31, 105554.32, 10.82647,
    )


def test_the_1h_file_keeps_its_outage_gaps_and_candles_between_is_half_open(
    candles: Callable[[str], list[Candle]],
) -> None:
    hourly = candles("1h")
    gap_start = 1_628_816_400_000  # 2021-08-13 01:00 UTC, then 02:00-05:00 are missing
    window = candles_between(hourly, gap_start, gap_start + 6 * HOUR_MS)
    assert [c.open_time_ms for c in window] == [gap_start, gap_start + 5 * HOUR_MS]
    assert candles_between(hourly, gap_start, gap_start) == []
    assert len(candles_between(hourly, gap_start, gap_start + 1)) == 1


def test_the_trade_file_and_the_quote_fixture_load() -> None:
    trades = load_trades()
    assert len(trades) == 2001
    assert (trades[0].trade_id, trades[-1].trade_id) == (553_287_559, 553_289_559)
    assert trades[0].price == 39432.48 and trades[0].is_buyer_maker
    quotes = load_quotes()
    assert len(quotes) == 451
    assert all(q.bid < q.ask for q in quotes)


def test_data_files_name_the_four_files_and_unknown_names_are_refused() -> None:
    assert sorted(DATA_FILES) == ["1h", "1m_2024", "1m_2025", "trades"]
    assert all(data_path(name).exists() for name in DATA_FILES)
    with pytest.raises(KeyError, match="unknown data file"):
        data_path("1d")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "candles.csv.gz"
    with gzip.open(path, "wt") as f:
        f.write(text)
    return path


HEADER = "open_time_ms,open,high,low,close,volume\n"
GOOD = "60000,10.00,11.00,9.00,10.50,1.5\n"


@pytest.mark.parametrize(
    ("body", "line", "reason"),
    [
        ("time,open,high,low,close,volume\n" + GOOD, 1, "header"),
        (HEADER + GOOD + "120000,10.00,9.00,11.00,10.50,1\n", 3, "OHLC inconsistent"),
        (HEADER + GOOD + "120000,10.00,11.00,9.00,abc,1\n", 3, "could not convert"),
        (HEADER + GOOD + "120000,10.001,11.00,9.00,10.00,1\n", 3, "multiple of 0.01"),
        (HEADER + GOOD + "60000,10.00,11.00,9.00,10.00,1\n", 3, "strictly increasing"),
        (HEADER + GOOD + "120000,10.00,11.00,9.00,10.00\n", 3, "fields"),
        (HEADER + GOOD + "120000,10.00,11.00,9.00,10.00,-1\n", 3, "not a finite non-negative"),
        (HEADER + GOOD + "130000,10.00,11.00,9.00,10.00,1\n", 2, "neither 1m nor 1h"),
        ("", 1, "empty"),
    ],
)
def test_a_bad_candle_file_names_the_line_and_the_reason(
    tmp_path: Path, body: str, line: int, reason: str
) -> None:
    with pytest.raises(HistoryFormatError, match=reason) as info:
        load_candles(_write(tmp_path, body))
    assert info.value.line == line


def test_a_missing_file_is_a_history_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryFormatError, match="cannot read"):
        load_candles(tmp_path / "absent.csv.gz")


def test_a_bad_trade_row_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "trades.csv"
    path.write_text("trade_time_ms,trade_id,price,qty,is_buyer_maker\n1,10,5.00,0.1,true\n2,12,5.00,0.1,false\n")
    with pytest.raises(HistoryFormatError, match="contiguous"):
        load_trades(path)
    path.write_text("trade_time_ms,trade_id,price,qty,is_buyer_maker\n1,10,5.00,0.1,yes\n")
    with pytest.raises(HistoryFormatError, match="true/false"):
        load_trades(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.binary(max_size=300),
    st.lists(st.lists(st.sampled_from(["60000", "120000", "10.00", "9.99", "-1", "x", "", "1e3", "nan", "inf", "\x00"]),
                      max_size=8), max_size=5).map(
        lambda rows: (HEADER + "\n".join(",".join(r) for r in rows)).encode()),
))
def test_arbitrary_files_load_or_fail_with_a_history_error(tmp_path: Path, body: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(body)
    try:
        candles = load_candles(path)
    except HistoryFormatError:
        return
    assert all(c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high for c in candles)
