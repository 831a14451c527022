"""Binance spot wire shapes, exactly as the venue sends them, and their translation to events.

In: the raw bytes of one combined-stream frame (`{"stream": "btcusdt@trade", "data": {...}}`) or
one REST `/api/v3/klines` body. Out: `core.events` values. Decoders are built once at import.

Two paths give the same answers. The fast path decodes a whole trade or bookTicker frame in one
pass into `_WireFrame`, whose payload holds every field of both shapes as optional (each with the
same type as in the strict shape), and returns an event only when the strict path would return
the very same one. Anything else (a missing or null field, a bad price or quantity, a kline, a
control reply, an unknown stream) goes to the strict two-step path: envelope with the payload kept
raw, then the payload by its stream kind. That path alone decides every error, so defects raise
the same `ParseError` (never anything else) and control replies (`{"result":null,"id":1}`) decode
to None whichever path saw them first.
"""

from __future__ import annotations

import msgspec
from msgspec import UNSET, UnsetType

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


class _WireData(msgspec.Struct, frozen=True):
    """The fields of `WireTrade` and `WireBookTicker` together, UNSET when absent (fast path)."""

    t: int | UnsetType = UNSET
    p: str | UnsetType = UNSET
    q: float | UnsetType = UNSET
    T: int | None | UnsetType = UNSET  # int on a trade; int or null on a bookTicker
    m: bool | UnsetType = UNSET
    E: int | UnsetType = UNSET  # unused, but typed as in WireTrade so a bad one fails here too
    u: int | UnsetType = UNSET
    b: str | UnsetType = UNSET
    B: float | UnsetType = UNSET
    a: str | UnsetType = UNSET
    A: float | UnsetType = UNSET


class _WireFrame(msgspec.Struct, frozen=True):
    stream: str
    data: _WireData

_ENVELOPE = msgspec.json.Decoder(WireEnvelope)
_CONTROL = msgspec.json.Decoder(WireControl)
# strict=False lets msgspec read Binance's quoted quantities ("0.00120000") as floats.
_TRADE = msgspec.json.Decoder(WireTrade, strict=False)
_BOOK = msgspec.json.Decoder(WireBookTicker, strict=False)
_KLINE = msgspec.json.Decoder(WireKline)
_KLINE_ROWS = msgspec.json.Decoder(list[WireKlineRow])
_FRAME = msgspec.json.Decoder(_WireFrame, strict=False)  # same leniency as _TRADE and _BOOK


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


def _checked_e8(text: str) -> int:
    """`_positive_e8`, or 0 for a price it rejects (the strict path then raises the error)."""
    try:
        return _positive_e8(text)
    except ValueError:
        return 0


def _quantity(value: float) -> float:
    if not 0.0 <= value < 1e15:  # also rejects NaN, which JSON could not carry onwards
        raise ValueError(f"bad quantity {value!r}")
    return value


_KIND_TRADE = 1
_KIND_BOOK = 2
_STREAM_KINDS: dict[str, int] = {}  # stream name -> fast-path kind, for the few subscribed streams
_STREAM_KINDS_MAX = 64


def _fast_kind(stream: str) -> int:
    """`_KIND_TRADE`, `_KIND_BOOK` or 0 (strict path), by the same suffix rule as the strict path."""
    kind = _STREAM_KINDS.get(stream)
    if kind is None:
        suffix = stream.rpartition("@")[2]
        kind = _KIND_TRADE if suffix == "trade" else _KIND_BOOK if suffix == "bookTicker" else 0
        if len(_STREAM_KINDS) >= _STREAM_KINDS_MAX:
            _STREAM_KINDS.clear()
        _STREAM_KINDS[stream] = kind
    return kind


def decode_frame(raw: bytes | str, ts_local_ms: int) -> BinanceEvent | None:
    """One websocket text frame -> one event (None for a control reply)."""
    try:
        frame = _FRAME.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return decode_frame_strict(raw, ts_local_ms)
    kind = _fast_kind(frame.stream)
    d = frame.data
    cache = _E8_CACHE
    if kind == _KIND_TRADE:
        tid, price, qty, ts, maker = d.t, d.p, d.q, d.T, d.m
        if (tid is not UNSET and price is not UNSET and qty is not UNSET and ts is not UNSET and ts is not None
                and maker is not UNSET and 0.0 <= qty < 1e15):
            e8 = cache.get(price)
            if e8 is None:
                e8 = _checked_e8(price)
            if e8:
                return TradeEvent(trade_id=tid, price_e8=e8, qty=qty, is_buyer_maker=maker, ts_exchange_ms=ts,
                                  ts_local_ms=ts_local_ms)
    elif kind == _KIND_BOOK:
        uid, bid, bid_qty, ask, ask_qty, ts = d.u, d.b, d.B, d.a, d.A, d.T
        if (uid is not UNSET and bid is not UNSET and bid_qty is not UNSET and ask is not UNSET
                and ask_qty is not UNSET and 0.0 <= bid_qty < 1e15 and 0.0 <= ask_qty < 1e15):
            bid_e8 = cache.get(bid)
            if bid_e8 is None:
                bid_e8 = _checked_e8(bid)
            ask_e8 = cache.get(ask)
            if ask_e8 is None:
                ask_e8 = _checked_e8(ask)
            if bid_e8 and ask_e8:
                return BookTickerEvent(update_id=uid, bid_e8=bid_e8, bid_qty=bid_qty, ask_e8=ask_e8, ask_qty=ask_qty,
                                       ts_exchange_ms=None if ts is UNSET else ts, ts_local_ms=ts_local_ms)
    # A kline, a control reply, a defect or an unknown stream: the strict path decides.
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
