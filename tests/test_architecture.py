"""Structural rules of the house style, checked rather than hoped for.

- `core/` packages are pure: no IO, no clock reads, no sleeps, no logging.
- The local venue is an independent witness: `hourmm_sim` never imports the trader's wire or
  signing code (a shared mistake would pass on both sides).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_CORE = {"asyncio", "aiohttp", "sqlite3", "websockets", "time", "os", "socket", "httpx",
                     "requests", "logging", "structlog", "random"}
SIM_FORBIDDEN = ("polymarket_trader.wire", "polymarket_trader.signing", "polymarket_trader.rest_client",
                 "polymarket_trader.user_ws", "polymarket_trader.market_ws", "py_clob_client_v2")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_packages_are_pure() -> None:
    offenders = []
    for core in ROOT.glob("services/*/src/*/core"):
        for path in core.rglob("*.py"):
            bad = {m for m in _imports(path) if m.split(".")[0] in FORBIDDEN_IN_CORE}
            if bad:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []


def test_core_packages_exist() -> None:
    assert list(ROOT.glob("services/*/src/*/core/*.py")), "no core/ package found"


def test_local_venue_does_not_borrow_the_traders_protocol_code() -> None:
    offenders = []
    for path in (ROOT / "sim" / "src").rglob("*.py"):
        if path.name in {"backtest.py"} or "backtest" in path.parts:
            continue  # the backtest runs the trader's pure core in-process, by design
        bad = {m for m in _imports(path) if m.startswith(SIM_FORBIDDEN)}
        if bad:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []
