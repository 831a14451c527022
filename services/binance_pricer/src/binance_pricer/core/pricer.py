"""Fair probability that the hour closes Up (pure).

In: a `HourContext` and the feature dict. Out: `PricerOutput` (fair value, band, or the reason
there is none).

`BaselinePricer` is the driftless lognormal digital of the spec amendments:
`p_up = Phi(ln(S/O) / (sigma * sqrt(tau)))`, S the BBO mid (last trade without a BBO), O the
hour's open, tau the time remaining in seconds, sigma a per-sqrt(second) volatility chosen *by
feature name* (the calibration study may change the default estimator without touching code).
Edge cases, each tested: no open (or no price, or no sigma) -> not ready, `p_yes=None`; tau <= 0
or sigma == 0 -> the step, ties resolve Up (S >= O); S == O with tau > 0 -> exactly 0.5; output
clamped to [0.001, 0.999]. The band prices the same digital at sigma * (1 -/+ k / sqrt(2 n_eff)),
the standard error of a volatility estimated from n_eff returns.

`TermBlendPricer` (the default) is the same digital with a variance blended by time remaining:
the fast estimator near the end of the hour, the slow one early, linearly in between. It won the
out-of-sample calibration study on both 1-minute history files (`hourmm calibrate`, README):
never worse than the fast estimator alone at any tau, clearly better at 45 and 30 minutes, where
a 5-minute half-life is too short for the horizon.
`ConstantVolPricer` is the same digital with a fixed sigma: the constant-vol GBM bar.
`PRICERS` maps config names to factories (house style rule 11).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Protocol

import msgspec

from binance_pricer.core.hour_context import HourContext

P_MIN = 0.001
P_MAX = 0.999
_SQRT2 = math.sqrt(2.0)


class PricerParams(msgspec.Struct, frozen=True, kw_only=True):
    # EWMAs of 1-minute returns, as the calibration validated (1-second returns carry in-minute
    # noise that inflates sigma); the 1-second `ewma_vol_<h>s` remain selectable by name.
    sigma_feature: str = "ewma_vol_m1_300s"
    n_eff_feature: str = "ewma_n_eff_m1_300s"
    band_k: float = 2.0
    # TermBlendPricer only: the slow estimator and where the blend moves from slow to fast.
    slow_sigma_feature: str = "ewma_vol_m1_1800s"
    slow_n_eff_feature: str = "ewma_n_eff_m1_1800s"
    blend_fast_until_min: float = 5.0
    blend_slow_from_min: float = 20.0
    # ConstantVolPricer only: per sqrt(second) (0.00012 ~ 0.72 % per hour, quiet BTC).
    constant_sigma: float = 0.00012


class PricerOutput(msgspec.Struct, frozen=True, kw_only=True):
    p_yes: float | None
    band_lo: float | None = None
    band_hi: float | None = None
    sigma: float | None = None
    reason: str | None = None  # why p_yes is None

    @property
    def ready(self) -> bool:
        return self.p_yes is not None


class Pricer(Protocol):
    name: str

    def price(self, ctx: HourContext, features: Mapping[str, float]) -> PricerOutput: ...

    def reset_for_new_hour(self, ctx: HourContext) -> None: ...


def clamp_p(p: float) -> float:
    return P_MIN if p < P_MIN else P_MAX if p > P_MAX else p


def digital_up(s: float, o: float, sigma: float, tau_s: float) -> float:
    """Phi(ln(S/O) / (sigma sqrt(tau))), clamped; the step (ties Up) when sigma*sqrt(tau) is 0."""
    scale = sigma * math.sqrt(tau_s) if tau_s > 0 and sigma > 0 else 0.0
    if scale <= 0.0:
        return P_MAX if s >= o else P_MIN
    z = math.log(s / o) / scale
    return clamp_p(0.5 * (1.0 + math.erf(z / _SQRT2)))


def _price_digital(ctx: HourContext, sigma: float | None, n_eff: float | None, band_k: float) -> PricerOutput:
    o = ctx.open_price
    if o is None:
        return PricerOutput(p_yes=None, reason="no_open")
    s = ctx.reference_price
    if s is None:
        return PricerOutput(p_yes=None, reason="no_price")
    if sigma is None or not math.isfinite(sigma) or sigma < 0:
        return PricerOutput(p_yes=None, reason="no_sigma")
    tau_s = ctx.t_remaining_ms / 1000.0
    p = digital_up(s, o, sigma, tau_s)
    if n_eff is None or n_eff <= 0:
        return PricerOutput(p_yes=p, band_lo=p, band_hi=p, sigma=sigma)
    rel = min(band_k / math.sqrt(2.0 * n_eff), 0.99)
    a = digital_up(s, o, sigma * (1.0 - rel), tau_s)
    b = digital_up(s, o, sigma * (1.0 + rel), tau_s)
    return PricerOutput(p_yes=p, band_lo=min(a, b, p), band_hi=max(a, b, p), sigma=sigma)


class BaselinePricer:
    """The lognormal digital with sigma from the feature engine (estimator chosen by name)."""

    name = "baseline"

    def __init__(self, params: PricerParams | None = None) -> None:
        self.params = params or PricerParams()

    def price(self, ctx: HourContext, features: Mapping[str, float]) -> PricerOutput:
        p = self.params
        return _price_digital(ctx, features.get(p.sigma_feature), features.get(p.n_eff_feature), p.band_k)

    def reset_for_new_hour(self, ctx: HourContext) -> None:
        """Stateless: nothing to reset."""


class TermBlendPricer:
    """Variance blended by time remaining: `w * fast**2 + (1 - w) * slow**2`.

    `w` is 1 with `blend_fast_until_min` or less remaining, 0 with `blend_slow_from_min` or more,
    linear in between. If one estimator is missing the other is used alone.
    """

    name = "term_blend"

    def __init__(self, params: PricerParams | None = None) -> None:
        self.params = params or PricerParams()
        if self.params.blend_slow_from_min <= self.params.blend_fast_until_min:
            raise ValueError("blend_slow_from_min must be above blend_fast_until_min")

    def fast_weight(self, t_remaining_ms: int) -> float:
        p = self.params
        tau_min = t_remaining_ms / 60_000.0
        w = (p.blend_slow_from_min - tau_min) / (p.blend_slow_from_min - p.blend_fast_until_min)
        return 0.0 if w < 0.0 else 1.0 if w > 1.0 else w

    def price(self, ctx: HourContext, features: Mapping[str, float]) -> PricerOutput:
        p = self.params
        fast, slow = features.get(p.sigma_feature), features.get(p.slow_sigma_feature)
        n_fast, n_slow = features.get(p.n_eff_feature), features.get(p.slow_n_eff_feature)
        if fast is None or slow is None:
            sigma, n_eff = (fast, n_fast) if slow is None else (slow, n_slow)
            return _price_digital(ctx, sigma, n_eff, p.band_k)
        w = self.fast_weight(ctx.t_remaining_ms)
        sigma = math.sqrt(max(w * fast * fast + (1.0 - w) * slow * slow, 0.0))
        n_eff = None if n_fast is None or n_slow is None else w * n_fast + (1.0 - w) * n_slow
        return _price_digital(ctx, sigma, n_eff, p.band_k)

    def reset_for_new_hour(self, ctx: HourContext) -> None:
        """Stateless: nothing to reset."""


class ConstantVolPricer:
    """The same digital with one fixed sigma: the constant-vol GBM baseline (no band)."""

    name = "gbm_const"

    def __init__(self, params: PricerParams | None = None) -> None:
        self.params = params or PricerParams()

    def price(self, ctx: HourContext, features: Mapping[str, float]) -> PricerOutput:
        return _price_digital(ctx, self.params.constant_sigma, None, 0.0)

    def reset_for_new_hour(self, ctx: HourContext) -> None:
        """Stateless: nothing to reset."""


PRICERS: Mapping[str, Callable[[PricerParams], Pricer]] = {
    "term_blend": TermBlendPricer,
    "baseline": BaselinePricer,
    "gbm_const": ConstantVolPricer,
}
