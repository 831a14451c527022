"""Causal per-minute variance series: what a sigma estimator knows at the open of each minute.

Every function returns a list `v` with `v[i]` the estimate of the variance of one 1-minute log
return, computed only from candles `0 .. i-1` (all fully closed when minute `i` opens). That is the
whole no-look-ahead guarantee of the study: a decision at minute `i` reads `v[i]` and nothing later.
Indices with no data yet hold `nan`. Units: variance per minute of natural-log returns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from hourmm_common.hours import HOUR_MS
from hourmm_lab.calibration.candles import MinuteCandles

NAN = float("nan")
PARKINSON_K = 1.0 / (4.0 * math.log(2.0))


def close_returns_sq(c: MinuteCandles) -> list[float]:
    """`x[k]` = squared log return of minute k, close to close (`x[0]` from open to close)."""
    out = [math.log(c.close[0] / c.open[0]) ** 2]
    closes = c.close
    out.extend(math.log(closes[k] / closes[k - 1]) ** 2 for k in range(1, len(closes)))
    return out


def parkinson_sq(c: MinuteCandles) -> list[float]:
    """`x[k]` = Parkinson's range estimate of minute k's variance, `ln(H/L)^2 / (4 ln 2)`."""
    return [PARKINSON_K * math.log(h / lo) ** 2 for h, lo in zip(c.high, c.low, strict=True)]


def ewma_causal(x: Sequence[float], half_life_min: float) -> list[float]:
    """`v[i]` = bias-corrected exponentially weighted mean of `x[0 .. i-1]`.

    Dividing by the running weight sum makes the estimate exact from the first observation on,
    so no warm-up value has to be invented (and none can peek ahead).
    """
    lam = 0.5 ** (1.0 / half_life_min)
    out = [NAN] * len(x)
    acc = 0.0
    weight = 0.0
    for i in range(1, len(x)):
        acc = lam * acc + x[i - 1]
        weight = lam * weight + 1.0
        out[i] = acc / weight
    return out


def rolling_causal(x: Sequence[float], window: int) -> list[float]:
    """`v[i]` = plain mean of the last `window` values before i (fewer at the start)."""
    out = [NAN] * len(x)
    acc = 0.0
    for i in range(1, len(x)):
        acc += x[i - 1]
        if i > window:
            acc -= x[i - 1 - window]
        out[i] = acc / min(i, window)
    return out


def hour_of_day(ts_ms: int) -> int:
    return (ts_ms // HOUR_MS) % 24


def hour_of_day_profile(c: MinuteCandles, x: Sequence[float], end_index: int) -> list[float]:
    """Mean of `x` per UTC hour of day over minutes `0 .. end_index-1` (the fitting window).

    An hour of day with no data falls back to the overall mean, so the profile is always usable.
    """
    sums = [0.0] * 24
    counts = [0] * 24
    for k in range(end_index):
        h = hour_of_day(c.open_time_ms[k])
        sums[h] += x[k]
        counts[h] += 1
    total = sum(counts)
    if total == 0:
        raise ValueError("no minutes to fit an hour-of-day profile on")
    overall = sum(sums) / total
    return [sums[h] / counts[h] if counts[h] else overall for h in range(24)]


def deseasonalized(c: MinuteCandles, x: Sequence[float], profile: Sequence[float]) -> list[float]:
    """`x[k]` divided by its hour-of-day level: what is left is the slow-moving vol regime."""
    return [xk / profile[hour_of_day(t)] for xk, t in zip(x, c.open_time_ms, strict=True)]
