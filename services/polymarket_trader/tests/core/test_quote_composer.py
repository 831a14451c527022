"""QuoteComposer: tick rounding, bounds, minimum size, skew, spread widening."""

from __future__ import annotations

import pytest
from trader_testkit.builders import at, boot_events, e6
from trader_testkit.harness import CoreHarness

from polymarket_trader.core.context import DecisionContext
from polymarket_trader.core.quote_composer import QuoteComposer, QuoteParams, round_to_tick


def ctx_at(minute: float = 5, *, band: float = 0.0) -> DecisionContext:
    h = CoreHarness(now_ms=at(minute))
    h.feed_all(boot_events(ts=at(minute)))
    h.fresh_snapshot(0.5, band=band)
    return h.context()


@pytest.mark.parametrize(("price", "tick", "up", "expected"), [
    (5234.0, 100, False, 5200), (5234.0, 100, True, 5300), (5200.0, 100, True, 5200),
    (5234.0, 10, False, 5230), (5199.9999999, 100, False, 5200), (5234.0, 1000, True, 6000)])
def test_round_to_tick(price: float, tick: int, up: bool, expected: int) -> None:
    assert round_to_tick(price, tick, up=up) == expected


def test_quotes_straddle_fair_on_the_grid_and_never_improve_past_it() -> None:
    c = QuoteComposer(QuoteParams(base_half_spread=0.0123, time_spread=0.0))
    qs = c.compose(0.5, ctx_at(), e6(10), e6(10), e6(100))
    assert qs.bid is not None and qs.ask is not None
    assert qs.bid.price_e4 == 4800 and qs.ask.price_e4 == 5200
    assert qs.bid.price_e4 % 100 == 0 and qs.ask.price_e4 % 100 == 0


def test_bounds_and_min_size_drop_a_side() -> None:
    c = QuoteComposer(QuoteParams(base_half_spread=0.02, time_spread=0.0))
    qs = c.compose(0.015, ctx_at(), e6(10), e6(4.99), e6(100))
    assert qs.bid is None  # below one tick
    assert qs.ask is None  # under the 5-share minimum
    qs = c.compose(0.985, ctx_at(), e6(10), e6(10), e6(100))
    assert qs.ask is None and qs.bid is not None and qs.bid.price_e4 <= 9900


def test_inventory_skews_the_centre_against_the_position() -> None:
    c = QuoteComposer(QuoteParams())
    assert c.with_inventory_skew(0.5, e6(100), e6(100)) < 0.5 < c.with_inventory_skew(0.5, -e6(100), e6(100))


def test_spread_widens_with_uncertainty_and_near_expiry() -> None:
    c = QuoteComposer(QuoteParams())
    assert c.half_spread(ctx_at(5, band=0.05)) > c.half_spread(ctx_at(5, band=0.0))
    assert c.half_spread(ctx_at(55)) > c.half_spread(ctx_at(5))
