"""A valid snapshot with keyword overrides."""

from __future__ import annotations

from typing import Any

from hourmm_common.hours import HOUR_MS, hour_id
from hourmm_common.snapshot import BinanceSnapshot
from pricer_testkit.builders import H0


def a_snapshot(seq: int = 1, **overrides: Any) -> BinanceSnapshot:
    fields: dict[str, Any] = dict(
        seq=seq, ts_local_ms=H0 + 1_000, ts_exchange_ms=H0 + 990, age_ms=10, stale=False,
        hour_id=hour_id(H0), hour_start_ts_ms=H0, hour_end_ts_ms=H0 + HOUR_MS, t_remaining_ms=HOUR_MS - 1_000,
        open_price=98_000.0, last_trade_price=98_001.0, bbo_bid=98_000.99, bbo_ask=98_001.01, mid=98_001.0,
        features={"sigma": 1e-4}, p_yes_fair=0.51,
    )
    fields.update(overrides)
    return BinanceSnapshot(**fields)
