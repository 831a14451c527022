"""`hourmm` dispatches to the owning package's `main(argv)` and says plainly what it cannot run."""

from __future__ import annotations

import pytest

import hourmm_cli


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert hourmm_cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in hourmm_cli.COMMANDS)


def test_no_command_or_an_unknown_one_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert hourmm_cli.main([]) == 2
    assert hourmm_cli.main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_a_command_runs_its_modules_main_with_the_rest_of_the_line(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CONTROL_TOKEN", raising=False)
    monkeypatch.delenv("CONTROL_TOKEN_FILE", raising=False)
    assert hourmm_cli.main(["ctl", "status"]) == 2  # ctl's own answer: no token configured
    assert "hourmm ctl: set CONTROL_TOKEN" in capsys.readouterr().err


def test_a_command_whose_package_is_absent_says_which_package(monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(hourmm_cli.COMMANDS, "demo", ("hourmm_absent_pkg.demo", "hourmm-absent", "help"))
    assert hourmm_cli.main(["demo"]) == 2
    assert "needs the hourmm-absent package" in capsys.readouterr().err
