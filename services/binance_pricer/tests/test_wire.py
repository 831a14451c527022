"""Parsing the recorded Binance messages into typed events (A-1, parse side)."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pricer_testkit.builders import fixture, kline_frame

from binance_pricer import wire
from binance_pricer.core.events import BookTickerEvent, KlineEvent, TradeEvent
from binance_pricer.wire import (
    UnknownMessage,
    decimal_to_e8,
    decode_frame,
    decode_frame_strict,
    decode_klines,
)
from hourmm_common.errors import ParseError


def test_combined_spot_trade_becomes_a_trade_event_with_both_timestamps() -> None:
    ev = decode_frame(fixture("ws/combined_trade_spot.json"), ts_local_ms=1_732_440_000_130)
    assert isinstance(ev, TradeEvent)
    assert ev.trade_id == 4184327113
    assert ev.price_e8 == 9_851_234_000_000
    assert ev.qty == pytest.approx(0.0012)
    assert ev.is_buyer_maker is True
    assert ev.ts_exchange_ms == 1732440000121  # trade time T, not event time E
    assert ev.ts_local_ms == 1_732_440_000_130


def test_spot_book_ticker_has_no_exchange_time_and_keeps_the_local_one() -> None:
    data = json.loads(fixture("ws/book_ticker_spot.json"))
    frame = json.dumps({"stream": "btcusdt@bookTicker", "data": data})
    ev = decode_frame(frame, ts_local_ms=42)
    assert isinstance(ev, BookTickerEvent)
    assert (ev.bid_e8, ev.ask_e8) == (9_851_233_000_000, 9_851_234_000_000)
    assert ev.bid_qty == pytest.approx(1.48211) and ev.ask_qty == pytest.approx(0.20531)
    assert ev.update_id == 55873519871
    assert ev.ts_exchange_ms is None
    assert ev.ts_local_ms == 42


def test_futures_book_ticker_keeps_its_transaction_time() -> None:
    data = json.loads(fixture("ws/book_ticker_futures.json"))
    ev = decode_frame(json.dumps({"stream": "bnbusdt@bookTicker", "data": data}), ts_local_ms=1)
    assert isinstance(ev, BookTickerEvent) and ev.ts_exchange_ms == 1568014460891


def test_kline_fixture_in_a_combined_wrapper_becomes_a_kline_event() -> None:
    data = json.loads(fixture("ws/kline_1m_closed.json"))
    ev = decode_frame(json.dumps({"stream": "btcusdt@kline_1m", "data": data}), ts_local_ms=7)
    assert isinstance(ev, KlineEvent)
    assert ev.interval == "1m" and ev.open_time_ms == 1638747660000 and ev.is_closed
    assert ev.open_e8 == 100_000 and ev.close_e8 == 200_000
    assert ev.ts_exchange_ms == 1638747660000


def test_hour_kline_frame() -> None:
    ev = decode_frame(kline_frame(open_price="98000.12000000"), ts_local_ms=0)
    assert isinstance(ev, KlineEvent) and ev.interval == "1h" and ev.open_e8 == 9_800_012_000_000


def test_subscribe_reply_is_a_control_message_not_an_error() -> None:
    assert decode_frame(fixture("ws/subscribe_response.json"), ts_local_ms=0) is None


def test_unknown_stream_is_its_own_typed_error() -> None:
    with pytest.raises(UnknownMessage):
        decode_frame(fixture("ws/combined_agg_trade_spot.json"), ts_local_ms=0)


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"not json",
        b'{"stream":"btcusdt@trade","data":{"t":1}}',
        b'{"stream":"btcusdt@trade","data":{"t":1,"p":"-5.0","q":"1","T":1,"m":true}}',
        b'{"stream":"btcusdt@trade","data":{"t":1,"p":"0.00000000","q":"1","T":1,"m":true}}',
        b'{"stream":"btcusdt@bookTicker","data":{"u":1,"b":"1e5","B":"1","a":"2","A":"1"}}',
        b'{"stream":"btcusdt@trade","data":[1,2]}',
        b"[1,2,3]",
    ],
)
def test_malformed_frames_raise_parse_error(frame: bytes) -> None:
    with pytest.raises(ParseError):
        decode_frame(frame, ts_local_ms=0)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise_anything_but_parse_error(raw: bytes) -> None:
    with contextlib.suppress(ParseError):
        decode_frame(raw, ts_local_ms=0)


@given(st.text(max_size=80))
def test_arbitrary_text_in_a_price_field_gives_a_typed_error(price: str) -> None:
    frame = json.dumps({"stream": "btcusdt@trade", "data": {"t": 1, "p": price, "q": "1", "T": 1, "m": True}})
    try:
        ev = decode_frame(frame, ts_local_ms=0)
    except ParseError:
        return
    assert isinstance(ev, TradeEvent) and ev.price_e8 > 0


@pytest.mark.parametrize(
    ("text", "e8"),
    [("98512.34000000", 9_851_234_000_000), ("1", 100_000_000), ("0.5", 50_000_000),
     ("60685.2200000000", 6_068_522_000_000), ("0.00000001", 1)],
)
def test_decimal_to_e8_is_exact(text: str, e8: int) -> None:
    assert decimal_to_e8(text) == e8


@pytest.mark.parametrize("text", ["", ".", "1.2.3", "+1", "-1", "1_000", " 1", "1e5", "0.000000001", "١"])
def test_decimal_to_e8_rejects_anything_but_plain_decimals(text: str) -> None:
    with pytest.raises(ValueError):
        decimal_to_e8(text)


def test_rest_klines_fixture_decodes_to_rows() -> None:
    rows = decode_klines(fixture("rest/klines.json"))
    assert rows[0].open_time_ms == 1634943780000
    assert rows[0].open_e8 == 6_068_522_000_000
    assert rows[0].close_e8 == 6_071_927_000_000
    assert rows[0].close_time_ms == 1634943839999
    assert all(b.open_time_ms > a.open_time_ms for a, b in zip(rows, rows[1:], strict=False))


@pytest.mark.parametrize("body", [b"{}", b"[[1,2]]", b'[["x","1","1","1","1","1",2]]', b'[[1,"-1","1","1","1","1",2]]'])
def test_bad_klines_bodies_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        decode_klines(body)


@given(st.binary(max_size=200))
def test_klines_parser_never_raises_on_arbitrary_bytes(raw: bytes) -> None:
    with contextlib.suppress(ParseError):
        decode_klines(raw)


@pytest.mark.parametrize("qty", ['"nan"', '"inf"', '"-1"', '"abc"'])
def test_quantities_must_be_finite_and_non_negative(qty: str) -> None:
    data = '{"u":1,"b":"1.00","B":' + qty + ',"a":"2.00","A":"1"}'
    frame = '{"stream":"btcusdt@bookTicker","data":' + data + "}"
    with pytest.raises(ParseError):
        decode_frame(frame, ts_local_ms=0)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=8,
)
payload_keys = st.sampled_from(["t", "p", "q", "T", "m", "E", "u", "b", "B", "a", "A", "k", "i", "o", "c", "x"])


@given(
    stream=st.sampled_from(["btcusdt@trade", "btcusdt@bookTicker", "btcusdt@kline_1h", "btcusdt@depth", "x"]),
    data=st.dictionaries(payload_keys, json_values, max_size=12),
)
def test_well_formed_json_of_any_shape_gives_an_event_or_a_parse_error(stream: str, data: dict[str, object]) -> None:
    frame = json.dumps({"stream": stream, "data": data})
    with contextlib.suppress(ParseError):
        decode_frame(frame, ts_local_ms=0)


def _outcome(decode: object, frame: str) -> object:
    """What a decoder makes of `frame`: the event, or the error's type and text."""
    assert callable(decode)
    try:
        return decode(frame, 7)
    except ParseError as exc:
        return (type(exc), str(exc))


field_values = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64)
    | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.decimals(min_value=0, max_value=10**7, places=8, allow_nan=False).map(lambda d: f"{d:.8f}")
    | st.decimals(min_value=0, max_value=10**7, places=8, allow_nan=False).map(str)
    | st.integers(min_value=0, max_value=10**9).map(str)
)
trade_or_book_keys = st.sampled_from(["t", "p", "q", "T", "m", "E", "M", "e", "s", "u", "b", "B", "a", "A"])


@given(
    stream=st.sampled_from(["btcusdt@trade", "btcusdt@bookTicker", "trade", "bookTicker", "btcusdt@kline_1h",
                            "btcusdt@aggTrade"]),
    base=st.sampled_from(["trade", "book", "none"]),
    extra=st.dictionaries(trade_or_book_keys, field_values, max_size=6),
    drop=st.lists(trade_or_book_keys, max_size=2),
)
def test_the_fast_path_gives_exactly_what_the_strict_path_gives(
    stream: str, base: str, extra: dict[str, object], drop: list[str]
) -> None:
    """Any mix of valid, missing, null, mistyped and out-of-range fields: same event or same error."""
    data: dict[str, object] = {}
    if base == "trade":
        data = {"e": "trade", "E": 2, "s": "BTCUSDT", "t": 5, "p": "98512.34000000", "q": "0.0012", "T": 1,
                "m": True, "M": True}
    elif base == "book":
        data = {"u": 9, "s": "BTCUSDT", "b": "98512.33000000", "B": "1.5", "a": "98512.34000000", "A": "0.2"}
    data.update(extra)
    for key in drop:
        data.pop(key, None)
    frame = json.dumps({"stream": stream, "data": data})
    assert _outcome(decode_frame, frame) == _outcome(decode_frame_strict, frame)


def test_the_fast_path_keeps_a_futures_book_ticker_time_and_a_spot_one_absent() -> None:
    spot = '{"stream":"btcusdt@bookTicker","data":{"u":1,"b":"1.00000000","B":"1","a":"2.00000000","A":"1"}}'
    fut = '{"stream":"btcusdt@bookTicker","data":{"u":1,"b":"1.00000000","B":"1","a":"2.00000000","A":"1","T":5}}'
    ev_spot, ev_fut = decode_frame(spot, 0), decode_frame(fut, 0)
    assert isinstance(ev_spot, BookTickerEvent) and ev_spot.ts_exchange_ms is None
    assert isinstance(ev_fut, BookTickerEvent) and ev_fut.ts_exchange_ms == 5


@given(whole=st.integers(min_value=0, max_value=10**8), frac=st.integers(min_value=0, max_value=10**8 - 1),
       other_whole=st.integers(min_value=0, max_value=10**8), other_frac=st.integers(min_value=0, max_value=10**8 - 1))
def test_memoised_prices_equal_decimal_to_e8_even_when_assembled_from_remembered_parts(
    whole: int, frac: int, other_whole: int, other_frac: int
) -> None:
    """Two prices teach the part memos; the two cross combinations are then built from parts."""
    texts = [f"{w}.{f:08d}" for w, f in ((whole, frac), (other_whole, other_frac), (whole, other_frac),
                                         (other_whole, frac))]
    wire._E8_CACHE.clear()
    for text in texts:
        expected = decimal_to_e8(text)
        if expected > 0:
            assert wire._positive_e8(text) == expected
        else:
            with pytest.raises(ValueError):
                wire._positive_e8(text)
