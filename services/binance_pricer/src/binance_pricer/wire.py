"""Binance spot wire shapes, exactly as the venue sends them, and their translation to events.

In: the raw bytes of one combined-stream frame (`{"stream": "btcusdt@trade", "data": {...}}`) or
one REST `/api/v3/klines` body. Out: `core.events` values. Decoders are built once at import;
the frame is decoded in two steps (envelope with the payload kept raw, then the payload by its
stream kind), which is faster than one big union and lets an unknown stream be dropped unparsed.
Defects raise `ParseError` (never anything else); control replies (`{"result":null,"id":1}`)
decode to None.
"""

from __future__ import annotations

import msgspec

from binance_pricer.core.events import BinanceEvent, BookTickerEvent, KlineEvent, TradeEvent
from hourmm_common.errors import ParseError

_E8_DIGITS = 8


class UnknownMessage(ParseError):
    """Well-formed JSON that is no stream we subscribed to: counted apart from defects."""


class WireEnvelope(msgspec.Struct, frozen=True):
    stream: str
    data: msgspec.Raw


class WireControl(msgspec.Struct, frozen=True):
    """The reply to a SUBSCRIBE/LIST request on the same connection."""

    id: int | str | None = None
    result: object = None


class WireTrade(msgspec.Struct, frozen=True):
    t: int  # trade id (contiguous on spot)
    p: str  # prices stay strings until `decimal_to_e8` (exact)
    q: float  # quantities only feed features: msgspec converts the string in C
    T: int  # trade time, ms
    m: bool  # buyer is the maker
    E: int = 0


class WireBookTicker(msgspec.Struct, frozen=True):
    u: int  # order book update id
    b: str
    B: float
    a: str
    A: float
    T: int | None = None  # futures only; spot has no timestamps at all


class WireKlineBody(msgspec.Struct, frozen=True):
    t: int
    T: int
    i: str
    o: str
    c: str
    x: bool


class WireKline(msgspec.Struct, frozen=True):
    E: int
    k: WireKlineBody


WireKlineRow = list[int | str | float]

_ENVELOPE = msgspec.json.Decoder(WireEnvelope)
_CONTROL = msgspec.json.Decoder(WireControl)
# strict=False lets msgspec read Binance's quoted quantities ("0.00120000") as floats.
_TRADE = msgspec.json.Decoder(WireTrade, strict=False)
_BOOK = msgspec.json.Decoder(WireBookTicker, strict=False)
_KLINE = msgspec.json.Decoder(WireKline)
_KLINE_ROWS = msgspec.json.Decoder(list[WireKlineRow])


def decimal_to_e8(text: str) -> int:
    """An unsigned decimal string ("98512.34000000") as an exact integer of 1e-8 units."""
    if len(text) > 9 and text[-9] == ".":  # Binance's own form: always 8 decimals
        digits = text[:-9] + text[-8:]
        if digits.isascii() and digits.isdigit():
            return int(digits)
    whole, dot, frac = text.partition(".")
    if not (whole.isascii() and whole.isdigit()) or (dot and not (frac.isascii() and frac.isdigit())):
        raise ValueError(f"not an unsigned decimal: {text[:40]!r}")
    if len(frac) > _E8_DIGITS:
        if frac[_E8_DIGITS:].strip("0"):
            raise ValueError(f"more than 8 decimals: {text[:40]!r}")
        frac = frac[:_E8_DIGITS]
    return int(whole) * 100_000_000 + (int(frac.ljust(_E8_DIGITS, "0")) if frac else 0)


_E8_CACHE: dict[str, int] = {}
_E8_CACHE_MAX = 4_096


def _positive_e8(text: str) -> int:
    """`decimal_to_e8` for prices, memoised: the touch repeats the same few price strings."""
    value = _E8_CACHE.get(text)
    if value is not None:
        return value
    value = decimal_to_e8(text)
    if value <= 0:
        raise ValueError(f"price must be positive: {text[:40]!r}")
    if len(_E8_CACHE) >= _E8_CACHE_MAX:
        _E8_CACHE.clear()
    _E8_CACHE[text] = value
    return value


def _quantity(value: float) -> float:
    if not 0.0 <= value < 1e15:  # also rejects NaN, which JSON could not carry onwards
        raise ValueError(f"bad quantity {value!r}")
    return value


def decode_frame(raw: bytes | str, ts_local_ms: int) -> BinanceEvent | None:
    """One websocket text frame -> one event (None for a control reply)."""
    try:
        env = _ENVELOPE.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        try:
            _CONTROL.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise ParseError(f"not a combined-stream frame: {exc}", raw) from exc
        return None
    kind = env.stream.rpartition("@")[2]
    try:
        if kind == "bookTicker":
            b = _BOOK.decode(env.data)
            return BookTickerEvent(
                update_id=b.u,
                bid_e8=_positive_e8(b.b),
                bid_qty=_quantity(b.B),
                ask_e8=_positive_e8(b.a),
                ask_qty=_quantity(b.A),
                ts_exchange_ms=b.T,
                ts_local_ms=ts_local_ms,
            )
        if kind == "trade":
            t = _TRADE.decode(env.data)
            return TradeEvent(
                trade_id=t.t,
                price_e8=_positive_e8(t.p),
                qty=_quantity(t.q),
                is_buyer_maker=t.m,
                ts_exchange_ms=t.T,
                ts_local_ms=ts_local_ms,
            )
        if kind.startswith("kline_"):
            kl = _KLINE.decode(env.data)
            k = kl.k
            return KlineEvent(
                interval=k.i,
                open_time_ms=k.t,
                close_time_ms=k.T,
                open_e8=_positive_e8(k.o),
                close_e8=_positive_e8(k.c),
                is_closed=k.x,
                ts_exchange_ms=kl.E,
                ts_local_ms=ts_local_ms,
            )
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise ParseError(f"bad {kind} payload: {exc}", raw) from exc
    raise UnknownMessage(f"unknown stream {env.stream[:60]!r}", raw)


class KlineRow(msgspec.Struct, frozen=True, kw_only=True):
    """One row of `GET /api/v3/klines`, the columns HourMM uses."""

    open_time_ms: int
    close_time_ms: int
    open_e8: int
    high_e8: int
    low_e8: int
    close_e8: int


def decode_klines(raw: bytes | str) -> tuple[KlineRow, ...]:
    """`[[open_time, "o", "h", "l", "c", "v", close_time, ...], ...]` -> rows; defects raise ParseError."""
    try:
        rows = _KLINE_ROWS.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ParseError(f"not a klines array: {exc}", raw) from exc
    out = []
    for row in rows:
        if len(row) < 7:
            raise ParseError("kline row has fewer than 7 columns", raw)
        t_open, o, h, lo, c, _, t_close = row[:7]
        if not (isinstance(t_open, int) and isinstance(t_close, int)) or not all(
            isinstance(v, str) for v in (o, h, lo, c)
        ):
            raise ParseError("kline row has the wrong column types", raw)
        try:
            out.append(
                KlineRow(
                    open_time_ms=t_open,
                    close_time_ms=t_close,
                    open_e8=_positive_e8(str(o)),
                    high_e8=_positive_e8(str(h)),
                    low_e8=_positive_e8(str(lo)),
                    close_e8=_positive_e8(str(c)),
                )
            )
        except ValueError as exc:
            raise ParseError(f"bad kline price: {exc}", raw) from exc
    return tuple(out)
