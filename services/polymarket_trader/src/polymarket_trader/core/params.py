"""Configuration of the pure core as frozen structs with defaults (house style rule 14).

The connectivity side's `BConfig` reads `HOURMM_*` environment variables into these; names map
one to one (e.g. `RiskLimits.max_order_size_e6` <- `HOURMM_RISK_MAX_ORDER_SIZE_E6`). Units are in
the names: `_ms` durations, `_e6` shares or pUSD (1e-6), `_e4` prices (1e-4 pUSD per share).
They live in the journaled state (`CanonicalState.limits`, `.params`), so a replay uses the same
numbers the live run used even if the environment has changed since.
"""

from __future__ import annotations

import msgspec

MINUTE_MS = 60_000


class RiskLimits(msgspec.Struct, frozen=True, kw_only=True):
    """Hard limits; the operator may change them at run time (`SET_LIMITS`)."""

    max_reserved_usdc_e6: int = 200_000_000  # collateral locked by working BUYs (200 pUSD)
    max_order_size_e6: int = 50_000_000  # 50 shares per order
    max_open_orders: int = 4
    # |Up - Down| net exposure, shares: 4 quotes of 10. At most ~40 pUSD at risk on a 1,000 pUSD
    # account; quote sizes shrink linearly to zero at the cap (backtest 72 h: worst hour -10 vs -68 at 200).
    max_position_e6: int = 40_000_000
    max_loss_per_hour_usdc_e6: int = 50_000_000  # marked to fair; breach -> FLATTEN, then HALT


class SessionTimers(msgspec.Struct, frozen=True, kw_only=True):
    """Phase boundaries, measured back from the market's hour end (defaults for a 60-min hour)."""

    wind_down_before_end_ms: int = 10 * MINUTE_MS  # ACTIVE -> WIND_DOWN
    flatten_before_end_ms: int = 4 * MINUTE_MS  # WIND_DOWN -> FLATTEN
    cutoff_before_end_ms: int = 1 * MINUTE_MS  # hard cutoff: every order cancelled, none built after


class ReducerParams(msgspec.Struct, frozen=True, kw_only=True):
    """Windows and thresholds the reducer applies to its inputs."""

    timers: SessionTimers = SessionTimers()
    snapshot_max_age_ms: int = 2_000  # no fresh snapshot for this long -> REDUCE_ONLY
    stabilize_ms: int = 5_000  # quiet time after a cancel-all ack before HALT may lift
    rest_error_window_ms: int = 10_000
    rest_error_threshold: int = 5  # this many REST failures within the window -> HALT
    auto_resume: bool = True  # leave HALT on its own once the cause is resolved and stable
    max_closed_orders: int = 4_096  # closed orders kept fillable (pruned oldest first at roll)
    # After a user-socket gap, backfill trades from this long before the drop was noticed: the socket
    # may have been silent a whole staleness window (30 s + a ping) first. Fills dedupe, so over-reach is free.
    user_backfill_lookback_ms: int = 45_000


def cutoff_ms(hour_end_ms: int, timers: SessionTimers) -> int:
    return hour_end_ms - timers.cutoff_before_end_ms


class DecisionParams(msgspec.Struct, frozen=True, kw_only=True):
    """The decision loop's rules of engagement (risk gating and order management)."""

    tick_hz: int = 50
    step_on_snapshot: bool = True  # also decide as soon as a new Binance snapshot arrives (the grid is the floor)
    snapshot_max_age_ms: int = 2_000  # a snapshot older than this (or flagged stale) -> REDUCE_ONLY
    min_gtd_lead_ms: int = 180_000  # the SDKs refuse GTD expirations under now + 180 s
    expiration_after_cutoff_ms: int = 60_000  # the venue cancels a GTD order ~60 s before it expires
    replace_min_ticks: int = 2  # move a quote only when the price is off by at least this many ticks
    replace_min_age_ms: int = 1_000  # ... and it has rested this long (queue position is worth keeping)
    max_working_orders: int = 4
    marketable_min_notional_e6: int = 1_000_000  # FAK / crossing BUY needs >= 1 pUSD
    inflight_timeout_ms: int = 10_000  # an action the view never reflects is forgotten after this
    fak_min_interval_ms: int = 1_000  # a FAK that found nothing is not retried in its slot before this


def gtd_expiration_s(hour_end_ms: int, timers: SessionTimers, params: DecisionParams) -> int:
    """Expiration of every GTD quote: the hour cutoff + 60 s, so the venue's own early cancel lands
    at the cutoff. Explicit cancels end quotes; this is the backstop."""
    return (cutoff_ms(hour_end_ms, timers) + params.expiration_after_cutoff_ms) // 1000


def gtd_allowed(now_ms: int, expiration_s: int, params: DecisionParams) -> bool:
    return expiration_s * 1000 >= now_ms + params.min_gtd_lead_ms
