from __future__ import annotations

import math

import pytest

from hourmm_lab.calibration.scoring import reliability, score


def test_brier_and_log_loss_of_known_forecasts() -> None:
    s = score([0.8, 0.3], [True, False])
    assert s.n == 2
    assert s.brier == pytest.approx((0.04 + 0.09) / 2)
    assert s.log_loss == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2)


def test_reliability_bins_count_mean_forecast_and_frequency() -> None:
    bins = reliability([0.05, 0.15, 0.12, 0.999, 1.0], [False, True, False, True, True])
    assert len(bins) == 10
    assert (bins[0].n, bins[0].freq_up) == (1, 0.0)
    assert (bins[1].n, bins[1].mean_p, bins[1].freq_up) == (2, pytest.approx(0.135), 0.5)
    assert bins[9].n == 2  # p = 1.0 lands in the last bin, not off the end
    assert bins[5].n == 0 and math.isnan(bins[5].mean_p)


def test_scoring_nothing_is_refused() -> None:
    with pytest.raises(ValueError):
        score([], [])
