"""Real Binance BTCUSDT history from `../shared/data/binance/`, loaded and validated.

In: the gzip CSV files described in that folder's README (1m and 1h candles, a 46 s trade tape)
and the top-of-book fixture. Out: lists of frozen `Candle`, `RecordedTrade` and `RecordedQuote`.
Callers: `hourmm_sim.tape` (expansion into trades and quotes), the backtest and calibration.

A bad file is a bug in the data, not a wire fault: loading stops at the first bad row with a
`HistoryFormatError` naming the file, the line and the reason, so nobody simulates on garbage.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import msgspec

from hourmm_common.errors import HourMMError
from hourmm_common.paths import binance_data_dir, fixtures_dir

# The four real data files (see `../shared/data/binance/README.md`), by short name.
DATA_FILES: dict[str, str] = {
    "1m_2025": "BTCUSDT-spot-1m-2025-05-20_2025-08-18.csv.gz",
    "1m_2024": "BTCUSDT-spot-1m-2024-11-30_2024-12-29.csv.gz",
    "1h": "BTCUSDT-spot-1h-2021-06-01_2026-06-20.csv.gz",
    "trades": "BTCUSDT-spot-trades-2021-01-08T000000-000046.csv.gz",
}
QUOTES_FIXTURE = "binance/btcusdt_spot_quotes_2021-01-08.csv"

_CANDLE_COLUMNS = ("open_time_ms", "open", "high", "low", "close", "volume")
_TRADE_COLUMNS = ("trade_time_ms", "trade_id", "price", "qty", "is_buyer_maker")
_QUOTE_COLUMNS = ("time_ms", "bid", "bid_qty", "ask", "ask_qty")
_INTERVALS_MS = (60_000, 3_600_000)


class HistoryFormatError(HourMMError):
    """A history file is not what its README promises (wrong header, bad row, out of order)."""

    def __init__(self, path: Path | str, line: int, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        super().__init__(f"{self.path}:{line}: {reason}")


class Candle(msgspec.Struct, frozen=True, kw_only=True):
    """One Binance spot kline as recorded: [open_time_ms, open_time_ms + interval)."""

    open_time_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    trades: int | None = None


class RecordedTrade(msgspec.Struct, frozen=True, kw_only=True):
    """One real spot trade from the trades file (`is_buyer_maker` true = seller-initiated)."""

    ts_ms: int
    trade_id: int
    price: float
    qty: float
    is_buyer_maker: bool


class RecordedQuote(msgspec.Struct, frozen=True, kw_only=True):
    """One real top-of-book row from the quotes fixture."""

    ts_ms: int
    bid: float
    bid_qty: float
    ask: float
    ask_qty: float


def data_path(name: str) -> Path:
    """Path of one of `DATA_FILES` by short name (`"1m_2025"`, `"1h"`, ...)."""
    try:
        return binance_data_dir() / DATA_FILES[name]
    except KeyError:
        raise KeyError(f"unknown data file {name!r}; known: {sorted(DATA_FILES)}") from None


def _read_lines(path: Path) -> list[str]:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="ascii", newline="") as stream:
                return stream.read().splitlines()
        return path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise HistoryFormatError(path, 0, f"cannot read: {exc}") from exc


def _rows(path: Path, expected: Sequence[str]) -> tuple[list[str], Iterator[list[str]]]:
    """The header (checked to start with `expected`) and the data rows after it."""
    reader = csv.reader(_read_lines(path))
    header = next(reader, None)
    if header is None:
        raise HistoryFormatError(path, 1, "empty file")
    if tuple(header[: len(expected)]) != tuple(expected):
        raise HistoryFormatError(path, 1, f"header {header!r} does not start with {list(expected)!r}")
    return header, reader


def _price(text: str) -> float:
    """A USDT price on the 0.01 grid (the files write exactly two decimals)."""
    value = float(text)
    if not (math.isfinite(value) and value > 0) or abs(value * 100 - round(value * 100)) > 1e-6:
        raise ValueError(f"price {text!r} is not a positive multiple of 0.01")
    return value


def _candle(row: list[str], with_trades: bool) -> Candle:
    open_, high, low, close = (_price(x) for x in row[1:5])
    volume = float(row[5])
    if not (math.isfinite(volume) and volume >= 0):
        raise ValueError(f"volume {row[5]!r} is not a finite non-negative number")
    if not (low <= min(open_, close) and max(open_, close) <= high):
        raise ValueError("OHLC inconsistent (need low <= open, close <= high)")
    trades = int(row[6]) if with_trades else None
    if trades is not None and trades < 0:
        raise ValueError(f"negative trade count {row[6]!r}")
    return Candle(
        open_time_ms=int(row[0]), open=open_, high=high, low=low, close=close, volume=volume, trades=trades
    )


def load_candles(path: Path | str) -> list[Candle]:
    """All candles of a 1m or 1h file, validated: header, numbers, OHLC order, sorted, on the grid."""
    path = Path(path)
    header, reader = _rows(path, _CANDLE_COLUMNS)
    with_trades = len(header) > 6 and header[6] == "trades"
    candles: list[Candle] = []
    interval_ms = 0
    for line, row in enumerate(reader, start=2):
        try:
            if len(row) != len(header):
                raise ValueError(f"{len(row)} fields, header has {len(header)}")
            candle = _candle(row, with_trades)
        except ValueError as exc:
            raise HistoryFormatError(path, line, str(exc)) from exc
        if candles:
            step = candle.open_time_ms - candles[-1].open_time_ms
            if step <= 0:
                raise HistoryFormatError(path, line, "open times not strictly increasing")
            interval_ms = step if not interval_ms else min(interval_ms, step)
        candles.append(candle)
    if interval_ms and interval_ms not in _INTERVALS_MS:
        raise HistoryFormatError(path, 2, f"smallest spacing {interval_ms} ms is neither 1m nor 1h")
    for line, candle in enumerate(candles, start=2):
        if interval_ms and candle.open_time_ms % interval_ms:
            raise HistoryFormatError(path, line, f"open time {candle.open_time_ms} off the {interval_ms} ms grid")
    return candles


def candle_interval_ms(candles: Sequence[Candle]) -> int:
    """The spacing of a candle list (the smallest gap; files may have outage gaps)."""
    if len(candles) < 2:
        raise ValueError("need at least two candles to tell their interval")
    return min(b.open_time_ms - a.open_time_ms for a, b in zip(candles, candles[1:], strict=False))


def candles_between(candles: Sequence[Candle], start_ms: int, end_ms: int) -> list[Candle]:
    """Candles whose open time is in [start_ms, end_ms), by binary search on the sorted list."""
    lo = bisect.bisect_left(candles, start_ms, key=_open_time)
    hi = bisect.bisect_left(candles, end_ms, key=_open_time)
    return list(candles[lo:hi])


def _open_time(candle: Candle) -> int:
    return candle.open_time_ms


def load_trades(path: Path | str | None = None) -> list[RecordedTrade]:
    """The real trade tape (default: the 46 s file), validated: contiguous ids, non-decreasing times."""
    path = Path(path) if path is not None else data_path("trades")
    _, reader = _rows(path, _TRADE_COLUMNS)
    trades: list[RecordedTrade] = []
    for line, row in enumerate(reader, start=2):
        try:
            if len(row) != len(_TRADE_COLUMNS):
                raise ValueError(f"{len(row)} fields, expected {len(_TRADE_COLUMNS)}")
            if row[4] not in ("true", "false"):
                raise ValueError(f"is_buyer_maker {row[4]!r} is not true/false")
            trade = RecordedTrade(
                ts_ms=int(row[0]), trade_id=int(row[1]), price=_price(row[2]), qty=float(row[3]),
                is_buyer_maker=row[4] == "true",
            )
            if not (math.isfinite(trade.qty) and trade.qty > 0):
                raise ValueError(f"qty {row[3]!r} is not positive")
        except ValueError as exc:
            raise HistoryFormatError(path, line, str(exc)) from exc
        if trades and (trade.ts_ms < trades[-1].ts_ms or trade.trade_id != trades[-1].trade_id + 1):
            raise HistoryFormatError(path, line, "trades out of order or trade ids not contiguous")
        trades.append(trade)
    return trades


def load_quotes(path: Path | str | None = None) -> list[RecordedQuote]:
    """The real top-of-book rows (default: the fixture matching the trades file), validated."""
    path = Path(path) if path is not None else fixtures_dir() / QUOTES_FIXTURE
    _, reader = _rows(path, _QUOTE_COLUMNS)
    quotes: list[RecordedQuote] = []
    for line, row in enumerate(reader, start=2):
        try:
            if len(row) != len(_QUOTE_COLUMNS):
                raise ValueError(f"{len(row)} fields, expected {len(_QUOTE_COLUMNS)}")
            quote = RecordedQuote(
                ts_ms=int(row[0]), bid=_price(row[1]), bid_qty=float(row[2]), ask=_price(row[3]),
                ask_qty=float(row[4]),
            )
            if quote.bid >= quote.ask:
                raise ValueError("crossed or locked book (bid >= ask)")
            if not all(math.isfinite(q) and q >= 0 for q in (quote.bid_qty, quote.ask_qty)):
                raise ValueError("quote sizes must be finite and non-negative")
        except ValueError as exc:
            raise HistoryFormatError(path, line, str(exc)) from exc
        if quotes and quote.ts_ms < quotes[-1].ts_ms:
            raise HistoryFormatError(path, line, "quote times decreasing")
        quotes.append(quote)
    return quotes
