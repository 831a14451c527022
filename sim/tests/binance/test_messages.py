"""The stand-in's wire formats: Binance's decimal strings, stream names, request parsing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourmm_sim.binance.messages import (
    WsRequestError,
    book_ticker_payload,
    combined,
    parse_request,
    parse_stream,
    price_str,
    qty_str,
    trade_payload,
)
from hourmm_sim.tape import TapeQuote, TapeTrade


@pytest.mark.parametrize(
    ("value", "text"), [(98512.34, "98512.34000000"), (0.01, "0.01000000"), (105573.7, "105573.70000000")]
)
def test_prices_are_written_with_eight_decimals(value: float, text: str) -> None:
    assert price_str(value) == text


def test_quantities_keep_every_satoshi() -> None:
    assert qty_str(0.0012) == "0.00120000"
    assert qty_str(10.82647) == "10.82647000"
    assert qty_str(1e-8) == "0.00000001"


def test_payloads_match_the_recorded_examples_field_for_field() -> None:
    trade = TapeTrade(ts_ms=1732440000121, trade_id=4184327113, price=98512.34, qty=0.0012, is_buyer_maker=True)
    payload = trade_payload(trade, "BTCUSDT", 1732440000123)
    wrapped = json.loads(combined("btcusdt@trade", payload))
    assert wrapped == {"stream": "btcusdt@trade", "data": {
        "e": "trade", "E": 1732440000123, "s": "BTCUSDT", "t": 4184327113, "p": "98512.34000000",
        "q": "0.00120000", "T": 1732440000121, "m": True, "M": True,
    }}
    quote = TapeQuote(ts_ms=1, update_id=55873519871, bid=98512.33, bid_qty=1.48211, ask=98512.34, ask_qty=0.20531)
    assert json.loads(book_ticker_payload(quote, "BTCUSDT")) == {
        "u": 55873519871, "s": "BTCUSDT", "b": "98512.33000000", "B": "1.48211000", "a": "98512.34000000",
        "A": "0.20531000",
    }


def test_stream_names_parse_as_binance_spells_them() -> None:
    book = parse_stream("btcusdt@bookTicker")
    assert book is not None and book.name == "btcusdt@bookTicker"
    upper = parse_stream("BTCUSDT@trade")
    assert upper is not None and (upper.symbol, upper.name) == ("BTCUSDT", "btcusdt@trade")
    kline = parse_stream("btcusdt@kline_1h")
    assert kline is not None and kline.interval == "1h"
    assert parse_stream("btcusdt@kline_7m") is None
    assert parse_stream("btcusdt") is None and parse_stream("btcusdt@depth") is None


def test_requests_parse_or_fail_with_binance_codes() -> None:
    request = parse_request('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}')
    assert (request.method, request.params, request.id) == ("SUBSCRIBE", ("btcusdt@trade",), 1)
    with pytest.raises(WsRequestError) as bad_json:
        parse_request("{oops")
    assert bad_json.value.code == 3
    with pytest.raises(WsRequestError) as bad_params:
        parse_request('{"method":"SUBSCRIBE","params":[1],"id":4}')
    assert (bad_params.value.code, bad_params.value.request_id) == (2, 4)
    with pytest.raises(WsRequestError) as unknown:
        parse_request('{"method":"SUBSCRIBEE","id":"a"}')
    assert (unknown.value.code, unknown.value.request_id) == (2, "a")


@given(st.one_of(st.binary(max_size=200), st.text(max_size=200), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["method", "params", "id", "x"]), inner),
    max_leaves=10,
).map(json.dumps)))
def test_arbitrary_input_parses_or_raises_the_typed_error(raw: str | bytes) -> None:
    try:
        request = parse_request(raw)
    except WsRequestError as exc:
        assert exc.code in (2, 3) and len(exc.msg) <= 200
    else:
        assert request.method in ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS")
        assert all(isinstance(p, str) for p in request.params)
