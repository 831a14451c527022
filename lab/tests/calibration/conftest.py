"""Builders for the calibration tests: seeded synthetic random-walk candles, written or in memory."""

from __future__ import annotations

import gzip
import math
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from hourmm_lab.calibration.candles import MinuteCandles, candles_from_rows

START_MS = 1_733_011_200_000  # 2024-12-01T00:00:00Z


def random_walk_rows(hours: int = 60, sigma: float = 0.0008, seed: int = 7,
                     start_ms: int = START_MS) -> list[tuple[int, float, float, float, float]]:
    rng = random.Random(seed)
    rows = []
    price = 100_000.0
    for k in range(hours * 60):
        o = price
        path = [o]
        for _ in range(4):
            path.append(path[-1] * math.exp(rng.gauss(0.0, sigma / 2)))
        price = path[-1]
        rows.append((start_ms + k * 60_000, round(o, 2), round(max(path), 2), round(min(path), 2),
                     round(price, 2)))
    return rows


@pytest.fixture
def walk_rows() -> Callable[..., list[tuple[int, float, float, float, float]]]:
    return random_walk_rows


@pytest.fixture
def walk() -> Callable[..., MinuteCandles]:
    return lambda **kw: candles_from_rows(random_walk_rows(**kw))


@pytest.fixture
def walk_file(tmp_path: Path) -> Callable[..., Path]:
    def write(**kw: object) -> Path:
        path = tmp_path / "walk-1m.csv.gz"
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write("open_time_ms,open,high,low,close,volume\n")
            for t, o, h, lo, c in random_walk_rows(**kw):  # type: ignore[arg-type]
                fh.write(f"{t},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},1.5\n")
        return path
    return write
