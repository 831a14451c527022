"""Enums that cross the service boundary or appear in operator-facing output."""

from __future__ import annotations

from enum import StrEnum


class OpenSource(StrEnum):
    """Where the hour's open price came from (the amendments' open rule)."""

    TRADE = "trade"  # first trade at or after the hour start, seen live
    REST_KLINE = "rest_kline"  # backfilled from GET /api/v3/klines (mid-hour start, gap)
    WS_KLINE = "ws_kline"  # corrected by the kline stream after a mismatch


class RiskMode(StrEnum):
    NORMAL = "NORMAL"
    REDUCE_ONLY = "REDUCE_ONLY"
    FLATTEN = "FLATTEN"
    HALT = "HALT"


class SessionState(StrEnum):
    BOOT_SYNC = "BOOT_SYNC"
    ACTIVE = "ACTIVE"
    WIND_DOWN = "WIND_DOWN"
    FLATTEN = "FLATTEN"
    DONE = "DONE"


class RunMode(StrEnum):
    """How the trader runs: against the local venue, on live data without orders, or for real."""

    PAPER = "paper"
    SHADOW = "shadow"
    LIVE = "live"
