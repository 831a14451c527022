"""Exact decimal parsing of venue numbers, and arbitrary bytes never crash the decoders."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polymarket_trader import wire
from polymarket_trader.market_ws import MarketTranslator
from polymarket_trader.user_ws import UserTranslator


@pytest.mark.parametrize(("text", "e4"), [("0.48", 4800), (".48", 4800), ("0.515", 5150), ("1", 10_000),
                                          ("0.0001", 1), ("0.50000", 5000), (0.48, 4800), (1, 10_000),
                                          ("1e-2", 100)])
def test_prices_parse_exactly_to_e4(text: wire.Num, e4: int) -> None:
    assert wire.price_e4(text) == e4


@pytest.mark.parametrize("text", ["0.00001", "-0.5", "abc", "", ".", "NaN", "inf", "0.5.1", "٣"])
def test_off_grid_or_garbage_prices_raise_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        wire.price_e4(text)


def test_sizes_parse_to_e6_and_format_back() -> None:
    assert wire.size_e6("199.31") == 199_310_000
    assert wire.size_e6("10500100") == 10_500_100_000_000
    assert wire.e6_text(199_310_000) == "199.31"
    assert wire.e4_text(5150) == "0.515"
    assert wire.e4_text(10_000) == "1"


def test_timestamps_in_seconds_or_ms_are_told_apart_by_magnitude() -> None:
    assert wire.timestamp_ms("1762776436") == 1_762_776_436_000
    assert wire.timestamp_ms("1725958682125") == 1_725_958_682_125
    assert wire.timestamp_ms("2024-01-01T00:00:00Z") is None
    assert wire.timestamp_ms(None) is None


@settings(max_examples=150)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_counted_never_raised(raw: bytes) -> None:
    market, user = MarketTranslator(), UserTranslator(funder="0xabc", api_key="k")
    market.frame_to_events(raw, 1)
    user.frame_to_events(raw, 1)


@settings(max_examples=150)
@given(st.dictionaries(st.sampled_from(["event_type", "asset_id", "price", "size", "side", "bids", "asks",
                                        "price_changes", "new_tick_size", "maker_orders", "taker_order_id",
                                        "original_size", "status", "type", "trader_side"]),
                       st.one_of(st.text(max_size=8), st.integers(), st.none(), st.lists(st.text(max_size=3)))))
def test_arbitrary_shaped_objects_never_crash(obj: dict[str, object]) -> None:
    raw = msgspec.json.encode(obj)
    MarketTranslator().frame_to_events(raw, 1)
    UserTranslator(funder="0xabc", api_key="k").frame_to_events(raw, 1)


def test_order_event_prices_with_more_than_four_decimals_round_to_the_nearest_e4() -> None:
    # A marketable order's implied (worst) price, as the venue reports it on the user channel.
    assert wire.price_e4_nearest("0.570015") == 5700
    assert wire.price_e4_nearest("0.57005") == 5701
    assert wire.price_e4_nearest("0.5") == 5000
    for bad in ("abc", "-0.1", "nan"):
        with pytest.raises(ValueError):
            wire.price_e4_nearest(bad)
