"""A grid over the strategy's spread, skew and size, chosen in sample and ranked out of sample.

The hours are split in time: every grid point runs on the first half (in sample) and on the
second half (out of sample), each as its own deterministic backtest. The table is sorted by
out-of-sample PnL and shows where each point ranked in sample, so the operator sees whether the
in-sample winner holds up (it often does not: that is the point of ranking out of sample).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

import msgspec

from hourmm_common.hours import HOUR_MS
from hourmm_lab.backtest.metrics import RunResult
from hourmm_lab.backtest.runner import BacktestConfig, run_backtest
from hourmm_sim.history import Candle
from hourmm_sim.polymarket.units import ONE

AXES = ("spread", "skew", "size")


class GridPoint(msgspec.Struct, frozen=True, kw_only=True, order=True):
    spread: float  # base half-spread, probability
    skew: float  # reservation shift at full inventory, probability
    size: float  # shares per side


class SweepRow(msgspec.Struct, frozen=True, kw_only=True):
    point: GridPoint
    in_sample_pnl_u: int
    out_sample_pnl_u: int
    in_sample_rank: int
    out_sample_fills: int
    out_sample_adverse_10s_u: float


def parse_grid(text: str) -> list[GridPoint]:
    """`"spread=0.01,0.02 skew=0.0,0.02 size=5,10"` -> the product; a missing axis keeps its default."""
    values: dict[str, list[float]] = {}
    for part in text.replace(";", " ").split():
        name, _, items = part.partition("=")
        if name not in AXES or not items:
            raise ValueError(f"bad grid axis {part!r}: use {', '.join(a + '=v1,v2' for a in AXES)}")
        values[name] = [float(v) for v in items.split(",")]
    defaults = with_point(BacktestConfig(start_ms=0, end_ms=HOUR_MS), None)
    q = defaults.trader.strategy.quotes
    base = {"spread": [q.base_half_spread], "skew": [q.skew_at_cap],
            "size": [defaults.trader.strategy.base_size_e6 / ONE]}
    axes = [values.get(a, base[a]) for a in AXES]
    return [GridPoint(spread=s, skew=k, size=z) for s, k, z in itertools.product(*axes)]


def with_point(cfg: BacktestConfig, point: GridPoint | None) -> BacktestConfig:
    if point is None:
        return cfg
    strategy = cfg.trader.strategy
    quotes = msgspec.structs.replace(strategy.quotes, base_half_spread=point.spread, skew_at_cap=point.skew)
    strategy = msgspec.structs.replace(strategy, quotes=quotes, base_size_e6=round(point.size * ONE))
    return msgspec.structs.replace(cfg, trader=msgspec.structs.replace(cfg.trader, strategy=strategy))


def split_halves(cfg: BacktestConfig) -> tuple[BacktestConfig, BacktestConfig]:
    hours = cfg.hour_starts()
    if len(hours) < 2:
        raise ValueError("a sweep needs at least 2 hours (one in sample, one out of sample)")
    mid = hours[len(hours) // 2]
    return (msgspec.structs.replace(cfg, end_ms=mid), msgspec.structs.replace(cfg, start_ms=mid))


def _run(args: tuple[BacktestConfig, Sequence[Candle]]) -> RunResult:
    return run_backtest(args[0], args[1])


def sweep(cfg: BacktestConfig, candles: Sequence[Candle], grid: Sequence[GridPoint], jobs: int = 1,
          progress: Callable[[int, int], None] | None = None) -> list[SweepRow]:
    first, second = split_halves(cfg)
    tasks = [(with_point(half, p), candles) for p in grid for half in (first, second)]
    results: list[RunResult] = []
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for r in pool.map(_run, tasks):
                results.append(r)
                if progress:
                    progress(len(results), len(tasks))
    else:
        for task in tasks:
            results.append(_run(task))
            if progress:
                progress(len(results), len(tasks))
    ins = [results[2 * i] for i in range(len(grid))]
    outs = [results[2 * i + 1] for i in range(len(grid))]
    order = sorted(range(len(grid)), key=lambda i: -ins[i].total_pnl_u)
    is_rank = {i: r + 1 for r, i in enumerate(order)}
    rows = [SweepRow(point=grid[i], in_sample_pnl_u=ins[i].total_pnl_u, out_sample_pnl_u=outs[i].total_pnl_u,
                     in_sample_rank=is_rank[i], out_sample_fills=outs[i].total_fills,
                     out_sample_adverse_10s_u=outs[i].adverse_u[10_000]) for i in range(len(grid))]
    return sorted(rows, key=lambda r: (-r.out_sample_pnl_u, r.in_sample_rank))


def sweep_table(rows: Sequence[SweepRow]) -> str:
    head = ["rank OOS", "spread", "skew", "size", "PnL out of sample", "PnL in sample", "rank IS", "fills OOS",
            "adv 10s OOS"]
    table = [head] + [[str(n + 1), f"{r.point.spread:g}", f"{r.point.skew:g}", f"{r.point.size:g}",
                       f"{r.out_sample_pnl_u / ONE:+,.2f}", f"{r.in_sample_pnl_u / ONE:+,.2f}",
                       str(r.in_sample_rank) + (" *" if r.in_sample_rank == 1 else ""), str(r.out_sample_fills),
                       f"{r.out_sample_adverse_10s_u / ONE * 100:+.2f}c"] for n, r in enumerate(rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = [" | ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in table]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    lines.append("* = the in-sample winner: what you would have picked; its out-of-sample rank is what it was worth")
    return "\n".join(lines)
