"""`hourmm calibrate --data FILE [--json OUT] [--predictions OUT.csv] [--png-dir DIR]`.

Scores every candidate pricer (`calibration.registry.CANDIDATES`) out of sample on the complete
hours of a 1-minute Binance candle file, at fixed times remaining, and prints Markdown tables (Brier,
log loss, skill against constant-vol GBM) ready for the README. Writes one reliability diagram per
pricer (PNG, 10 bins, one line per time remaining; the colour legend is printed), and optionally the
JSON summary and every scored prediction as CSV for joining with market prices.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import msgspec

from hourmm_common.errors import ParseError
from hourmm_common.paths import binance_data_dir, repo_root
from hourmm_lab.calibration.candles import load_minute_candles
from hourmm_lab.calibration.png import PALETTE, reliability_png
from hourmm_lab.calibration.registry import CANDIDATES
from hourmm_lab.calibration.scoring import paired_brier_difference
from hourmm_lab.calibration.study import StudyResult, run_study, winners

BASELINE = "gbm_const"
INCUMBENT = "default"


def resolve_data(arg: str) -> Path:
    """A path as given, or a file name inside the shared Binance data folder."""
    path = Path(arg)
    if path.exists():
        return path
    shared = binance_data_dir() / arg
    return shared if shared.exists() else path


def summary_json(result: StudyResult) -> dict[str, object]:
    return {
        "pricers": {r.name: {str(t): {"n": s.n, "brier": s.brier, "log_loss": s.log_loss}
                             for t, s in r.by_tau.items()} for r in result.pricers},
        "train_hours": result.train_hours,
        "test_hours": result.test_hours,
    }


def markdown_tables(result: StudyResult) -> str:
    taus = result.taus_min
    base = next((r for r in result.pricers if r.name == BASELINE), None)
    head = "| pricer | " + " | ".join(f"tau={t}m" for t in taus) + " |"
    rule = "| --- |" + " ---: |" * len(taus)
    lines: list[str] = []
    for title, metric in (("Brier score (lower is better)", "brier"), ("Log loss", "log_loss")):
        best = {t: min(getattr(r.by_tau[t], metric) for r in result.pricers) for t in taus}
        lines += ["", f"{title}, {result.test_hours} test hours ({result.train_hours} train):", "", head, rule]
        for r in result.pricers:
            cells = []
            for t in taus:
                v = getattr(r.by_tau[t], metric)
                cells.append(f"**{v:.4f}**" if v == best[t] else f"{v:.4f}")
            lines.append(f"| {r.name} | " + " | ".join(cells) + " |")
    if base is not None:
        lines += ["", f"Brier skill vs {BASELINE} (1 - brier/brier_gbm, %; mean over taus last):", "",
                  head + " mean |", rule + " ---: |"]
        for r in result.pricers:
            skills = [100 * (1 - r.by_tau[t].brier / base.by_tau[t].brier) for t in taus]
            lines.append(f"| {r.name} | " + " | ".join(f"{s:+.1f}" for s in skills)
                         + f" | {sum(skills) / len(skills):+.2f} |")
    lines += paired_table(result)
    lines += ["", "Winner per tau (Brier): " + ", ".join(f"{t}m={n}" for t, n in winners(result).items()),
              "Winner per tau (log loss): "
              + ", ".join(f"{t}m={n}" for t, n in winners(result, "log_loss").items())]
    lines += ["", "Fitted parameters:"]
    lines += [f"  {r.name}: {r.params}" for r in result.pricers if r.params]
    return "\n".join(lines)


def paired_table(result: StudyResult) -> list[str]:
    """Brier difference of each pricer against the incumbent on the same hours, in units of 1e-4."""
    names = {r.name for r in result.pricers}
    if INCUMBENT not in names:
        return []
    by_key: dict[tuple[str, int], list[tuple[int, float, bool]]] = {}
    for p in result.predictions:
        by_key.setdefault((p.pricer, p.tau_min), []).append((p.hour_start_ms, p.p_up, p.outcome_up))
    taus = result.taus_min
    lines = ["", f"Brier minus {INCUMBENT}'s on the same hours, x1e-4 (t = difference / standard error; "
             "negative is better, |t| < 2 is noise):", "",
             "| pricer | " + " | ".join(f"tau={t}m" for t in taus) + " |", "| --- |" + " ---: |" * len(taus)]
    for r in result.pricers:
        if r.name == INCUMBENT:
            continue
        cells = []
        for t in taus:
            mine, inc = sorted(by_key[(r.name, t)]), sorted(by_key[(INCUMBENT, t)])
            mean, se = paired_brier_difference([m[1] for m in mine], [i[1] for i in inc], [m[2] for m in mine])
            cells.append(f"{mean * 1e4:+.1f} (t={mean / se:+.1f})" if se > 0 else f"{mean * 1e4:+.1f}")
        lines.append(f"| {r.name} | " + " | ".join(cells) + " |")
    return lines


def write_pngs(result: StudyResult, out_dir: Path) -> list[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    for r in result.pricers:
        series = [r.reliability[t] for t in result.taus_min]
        (out_dir / f"reliability_{r.name}.png").write_bytes(reliability_png(series))
    legend = ", ".join(f"tau={t}m {color}" for t, (color, _) in zip(result.taus_min, PALETTE, strict=False))
    return [f"reliability diagrams: {out_dir}/reliability_<pricer>.png (x = forecast, y = frequency of Up; "
            f"grey diagonal = perfect; {legend})"]


def write_predictions(result: StudyResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["hour_start_ms", "tau_min", "pricer", "p_up", "outcome_up"])
        for p in result.predictions:
            w.writerow([p.hour_start_ms, p.tau_min, p.pricer, repr(p.p_up), int(p.outcome_up)])


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hourmm calibrate", description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="1-minute candle CSV(.gz), a path or a file name in "
                    "the shared Binance data folder")
    ap.add_argument("--json", type=Path, help="write the score summary as JSON here")
    ap.add_argument("--predictions", type=Path, help="write every scored prediction as CSV here")
    ap.add_argument("--png-dir", type=Path, help="reliability diagrams go here "
                    "(default reports/calibration/<data file>/)")
    ap.add_argument("--pricers", help="comma-separated subset of: " + ",".join(CANDIDATES))
    return ap


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    names = list(CANDIDATES) if not args.pricers else args.pricers.split(",")
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        print(f"hourmm calibrate: unknown pricers {unknown}; known: {list(CANDIDATES)}", file=sys.stderr)
        return 2
    path = resolve_data(args.data)
    try:
        candles = load_minute_candles(path)
        result = run_study(candles, {n: CANDIDATES[n] for n in names})
    except (OSError, ParseError, ValueError) as exc:
        print(f"hourmm calibrate: cannot study {path}: {exc}", file=sys.stderr)
        return 2
    print(f"# Pricer calibration on {path.name}")
    print(markdown_tables(result))
    stem = path.name.split(".")[0]
    png_dir = args.png_dir or repo_root() / "reports" / "calibration" / stem
    for line in write_pngs(result, png_dir):
        print(line)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_bytes(msgspec.json.format(msgspec.json.encode(summary_json(result))))
        print(f"summary: {args.json}")
    if args.predictions:
        write_predictions(result, args.predictions)
        print(f"predictions: {args.predictions}")
    return 0
