"""Event and frame builders with defaults and keyword overrides."""

from __future__ import annotations

import json
from pathlib import Path

from binance_pricer.core.events import PRICE_SCALE, BookTickerEvent, KlineEvent, TradeEvent
from hourmm_common.hours import HOUR_MS
from hourmm_common.paths import fixtures_dir

H0 = 1_732_438_800_000  # 2024-11-24T09:00:00Z, an hour boundary
assert H0 % HOUR_MS == 0


def e8(price: float) -> int:
    return round(price * PRICE_SCALE)


def a_trade(*, trade_id: int = 1, price: float = 98_000.0, ts: int = H0 + 1_000, local: int | None = None,
            qty: float = 0.01, buyer_maker: bool = False) -> TradeEvent:
    return TradeEvent(trade_id=trade_id, price_e8=e8(price), qty=qty, is_buyer_maker=buyer_maker,
                      ts_exchange_ms=ts, ts_local_ms=ts + 5 if local is None else local)


def a_book(*, bid: float = 97_999.99, ask: float = 98_000.01, bid_qty: float = 1.0, ask_qty: float = 1.0,
           local: int = H0 + 1_000, update_id: int = 1) -> BookTickerEvent:
    return BookTickerEvent(update_id=update_id, bid_e8=e8(bid), bid_qty=bid_qty, ask_e8=e8(ask),
                           ask_qty=ask_qty, ts_exchange_ms=None, ts_local_ms=local)


def a_kline(*, open_time: int = H0, open_price: float = 98_000.0, close: float = 98_010.0,
            interval: str = "1h", ts: int | None = None, closed: bool = False) -> KlineEvent:
    t = open_time + 1_000 if ts is None else ts
    return KlineEvent(interval=interval, open_time_ms=open_time, close_time_ms=open_time + HOUR_MS - 1,
                      open_e8=e8(open_price), close_e8=e8(close), is_closed=closed, ts_exchange_ms=t,
                      ts_local_ms=t + 5)


def trade_frame(*, trade_id: int = 1, price: str = "98000.00000000", ts: int = H0 + 1_000,
                symbol: str = "btcusdt") -> str:
    data = {"e": "trade", "E": ts + 2, "s": symbol.upper(), "t": trade_id, "p": price, "q": "0.01000000",
            "T": ts, "m": False, "M": True}
    return json.dumps({"stream": f"{symbol}@trade", "data": data})


def book_frame(*, bid: str = "97999.99000000", ask: str = "98000.01000000", update_id: int = 1,
               symbol: str = "btcusdt") -> str:
    data = {"u": update_id, "s": symbol.upper(), "b": bid, "B": "1.00000000", "a": ask, "A": "2.00000000"}
    return json.dumps({"stream": f"{symbol}@bookTicker", "data": data})


def kline_frame(*, open_time: int = H0, open_price: str = "98000.00000000", ts: int | None = None,
                interval: str = "1h", symbol: str = "btcusdt") -> str:
    t = open_time + 1_000 if ts is None else ts
    k = {"t": open_time, "T": open_time + HOUR_MS - 1, "s": symbol.upper(), "i": interval, "f": 1, "L": 2,
         "o": open_price, "c": open_price, "h": open_price, "l": open_price, "v": "1", "n": 2, "x": False,
         "q": "1", "V": "0", "Q": "0", "B": "0"}
    return json.dumps({"stream": f"{symbol}@kline_{interval}", "data": {"e": "kline", "E": t,
                                                                       "s": symbol.upper(), "k": k}})


def fixture(rel: str) -> bytes:
    return (fixtures_dir() / "binance" / rel).read_bytes()


def fixture_path(rel: str) -> Path:
    return fixtures_dir() / "binance" / rel
