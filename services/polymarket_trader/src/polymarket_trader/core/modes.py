"""The risk mode as a function of its causes (`RiskFlags`, health, positions).

Several causes may hold at once (a stale snapshot during a reconnect); the mode is the most
severe: NORMAL < REDUCE_ONLY < FLATTEN < HALT. Keeping causes apart means lifting one (the
snapshot is fresh again) cannot lift another (we still wait for a cancel-all ack).

- HALT: uncertainty (disconnect/reconnect, unknown order state, foreign order, REST error burst,
  cancel-only / trading disabled, failed heartbeat) until a cancel-all ack plus `stabilize_ms`
  of quiet; a websocket that is down; the operator; a breached loss limit once flat.
- FLATTEN: the operator (`FLATTEN_NOW`), or a breached loss limit while exposed.
- REDUCE_ONLY: stale or missing snapshot, no fair value.
"""

from __future__ import annotations

from hourmm_common.enums import RiskMode
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.core.state import CanonicalState

SEVERITY = {RiskMode.NORMAL: 0, RiskMode.REDUCE_ONLY: 1, RiskMode.FLATTEN: 2, RiskMode.HALT: 3}
FLAT_E6 = 10_000  # |net| below 0.01 share counts as flat


def derive_mode(state: CanonicalState) -> tuple[RiskMode, str]:
    """The most severe cause wins; on a tie, the first listed (hot path: no allocation when clear)."""
    f = state.flags
    h = state.health
    if f.halt_reason is not None:
        return RiskMode.HALT, f.halt_reason
    if not h.user_ws_connected or not h.market_ws_connected:
        return RiskMode.HALT, "websocket_down"
    best: tuple[RiskMode, str] = (RiskMode.NORMAL, "all_clear")
    if f.operator_mode is not None:
        best = (f.operator_mode, f"operator:{f.operator_reason}" if f.operator_reason else "operator")
    if f.loss_breached:
        flat = abs(state.positions.net_up_e6) < FLAT_E6
        cause = (RiskMode.HALT, "max_loss_flat") if flat else (RiskMode.FLATTEN, "max_loss_per_hour")
        if SEVERITY[cause[0]] > SEVERITY[best[0]]:
            best = cause
    if (h.binance_stale or h.p_yes_fair is None) and best[0] is RiskMode.NORMAL:
        best = (RiskMode.REDUCE_ONLY, h.snapshot_problem or "stale_snapshot")
    return best


def halt_may_lift(state: CanonicalState) -> bool:
    """The uncertainty behind HALT is resolved: cancel-all acked, quiet for `stabilize_ms`, both
    websockets up, no order in UNKNOWN, heartbeat healthy."""
    f = state.flags
    p = state.params
    if f.halt_reason is None or not p.auto_resume or f.cancel_all_pending is not None:
        return False
    if f.cancel_all_acked_ms is None or state.now_ms < f.cancel_all_acked_ms + p.stabilize_ms:
        return False
    h = state.health
    if not (h.user_ws_connected and h.market_ws_connected and h.heartbeat_ok):
        return False
    if h.rest_error_times_ms and h.rest_error_times_ms[-1] > state.now_ms - p.stabilize_ms:
        return False
    return all(o.status is not OrderStatus.UNKNOWN for o in state.open_orders.values())
