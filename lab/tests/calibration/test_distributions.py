from __future__ import annotations

import pytest

from hourmm_lab.calibration.distributions import normal_cdf, student_t_cdf, unit_variance_t_cdf


@pytest.mark.parametrize(("t", "nu", "expected"), [(2.0, 3.0, 0.9303370), (-1.0, 10.0, 0.1704466),
                                                   (0.0, 4.0, 0.5), (3.0, 1.0, 0.8975836)])
def test_student_t_matches_reference_values(t: float, nu: float, expected: float) -> None:
    assert student_t_cdf(t, nu) == pytest.approx(expected, abs=1e-6)


def test_t_is_symmetric_and_tends_to_the_normal() -> None:
    for z in (-2.5, -0.3, 0.7, 1.9):
        assert unit_variance_t_cdf(z, 5.0) + unit_variance_t_cdf(-z, 5.0) == pytest.approx(1.0)
        assert unit_variance_t_cdf(z, 1e7) == pytest.approx(normal_cdf(z), abs=1e-6)
    assert normal_cdf(1.959964) == pytest.approx(0.975, abs=1e-6)
