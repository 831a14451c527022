"""Decision points of the study: complete hours x fixed times remaining, split by time.

For an hour starting at candle index `i0` and `tau` minutes remaining, the decision minute is
`i = i0 + 60 - tau`, `S = open[i]`, `O = open[i0]`, and the outcome is Up when the hour's last
close is at or above `O` (ties resolve Up). The first half of the eligible hours (by time) is the
training set, the second half the test set; fitted parameters only ever see the training half.
"""

from __future__ import annotations

import msgspec

from hourmm_lab.calibration.candles import MinuteCandles, complete_hours
from hourmm_lab.calibration.estimators import hour_of_day

TAUS_MIN: tuple[int, ...] = (55, 45, 30, 15, 5, 1)
WARMUP_MIN = 24 * 60  # the first day only feeds the estimators; no hour in it is scored


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    hour_start_ms: int
    tau_min: int
    index: int  # candle index of the decision minute; estimators may read up to index - 1
    s: float
    o: float
    hour_of_day: int
    outcome_up: bool


class Split(msgspec.Struct, frozen=True, kw_only=True):
    train: tuple[Decision, ...]
    test: tuple[Decision, ...]
    train_hours: int
    test_hours: int
    train_end_index: int  # first candle index of the test period: fits read only before it


def decisions_for_hour(c: MinuteCandles, i0: int, taus: tuple[int, ...] = TAUS_MIN) -> list[Decision]:
    o = c.open[i0]
    up = c.close[i0 + 59] >= o
    hod = hour_of_day(c.open_time_ms[i0])
    return [
        Decision(hour_start_ms=c.open_time_ms[i0], tau_min=tau, index=i0 + 60 - tau,
                 s=c.open[i0 + 60 - tau], o=o, hour_of_day=hod, outcome_up=up)
        for tau in taus
    ]


def split_decisions(c: MinuteCandles, taus: tuple[int, ...] = TAUS_MIN, warmup_min: int = WARMUP_MIN) -> Split:
    """All decisions of the eligible hours, the earlier half for training, the later for testing."""
    if not c.open_time_ms:
        raise ValueError("no candles")
    first = c.open_time_ms[0]
    starts = [i for i in complete_hours(c) if c.open_time_ms[i] - first >= warmup_min * 60_000]
    if len(starts) < 2:
        raise ValueError(f"need at least 2 complete hours after the warm-up, found {len(starts)}")
    half = len(starts) // 2
    train = [d for i0 in starts[:half] for d in decisions_for_hour(c, i0, taus)]
    test = [d for i0 in starts[half:] for d in decisions_for_hour(c, i0, taus)]
    return Split(train=tuple(train), test=tuple(test), train_hours=half,
                 test_hours=len(starts) - half, train_end_index=starts[half])
