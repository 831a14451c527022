"""BaselinePricer: the lognormal digital of the amendments and every edge case it names."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pricer_testkit.builders import H0, e8

from binance_pricer.core.hour_context import HourContext
from binance_pricer.core.pricer import (
    PRICERS,
    BaselinePricer,
    ConstantVolPricer,
    PricerParams,
    TermBlendPricer,
    digital_up,
)
from hourmm_common.enums import OpenSource
from hourmm_common.hours import HOUR_MS, hour_id

SIGMA = 1e-4  # per sqrt(second)
FEATS = {"ewma_vol_m1_300s": SIGMA, "ewma_n_eff_m1_300s": 300.0}


def a_context(*, open_price: float | None = 100_000.0, mid: float | None = 100_000.0,
              last: float | None = None, t_remaining_ms: int = 30 * 60_000) -> HourContext:
    now = H0 + HOUR_MS - t_remaining_ms
    half_spread = 0.01
    return HourContext(
        now_ms=now, hour_id=hour_id(H0), hour_start_ms=H0, hour_end_ms=H0 + HOUR_MS,
        t_remaining_ms=t_remaining_ms,
        open_e8=None if open_price is None else e8(open_price),
        open_source=None if open_price is None else OpenSource.TRADE,
        last_trade_e8=None if last is None else e8(last), last_trade_ts_exchange_ms=None,
        bid_e8=None if mid is None else e8(mid - half_spread), bid_qty=1.0,
        ask_e8=None if mid is None else e8(mid + half_spread), ask_qty=1.0, ts_exchange_ms=now,
    )


def test_matches_the_closed_form() -> None:
    out = BaselinePricer().price(a_context(mid=100_100.0, t_remaining_ms=900_000), FEATS)
    z = math.log(100_100.0 / 100_000.0) / (SIGMA * math.sqrt(900.0))
    assert out.p_yes == pytest.approx(0.5 * (1 + math.erf(z / math.sqrt(2))), abs=1e-12)
    assert out.sigma == SIGMA


def test_at_the_open_it_is_exactly_one_half_while_time_remains() -> None:
    assert BaselinePricer().price(a_context(), FEATS).p_yes == 0.5


def test_no_open_means_not_ready() -> None:
    out = BaselinePricer().price(a_context(open_price=None), FEATS)
    assert out.p_yes is None and out.reason == "no_open" and not out.ready


def test_no_price_and_no_sigma_are_not_ready_either() -> None:
    assert BaselinePricer().price(a_context(mid=None), FEATS).reason == "no_price"
    assert BaselinePricer().price(a_context(), {}).reason == "no_sigma"


def test_without_a_bbo_the_last_trade_is_the_price() -> None:
    out = BaselinePricer().price(a_context(mid=None, last=100_050.0), FEATS)
    assert out.p_yes is not None and out.p_yes > 0.5


@pytest.mark.parametrize(("mid", "expected"), [(100_000.0, 0.999), (100_000.01, 0.999), (99_999.99, 0.001)])
def test_at_tau_zero_it_is_the_step_and_ties_resolve_up(mid: float, expected: float) -> None:
    assert BaselinePricer().price(a_context(mid=mid, t_remaining_ms=0), FEATS).p_yes == expected


def test_zero_sigma_is_the_step_too() -> None:
    feats = {"ewma_vol_m1_300s": 0.0, "ewma_n_eff_m1_300s": 10.0}
    assert BaselinePricer().price(a_context(mid=100_000.02), feats).p_yes == 0.999
    assert BaselinePricer().price(a_context(mid=100_000.0), feats).p_yes == 0.999


def test_output_is_clamped() -> None:
    assert BaselinePricer().price(a_context(mid=150_000.0), FEATS).p_yes == 0.999
    assert BaselinePricer().price(a_context(mid=50_000.0), FEATS).p_yes == 0.001


def test_band_brackets_the_fair_value_and_narrows_with_more_samples() -> None:
    ctx = a_context(mid=100_060.0)
    wide = BaselinePricer().price(ctx, {"ewma_vol_m1_300s": SIGMA, "ewma_n_eff_m1_300s": 20.0})
    narrow = BaselinePricer().price(ctx, {"ewma_vol_m1_300s": SIGMA, "ewma_n_eff_m1_300s": 2_000.0})
    for out in (wide, narrow):
        assert out.band_lo is not None and out.band_hi is not None and out.p_yes is not None
        assert out.band_lo <= out.p_yes <= out.band_hi
    assert (narrow.band_hi - narrow.band_lo) < (wide.band_hi - wide.band_lo)  # type: ignore[operator]


def test_the_sigma_estimator_is_a_parameter() -> None:
    feats = {"ewma_vol_m1_300s": 1e-6, "rv_900s": 1e-3}
    slow = BaselinePricer(PricerParams(sigma_feature="rv_900s", n_eff_feature="none")).price(
        a_context(mid=100_050.0), feats)
    fast = BaselinePricer().price(a_context(mid=100_050.0), feats)
    assert slow.sigma == 1e-3 and fast.sigma == 1e-6
    assert slow.p_yes is not None and fast.p_yes is not None and slow.p_yes < fast.p_yes


def test_constant_vol_pricer_ignores_the_features() -> None:
    out = ConstantVolPricer(PricerParams(constant_sigma=SIGMA)).price(a_context(mid=100_100.0), {})
    assert out.p_yes == pytest.approx(digital_up(100_100.0, 100_000.0, SIGMA, 1_800.0))
    assert set(PRICERS) == {"term_blend", "baseline", "gbm_const"}


prices = st.floats(min_value=1_000.0, max_value=500_000.0, allow_nan=False)
sigmas = st.floats(min_value=0.0, max_value=0.01, allow_nan=False)
taus = st.floats(min_value=0.0, max_value=3_600.0, allow_nan=False)


@given(o=prices, s1=prices, s2=prices, sigma=sigmas, tau=taus)
def test_monotone_in_s_and_inside_the_clamp(o: float, s1: float, s2: float, sigma: float, tau: float) -> None:
    lo, hi = sorted((s1, s2))
    p_lo, p_hi = digital_up(lo, o, sigma, tau), digital_up(hi, o, sigma, tau)
    assert 0.001 <= p_lo <= p_hi <= 0.999


@given(o=prices, sigma=st.floats(min_value=1e-7, max_value=0.01), tau=st.floats(min_value=0.001, max_value=3_600.0))
def test_one_half_at_the_open(o: float, sigma: float, tau: float) -> None:
    assert digital_up(o, o, sigma, tau) == 0.5


@given(o=prices, s=prices, n_eff=st.floats(min_value=0.0, max_value=1e6),
       tau_ms=st.integers(min_value=0, max_value=HOUR_MS))
def test_pricer_output_is_always_a_valid_probability_with_an_ordered_band(
    o: float, s: float, n_eff: float, tau_ms: int
) -> None:
    out = BaselinePricer().price(a_context(open_price=o, mid=s, t_remaining_ms=tau_ms),
                                 {"ewma_vol_m1_300s": SIGMA, "ewma_n_eff_m1_300s": n_eff})
    assert out.p_yes is not None and out.band_lo is not None and out.band_hi is not None
    assert 0.001 <= out.band_lo <= out.p_yes <= out.band_hi <= 0.999


BLEND_FEATS = {"ewma_vol_m1_300s": 2e-4, "ewma_n_eff_m1_300s": 300.0, "ewma_vol_m1_1800s": 1e-4, "ewma_n_eff_m1_1800s": 1800.0}


@pytest.mark.parametrize(("t_remaining_min", "expected_sigma"), [
    (30.0, 1e-4),  # early in the hour: the slow estimator alone
    (20.0, 1e-4),
    (5.0, 2e-4),  # near the end: the fast estimator alone
    (1.0, 2e-4),
    (12.5, math.sqrt(0.5 * 2e-4**2 + 0.5 * 1e-4**2)),  # half way: the variances average
])
def test_term_blend_moves_from_the_slow_to_the_fast_variance(t_remaining_min: float, expected_sigma: float) -> None:
    out = TermBlendPricer().price(a_context(mid=100_050.0, t_remaining_ms=int(t_remaining_min * 60_000)), BLEND_FEATS)
    assert out.sigma == pytest.approx(expected_sigma, rel=1e-12)
    assert out.band_lo is not None and out.band_hi is not None and out.p_yes is not None
    assert out.band_lo <= out.p_yes <= out.band_hi


def test_term_blend_uses_the_estimator_it_has_when_one_is_missing() -> None:
    ctx = a_context(mid=100_050.0, t_remaining_ms=30 * 60_000)
    only_fast = TermBlendPricer().price(ctx, {"ewma_vol_m1_300s": 2e-4})
    assert only_fast.sigma == 2e-4
    assert TermBlendPricer().price(ctx, {}).reason == "no_sigma"


def test_term_blend_is_the_default_and_refuses_an_inverted_ramp() -> None:
    from binance_pricer.config import AConfig

    assert AConfig().pricer == "term_blend" and "term_blend" in PRICERS
    with pytest.raises(ValueError):
        TermBlendPricer(PricerParams(blend_fast_until_min=20.0, blend_slow_from_min=5.0))


def test_the_default_estimators_are_the_minute_return_ewmas_of_the_engine() -> None:
    from binance_pricer.core.features import DefaultFeatureEngine

    p = PricerParams()
    names = DefaultFeatureEngine().feature_names
    defaults = (p.sigma_feature, p.n_eff_feature, p.slow_sigma_feature, p.slow_n_eff_feature)
    assert defaults == ("ewma_vol_m1_300s", "ewma_n_eff_m1_300s", "ewma_vol_m1_1800s", "ewma_n_eff_m1_1800s")
    assert all(name in names for name in defaults)
    # Both families present: the default reads the minute ones, the one-second ones stay selectable.
    feats = BLEND_FEATS | {"ewma_vol_300s": 9e-4, "ewma_n_eff_300s": 300.0,
                           "ewma_vol_1800s": 8e-4, "ewma_n_eff_1800s": 1800.0}
    ctx = a_context(mid=100_050.0, t_remaining_ms=3 * 60_000)
    assert TermBlendPricer().price(ctx, feats).sigma == 2e-4
    one_second = PricerParams(sigma_feature="ewma_vol_300s", n_eff_feature="ewma_n_eff_300s",
                              slow_sigma_feature="ewma_vol_1800s", slow_n_eff_feature="ewma_n_eff_1800s")
    assert TermBlendPricer(one_second).price(ctx, feats).sigma == 9e-4
