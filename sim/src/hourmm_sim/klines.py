"""Klines from trades, in exact integer units: what Binance's candles would say about the tape.

In: tape trades, one by one (the stand-in's live kline stream) or as a `TradeRun` of consecutive
trades summed by `tape.Tape` (REST klines, the hour's outcome). Out: a `Kline`. Prices are summed
in cents and quantities in 1e-8 BTC (Binance spot's precision), so both paths agree to the unit
and a re-aggregated candle equals the one it was expanded from. Pure: no IO, no clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from hourmm_sim.tape import TapeTrade

QTY_UNITS_PER_BTC = 100_000_000  # Binance spot quantities have at most 8 decimals.
CENTS_PER_USDT = 100


class Kline(msgspec.Struct, frozen=True, kw_only=True):
    """A candle aggregated from tape trades over [open_time_ms, close_time_ms]; maybe partial."""

    interval_ms: int
    open_time_ms: int
    close_time_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    quote_volume: float
    taker_buy_volume: float
    taker_buy_quote_volume: float
    trades: int
    first_trade_id: int
    last_trade_id: int
    closed: bool


def to_cents(price: float) -> int:
    return round(price * CENTS_PER_USDT)


def to_qty_units(qty: float) -> int:
    return round(qty * QTY_UNITS_PER_BTC)


class TradeRun(msgspec.Struct, frozen=True, kw_only=True):
    """Exact integer totals of consecutive trades (cents, 1e-8 BTC units, cents x units)."""

    count: int
    first_id: int
    last_id: int
    open_cents: int
    high_cents: int
    low_cents: int
    close_cents: int
    units: int
    quote: int
    taker_units: int
    taker_quote: int


class KlineAccumulator:
    """Running OHLCV of one interval, fed trade by trade (O(1) each), in exact integer units.

    Shared by `Tape.kline` (REST) and the stand-in's kline stream, so both agree to the unit.
    """

    __slots__ = (
        "interval_ms", "open_time_ms", "_open", "_high", "_low", "_close", "_volume", "_quote",
        "_taker_volume", "_taker_quote", "_count", "_first_id", "_last_id",
    )

    def __init__(self, interval_ms: int, open_time_ms: int, *, prev_close: float | None = None) -> None:
        self.interval_ms = interval_ms
        self.open_time_ms = open_time_ms
        start = to_cents(prev_close) if prev_close is not None else 0
        self._open = self._high = self._low = self._close = start
        self._volume = self._quote = self._taker_volume = self._taker_quote = 0
        self._count = 0
        self._first_id = self._last_id = -1

    @property
    def close_time_ms(self) -> int:
        return self.open_time_ms + self.interval_ms - 1

    @property
    def trade_count(self) -> int:
        return self._count

    def add(self, trade: TapeTrade) -> None:
        cents = to_cents(trade.price)
        units = to_qty_units(trade.qty)
        if self._count == 0:
            self._open = self._high = self._low = cents
            self._first_id = trade.trade_id
        elif cents > self._high:
            self._high = cents
        elif cents < self._low:
            self._low = cents
        self._close = cents
        self._last_id = trade.trade_id
        self._count += 1
        self._volume += units
        self._quote += cents * units
        if not trade.is_buyer_maker:
            self._taker_volume += units
            self._taker_quote += cents * units

    def add_range(self, run: TradeRun) -> None:
        """Add a run of consecutive trades summarised by `Tape` (the same result as `add` on each)."""
        if run.count == 0:
            return
        if self._count == 0:
            self._open = self._high = self._low = run.open_cents
            self._first_id = run.first_id
        self._high = max(self._high, run.high_cents)
        self._low = min(self._low, run.low_cents)
        self._close = run.close_cents
        self._last_id = run.last_id
        self._count += run.count
        self._volume += run.units
        self._quote += run.quote
        self._taker_volume += run.taker_units
        self._taker_quote += run.taker_quote

    def has_price(self) -> bool:
        """True once there is a price: a trade in the interval, or a previous close carried in."""
        return self._count > 0 or self._open > 0

    def snapshot(self, *, closed: bool) -> Kline:
        quote_scale = CENTS_PER_USDT * QTY_UNITS_PER_BTC
        return Kline(
            interval_ms=self.interval_ms,
            open_time_ms=self.open_time_ms,
            close_time_ms=self.close_time_ms,
            open=self._open / CENTS_PER_USDT,
            high=self._high / CENTS_PER_USDT,
            low=self._low / CENTS_PER_USDT,
            close=self._close / CENTS_PER_USDT,
            volume=self._volume / QTY_UNITS_PER_BTC,
            quote_volume=self._quote / quote_scale,
            taker_buy_volume=self._taker_volume / QTY_UNITS_PER_BTC,
            taker_buy_quote_volume=self._taker_quote / quote_scale,
            trades=self._count,
            first_trade_id=self._first_id,
            last_trade_id=self._last_id,
            closed=closed,
        )
