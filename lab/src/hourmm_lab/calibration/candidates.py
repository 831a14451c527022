"""Candidate fair-value models for the study, built from a few estimator and CDF pieces.

All models are the driftless lognormal digital `p = F(ln(S/O) / (sigma * sqrt(tau)))`. They differ
in how the per-minute variance sigma^2 is estimated (a `VarianceFit`) and in the CDF `F` (normal,
or a unit-variance Student t for fat tails). A fit may read candles before
`split.train_end_index` and the training decisions only; the variance it returns for a decision
reads the causal series at `decision.index` (see `estimators`), so no prediction sees its future.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import msgspec

from hourmm_lab.calibration.candles import MinuteCandles
from hourmm_lab.calibration.decisions import Decision, Split
from hourmm_lab.calibration.distributions import normal_cdf, unit_variance_t_cdf
from hourmm_lab.calibration.estimators import (
    close_returns_sq,
    deseasonalized,
    ewma_causal,
    hour_of_day_profile,
    parkinson_sq,
    rolling_causal,
)
from hourmm_lab.calibration.scoring import log_loss

P_MIN, P_MAX = 0.001, 0.999
NU_GRID = (3.0, 4.0, 5.0, 6.0, 8.0, 12.0, 20.0, 50.0)
WEIGHT_GRID = tuple(i / 10 for i in range(11))
SCALE_GRID = tuple(0.5 + i / 10 for i in range(16))

Predictor = Callable[[Decision], float]
VarianceFn = Callable[[Decision], float]  # per-minute variance known at the decision
Cdf = Callable[[float], float]


class Fitted(msgspec.Struct, frozen=True, kw_only=True):
    predict: Predictor
    params: dict[str, float]


class FittedVariance(msgspec.Struct, frozen=True, kw_only=True):
    variance: VarianceFn
    params: dict[str, float]


FitFn = Callable[[MinuteCandles, Split], Fitted]
VarianceFit = Callable[[MinuteCandles, Split], FittedVariance]
RETURNS: dict[str, Callable[[MinuteCandles], list[float]]] = {"cc": close_returns_sq, "range": parkinson_sq}


def clamp(p: float) -> float:
    return P_MIN if p < P_MIN else P_MAX if p > P_MAX else p


def digital(d: Decision, var_per_min: float, cdf: Cdf = normal_cdf) -> float:
    """p_up for one decision given the per-minute variance; no usable variance -> the step."""
    x = math.log(d.s / d.o)
    if not var_per_min > 0.0:  # nan or 0
        return clamp(1.0 if x >= 0 else 0.0)
    return clamp(cdf(x / math.sqrt(var_per_min * d.tau_min)))


def _best_on_train(split: Split, grid: Sequence[float], model: Callable[[float], Predictor]) -> float:
    """The grid value whose model has the lowest log loss on the training decisions."""
    ys = [d.outcome_up for d in split.train]
    return min((log_loss([model(g)(d) for d in split.train], ys), g) for g in grid)[1]


# --- variance estimators -------------------------------------------------------------------------

def constant(c: MinuteCandles, split: Split) -> FittedVariance:
    """Constant-vol GBM: the mean squared 1-minute return over the training period."""
    x = close_returns_sq(c)
    var = sum(x[1:split.train_end_index]) / max(1, split.train_end_index - 1)
    return FittedVariance(variance=lambda d: var, params={"sigma_per_min": math.sqrt(var)})


def ewma(kind: str, half_life_min: float) -> VarianceFit:
    """EWMA of squared returns (`cc`) or of the high/low range estimator (`range`)."""
    def fit(c: MinuteCandles, split: Split) -> FittedVariance:
        series = ewma_causal(RETURNS[kind](c), half_life_min)
        return FittedVariance(variance=lambda d: series[d.index], params={"half_life_min": half_life_min})
    return fit


def realized(window_min: int) -> VarianceFit:
    def fit(c: MinuteCandles, split: Split) -> FittedVariance:
        series = rolling_causal(close_returns_sq(c), window_min)
        return FittedVariance(variance=lambda d: series[d.index], params={"window_min": float(window_min)})
    return fit


def hour_of_day(c: MinuteCandles, split: Split) -> FittedVariance:
    """Static variance per UTC hour of day, fitted on the training period."""
    profile = hour_of_day_profile(c, close_returns_sq(c), split.train_end_index)
    return FittedVariance(variance=lambda d: profile[d.hour_of_day], params={})


def seasonal(kind: str, half_life_min: float) -> VarianceFit:
    """EWMA of returns divided by their hour-of-day level, times the level of this hour.

    The EWMA tracks the vol regime; the profile (fitted on the training period) supplies the known
    intraday shape (the US open, busy hour boundaries) for the minutes still to come.
    """
    def fit(c: MinuteCandles, split: Split) -> FittedVariance:
        x = RETURNS[kind](c)
        profile = hour_of_day_profile(c, x, split.train_end_index)
        regime = ewma_causal(deseasonalized(c, x, profile), half_life_min)
        return FittedVariance(variance=lambda d: regime[d.index] * profile[d.hour_of_day],
                              params={"half_life_min": half_life_min})
    return fit


def blend(fast: VarianceFit, slow: VarianceFit) -> VarianceFit:
    """`w * fast + (1 - w) * slow`, with `w` fitted on the training half."""
    def fit(c: MinuteCandles, split: Split) -> FittedVariance:
        f, s = fast(c, split), slow(c, split)

        def var(w: float) -> VarianceFn:
            return lambda d: w * f.variance(d) + (1.0 - w) * s.variance(d)

        w = _best_on_train(split, WEIGHT_GRID, lambda w: lambda d: digital(d, var(w)(d)))
        return FittedVariance(variance=var(w), params={"w_fast": w})
    return fit


def blend_by_tau(fast: VarianceFit, slow: VarianceFit) -> VarianceFit:
    """Like `blend`, with one weight per time remaining: short horizons want the fast estimate,
    long ones the slow (the vol that matters is the vol still to come, further ahead)."""
    def fit(c: MinuteCandles, split: Split) -> FittedVariance:
        f, s = fast(c, split), slow(c, split)

        def mixed(w: float) -> Predictor:
            return lambda d: digital(d, w * f.variance(d) + (1.0 - w) * s.variance(d))

        weights: dict[int, float] = {}
        for tau in sorted({d.tau_min for d in split.train}):
            at_tau = msgspec.structs.replace(split, train=tuple(x for x in split.train if x.tau_min == tau))
            weights[tau] = _best_on_train(at_tau, WEIGHT_GRID, mixed)

        def var(d: Decision) -> float:
            w = weights[d.tau_min]
            return w * f.variance(d) + (1.0 - w) * s.variance(d)

        return FittedVariance(variance=var, params={f"w_fast_{t}m": w for t, w in weights.items()})
    return fit


def rule_weight(tau_min: float) -> float:
    """Weight of the fast estimate by time remaining: 1 up to 5 minutes, 0 from 20 minutes on."""
    return max(0.0, min(1.0, (20.0 - tau_min) / 15.0))


def blend_rule(fast: VarianceFit, slow: VarianceFit) -> VarianceFit:
    """`blend_by_tau` with the weights of a fixed rule (`rule_weight`) instead of fitted ones: what
    the fitted weights look like on both data files, simple enough to put in the pricer as is."""
    def fit(c: MinuteCandles, split: Split) -> FittedVariance:
        f, s = fast(c, split), slow(c, split)

        def var(d: Decision) -> float:
            w = rule_weight(d.tau_min)
            return w * f.variance(d) + (1.0 - w) * s.variance(d)

        return FittedVariance(variance=var, params={})
    return fit


def scaled(base: VarianceFit) -> VarianceFit:
    """`base` times a factor fitted on the training half.

    Minute-level estimators are biased for an hour's move (range estimators read low, bid/ask
    bounce inflates close-to-close, minute returns are not independent); one factor removes it.
    """
    def fit(c: MinuteCandles, split: Split) -> FittedVariance:
        inner = base(c, split)

        def var(k: float) -> VarianceFn:
            return lambda d: k * inner.variance(d)

        k = _best_on_train(split, SCALE_GRID, lambda k: lambda d: digital(d, var(k)(d)))
        return FittedVariance(variance=var(k), params={**inner.params, "var_scale": k})
    return fit


# --- pricers ---------------------------------------------------------------------------------------

def normal(var_fit: VarianceFit) -> FitFn:
    def fit(c: MinuteCandles, split: Split) -> Fitted:
        v = var_fit(c, split)
        return Fitted(predict=lambda d: digital(d, v.variance(d)), params=v.params)
    return fit


def student_t(var_fit: VarianceFit) -> FitFn:
    """Fat tails: a unit-variance Student t instead of the normal, nu fitted on the training half."""
    def fit(c: MinuteCandles, split: Split) -> Fitted:
        v = var_fit(c, split)

        def model(nu: float) -> Predictor:
            cdf: Cdf = lambda z: unit_variance_t_cdf(z, nu)  # noqa: E731
            return lambda d: digital(d, v.variance(d), cdf)

        nu = _best_on_train(split, NU_GRID, model)
        return Fitted(predict=model(nu), params={**v.params, "nu": nu})
    return fit


MODELS: dict[str, FitFn] = {
    "ewma_hl10": normal(ewma("cc", 10.0)),
    "ewma_hl30": normal(ewma("cc", 30.0)),
    "ewma_hl60": normal(ewma("cc", 60.0)),
    "ewma_hl240": normal(ewma("cc", 240.0)),
    "rv_60": normal(realized(60)),
    "rv_240": normal(realized(240)),
    "range_hl30": normal(ewma("range", 30.0)),
    "range_hl120": normal(ewma("range", 120.0)),
    "hod": normal(hour_of_day),
    "seas_cc_hl60": normal(seasonal("cc", 60.0)),
    "seas_cc_hl240": normal(seasonal("cc", 240.0)),
    "seas_range_hl60": normal(seasonal("range", 60.0)),
    "t_ewma_hl60": student_t(ewma("cc", 60.0)),
    "blend_hl10_hl240": normal(blend(ewma("cc", 10.0), ewma("cc", 240.0))),
    "blend_seas_hl30_hl1440": normal(blend(seasonal("cc", 30.0), seasonal("cc", 1440.0))),
    "blend_tau_hl10_hl240": normal(blend_by_tau(ewma("cc", 10.0), ewma("cc", 240.0))),
    # The service default (`term_blend` on ewma_vol_m1_300s and ewma_vol_m1_1800s: EWMAs of 1-minute returns).
    "blend_tau_hl5_hl30": normal(blend_by_tau(ewma("cc", 5.0), ewma("cc", 30.0))),
    "blend_rule_hl5_hl30": normal(blend_rule(ewma("cc", 5.0), ewma("cc", 30.0))),
    "blend_tau_range_hl10_cc_hl240": normal(blend_by_tau(ewma("range", 10.0), ewma("cc", 240.0))),
    "ewma_hl60_x": normal(scaled(ewma("cc", 60.0))),
    "seas_range_hl240_x": normal(scaled(seasonal("range", 240.0))),
}
