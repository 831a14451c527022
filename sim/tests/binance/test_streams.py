"""The stand-in's websocket streams: Binance's shapes, the tape's content, at the clock's pace."""

from __future__ import annotations

import json
from typing import Any

from hourmm_common.paths import fixtures_dir
from hourmm_sim.binance.messages import price_str, qty_str
from hourmm_sim.tape import Tape

FIXTURES = fixtures_dir() / "binance"
MINUTE_MS = 60_000
TAPE_START_MS = 1_750_068_000_000  # the conftest tape: 2025-06-16 10:00-12:00 UTC
T0 = TAPE_START_MS + 30 * MINUTE_MS  # mid-hour: half an hour of tape is history


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def shape(value: Any) -> Any:
    """Keys and value types, recursively: what must match a recorded message."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return type(value).__name__


async def test_combined_stream_messages_have_the_fixtures_keys_and_types(standin_at, connect) -> None:
    standin, clock = await standin_at(T0)
    probe = await connect(f"{standin.ws_base_url}/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@kline_1m")
    await clock.run_until(T0 + 20_000)
    by_stream: dict[str, Any] = {}
    for message in await probe.drain():
        by_stream.setdefault(message["stream"], message)
    assert set(by_stream) == {"btcusdt@trade", "btcusdt@bookTicker", "btcusdt@kline_1m"}
    assert shape(by_stream["btcusdt@trade"]) == shape(fixture("ws/combined_trade_spot.json"))
    assert shape(by_stream["btcusdt@bookTicker"]["data"]) == shape(fixture("ws/book_ticker_spot.json"))
    assert shape(by_stream["btcusdt@kline_1m"]["data"]) == shape(fixture("ws/kline_1m_open.json"))
    assert list(by_stream["btcusdt@trade"]["data"]) == list(fixture("ws/trade_spot.json"))
    price = by_stream["btcusdt@trade"]["data"]["p"]
    assert len(price.split(".")[1]) == 8


async def test_trades_stream_in_tape_order_as_the_clock_passes_them(standin_at, connect, tape: Tape) -> None:
    standin, clock = await standin_at(T0)
    probe = await connect(f"{standin.ws_base_url}/ws/btcusdt@trade")
    await clock.run_until(T0 + 20_000)
    got = await probe.drain()
    expected = tape.trades_between(T0 + 1, T0 + 20_001)
    assert len(got) == len(expected) > 0
    for message, trade in zip(got, expected, strict=True):
        assert (message["t"], message["p"], message["q"], message["T"], message["m"]) == (
            trade.trade_id, price_str(trade.price), qty_str(trade.qty), trade.ts_ms, trade.is_buyer_maker,
        )
        assert message["E"] >= message["T"]
    await clock.run_until(T0 + 20_500)
    later = await probe.drain(req_id=2)
    assert all(m["T"] > T0 + 20_000 for m in later)


async def test_a_client_connecting_mid_stream_gets_only_later_events(standin_at, connect, tape: Tape) -> None:
    standin, clock = await standin_at(T0)
    await clock.run_until(T0 + 90_000)
    probe = await connect(f"{standin.ws_base_url}/stream?streams=btcusdt@trade")
    await clock.run_until(T0 + 100_000)
    got = [m["data"] for m in await probe.drain()]
    assert got and min(m["T"] for m in got) > T0 + 90_000
    assert [m["t"] for m in got] == [t.trade_id for t in tape.trades_between(T0 + 90_001, T0 + 100_001)]


async def test_subscribe_on_a_raw_connection_answers_like_binance(standin_at, connect) -> None:
    standin, clock = await standin_at(T0)
    probe = await connect(f"{standin.ws_base_url}/ws")
    await probe.request("SUBSCRIBE", ["btcusdt@trade", "btcusdt@bookTicker"], req_id=1)
    reply = await probe.next_json()
    assert reply == fixture("ws/subscribe_response.json")
    await probe.request("LIST_SUBSCRIPTIONS", req_id=2)
    assert await probe.next_json() == {"result": ["btcusdt@bookTicker", "btcusdt@trade"], "id": 2}
    await clock.run_until(T0 + 20_000)
    raw = await probe.drain(req_id=3)
    assert {"e", "t"} <= set(raw[0]) or {"u", "b"} <= set(raw[0])
    assert all("stream" not in m for m in raw)
    await probe.request("UNSUBSCRIBE", ["btcusdt@trade", "btcusdt@bookTicker"], req_id=4)
    assert await probe.next_json() == {"result": None, "id": 4}
    await clock.run_until(T0 + 40_000)
    assert await probe.drain(req_id=5) == []


async def test_bad_requests_get_an_error_and_keep_the_connection(standin_at, connect) -> None:
    standin, _ = await standin_at(T0)
    probe = await connect(f"{standin.ws_base_url}/ws")
    await probe.ws.send_str("{not json")
    error = await probe.next_json()
    assert error["error"]["code"] == 3 and error["id"] is None
    await probe.request("SUBSCRIBEE", ["btcusdt@trade"], req_id=7)
    assert (await probe.next_json())["error"]["code"] == 2
    await probe.request("SUBSCRIBE", ["nosuch@stream", "ethusdt@trade"], req_id=8)
    assert await probe.next_json() == {"result": None, "id": 8}
    assert standin.counters["ws_bad_requests"] == 2
    assert standin.counters["ws_unknown_streams"] == 2


async def test_kline_stream_pushes_changes_and_a_closed_kline_at_the_boundary(standin_at, connect, tape: Tape) -> None:
    standin, clock = await standin_at(T0)
    probe = await connect(f"{standin.ws_base_url}/stream?streams=btcusdt@kline_1m/btcusdt@kline_1h")
    await clock.run_until(T0 + MINUTE_MS + 3_000)
    events = [m["data"] for m in await probe.drain()]
    klines = [e["k"] for e in events]
    minute = [k for k in klines if k["i"] == "1m"]
    closed = [k for k in minute if k["x"]]
    assert len(closed) == 1 and closed[0]["t"] == T0
    expected = tape.kline(MINUTE_MS, T0)
    assert expected is not None
    assert (closed[0]["o"], closed[0]["h"], closed[0]["l"], closed[0]["c"], closed[0]["v"], closed[0]["n"]) == (
        price_str(expected.open), price_str(expected.high), price_str(expected.low), price_str(expected.close),
        qty_str(expected.volume), expected.trades,
    )
    assert not any(k["x"] for k in minute if k["t"] == T0 + MINUTE_MS)
    hourly = [e for e in events if e["k"]["i"] == "1h"]
    assert hourly and all(e["k"]["t"] == TAPE_START_MS and not e["k"]["x"] for e in hourly)
    last = hourly[-1]
    hour_so_far = tape.kline(3_600_000, TAPE_START_MS, up_to_ms=last["E"])
    assert hour_so_far is not None
    assert (last["k"]["o"], last["k"]["c"], last["k"]["n"]) == (
        price_str(hour_so_far.open), price_str(hour_so_far.close), hour_so_far.trades,
    )
