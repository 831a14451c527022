"""`first_completed` / `sleep_until_or`: the first outcome wins, nothing outlives the call, and a
bug in a loser is raised, not lost."""

import asyncio

import pytest

from hourmm_common.clock import ManualClock
from hourmm_common.waits import first_completed, sleep_until_or


async def test_the_deadline_returns_true_and_the_event_false() -> None:
    clock = ManualClock(1_000)
    event = asyncio.Event()
    waiting = asyncio.create_task(sleep_until_or(clock, 2_000, event))
    await clock.run_until(2_000)
    assert await waiting is True
    waiting = asyncio.create_task(sleep_until_or(clock, 9_000, event))
    await clock.run_until(2_500)
    event.set()
    assert await waiting is False
    assert clock.now_ms() == 2_500


async def test_an_event_already_set_returns_at_once_without_sleeping() -> None:
    clock = ManualClock(0)
    event = asyncio.Event()
    event.set()
    assert await sleep_until_or(clock, 10_000, event) is False


async def test_the_losers_are_cancelled_and_awaited() -> None:
    cancelled: list[str] = []

    async def slow() -> str:
        try:
            await asyncio.Event().wait()  # never set: only cancellation ends it
        except asyncio.CancelledError:
            cancelled.append("slow")
            raise
        return "slow"

    async def fast() -> str:
        return "fast"

    before = len(asyncio.all_tasks())
    assert await first_completed(slow(), fast()) == "fast"
    assert cancelled == ["slow"] and len(asyncio.all_tasks()) == before


async def test_an_exception_in_a_loser_is_raised() -> None:
    async def broken() -> str:
        raise RuntimeError("bug")

    async def fine() -> str:
        return "ok"

    with pytest.raises(RuntimeError, match="bug"):
        await first_completed(fine(), broken())
