from __future__ import annotations

import math

import pytest

from hourmm_lab.calibration.candles import candles_from_rows
from hourmm_lab.calibration.estimators import (
    close_returns_sq,
    ewma_causal,
    hour_of_day_profile,
    parkinson_sq,
    rolling_causal,
)

X = [4.0, 1.0, 9.0, 0.0, 16.0, 25.0]


def test_ewma_is_the_weighted_mean_of_strictly_earlier_values() -> None:
    hl = 2.0
    lam = 0.5 ** (1 / hl)
    got = ewma_causal(X, hl)
    assert math.isnan(got[0])
    for i in range(1, len(X)):
        w = [lam ** (i - 1 - k) for k in range(i)]
        assert got[i] == pytest.approx(sum(wk * X[k] for k, wk in enumerate(w)) / sum(w))


def test_rolling_mean_covers_the_last_window_before_each_index() -> None:
    got = rolling_causal(X, 3)
    assert got[1:] == pytest.approx([4.0, 2.5, 14 / 3, 10 / 3, 25 / 3])


def test_returns_and_ranges_are_per_minute_log_quantities() -> None:
    c = candles_from_rows([(0, 100.0, 110.0, 90.0, 105.0), (60_000, 105.0, 106.0, 99.0, 100.0)])
    assert close_returns_sq(c) == pytest.approx([math.log(1.05) ** 2, math.log(100 / 105) ** 2])
    assert parkinson_sq(c)[0] == pytest.approx(math.log(110 / 90) ** 2 / (4 * math.log(2)))


def test_hour_of_day_profile_uses_only_the_fitting_window() -> None:
    rows = [(h * 3_600_000 + m * 60_000, 100.0, 100.0, 100.0, 100.0) for h in range(48) for m in range(60)]
    c = candles_from_rows(rows)
    x = [float(k // 60 % 24) for k in range(len(rows))]
    x[-1] = 1e9  # outside the window: must not count
    profile = hour_of_day_profile(c, x, end_index=len(rows) - 60)
    assert profile == pytest.approx([float(h) for h in range(24)])
