"""Liveness of the Binance feed and readiness of the pricer (pure).

In: the local receive time of every event, and at check time the connection state, whether the
hour has an open and whether the features are warm. Out: age, stale, and the reasons the
service is unhealthy (empty = healthy), which `/health` turns into 200 or 503.
"""

from __future__ import annotations

import msgspec

DEFAULT_STALE_THRESHOLD_MS = 3_000  # no Binance event for this long: the snapshot says `stale`


class FeedStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What the websocket edge reports about itself at snapshot time."""

    connected: bool
    reconnects: int = 0
    parse_errors: int = 0


class HealthTracker:
    """Time since the last Binance event; stale past the threshold (or before the first event)."""

    def __init__(self, stale_threshold_ms: int, started_ms: int) -> None:
        self.stale_threshold_ms = stale_threshold_ms
        self.started_ms = started_ms
        self.last_binance_event_local_ms: int | None = None

    def update_on_event(self, ts_local_ms: int) -> None:
        self.last_binance_event_local_ms = ts_local_ms

    def age_ms(self, now_ms: int) -> int:
        """Since the last event; since start when none has arrived yet (never negative)."""
        last = self.last_binance_event_local_ms
        return max(0, now_ms - (self.started_ms if last is None else last))

    def is_stale(self, now_ms: int) -> bool:
        return self.last_binance_event_local_ms is None or self.age_ms(now_ms) > self.stale_threshold_ms

    def reasons(self, now_ms: int, *, connected: bool, has_open: bool, warm: bool) -> tuple[str, ...]:
        out = []
        if not connected:
            out.append("not_connected")
        if self.is_stale(now_ms):
            out.append("stale")
        if not has_open:
            out.append("no_open")
        if not warm:
            out.append("not_warm")
        return tuple(out)
