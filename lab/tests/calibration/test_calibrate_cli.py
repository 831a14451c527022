from __future__ import annotations

import csv
import json
from pathlib import Path

from hourmm_lab.calibrate import main


def test_calibrate_writes_json_predictions_and_diagrams(walk_file, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = walk_file(hours=24 + 8)
    rc = main(["--data", str(data), "--json", str(tmp_path / "s.json"), "--predictions",
               str(tmp_path / "p.csv"), "--png-dir", str(tmp_path / "png"), "--pricers", "gbm_const,default"])
    assert rc == 0
    summary = json.loads((tmp_path / "s.json").read_text())
    assert (summary["train_hours"], summary["test_hours"]) == (4, 4)
    assert set(summary["pricers"]) == {"gbm_const", "default"}
    assert set(summary["pricers"]["default"]) == {"55", "45", "30", "15", "5", "1"}
    assert set(summary["pricers"]["default"]["5"]) == {"n", "brier", "log_loss"}
    assert summary["pricers"]["default"]["5"]["n"] == 4
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    assert len(rows) == 2 * 4 * 6
    assert list(rows[0]) == ["hour_start_ms", "tau_min", "pricer", "p_up", "outcome_up"]
    assert {r["outcome_up"] for r in rows} <= {"0", "1"}
    assert (tmp_path / "png" / "reliability_default.png").read_bytes()[:4] == b"\x89PNG"
    out = capsys.readouterr().out
    assert "| gbm_const |" in out and "tau=55m" in out


def test_calibrate_refuses_unknown_pricers_and_unreadable_files(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--data", str(tmp_path / "missing.csv.gz")]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("open_time_ms,open,high,low,close\n1,oops,1,1,1\n")
    assert main(["--data", str(bad)]) == 2
    assert main(["--data", str(bad), "--pricers", "nope"]) == 2
    assert "cannot study" in capsys.readouterr().err
