"""Proper scores and reliability of probability forecasts against binary outcomes."""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec


class Score(msgspec.Struct, frozen=True, kw_only=True):
    n: int
    brier: float
    log_loss: float


class ReliabilityBin(msgspec.Struct, frozen=True, kw_only=True):
    lo: float
    hi: float
    n: int
    mean_p: float  # nan when the bin is empty
    freq_up: float


def score(ps: Sequence[float], ys: Sequence[bool]) -> Score:
    """Brier score and log loss; probabilities must already be inside (0, 1)."""
    if len(ps) != len(ys) or not ps:
        raise ValueError("need as many outcomes as forecasts, and at least one")
    brier = sum((p - y) ** 2 for p, y in zip(ps, ys, strict=True)) / len(ps)
    return Score(n=len(ps), brier=brier, log_loss=log_loss(ps, ys))


def log_loss(ps: Sequence[float], ys: Sequence[bool]) -> float:
    return -sum(math.log(p if y else 1.0 - p) for p, y in zip(ps, ys, strict=True)) / len(ps)


def reliability(ps: Sequence[float], ys: Sequence[bool], bins: int = 10) -> tuple[ReliabilityBin, ...]:
    """Equal-width bins over [0, 1]: how often Up happened when the forecast said ~p."""
    n = [0] * bins
    sp = [0.0] * bins
    sy = [0] * bins
    for p, y in zip(ps, ys, strict=True):
        b = min(int(p * bins), bins - 1)
        n[b] += 1
        sp[b] += p
        sy[b] += y
    nan = float("nan")
    return tuple(
        ReliabilityBin(lo=b / bins, hi=(b + 1) / bins, n=n[b],
                       mean_p=sp[b] / n[b] if n[b] else nan, freq_up=sy[b] / n[b] if n[b] else nan)
        for b in range(bins)
    )


def paired_brier_difference(a: Sequence[float], b: Sequence[float], ys: Sequence[bool]) -> tuple[float, float]:
    """Mean of `brier(a) - brier(b)` over the same outcomes, and its standard error.

    Pairing removes the luck both forecasts share (the same hours), so a small difference can
    still be told apart from noise; |mean| < 2 standard errors is not evidence of a winner.
    """
    diffs = [(pa - y) ** 2 - (pb - y) ** 2 for pa, pb, y in zip(a, b, ys, strict=True)]
    n = len(diffs)
    if n < 2:
        raise ValueError("need at least two paired forecasts")
    mean = sum(diffs) / n
    var = sum((d - mean) ** 2 for d in diffs) / (n - 1)
    return mean, math.sqrt(var / n)
