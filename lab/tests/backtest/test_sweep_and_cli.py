"""`hourmm backtest` writes its table, HTML and JSON; `--sweep` ranks a grid out of sample."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from hourmm_common.hours import HOUR_MS, parse_iso_ms
from hourmm_lab.backtest.cli import main
from hourmm_lab.backtest.runner import BacktestConfig
from hourmm_lab.backtest.sweep import GridPoint, parse_grid, split_halves, sweep, sweep_table, with_point
from hourmm_sim.history import Candle

START = parse_iso_ms("2024-12-05T20:00:00Z")
DATA = "BTCUSDT-spot-1m-2024-11-30_2024-12-29.csv.gz"


def test_a_grid_is_the_product_of_its_axes_with_defaults_for_the_rest() -> None:
    grid = parse_grid("spread=0.01,0.03 size=5,10,20")
    assert len(grid) == 6
    default_skew = BacktestConfig(start_ms=0, end_ms=HOUR_MS).trader.strategy.quotes.skew_at_cap
    assert {g.skew for g in grid} == {default_skew}
    assert GridPoint(spread=0.03, skew=default_skew, size=20.0) in grid
    with pytest.raises(ValueError, match="bad grid axis"):
        parse_grid("width=1")


def test_a_grid_point_lands_in_the_strategy_params() -> None:
    cfg = with_point(BacktestConfig(start_ms=0, end_ms=HOUR_MS), GridPoint(spread=0.04, skew=0.01, size=7.5))
    s = cfg.trader.strategy
    assert (s.quotes.base_half_spread, s.quotes.skew_at_cap, s.base_size_e6) == (0.04, 0.01, 7_500_000)


def test_the_sweep_runs_each_point_in_and_out_of_sample_and_ranks_out_of_sample(dec_candles: list[Candle]) -> None:
    cfg = BacktestConfig(start_ms=START, end_ms=START + 2 * HOUR_MS, step_ms=5_000)
    first, second = split_halves(cfg)
    assert (first.hour_starts(), second.hour_starts()) == ([START], [START + HOUR_MS])
    grid = [GridPoint(spread=0.01, skew=0.02, size=10.0), GridPoint(spread=0.05, skew=0.02, size=5.0)]
    rows = sweep(cfg, dec_candles, grid)
    assert sweep(cfg, dec_candles, grid, jobs=2) == rows  # worker processes give the same answer
    assert sorted(r.point for r in rows) == sorted(grid)
    assert rows[0].out_sample_pnl_u >= rows[1].out_sample_pnl_u
    assert {r.in_sample_rank for r in rows} == {1, 2}
    assert "rank OOS" in sweep_table(rows)
    with pytest.raises(ValueError, match="at least 2 hours"):
        split_halves(BacktestConfig(start_ms=START, end_ms=START + HOUR_MS))


def test_the_command_writes_a_table_an_html_report_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["--data", DATA, "--from", "2024-12-05T20:00:00Z", "--to", "2024-12-05T21:00:00Z", "--step-ms", "2000",
               "--spread", "0.02", "--fee-rate", "0.07", "--out", str(tmp_path), "--quiet"])
    assert rc == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["params"]["spread"] == 0.02 and result["params"]["fee_rate"] == 0.07
    assert len(result["result"]["hours"]) == 1
    html = (tmp_path / "report.html").read_text()
    assert html.startswith("<!doctype html>") and html.count("<svg") == 7 and "<script" not in html
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        ElementTree.fromstring(svg)  # every plot is well-formed SVG
    table = (tmp_path / "table.txt").read_text()
    assert "2024-12-05T20:00" in table and "total" in table
    assert "simulated hours per second" in capsys.readouterr().out


def test_the_command_refuses_bad_windows_and_grids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--data", DATA, "--out", str(tmp_path), "--quiet"]
    assert main([*base, "--from", "2024-12-05T20:30:00Z", "--to", "2024-12-05T21:00:00Z"]) == 2
    assert main([*base, "--from", "2030-01-01T00:00:00Z", "--to", "2030-01-01T01:00:00Z"]) == 2
    assert main([*base, "--from", "2024-12-05T20:00:00Z", "--to", "2024-12-05T21:00:00Z", "--sweep", "x=1"]) == 2
    assert main([*base, "--from", "2024-12-05T20:00:00Z", "--to", "2024-12-05T21:00:00Z", "--sweep", "size=5"]) == 2
    err = capsys.readouterr().err
    assert "whole hours" in err and "does not cover" in err and "bad grid axis" in err and "at least 2 hours" in err
