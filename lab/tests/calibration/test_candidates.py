"""The study's central guarantees: no look-ahead, and the fits recover what they should."""

from __future__ import annotations

import math
import re

import pytest

from binance_pricer.core.pricer import PricerParams
from hourmm_lab.calibration.candidates import constant, digital, ewma, rule_weight
from hourmm_lab.calibration.candles import MinuteCandles, candles_from_rows
from hourmm_lab.calibration.decisions import Decision, split_decisions
from hourmm_lab.calibration.registry import CANDIDATES
from hourmm_lab.calibration.study import run_study


def _perturb_from(c: MinuteCandles, d: Decision) -> MinuteCandles:
    """Everything not known at the decision changes: the decision minute's H/L/C and all later."""
    rows = []
    for k in range(len(c)):
        o, h, lo, cl = c.open[k], c.high[k], c.low[k], c.close[k]
        if k > d.index:
            o, h, lo, cl = o * 1.03, h * 1.05, lo * 1.01, cl * 1.02
        elif k == d.index:
            h, cl = h * 1.05, cl * 1.02
        rows.append((c.open_time_ms[k], o, h, lo, cl))
    return candles_from_rows(rows)


@pytest.mark.parametrize("name", list(CANDIDATES))
def test_no_candidate_reads_data_after_the_decision_point(walk, name: str) -> None:  # type: ignore[no-untyped-def]
    c = walk(hours=24 + 12, seed=3)
    split = split_decisions(c)
    for d in (split.test[0], split.test[len(split.test) // 2 + 3], split.test[-1]):
        before = CANDIDATES[name](c, split).predict(d)
        after = CANDIDATES[name](_perturb_from(c, d), split).predict(d)
        assert after == before, f"{name} changed its forecast when the future changed"
        assert 0.001 <= before <= 0.999


def test_the_perturbation_is_strong_enough_to_be_seen_by_a_cheating_model(walk) -> None:  # type: ignore[no-untyped-def]
    c = walk(hours=24 + 12, seed=3)
    split = split_decisions(c)
    d = split.test[0]
    outcome_close = lambda cc: cc.close[d.index - (60 - d.tau_min) + 59]  # noqa: E731
    assert outcome_close(_perturb_from(c, d)) != outcome_close(c)


def test_constant_gbm_recovers_the_walks_volatility(walk) -> None:  # type: ignore[no-untyped-def]
    c = walk(hours=24 + 40, sigma=0.0008)
    fitted = CANDIDATES["gbm_const"](c, split_decisions(c))
    assert fitted.params["sigma_per_min"] == pytest.approx(0.0008, rel=0.05)


def test_the_digital_is_the_lognormal_formula_with_the_step_at_expiry() -> None:
    d = Decision(hour_start_ms=0, tau_min=4, index=56, s=101.0, o=100.0, hour_of_day=0, outcome_up=True)
    sigma = 0.001
    z = math.log(1.01) / (sigma * 2)
    assert digital(d, sigma ** 2) == pytest.approx(min(0.999, 0.5 * (1 + math.erf(z / math.sqrt(2)))))
    assert digital(d, 0.0) == 0.999
    assert digital(d, float("nan")) == 0.999
    tie = Decision(hour_start_ms=0, tau_min=1, index=59, s=100.0, o=100.0, hour_of_day=0, outcome_up=True)
    assert digital(tie, 1e-8) == 0.5
    assert digital(tie, 0.0) == 0.999  # ties resolve Up


def test_on_a_constant_vol_walk_the_study_scores_every_candidate_better_than_chance(walk) -> None:  # type: ignore[no-untyped-def]
    result = run_study(walk(hours=24 + 60, seed=11))
    assert result.test_hours == 30
    for r in result.pricers:
        assert r.by_tau[1].brier < 0.1 < 0.25
        assert r.by_tau[5].brier < r.by_tau[55].brier


def test_a_regime_change_is_tracked_by_ewma_but_not_by_constant_vol(walk_rows) -> None:  # type: ignore[no-untyped-def]
    quiet = walk_rows(hours=72, sigma=0.0005, seed=1)
    loud = walk_rows(hours=36, sigma=0.002, seed=2, start_ms=quiet[-1][0] + 60_000)
    scale = quiet[-1][4] / loud[0][1]
    loud = [(t, o * scale, h * scale, lo * scale, c * scale) for t, o, h, lo, c in loud]
    c = candles_from_rows(quiet + loud)
    split = split_decisions(c)
    d = split.test[-1]
    assert constant(c, split).variance(d) == pytest.approx(0.0005 ** 2, rel=0.3)
    assert ewma("cc", 30.0)(c, split).variance(d) == pytest.approx(0.002 ** 2, rel=0.3)


def test_the_service_default_is_its_ewma_of_minute_returns(walk) -> None:  # type: ignore[no-untyped-def]
    """The study runs the pricer service's own engine; on minute data its EWMA(hl = N s) feature is
    an EWMA of minute returns with a half-life of N / 60 minutes."""
    feature = PricerParams().sigma_feature
    match = re.fullmatch(r"ewma_vol_(?:m1_)?(\d+)s", feature)
    if match is None:
        pytest.skip(f"the service's sigma feature {feature!r} is not an EWMA any more")
    c = walk(hours=24 + 6, seed=5)
    split = split_decisions(c)
    service = CANDIDATES["default"](c, split)
    five = ewma("cc", int(match.group(1)) / 60)(c, split)
    for d in split.test:
        assert service.predict(d) == pytest.approx(digital(d, five.variance(d)), rel=1e-6, abs=1e-9)


def test_the_per_tau_blend_fits_one_weight_per_time_remaining(walk) -> None:  # type: ignore[no-untyped-def]
    c = walk(hours=24 + 10, seed=9)
    fitted = CANDIDATES["blend_tau_range_hl10_cc_hl240"](c, split_decisions(c))
    assert set(fitted.params) == {f"w_fast_{t}m" for t in (1, 5, 15, 30, 45, 55)}
    assert all(0.0 <= w <= 1.0 for w in fitted.params.values())


def test_the_rule_blend_uses_the_fast_estimate_near_expiry_and_the_slow_one_early() -> None:
    assert [rule_weight(t) for t in (1, 5, 15, 20, 30, 55)] == pytest.approx([1.0, 1.0, 1 / 3, 0.0, 0.0, 0.0])
