"""`make bench`: run every `bench/bench_*.py` and print one table, each figure beside its target.

Each benchmark module has `main()` returning rows `{"name", "value", "unit", "target"}`; a row may
add `"peer"` (the competing library's name) and `"peer_value"` (its figure in the same run), and
the table then shows the ratio. Each module runs in its own subprocess, so a crash, a hang (per
module timeout) or a leaked global in one benchmark cannot spoil the others: it becomes an error
row. A target is text such as `"< 5 s"` or `">= 10000 events/s"`; when its comparison parses, the
table says whether the figure meets it.

Usage: `python bench/run_all.py [-k SUBSTRING] [--timeout SECONDS] [--json OUT]`.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
# The module is imported under its own name (its folder first on sys.path), so a benchmark that
# starts worker processes can pickle its own functions by reference.
_CHILD = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
module = importlib.import_module(sys.argv[2])
rows = module.main()
with open(sys.argv[3], "w", encoding="utf-8") as fh:
    json.dump(rows, fh)
"""
_TARGET = re.compile(r"^\s*(<=|>=|<|>)\s*([-+0-9.eE_,]+)")


def discover(bench_dir: Path = BENCH_DIR, pattern: str = "") -> list[Path]:
    return sorted(p for p in bench_dir.glob("bench_*.py") if pattern in p.stem)


def meets(value: Any, target: str) -> str:
    """"ok" / "MISS" when the target is a comparison with a number, else "" (not judged)."""
    m = _TARGET.match(str(target))
    if not m or not isinstance(value, int | float):
        return ""
    op, bound = m.group(1), float(m.group(2).replace("_", "").replace(",", ""))
    good = {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound}[op]
    return "ok" if good else "MISS"


def run_one(path: Path, timeout_s: float) -> list[dict[str, Any]]:
    """Run one module's `main()` in a fresh interpreter; any failure becomes one error row."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"
        try:
            proc = subprocess.run([sys.executable, "-c", _CHILD, str(path.parent), path.stem, str(out)], capture_output=True,
                                  text=True, timeout=timeout_s, cwd=BENCH_DIR.parent)
        except subprocess.TimeoutExpired:
            return [_error_row(path, f"timed out after {timeout_s:.0f} s")]
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
            return [_error_row(path, tail)]
        rows = json.loads(out.read_text(encoding="utf-8"))
    if not isinstance(rows, list) or not all(isinstance(r, dict) and {"name", "value", "unit", "target"} <= r.keys()
                                             for r in rows):
        return [_error_row(path, "main() must return a list of {name, value, unit, target} dicts")]
    return [{"bench": path.stem, **r} for r in rows]


def _error_row(path: Path, reason: str) -> dict[str, Any]:
    return {"bench": path.stem, "name": "ERROR", "value": None, "unit": "", "target": "", "error": reason[:160]}


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def render(rows: list[dict[str, Any]]) -> str:
    """One aligned table; an error row points to a numbered note under the table."""
    header = ["bench", "name", "value", "unit", "target", "meets", "peer", "peer value", "ratio"]
    table = [header]
    notes: list[str] = []
    for r in rows:
        if r["name"] == "ERROR":
            notes.append(f"[{len(notes) + 1}] {r['bench']}: {r['error']}")
            table.append([r["bench"], f"ERROR, see [{len(notes)}]", "-", "", "", "", "", "", ""])
            continue
        peer_value = r.get("peer_value")
        ratio = ""
        if isinstance(peer_value, int | float) and isinstance(r["value"], int | float) and peer_value:
            ratio = f"{r['value'] / peer_value:.2f}x"
        table.append([r["bench"], str(r["name"]), _fmt(r["value"]), str(r["unit"]), str(r["target"]),
                      meets(r["value"], r["target"]), str(r.get("peer", "")), _fmt(peer_value) if peer_value
                      is not None else "", ratio])
    used = [i for i in range(len(header)) if any(row[i] for row in table[1:])] or list(range(5))
    widths = {i: max(len(row[i]) for row in table) for i in used}
    right = {2, 7, 8}
    lines = []
    for n, row in enumerate(table):
        cells = [row[i].rjust(widths[i]) if i in right else row[i].ljust(widths[i]) for i in used]
        lines.append(" | ".join(cells).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * widths[i] for i in used))
    return "\n".join(lines + ([""] + notes if notes else []))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/run_all.py", description="run every bench/bench_*.py")
    ap.add_argument("-k", default="", help="only benchmarks whose file name contains this")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per benchmark module")
    ap.add_argument("--json", type=Path, help="also write all rows as JSON here")
    args = ap.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for path in discover(pattern=args.k):
        print(f"running {path.name} ...", file=sys.stderr, flush=True)
        rows.extend(run_one(path, args.timeout))
    print(render(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 1 if any(r["name"] == "ERROR" for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
