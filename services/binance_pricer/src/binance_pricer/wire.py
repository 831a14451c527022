"""Binance spot wire shapes, exactly as the venue sends them, and their translation to events.

In: the raw bytes of one combined-stream frame (`{"stream": "btcusdt@trade", "data": {...}}`) or
one REST `/api/v3/klines` body. Out: `core.events` values. Decoders are built at import (the
fast one again for each stream it learns: a handful per process).

Two paths give the same answers. The strict path decodes in two steps (envelope with the payload
kept raw, then the payload by its stream kind) and alone decides every error, so defects raise
the same `ParseError` (never anything else) and control replies (`{"result":null,"id":1}`)
decode to None. Each trade or bookTicker stream it decodes is learned by the fast path: one
decoder of whole frames, a union tagged by the exact stream name, so the hot path is one C
decode with no dispatch in Python. The fast path returns an event only when the strict path
would return the very same one; anything else (a kline, a control reply, an unknown stream, a
missing or mistyped field, a bad price or quantity) goes to the strict path.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

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


# Quantities only feed features, so they stay floats, but must be finite and non-negative (this
# also rejects NaN, which JSON could not carry onwards); msgspec checks it while decoding.
Quantity = Annotated[float, msgspec.Meta(ge=0.0, lt=1e15)]


class WireTrade(msgspec.Struct, frozen=True, gc=False):
    t: int  # trade id (contiguous on spot)
    p: str  # prices stay strings until `decimal_to_e8` (exact)
    q: Quantity  # msgspec converts the quoted string in C
    T: int  # trade time, ms
    m: bool  # buyer is the maker
    E: int = 0


class WireBookTicker(msgspec.Struct, frozen=True, gc=False):
    u: int  # order book update id
    b: str
    B: Quantity
    a: str
    A: Quantity
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
# A price missing from `_E8_CACHE` is usually a known whole part and a known 8-digit fraction
# (BTC ticks in cents: at most 100 fractions): two small memos make that miss cheap too.
_WHOLE_E8: dict[str, int] = {}  # "98512" -> 9_851_200_000_000 (validated ASCII digits)
_FRAC_E8: dict[str, int] = {}  # "34000000" -> 34_000_000 (validated: 8 ASCII digits)


def _positive_e8(text: str) -> int:
    """`decimal_to_e8` for prices, memoised: the touch repeats the same few price strings."""
    value = _E8_CACHE.get(text) or _new_price_e8(text)
    if not value:
        decimal_to_e8(text)  # raises the precise error for anything but a plain decimal
        raise ValueError(f"price must be positive: {text[:40]!r}")
    return value


def _new_price_e8(text: str) -> int:
    """A price missing from `_E8_CACHE`, now memoised; 0 when it is no positive plain decimal."""
    value = 0
    binance_form = len(text) > 9 and text[-9] == "."
    if binance_form:
        whole = _WHOLE_E8.get(text[:-9])
        if whole is not None:
            frac = _FRAC_E8.get(text[-8:])
            if frac is not None:
                value = whole + frac
    if value <= 0:
        try:
            value = decimal_to_e8(text)
        except ValueError:
            return 0
        if value <= 0:
            return 0
        if binance_form:  # and valid: remember both parts
            if len(_WHOLE_E8) >= _E8_CACHE_MAX:
                _WHOLE_E8.clear()
            _WHOLE_E8[text[:-9]] = value - value % 100_000_000
            if len(_FRAC_E8) >= _E8_CACHE_MAX:
                _FRAC_E8.clear()
            _FRAC_E8[text[-8:]] = value % 100_000_000
    if len(_E8_CACHE) >= _E8_CACHE_MAX:
        _E8_CACHE.clear()
    _E8_CACHE[text] = value
    return value


class _UnknownStream(msgspec.Struct, frozen=True, gc=False, tag_field="stream", tag=""):
    """Keeps the fast decoder a tagged union (whose tag is required) before any stream is known."""

    data: None = None


# The fast path: one decoder of whole frames, a union tagged by the exact stream name, one frame
# struct per trade or bookTicker stream the strict path has decoded (a subscription is a few).
_FAST_STREAMS: dict[str, type] = {}
_FAST_STREAMS_MAX = 16
_fast_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(_UnknownStream, strict=False)


def _learn_stream(stream: str, data_type: type) -> None:
    """Add `stream` (its payload decoded as `data_type`) to the fast decoder's union."""
    global _fast_decoder
    if stream in _FAST_STREAMS or len(_FAST_STREAMS) >= _FAST_STREAMS_MAX or not stream:
        return
    _FAST_STREAMS[stream] = msgspec.defstruct(
        "_StreamFrame", [("data", data_type)], tag_field="stream", tag=stream, frozen=True, gc=False
    )
    frames = (_UnknownStream, *_FAST_STREAMS.values())
    _fast_decoder = msgspec.json.Decoder(Union[frames], strict=False)  # noqa: UP007 (a runtime union)


def decode_frame(raw: bytes | str, ts_local_ms: int) -> BinanceEvent | None:
    """One websocket text frame -> one event (None for a control reply)."""
    try:
        frame = _fast_decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):  # an unknown stream, a kline, a defect...
        return decode_frame_strict(raw, ts_local_ms)
    d = frame.data
    if type(d) is WireBookTicker:
        bid_e8 = _E8_CACHE.get(d.b) or _new_price_e8(d.b)
        ask_e8 = _E8_CACHE.get(d.a) or _new_price_e8(d.a)
        if bid_e8 and ask_e8:
            return BookTickerEvent(update_id=d.u, bid_e8=bid_e8, bid_qty=d.B, ask_e8=ask_e8, ask_qty=d.A,
                                   ts_exchange_ms=d.T, ts_local_ms=ts_local_ms)
    elif type(d) is WireTrade:
        e8 = _E8_CACHE.get(d.p) or _new_price_e8(d.p)
        if e8:
            return TradeEvent(trade_id=d.t, price_e8=e8, qty=d.q, is_buyer_maker=d.m, ts_exchange_ms=d.T,
                              ts_local_ms=ts_local_ms)
    # A bad price: the strict path raises the error.
    return decode_frame_strict(raw, ts_local_ms)


def decode_frame_strict(raw: bytes | str, ts_local_ms: int) -> BinanceEvent | None:
    """The two-step decode: the reference behaviour, and every case the fast path passes on."""
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
            book = BookTickerEvent(
                update_id=b.u,
                bid_e8=_positive_e8(b.b),
                bid_qty=b.B,
                ask_e8=_positive_e8(b.a),
                ask_qty=b.A,
                ts_exchange_ms=b.T,
                ts_local_ms=ts_local_ms,
            )
            _learn_stream(env.stream, WireBookTicker)
            return book
        if kind == "trade":
            t = _TRADE.decode(env.data)
            trade = TradeEvent(
                trade_id=t.t,
                price_e8=_positive_e8(t.p),
                qty=t.q,
                is_buyer_maker=t.m,
                ts_exchange_ms=t.T,
                ts_local_ms=ts_local_ms,
            )
            _learn_stream(env.stream, WireTrade)
            return trade
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
