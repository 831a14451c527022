from __future__ import annotations

from hourmm_lab.calibration.candles import candles_from_rows
from hourmm_lab.calibration.decisions import TAUS_MIN, decisions_for_hour, split_decisions

H0 = 1_733_011_200_000


def _hour(opens: list[float], last_close: float) -> list[tuple[int, float, float, float, float]]:
    rows = []
    for m, o in enumerate(opens):
        c = last_close if m == 59 else o
        rows.append((H0 + m * 60_000, o, max(o, c), min(o, c), c))
    return rows


def test_a_decision_takes_s_from_the_open_of_the_minute_at_sixty_minus_tau() -> None:
    opens = [100.0 + m for m in range(60)]
    c = candles_from_rows(_hour(opens, last_close=150.0))
    ds = {d.tau_min: d for d in decisions_for_hour(c, 0)}
    assert [ds[t].s for t in TAUS_MIN] == [105.0, 115.0, 130.0, 145.0, 155.0, 159.0]
    assert all(d.o == 100.0 and d.index == 60 - d.tau_min for d in ds.values())
    assert all(d.outcome_up for d in ds.values())  # 150 >= 100


def test_a_close_exactly_at_the_open_resolves_up_and_below_resolves_down() -> None:
    opens = [100.0] * 60
    assert decisions_for_hour(candles_from_rows(_hour(opens, 100.0)), 0)[0].outcome_up
    assert not decisions_for_hour(candles_from_rows(_hour(opens, 99.99)), 0)[0].outcome_up


def test_the_split_trains_on_the_earlier_half_and_skips_the_warmup_day(walk) -> None:  # type: ignore[no-untyped-def]
    c = walk(hours=24 + 10)
    split = split_decisions(c)
    assert (split.train_hours, split.test_hours) == (5, 5)
    assert len(split.train) == len(split.test) == 5 * len(TAUS_MIN)
    assert max(d.hour_start_ms for d in split.train) < min(d.hour_start_ms for d in split.test)
    assert min(d.hour_start_ms for d in split.train) == c.open_time_ms[0] + 24 * 3_600_000
    assert c.open_time_ms[split.train_end_index] == min(d.hour_start_ms for d in split.test)
