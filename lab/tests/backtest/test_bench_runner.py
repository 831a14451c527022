"""`bench/run_all.py`: discovers, isolates failures, judges targets, prints one table."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from hourmm_common.paths import repo_root


def _runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run_all", repo_root() / "bench" / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_all = _runner()

GOOD = '''
def main():
    print("noise the table must not show")
    return [{"name": "speed", "value": 12.5, "unit": "h/s", "target": ">= 10"},
            {"name": "lat", "value": 7, "unit": "ms", "target": "< 5", "peer": "other", "peer_value": 14}]
'''
BROKEN = "def main():\n    raise RuntimeError('boom in bench')\n"
MISSHAPEN = "def main():\n    return [{'name': 'x'}]\n"


@pytest.fixture
def bench_dir(tmp_path: Path) -> Path:
    (tmp_path / "bench_a_good.py").write_text(GOOD)
    (tmp_path / "bench_b_broken.py").write_text(BROKEN)
    (tmp_path / "bench_c_misshapen.py").write_text(MISSHAPEN)
    (tmp_path / "not_a_bench.py").write_text(BROKEN)
    return tmp_path


def test_every_bench_module_is_found_and_nothing_else(bench_dir: Path) -> None:
    assert [p.name for p in run_all.discover(bench_dir)] == ["bench_a_good.py", "bench_b_broken.py",
                                                             "bench_c_misshapen.py"]
    assert [p.name for p in run_all.discover(bench_dir, "good")] == ["bench_a_good.py"]


def test_a_broken_bench_is_an_error_row_and_the_others_still_report(bench_dir: Path) -> None:
    rows = [r for p in run_all.discover(bench_dir) for r in run_all.run_one(p, 60.0)]
    assert [(r["bench"], r["name"]) for r in rows] == [
        ("bench_a_good", "speed"), ("bench_a_good", "lat"), ("bench_b_broken", "ERROR"),
        ("bench_c_misshapen", "ERROR")]
    assert "boom in bench" in rows[2]["error"]
    table = run_all.render(rows)
    assert "noise" not in table
    lines = table.splitlines()
    assert [c.strip() for c in lines[0].split(" | ")] == ["bench", "name", "value", "unit", "target", "meets",
                                                          "peer", "peer value", "ratio"]
    speed = next(line for line in lines if "speed" in line)
    lat = next(line for line in lines if "| lat" in line)
    assert "12.500" in speed and "ok" in speed
    assert "MISS" in lat and "0.50x" in lat and "other" in lat
    assert "ERROR, see [1]" in table and "[1] bench_b_broken: RuntimeError: boom in bench" in table
    assert "[2] bench_c_misshapen: main() must return a list" in table


def test_a_bench_is_imported_under_its_own_name_so_worker_processes_can_find_it(tmp_path: Path) -> None:
    (tmp_path / "bench_named.py").write_text(
        "def main():\n    return [{'name': __name__, 'value': 1, 'unit': '', 'target': ''}]\n")
    assert run_all.run_one(tmp_path / "bench_named.py", 60.0)[0]["name"] == "bench_named"


def test_a_hanging_bench_times_out_into_an_error_row(tmp_path: Path) -> None:
    (tmp_path / "bench_slow.py").write_text("import threading\ndef main():\n    threading.Event().wait()\n")
    rows = run_all.run_one(tmp_path / "bench_slow.py", 1.0)
    assert rows[0]["name"] == "ERROR" and "timed out" in rows[0]["error"]


@pytest.mark.parametrize(("value", "target", "verdict"), [
    (4.9, "< 5 s", "ok"), (5, "< 5 s", "MISS"), (5, "<= 5", "ok"), (1e6, ">= 1_000_000 ev/s", "ok"),
    (2.0, "> 2", "MISS"), (3, "about 3", ""), (None, "< 1", "")])
def test_targets_are_judged_when_they_are_comparisons(value: object, target: str, verdict: str) -> None:
    assert run_all.meets(value, target) == verdict
