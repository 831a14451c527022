"""Backtest speed at the default step (250 ms): CPU seconds per simulated hour on one core, and
simulated hours per wall-clock second (lower when the machine is shared).

The issue's target is one hour of data in under 5 s (>= 0.2 simulated hours per second), so a
month (744 h) runs in about an hour on one core, and in minutes across a sweep's processes. Also
times one pricer-core snapshot step and the calibration study over the December 2024 file.
"""

from __future__ import annotations

import time

from hourmm_common.hours import HOUR_MS, parse_iso_ms
from hourmm_lab.backtest.runner import BacktestConfig, run_backtest
from hourmm_lab.calibration.candles import load_minute_candles
from hourmm_lab.calibration.study import run_study
from hourmm_sim.history import data_path, load_candles

HOURS = 3
START = "2024-12-05T14:00:00Z"


def main() -> list[dict[str, object]]:
    candles = load_candles(data_path("1m_2024"))
    start = parse_iso_ms(START)
    cfg = BacktestConfig(start_ms=start, end_ms=start + HOURS * HOUR_MS)
    result = run_backtest(cfg, candles)
    per_hour = result.cpu_s / HOURS
    t0 = time.perf_counter()
    study = run_study(load_minute_candles(data_path("1m_2024")))
    study_s = time.perf_counter() - t0
    rows: list[dict[str, object]] = [
        {"name": "backtest simulated hours per wall second", "value": round(HOURS / result.wall_s, 3), "unit": "h/s",
         "target": ">= 0.2"},
        {"name": "backtest CPU time per simulated hour (one core)", "value": round(per_hour, 3), "unit": "s",
         "target": "< 5"},
        {"name": "backtest decisions per wall second", "value": round(result.decisions / result.wall_s),
         "unit": "decisions/s", "target": ">= 2880"},  # 0.2 h/s x 14,400 decisions per hour
        {"name": f"calibration study, 29 days x {len(study.pricers)} pricers", "value": round(study_s, 3), "unit": "s",
         "target": "< 60"},
    ]
    for r in rows:
        print(f"{r['name']} | {r['value']} {r['unit']} | {r['target']}")
    return rows


if __name__ == "__main__":
    main()
