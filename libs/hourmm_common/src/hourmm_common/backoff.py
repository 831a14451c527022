"""Jittered exponential backoff, pure: the caller owns the random source and the sleeping."""

from __future__ import annotations

import random


def backoff_ms(
    attempt: int,
    *,
    base_ms: int = 250,
    cap_ms: int = 30_000,
    rng: random.Random | None = None,
) -> int:
    """Delay before retry number `attempt` (0-based): "full jitter" in [base/2, min(cap, base*2^n)].

    Full jitter spreads reconnect storms; the floor keeps a tight loop from hammering a peer.
    """
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    ceiling = min(cap_ms, base_ms * (1 << min(attempt, 30)))
    floor = min(base_ms // 2, ceiling)
    r = (rng or random).random()
    return floor + int((ceiling - floor) * r)
