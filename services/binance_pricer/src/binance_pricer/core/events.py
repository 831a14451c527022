"""Typed Binance events, in HourMM's vocabulary (the wire shapes live in `wire.py`).

Prices are exact integers in units of 1e-8 (`_e8`): every Binance decimal string maps onto that
grid without rounding, so an open price read from a trade, a REST kline and the kline stream
compare equal when Binance says they are equal. Quantities only feed features, so they are floats.
`ts_exchange_ms` is the exchange's time (None where the venue sends none: spot bookTicker);
`ts_local_ms` is stamped by the edge on receipt from the injected clock.
"""

from __future__ import annotations

from typing import TypeAlias

import msgspec

PRICE_SCALE = 100_000_000  # price_e8 units per 1 quote unit


class TradeEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    trade_id: int
    price_e8: int
    qty: float
    is_buyer_maker: bool
    ts_exchange_ms: int  # trade time `T`: decides the hour a trade belongs to
    ts_local_ms: int


class BookTickerEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    update_id: int
    bid_e8: int
    bid_qty: float
    ask_e8: int
    ask_qty: float
    ts_exchange_ms: int | None  # spot sends none; futures sends `T`
    ts_local_ms: int


class KlineEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    interval: str
    open_time_ms: int
    close_time_ms: int
    open_e8: int
    close_e8: int
    is_closed: bool
    ts_exchange_ms: int  # event time `E`
    ts_local_ms: int


BinanceEvent: TypeAlias = TradeEvent | BookTickerEvent | KlineEvent


def e8_to_float(value_e8: int) -> float:
    return value_e8 / PRICE_SCALE
