"""Fault injection: what can go wrong between a trader and the venue, on purpose.

A `Fault` is data (from the scenario file with a time offset, or `POST /_sim/faults` now).
`FaultState` holds the active ones; the edges ask it questions (`rest_fault(path)`,
`ws_frozen(channel, now)`, `user_delivery(now)`), the engine-level ones (fail trades, tick change,
close market, cancel-only) are applied by the venue. Every applied fault is logged by the venue
with the scenario time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

KINDS = frozenset({
    "ws_drop",          # close every socket of `channel` (market | user)
    "ws_freeze",        # `channel` goes silent (no events, no PONG) for `duration_ms`
    "user_delay",       # user events delayed by `delay_ms` for `duration_ms`
    "user_duplicate",   # every user event sent twice for `duration_ms`
    "user_reorder",     # user events held for `duration_ms`, then sent in reverse order
    "user_first",       # the next `count` POST /order: user events go out before the REST answer
    "rest_error",       # the next `count` `method path` calls answer `status` (placed: processed anyway)
    "rest_timeout",     # the next `count` `method path` calls hang `delay_ms`, then 504 (placed: processed)
    "fail_trades",      # the next `count` trades of `user` end FAILED instead of MINED
    "retry_trades",     # the next `count` trades of `user` go MATCHED -> RETRYING -> MINED
    "set_tick",         # the market's tick becomes `tick` ("current" = the hour being traded)
    "close_market",     # the market stops trading now and cancels its book
    "cancel_only",      # `enabled`: new orders refused with the real 503
})


class Fault(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kind: str
    at_s: float | None = None      # scenario seconds after the start (scenario files)
    channel: str = "user"
    duration_ms: int = 0
    delay_ms: int = 0
    count: int = 1
    status: int = 500
    path: str = "/order"
    method: str = "POST"           # REST faults match method and path (DELETE /order is a cancel)
    user: str = ""                 # trade faults: "" any scenario user's trades, "*" any trade, or a name
    placed: bool = False
    market: str = "current"
    tick: str = "0.001"
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.channel not in ("user", "market"):
            raise ValueError(f"unknown channel {self.channel!r}")
        if self.count < 0 or self.duration_ms < 0 or self.delay_ms < 0:
            raise ValueError("count, duration_ms and delay_ms must be >= 0")


@dataclass(slots=True)
class RestFault:
    status: int
    placed: bool
    timeout_ms: int  # 0 = answer the error at once


@dataclass(slots=True)
class FaultState:
    """Active faults of the edges, asked about by time (scenario ms)."""

    frozen_until: dict[str, int] = field(default_factory=dict)
    delay: tuple[int, int] = (0, 0)          # (until, delay_ms)
    duplicate_until: int = 0
    reorder_until: int = 0
    user_first: int = 0
    rest: dict[str, list[RestFault]] = field(default_factory=dict)

    def arm(self, fault: Fault, now_ms: int) -> None:
        kind = fault.kind
        if kind == "ws_freeze":
            self.frozen_until[fault.channel] = now_ms + fault.duration_ms
        elif kind == "user_delay":
            self.delay = (now_ms + fault.duration_ms, fault.delay_ms)
        elif kind == "user_duplicate":
            self.duplicate_until = now_ms + fault.duration_ms
        elif kind == "user_reorder":
            self.reorder_until = now_ms + fault.duration_ms
        elif kind == "user_first":
            self.user_first += fault.count
        elif kind in ("rest_error", "rest_timeout"):
            timeout = (fault.delay_ms or 30_000) if kind == "rest_timeout" else 0
            self.rest.setdefault(f"{fault.method.upper()} {fault.path}", []).extend(
                RestFault(fault.status, fault.placed, timeout) for _ in range(fault.count))

    def frozen(self, channel: str, now_ms: int) -> bool:
        return now_ms < self.frozen_until.get(channel, 0)

    def user_delay_ms(self, now_ms: int) -> int:
        until, delay = self.delay
        return delay if now_ms < until else 0

    def rest_fault(self, method: str, path: str) -> RestFault | None:
        queue = self.rest.get(f"{method} {path}")
        if not queue:
            return None
        return queue.pop(0)

    def take_user_first(self) -> bool:
        if self.user_first > 0:
            self.user_first -= 1
            return True
        return False
