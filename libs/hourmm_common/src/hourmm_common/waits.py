"""Waiting for the first of several things, with nothing left behind.

`first_completed(*coros)` runs coroutines side by side and returns the result of the first to
finish; `sleep_until_or(clock, deadline_ms, event)` is the common case of a sleep on the injected
clock raced against an event (a nudge, a close). Both cancel and await every task they started
before returning, so no task outlives its caller (house style rule 12), and an exception in any
of them is raised here rather than lost in an unawaited task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from hourmm_common.clock import Clock

T = TypeVar("T")


async def first_completed(*coros: Coroutine[Any, Any, T]) -> T:
    """The result of the first coroutine to finish (the earliest listed when several finish in
    the same turn); the others are cancelled and awaited."""
    tasks = [asyncio.create_task(c) for c in coros]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    for outcome in outcomes:  # a bug in a loser is not swallowed by the winner's result
        if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
            raise outcome
    return next(t for t in tasks if t in done).result()


async def sleep_until_or(clock: Clock, deadline_ms: int, event: asyncio.Event) -> bool:
    """True once `clock` reaches `deadline_ms`, False as soon as `event` is set (at once if it
    already is; the caller clears it). When both happen in the same turn, the deadline wins."""
    if event.is_set():
        return False
    return await first_completed(_true_after(clock.sleep_until(deadline_ms)), _false_after(event.wait()))


async def _true_after(aw: Coroutine[Any, Any, object]) -> bool:
    await aw
    return True


async def _false_after(aw: Coroutine[Any, Any, object]) -> bool:
    await aw
    return False
