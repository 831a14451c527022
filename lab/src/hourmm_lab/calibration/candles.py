"""1-minute candles as parallel columns, the shape the calibration study scans.

In: the team's canonical gzip CSV (`open_time_ms,open,high,low,close,volume[,...]`). Out:
`MinuteCandles`, tuples indexed by minute, with a check that the minutes are contiguous where the
study needs them (`complete_hours`). Columns instead of row objects keep a 130k-row scan cheap.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import msgspec

from hourmm_common.errors import ParseError
from hourmm_common.hours import HOUR_MS, MINUTE_MS

REQUIRED_COLUMNS = ("open_time_ms", "open", "high", "low", "close")


class MinuteCandles(msgspec.Struct, frozen=True, kw_only=True):
    """Column store of 1-minute candles, sorted by `open_time_ms` with no duplicates."""

    open_time_ms: tuple[int, ...]
    open: tuple[float, ...]
    high: tuple[float, ...]
    low: tuple[float, ...]
    close: tuple[float, ...]

    def __len__(self) -> int:
        return len(self.open_time_ms)


def candles_from_rows(rows: list[tuple[int, float, float, float, float]]) -> MinuteCandles:
    """Build the column store from `(open_time_ms, open, high, low, close)` rows (sorted here)."""
    rows = sorted(rows)
    for prev, cur in zip(rows, rows[1:], strict=False):
        if cur[0] == prev[0]:
            raise ParseError(f"duplicate candle at {cur[0]}")
    for row in rows:
        if row[0] % MINUTE_MS:
            raise ParseError(f"candle open {row[0]} is not on a minute boundary")
        if not 0 < row[3] <= min(row[1], row[4]) <= max(row[1], row[4]) <= row[2]:
            raise ParseError(f"inconsistent OHLC at {row[0]}: {row[1:]}")
    return MinuteCandles(
        open_time_ms=tuple(r[0] for r in rows),
        open=tuple(r[1] for r in rows),
        high=tuple(r[2] for r in rows),
        low=tuple(r[3] for r in rows),
        close=tuple(r[4] for r in rows),
    )


def load_minute_candles(path: Path) -> MinuteCandles:
    """Read a (gzip) candle CSV; a malformed file raises `ParseError` naming the line."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        reader = csv.reader(text)
        header = next(reader, None)
        if header is None:
            raise ParseError(f"{path.name}: empty file")
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise ParseError(f"{path.name}: missing columns {missing}", ",".join(header))
        cols = [header.index(c) for c in REQUIRED_COLUMNS]
        rows: list[tuple[int, float, float, float, float]] = []
        for line_no, rec in enumerate(reader, start=2):
            try:
                t, o, h, lo, c = (rec[i] for i in cols)
                rows.append((int(t), float(o), float(h), float(lo), float(c)))
            except (ValueError, IndexError) as exc:
                raise ParseError(f"{path.name}:{line_no}: bad candle row ({exc})", ",".join(rec)) from exc
    return candles_from_rows(rows)


def complete_hours(candles: MinuteCandles) -> list[int]:
    """Indices of the first minute of every hour whose 60 minutes are all present, in time order."""
    times = candles.open_time_ms
    out: list[int] = []
    for i, t in enumerate(times):
        if t % HOUR_MS == 0 and i + 59 < len(times) and times[i + 59] - t == HOUR_MS - MINUTE_MS:
            out.append(i)
    return out
