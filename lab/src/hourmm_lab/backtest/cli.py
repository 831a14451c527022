"""`hourmm backtest --data FILE --from HOUR --to HOUR [options]` (also `python -m hourmm_cli backtest`).

Runs the pricer and trader cores against the in-process venue over real Binance history and writes
`table.txt`, `report.html` (inline SVG plots) and `result.json` to `--out` (default
`reports/backtest/<from>_<to>_s<seed>/`). With `--sweep "spread=a,b skew=c,d size=e,f"` it runs the
grid instead, in sample on the first half of the hours and out of sample on the second, and writes
`sweep.txt` and `sweep.json` ranked out of sample.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec

from hourmm_common.errors import HourMMError
from hourmm_common.hours import iso_ms, parse_iso_ms
from hourmm_common.paths import repo_root
from hourmm_lab.backtest.report import html_report, text_table
from hourmm_lab.backtest.runner import BacktestConfig, check_config, progress_bar, run_backtest
from hourmm_lab.backtest.sweep import GridPoint, parse_grid, sweep, sweep_table, with_point
from hourmm_lab.calibrate import resolve_data
from hourmm_sim.history import load_candles
from hourmm_sim.polymarket.units import ONE


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hourmm backtest", description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", required=True, help="1-minute candle file (path, or a name in the shared data folder)")
    ap.add_argument("--from", dest="start", required=True, help="first hour, ISO (2024-12-05T14:00:00Z)")
    ap.add_argument("--to", dest="end", required=True, help="end of the last hour, ISO (exclusive)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--step-ms", type=int, default=250, help="simulated time per step (decision cadence)")
    ap.add_argument("--spread", type=float, help="base half-spread (probability, e.g. 0.01)")
    ap.add_argument("--skew", type=float, help="quote-centre shift at full inventory (probability)")
    ap.add_argument("--size", type=float, help="shares per side")
    ap.add_argument("--fee-rate", type=float, default=0.07, help="taker fee rate of the markets (0 = fees off)")
    ap.add_argument("--sweep", help='grid, e.g. "spread=0.01,0.02 skew=0,0.02 size=5,10"')
    ap.add_argument("--jobs", type=int, default=1, help="processes for --sweep")
    ap.add_argument("--out", type=Path, help="output folder")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def config_from_args(args: argparse.Namespace) -> BacktestConfig:
    cfg = BacktestConfig(start_ms=parse_iso_ms(args.start), end_ms=parse_iso_ms(args.end), seed=args.seed,
                         step_ms=args.step_ms)
    cfg = msgspec.structs.replace(cfg, venue=msgspec.structs.replace(cfg.venue, fee_rate_e5=round(args.fee_rate * 100_000)))
    q = cfg.trader.strategy.quotes
    point = GridPoint(spread=q.base_half_spread if args.spread is None else args.spread,
                      skew=q.skew_at_cap if args.skew is None else args.skew,
                      size=cfg.trader.strategy.base_size_e6 / ONE if args.size is None else args.size)
    return with_point(cfg, point)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        cfg = config_from_args(args)
        grid = parse_grid(args.sweep) if args.sweep else None
        candles = load_candles(resolve_data(args.data))
    except (ValueError, OSError, HourMMError) as exc:
        print(f"hourmm backtest: {exc}", file=sys.stderr)
        return 2
    problems = check_config(cfg, candles)
    if problems:
        print("hourmm backtest: " + "; ".join(problems), file=sys.stderr)
        return 2
    name = f"{iso_ms(cfg.start_ms)[:13]}_{iso_ms(cfg.end_ms)[:13]}_s{cfg.seed}".replace(":", "")
    out = args.out or repo_root() / "reports" / "backtest" / name
    out.mkdir(parents=True, exist_ok=True)
    if grid is not None:
        def tick(done: int, total: int) -> None:
            if not args.quiet:
                sys.stderr.write(f"\rsweep: {done}/{total} runs")
                sys.stderr.write("\n" if done == total else "")
        try:
            rows = sweep(cfg, candles, grid, jobs=args.jobs, progress=tick)
        except ValueError as exc:
            print(f"hourmm backtest: {exc}", file=sys.stderr)
            return 2
        table = sweep_table(rows)
        (out / "sweep.txt").write_text(table + "\n", encoding="utf-8")
        (out / "sweep.json").write_bytes(msgspec.json.format(msgspec.json.encode(rows)))
        print(table)
        print(f"\nwritten: {out}/sweep.txt, sweep.json")
        return 0
    result = run_backtest(cfg, candles, None if args.quiet else progress_bar)
    table = text_table(result)
    (out / "table.txt").write_text(table + "\n", encoding="utf-8")
    params = {"data": Path(args.data).name, "from": iso_ms(cfg.start_ms), "to": iso_ms(cfg.end_ms), "seed": cfg.seed,
              "step_ms": cfg.step_ms, "spread": cfg.trader.strategy.quotes.base_half_spread,
              "skew": cfg.trader.strategy.quotes.skew_at_cap, "size": cfg.trader.strategy.base_size_e6 / ONE,
              "fee_rate": cfg.venue.fee_rate_e5 / 100_000}
    (out / "report.html").write_text(html_report(result, f"HourMM backtest {name}", params), encoding="utf-8")
    (out / "result.json").write_bytes(msgspec.json.format(msgspec.json.encode({"params": params, "result": result})))
    print(table)
    print(f"\n{len(result.hours)} hours in {result.wall_s:.1f} s wall, {result.cpu_s:.1f} s CPU "
          f"({len(result.hours) / max(result.wall_s, 1e-9):.2f} simulated hours per second); "
          f"written: {out}/table.txt, report.html, result.json")
    return 0
