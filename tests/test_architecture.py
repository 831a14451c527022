"""Structural rules of the house style, checked rather than hoped for.

- `core/` packages are pure: no IO, no clock reads, no sleeps, no logging.
- Packages depend in one direction, by the table below: the services share only `hourmm_common`;
  the venue (`hourmm_sim`) is an independent witness that imports neither service (a shared
  mistake would pass on both sides); the lab runs the services' pure cores, never their shells;
  the harness reads the services from the outside (HTTP) and imports neither; `hourmm_cli` only
  dispatches, by module name.
- Inside the venue, the Binance and Polymarket stand-ins are separate rooms.
- No module is longer than 400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_CORE = {"asyncio", "aiohttp", "sqlite3", "websockets", "time", "os", "socket", "httpx",
                     "requests", "logging", "structlog", "random"}
PACKAGES: dict[str, Path] = {
    "hourmm_common": ROOT / "libs/hourmm_common/src/hourmm_common",
    "binance_pricer": ROOT / "services/binance_pricer/src/binance_pricer",
    "polymarket_trader": ROOT / "services/polymarket_trader/src/polymarket_trader",
    "hourmm_sim": ROOT / "sim/src/hourmm_sim",
    "hourmm_lab": ROOT / "lab/src/hourmm_lab",
    "hourmm_harness": ROOT / "harness/src/hourmm_harness",
    "hourmm_cli": ROOT / "cli/src/hourmm_cli",
}
# package -> the first-party modules (prefixes) it may import, besides itself.
ALLOWED: dict[str, tuple[str, ...]] = {
    "hourmm_common": (),
    "binance_pricer": ("hourmm_common",),
    "polymarket_trader": ("hourmm_common",),
    "hourmm_sim": ("hourmm_common",),
    "hourmm_lab": ("hourmm_common", "hourmm_sim", "binance_pricer.core", "polymarket_trader.core",
                   "hourmm_harness.charts"),
    "hourmm_harness": ("hourmm_common", "hourmm_sim"),
    "hourmm_cli": (),
}
# Rooms inside a package that must not import each other.
SEPARATE_ROOMS = [("hourmm_sim.binance", "hourmm_sim.polymarket")]
MAX_MODULE_LINES = 400


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _module_name(package: str, path: Path) -> str:
    parts = path.relative_to(PACKAGES[package]).with_suffix("").parts
    return ".".join((package, *(p for p in parts if p != "__init__")))


def test_every_package_of_the_table_exists() -> None:
    assert set(PACKAGES) == set(ALLOWED)
    missing = [name for name, path in PACKAGES.items() if not (path / "__init__.py").is_file()]
    assert missing == []


def test_core_packages_are_pure() -> None:
    cores = list(ROOT.glob("services/*/src/*/core"))
    assert cores, "no core/ package found"
    offenders = []
    for core in cores:
        for path in core.rglob("*.py"):
            bad = {m for m in _imports(path) if m.split(".")[0] in FORBIDDEN_IN_CORE}
            if bad:
                offenders.append(f"{path.relative_to(ROOT)}: {sorted(bad)}")
    assert offenders == []


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_a_package_imports_only_what_the_table_allows(package: str) -> None:
    allowed = (package, *ALLOWED[package])
    offenders = []
    for path in PACKAGES[package].rglob("*.py"):
        for module in _imports(path):
            first_party = module.split(".")[0] in PACKAGES
            if first_party and not any(_within(module, prefix) for prefix in allowed):
                offenders.append(f"{path.relative_to(ROOT)}: {module}")
    assert offenders == []


@pytest.mark.parametrize(("left", "right"), SEPARATE_ROOMS)
def test_separate_rooms_do_not_import_each_other(left: str, right: str) -> None:
    package = left.split(".")[0]
    offenders = []
    for path in PACKAGES[package].rglob("*.py"):
        here = _module_name(package, path)
        for room, other in ((left, right), (right, left)):
            if _within(here, room):
                offenders += [f"{here}: {m}" for m in _imports(path) if _within(m, other)]
    assert offenders == []


def test_no_module_is_over_the_size_limit() -> None:
    long = []
    for path in PACKAGES.values():
        for module in path.rglob("*.py"):
            lines = len(module.read_text(encoding="utf-8").splitlines())
            if lines > MAX_MODULE_LINES:
                long.append(f"{module.relative_to(ROOT)}: {lines}")
    assert long == []
