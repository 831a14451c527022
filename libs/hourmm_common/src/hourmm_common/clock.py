"""The injected clock. Nothing in HourMM reads the time except through a `Clock`.

- `SystemClock`: production.
- `ScaledClock`: accelerated scenario time shared by separate processes (the demo): every process
  gets the same (wall anchor, scenario start, speed) and so agrees on "now" without talking.
- `ManualClock`: tests. Time moves only when the test says so; sleepers wake in deadline order.
  No test ever sleeps for real time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch, UTC, in this clock's frame."""
        ...

    async def sleep_until(self, deadline_ms: int) -> None:
        """Return once `now_ms() >= deadline_ms`. Fixed-rate loops use this to avoid drift."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    async def sleep_until(self, deadline_ms: int) -> None:
        delay_ms = deadline_ms - self.now_ms()
        await asyncio.sleep(max(0.0, delay_ms / 1000.0))


class ScaledClock:
    """Scenario time running `speed` times faster than the wall clock from a shared anchor."""

    def __init__(self, *, wall_anchor_ms: int, sim_start_ms: int, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self.wall_anchor_ms = wall_anchor_ms
        self.sim_start_ms = sim_start_ms
        self.speed = speed

    def now_ms(self) -> int:
        wall = time.time_ns() / 1_000_000
        return self.sim_start_ms + int((wall - self.wall_anchor_ms) * self.speed)

    async def sleep_until(self, deadline_ms: int) -> None:
        delay_ms = (deadline_ms - self.now_ms()) / self.speed
        await asyncio.sleep(max(0.0, delay_ms / 1000.0))


class ManualClock:
    """Deterministic clock for tests: `advance()` moves time and wakes due sleepers."""

    def __init__(self, start_ms: int = 0) -> None:
        self._now_ms = start_ms
        self._sleepers: list[tuple[int, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()

    def now_ms(self) -> int:
        return self._now_ms

    async def sleep_until(self, deadline_ms: int) -> None:
        if deadline_ms <= self._now_ms:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline_ms, next(self._counter), fut))
        await fut

    async def sleep(self, delta_ms: int) -> None:
        await self.sleep_until(self._now_ms + delta_ms)

    def set(self, now_ms: int) -> None:
        """Jump to `now_ms` (never backwards) and wake every sleeper that is due."""
        if now_ms < self._now_ms:
            raise ValueError("a ManualClock never goes backwards")
        self._now_ms = now_ms
        while self._sleepers and self._sleepers[0][0] <= now_ms:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)

    def advance(self, delta_ms: int) -> None:
        self.set(self._now_ms + delta_ms)

    def next_deadline_ms(self) -> int | None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    async def run_until(self, target_ms: int, *, settle_rounds: int = 20) -> None:
        """Advance to `target_ms` one deadline at a time, letting woken tasks run in between.

        Like trio's autojump clock: each sleeper sees time exactly at its own deadline.
        """
        while True:
            await settle(settle_rounds)
            nxt = self.next_deadline_ms()
            if nxt is None or nxt > target_ms:
                break
            self.set(max(nxt, self._now_ms))
        if target_ms > self._now_ms:
            self.set(target_ms)
        await settle(settle_rounds)


async def settle(rounds: int = 20) -> None:
    """Let ready tasks run: yields to the event loop `rounds` times (no real time passes)."""
    for _ in range(rounds):
        await asyncio.sleep(0)


def make_clock(*, speed: float = 1.0, sim_start_ms: int | None = None, wall_anchor_ms: int | None = None) -> Clock:
    """The system clock, or a ScaledClock when a scenario start is given (demo, paper runs)."""
    if sim_start_ms is None:
        if speed != 1.0:
            raise ValueError("a clock speed other than 1 needs a scenario start time")
        return SystemClock()
    anchor = wall_anchor_ms if wall_anchor_ms is not None else time.time_ns() // 1_000_000
    return ScaledClock(wall_anchor_ms=anchor, sim_start_ms=sim_start_ms, speed=speed)
