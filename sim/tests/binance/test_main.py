"""The runnable stand-in: tape selection from the command line, and a real process that serves."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import aiohttp
import pytest

from hourmm_common.errors import ConfigError
from hourmm_sim.binance.main import TapeRequest, build_tape, shared_clock

HOUR_MS = 3_600_000
START = 1_733_738_400_000  # 2024-12-09 10:00 UTC, inside the smaller 1m file


def a_request(**overrides: object) -> TapeRequest:
    fields: dict[str, object] = {
        "data": "1m_2024", "start_ms": START, "hours": 1.0, "history_hours": 1.0, "seed": 1,
        "trades_per_minute": 10,
    }
    fields.update(overrides)
    return TapeRequest(**fields)  # type: ignore[arg-type]


def test_the_tape_covers_the_history_before_the_start_and_the_hours_after() -> None:
    tape, start = build_tape(a_request())
    assert start == START
    assert START - HOUR_MS <= tape.start_ms < START - HOUR_MS + 60_000
    assert START + HOUR_MS - 60_000 <= tape.end_ms < START + HOUR_MS


def test_hourly_candles_expand_too() -> None:
    tape, _ = build_tape(a_request(data="1h", start_ms=1_640_995_200_000, trades_per_minute=4))
    kline = tape.kline(HOUR_MS, 1_640_995_200_000)
    assert kline is not None and kline.closed and kline.trades >= 4 * 60 // 2


def test_a_start_outside_the_data_is_refused_with_the_coverage() -> None:
    with pytest.raises(ValueError, match="covers 2024-11-30"):
        build_tape(a_request(start_ms=1_600_000_000_000))


def test_the_recorded_tape_starts_at_its_first_minute() -> None:
    tape, start = build_tape(a_request(data="recorded", start_ms=None))
    assert start == 1_610_064_000_000 and len(tape.trades) == 2001


RECORDED_START = 1_610_064_000_000  # 2021-01-08 00:00 UTC, the minute of the recorded tape


def test_the_shared_clock_comes_from_the_demo_variables() -> None:
    assert shared_clock({}) is None
    clock = shared_clock({"HOURMM_CLOCK_SIM_START_MS": str(RECORDED_START), "HOURMM_CLOCK_SPEED": "10",
                          "HOURMM_CLOCK_WALL_ANCHOR_MS": "5"})
    assert clock is not None and (clock.sim_start_ms, clock.speed, clock.wall_anchor_ms) == (RECORDED_START, 10.0, 5)
    with pytest.raises(ConfigError, match="HOURMM_CLOCK_SPEED"):
        shared_clock({"HOURMM_CLOCK_SIM_START_MS": "1", "HOURMM_CLOCK_SPEED": "fast"})


@pytest.mark.parametrize(
    ("args", "env", "speed"),
    [
        (["--speed", "2"], {}, 2.0),
        ([], {"HOURMM_CLOCK_SIM_START_MS": str(RECORDED_START), "HOURMM_CLOCK_SPEED": "3"}, 3.0),
    ],
    ids=["command_line", "shared_clock"],
)
async def test_the_process_prints_where_it_listens_and_answers(args: list[str], env: dict[str, str], speed: float) -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HOURMM_CLOCK_")} | env
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hourmm_sim.binance", "--data", "recorded", "--port", "0", "--log-level", "WARNING",
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environ,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(20):
            ready = json.loads(await proc.stdout.readline())
        assert ready["event"] == "binance_standin_ready" and ready["start"] == "2021-01-08T00:00:00Z"
        assert ready["speed"] == speed
        url = f"{ready['rest_base_url']}/api/v3/time"
        async with aiohttp.ClientSession() as http, asyncio.timeout(10), http.get(url) as response:
            server_time = (await response.json())["serverTime"]
        assert RECORDED_START <= server_time < RECORDED_START + 60_000
    finally:
        proc.terminate()
        async with asyncio.timeout(10):
            assert await proc.wait() == 0
