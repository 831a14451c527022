"""The default risk settings fit together on a 1,000 pUSD account: the position cap is a few quote
sizes (not twenty), and one filled quote moves the quoting centre by a real fraction of the spread,
so inventory pushes back before it piles up. Chosen with the backtest (see the params' comments)."""

from __future__ import annotations

import pytest

from polymarket_trader.core.params import RiskLimits
from polymarket_trader.core.quote_composer import QuoteComposer
from polymarket_trader.core.strategy import StrategyParams


def test_the_position_cap_is_a_few_quote_sizes_and_a_few_percent_of_the_account():
    limits, strategy = RiskLimits(), StrategyParams()
    quotes_to_cap = limits.max_position_e6 / strategy.base_size_e6
    assert 2 <= quotes_to_cap <= 6
    # a binary share is worth at most 1 pUSD: the whole cap at risk stays under 5 % of 1,000 pUSD
    assert limits.max_position_e6 <= 50_000_000
    assert limits.max_order_size_e6 >= strategy.base_size_e6


def test_one_filled_quote_moves_the_centre_by_at_least_half_the_base_half_spread():
    strategy, cap = StrategyParams(), RiskLimits().max_position_e6
    composer = QuoteComposer(strategy.quotes)
    flat = composer.with_inventory_skew(0.5, 0, cap)
    long_one = composer.with_inventory_skew(0.5, strategy.base_size_e6, cap)
    short_one = composer.with_inventory_skew(0.5, -strategy.base_size_e6, cap)
    shift = flat - long_one
    assert shift >= 0.5 * strategy.quotes.base_half_spread
    assert short_one - flat == pytest.approx(shift)  # symmetric: long Up lowers the centre, short raises it
    # ... and a full cap moves it less than the widest spread allowed (the quotes stay two-sided)
    assert flat - composer.with_inventory_skew(0.5, cap, cap) < strategy.quotes.max_half_spread
