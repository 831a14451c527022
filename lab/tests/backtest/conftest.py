"""Shared inputs of the backtest tests: a slice of the real December 2024 minute candles."""

from __future__ import annotations

import pytest

from hourmm_common.hours import parse_iso_ms
from hourmm_sim.history import Candle, candles_between, data_path, load_candles

FIRST_HOUR = "2024-12-05T20:00:00Z"


@pytest.fixture(scope="session")
def dec_candles() -> list[Candle]:
    """Six hours of real 1-minute candles around the test window (warm-up included)."""
    start = parse_iso_ms(FIRST_HOUR)
    return candles_between(load_candles(data_path("1m_2024")), start - 6 * 3_600_000, start + 3 * 3_600_000)
