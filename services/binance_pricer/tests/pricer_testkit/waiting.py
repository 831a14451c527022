"""Waiting for real loopback IO without sleeping: yield to the loop until a condition holds."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], *, timeout_s: float = 5.0) -> None:
    """Yield (`sleep(0)`) until `condition()`; the timeout is only a safety net."""
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0)
