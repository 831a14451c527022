from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from hourmm_common.errors import ParseError
from hourmm_common.paths import binance_data_dir
from hourmm_lab.calibration.candles import candles_from_rows, complete_hours, load_minute_candles

H0 = 1_733_011_200_000


def _flat(minutes: range) -> list[tuple[int, float, float, float, float]]:
    return [(H0 + m * 60_000, 100.0, 101.0, 99.0, 100.0) for m in minutes]


def test_the_shared_december_file_loads_with_every_minute_and_its_complete_hours() -> None:
    c = load_minute_candles(binance_data_dir() / "BTCUSDT-spot-1m-2024-11-30_2024-12-29.csv.gz")
    assert len(c) == 41_761
    assert c.open_time_ms[0] == 1_733_007_600_000 and c.open[0] == 96466.11
    hours = complete_hours(c)
    assert len(hours) == 41_760 // 60  # the last hour of the file has one minute only


def test_an_hour_with_a_missing_minute_is_not_complete() -> None:
    rows = _flat(range(0, 180))
    del rows[90]
    assert complete_hours(candles_from_rows(rows)) == [0, 119]


def test_a_bad_row_is_a_parse_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("open_time_ms,open,high,low,close\n1733011200000,1,2,0.5,1\n1733011260000,x,2,1,1\n")
    with pytest.raises(ParseError, match=r"bad.csv.gz:3"):
        load_minute_candles(path)


def test_missing_columns_and_inconsistent_ohlc_are_parse_errors(tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("open_time_ms,open,close\n1,2,3\n")
    with pytest.raises(ParseError, match="missing columns"):
        load_minute_candles(path)
    with pytest.raises(ParseError, match="inconsistent OHLC"):
        candles_from_rows([(H0, 100.0, 99.0, 98.0, 100.0)])
    with pytest.raises(ParseError, match="duplicate"):
        candles_from_rows(_flat(range(2)) + _flat(range(1)))
