"""Where the team's shared ground truth (spec, fixtures, Binance history) lives.

`HOURMM_SHARED_DIR` wins; otherwise the `shared/` folder beside the repository checkout, which
is where developers and CI find it. Read-only: nothing in HourMM writes there.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[4]


def repo_root() -> Path:
    return _REPO_ROOT


def shared_dir() -> Path:
    override = os.environ.get("HOURMM_SHARED_DIR")
    if override:
        return Path(override)
    return _REPO_ROOT.parent / "shared"


def fixtures_dir() -> Path:
    return shared_dir() / "fixtures"


def binance_data_dir() -> Path:
    return shared_dir() / "data" / "binance"
