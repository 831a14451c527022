"""Binance spot wire formats, written from tape events: stream names, websocket payloads, REST rows.

In: `TapeTrade`, `TapeQuote`, `Kline` (floats on the 0.01 / 1e-8 grid). Out: JSON bytes shaped
exactly like `../shared/fixtures/binance/` (same keys, same key order, decimal strings with 8
places as Binance writes them). Pure: no IO, no clock; the server stamps event times.

This module is the stand-in's own reading of Binance's protocol (house rule 19): it shares no code
with the pricer's `wire.py`, so a mistake on one side shows up as a failing test on the other.
"""

from __future__ import annotations

import re

import msgspec

from hourmm_sim.klines import Kline
from hourmm_sim.tape import TapeQuote, TapeTrade

# Kline intervals Binance spot accepts, in milliseconds (the stand-in serves them all).
INTERVALS_MS: dict[str, int] = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
}
_STREAM_KINDS = {"trade": "trade", "aggtrade": "aggTrade", "bookticker": "bookTicker"}
_STREAM_RE = re.compile(r"^([a-z0-9]+)@([a-z_0-9]+)$", re.IGNORECASE)


class StreamName(msgspec.Struct, frozen=True, kw_only=True):
    """A parsed stream: `btcusdt@trade` -> symbol BTCUSDT, kind trade, interval None."""

    symbol: str
    kind: str
    interval: str | None = None

    @property
    def name(self) -> str:
        """The canonical name Binance echoes in the combined wrapper's `stream` field."""
        suffix = f"kline_{self.interval}" if self.kind == "kline" else self.kind
        return f"{self.symbol.lower()}@{suffix}"


class WsRequest(msgspec.Struct, frozen=True):
    """A live-subscription request: `{"method": "SUBSCRIBE", "params": [...], "id": 1}`."""

    method: str
    params: tuple[str, ...] = ()
    id: int | str | None = None


class WsRequestError(Exception):
    """A request Binance would answer with `{"error": {"code", "msg"}, "id"}`."""

    def __init__(self, code: int, msg: str, request_id: int | str | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg[:200]
        self.request_id = request_id


WS_METHODS = frozenset({"SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS"})
_decode_request = msgspec.json.Decoder(WsRequest).decode
_decode_any = msgspec.json.Decoder().decode


def parse_request(text: str | bytes) -> WsRequest:
    """A validated request, or `WsRequestError` (code 3: not JSON, code 2: not a valid request)."""
    try:
        request = _decode_request(text)
    except msgspec.ValidationError as exc:
        raise WsRequestError(2, f"Invalid request: {exc}", _request_id(text)) from None
    except msgspec.DecodeError as exc:
        raise WsRequestError(3, f"Invalid JSON: {exc}") from None
    if request.method not in WS_METHODS:
        raise WsRequestError(2, f"Invalid request: unknown method {request.method!r}", request.id)
    return request


def _request_id(text: str | bytes) -> int | str | None:
    """The `id` of a JSON object that is not a valid request, when it has a usable one."""
    try:
        value = _decode_any(text)
    except msgspec.DecodeError:
        return None
    rid = value.get("id") if isinstance(value, dict) else None
    return rid if isinstance(rid, int | str) and not isinstance(rid, bool) else None


def parse_stream(text: str) -> StreamName | None:
    """A stream name in Binance's grammar, or None when it is not one the stand-in knows."""
    match = _STREAM_RE.match(text.strip())
    if match is None:
        return None
    symbol, kind = match.group(1).upper(), match.group(2)
    if kind.lower().startswith("kline_"):
        interval = kind[len("kline_"):]
        return StreamName(symbol=symbol, kind="kline", interval=interval) if interval in INTERVALS_MS else None
    canonical = _STREAM_KINDS.get(kind.lower())
    return StreamName(symbol=symbol, kind=canonical) if canonical else None


def price_str(value: float) -> str:
    """A price as Binance writes it: 8 decimals, from the exact 0.01 grid."""
    cents = round(value * 100)
    return f"{cents // 100}.{cents % 100:02d}000000"


def qty_str(value: float) -> str:
    units = round(value * 100_000_000)
    return f"{units // 100_000_000}.{units % 100_000_000:08d}"


def quote_str(value: float) -> str:
    return f"{value:.8f}"


class _Trade(msgspec.Struct):
    e: str
    E: int
    s: str
    t: int
    p: str
    q: str
    T: int
    m: bool
    M: bool


class _AggTrade(msgspec.Struct):
    e: str
    E: int
    s: str
    a: int
    p: str
    q: str
    f: int
    l: int  # noqa: E741 - Binance's field name
    T: int
    m: bool
    M: bool


class _BookTicker(msgspec.Struct):
    u: int
    s: str
    b: str
    B: str
    a: str
    A: str


class _KlineBody(msgspec.Struct):
    t: int
    T: int
    s: str
    i: str
    f: int
    L: int
    o: str
    c: str
    h: str
    l: str  # noqa: E741 - Binance's field name
    v: str
    n: int
    x: bool
    q: str
    V: str
    Q: str
    B: str


class _KlineEvent(msgspec.Struct):
    e: str
    E: int
    s: str
    k: _KlineBody


_encode = msgspec.json.Encoder().encode


def trade_payload(trade: TapeTrade, symbol: str, event_ms: int) -> bytes:
    return _encode(_Trade(
        e="trade", E=event_ms, s=symbol, t=trade.trade_id, p=price_str(trade.price), q=qty_str(trade.qty),
        T=trade.ts_ms, m=trade.is_buyer_maker, M=True,
    ))


def agg_trade_payload(trade: TapeTrade, symbol: str, event_ms: int) -> bytes:
    """Each tape trade as its own aggregate (the tape has no same-price same-taker runs)."""
    return _encode(_AggTrade(
        e="aggTrade", E=event_ms, s=symbol, a=trade.trade_id, p=price_str(trade.price), q=qty_str(trade.qty),
        f=trade.trade_id, l=trade.trade_id, T=trade.ts_ms, m=trade.is_buyer_maker, M=True,
    ))


def book_ticker_payload(quote: TapeQuote, symbol: str) -> bytes:
    """Spot bookTicker: no `e`, `E` or `T` (futures has them); `u` orders the updates."""
    return _encode(_BookTicker(
        u=quote.update_id, s=symbol, b=price_str(quote.bid), B=qty_str(quote.bid_qty),
        a=price_str(quote.ask), A=qty_str(quote.ask_qty),
    ))


def kline_payload(kline: Kline, symbol: str, interval: str, event_ms: int) -> bytes:
    body = _KlineBody(
        t=kline.open_time_ms, T=kline.close_time_ms, s=symbol, i=interval, f=kline.first_trade_id,
        L=kline.last_trade_id, o=price_str(kline.open), c=price_str(kline.close), h=price_str(kline.high),
        l=price_str(kline.low), v=qty_str(kline.volume), n=kline.trades, x=kline.closed,
        q=quote_str(kline.quote_volume), V=qty_str(kline.taker_buy_volume),
        Q=quote_str(kline.taker_buy_quote_volume), B="0",
    )
    return _encode(_KlineEvent(e="kline", E=event_ms, s=symbol, k=body))


def combined(stream: str, data: bytes) -> bytes:
    """The combined-stream wrapper `{"stream": ..., "data": ...}` around an encoded payload."""
    return b'{"stream":' + _encode(stream) + b',"data":' + data + b"}"


def kline_row(kline: Kline) -> list[int | str]:
    """One `GET /api/v3/klines` row: [open time, o, h, l, c, v, close time, quote v, n, taker v, taker q, "0"]."""
    return [
        kline.open_time_ms, price_str(kline.open), price_str(kline.high), price_str(kline.low),
        price_str(kline.close), qty_str(kline.volume), kline.close_time_ms, quote_str(kline.quote_volume),
        kline.trades, qty_str(kline.taker_buy_volume), quote_str(kline.taker_buy_quote_volume), "0",
    ]


def book_ticker_rest(quote: TapeQuote, symbol: str) -> dict[str, str]:
    """`GET /api/v3/ticker/bookTicker?symbol=...`."""
    return {
        "symbol": symbol, "bidPrice": price_str(quote.bid), "bidQty": qty_str(quote.bid_qty),
        "askPrice": price_str(quote.ask), "askQty": qty_str(quote.ask_qty),
    }


def trade_rest(trade: TapeTrade) -> dict[str, object]:
    """One `GET /api/v3/trades` entry."""
    cents = round(trade.price * 100)
    units = round(trade.qty * 100_000_000)
    quote = cents * units  # in 1e-10 USDT
    return {
        "id": trade.trade_id, "price": price_str(trade.price), "qty": qty_str(trade.qty),
        "quoteQty": f"{quote // 10**10}.{quote % 10**10 // 100:08d}", "time": trade.ts_ms,
        "isBuyerMaker": trade.is_buyer_maker, "isBestMatch": True,
    }
