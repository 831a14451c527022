"""Run every candidate over the split and score it out of sample, per time remaining."""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from hourmm_lab.calibration.candidates import FitFn
from hourmm_lab.calibration.candles import MinuteCandles
from hourmm_lab.calibration.decisions import TAUS_MIN, split_decisions
from hourmm_lab.calibration.registry import CANDIDATES
from hourmm_lab.calibration.scoring import ReliabilityBin, Score, reliability, score


class Prediction(msgspec.Struct, frozen=True, kw_only=True):
    hour_start_ms: int
    tau_min: int
    pricer: str
    p_up: float
    outcome_up: bool


class PricerResult(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    params: dict[str, float]
    by_tau: dict[int, Score]
    reliability: dict[int, tuple[ReliabilityBin, ...]]


class StudyResult(msgspec.Struct, frozen=True, kw_only=True):
    train_hours: int
    test_hours: int
    taus_min: tuple[int, ...]
    pricers: tuple[PricerResult, ...]
    predictions: tuple[Prediction, ...]


def run_study(c: MinuteCandles, candidates: Mapping[str, FitFn] = CANDIDATES,
              taus: tuple[int, ...] = TAUS_MIN) -> StudyResult:
    split = split_decisions(c, taus)
    results: list[PricerResult] = []
    predictions: list[Prediction] = []
    for name, fit in candidates.items():
        fitted = fit(c, split)
        by_tau: dict[int, tuple[list[float], list[bool]]] = {t: ([], []) for t in taus}
        for d in split.test:
            p = fitted.predict(d)
            by_tau[d.tau_min][0].append(p)
            by_tau[d.tau_min][1].append(d.outcome_up)
            predictions.append(Prediction(hour_start_ms=d.hour_start_ms, tau_min=d.tau_min, pricer=name,
                                          p_up=p, outcome_up=d.outcome_up))
        results.append(PricerResult(
            name=name, params=fitted.params,
            by_tau={t: score(ps, ys) for t, (ps, ys) in by_tau.items()},
            reliability={t: reliability(ps, ys) for t, (ps, ys) in by_tau.items()},
        ))
    return StudyResult(train_hours=split.train_hours, test_hours=split.test_hours, taus_min=taus,
                       pricers=tuple(results), predictions=tuple(predictions))


def winners(result: StudyResult, metric: str = "brier") -> dict[int, str]:
    """Best pricer per time remaining by `metric` ("brier" or "log_loss"), lower is better."""
    return {t: min(result.pricers, key=lambda r: getattr(r.by_tau[t], metric)).name for t in result.taus_min}
