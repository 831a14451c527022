import asyncio

import pytest

from hourmm_common.clock import ManualClock, ScaledClock, SystemClock, make_clock


async def test_manual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = ManualClock(1_000)
    woke: list[tuple[str, int]] = []

    async def sleeper(name: str, deadline: int) -> None:
        await clock.sleep_until(deadline)
        woke.append((name, clock.now_ms()))

    tasks = [asyncio.create_task(sleeper("late", 3_000)), asyncio.create_task(sleeper("early", 2_000))]
    await clock.run_until(2_500)
    assert woke == [("early", 2_000)]
    await clock.run_until(5_000)
    assert woke == [("early", 2_000), ("late", 3_000)]
    assert clock.now_ms() == 5_000
    await asyncio.gather(*tasks)


async def test_manual_clock_past_deadline_returns_at_once() -> None:
    clock = ManualClock(10)
    await clock.sleep_until(5)
    assert clock.now_ms() == 10


def test_manual_clock_never_goes_backwards() -> None:
    clock = ManualClock(10)
    with pytest.raises(ValueError):
        clock.set(9)


def test_scaled_clock_runs_faster_than_wall_time() -> None:
    clock = ScaledClock(wall_anchor_ms=SystemClock().now_ms(), sim_start_ms=0, speed=1000.0)
    first = clock.now_ms()
    assert 0 <= first < 60_000  # < 60 ms of wall time even on a slow machine


def test_make_clock_refuses_speed_without_start() -> None:
    assert isinstance(make_clock(), SystemClock)
    with pytest.raises(ValueError):
        make_clock(speed=10.0)
