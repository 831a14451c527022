"""The session machine: BOOT_SYNC -> ACTIVE -> WIND_DOWN -> FLATTEN -> DONE, on the market's clock.

Phases are measured back from the hour end (`SessionTimers`); time only moves forward, so a
phase never goes back within one market. BOOT_SYNC is left only when the boot reconcile is
complete (`BootProgress.complete`), straight into whatever phase the clock says. The hard cutoff
(hour end - 1 min) is not a phase: from it on every order is cancelled and none is built.
"""

from __future__ import annotations

from hourmm_common.enums import SessionState
from polymarket_trader.core.events import MarketInfo
from polymarket_trader.core.params import SessionTimers

_ORDER = {SessionState.BOOT_SYNC: 0, SessionState.ACTIVE: 1, SessionState.WIND_DOWN: 2,
          SessionState.FLATTEN: 3, SessionState.DONE: 4}


def phase_for(now_ms: int, market: MarketInfo, timers: SessionTimers) -> SessionState:
    """The phase the clock asks for in `market` (never BOOT_SYNC)."""
    end = market.hour_end_ms
    if now_ms >= end:
        return SessionState.DONE
    if now_ms >= end - timers.flatten_before_end_ms:
        return SessionState.FLATTEN
    if now_ms >= end - timers.wind_down_before_end_ms:
        return SessionState.WIND_DOWN
    return SessionState.ACTIVE


def next_session(current: SessionState, now_ms: int, market: MarketInfo | None, timers: SessionTimers,
                 boot_complete: bool) -> SessionState:
    """Where the session goes on this event (forward only; BOOT_SYNC waits for its reconcile)."""
    if market is None:
        return current
    if current is SessionState.BOOT_SYNC:
        return phase_for(now_ms, market, timers) if boot_complete else current
    target = phase_for(now_ms, market, timers)
    return target if _ORDER[target] > _ORDER[current] else current
