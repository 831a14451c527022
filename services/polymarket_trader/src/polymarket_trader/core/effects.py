"""What the pure core asks the edges to do: order actions and reducer effects, as data.

Order actions come out of `OrderManager.reconcile` (via the decision loop) and go to the
`Executor`, the only place where REST happens. Reducer effects come out of `reduce()` and are
handed on by `StateReducer` to the executor, the reconciler, the scheduler, the websocket clients
or the logger. Nothing here performs IO; an edge that receives an effect it cannot carry out
reports the failure back as an event.

Units as in `core.events` (`_e4` prices, `_e6` sizes and pUSD, ms times, expiration in s).
"""

from __future__ import annotations

import msgspec

from hourmm_common.enums import RiskMode, SessionState
from polymarket_trader.core.events import MarketInfo, OrderTerms, WithTerms


class _Effect(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    pass


# Order actions (decision loop -> executor) ------------------------------------------------------


class PlaceOrder(_Effect, WithTerms, tag="place_order", frozen=True):
    """Sign and post one order: a GTD post-only quote, or a marketable FAK (`terms`).

    `client_req_id` is derived from inputs (decision number + slot), so a replayed decision
    produces the same id. `tick_e4` and `neg_risk` are passed to the signer explicitly, never read
    from a cache (the SDK caches the tick size forever).
    """

    client_req_id: str
    condition_id: str
    terms: OrderTerms
    tick_e4: int
    neg_risk: bool = False
    reason: str = ""


class CancelOrders(_Effect, tag="cancel_orders", frozen=True):
    client_req_id: str
    order_ids: tuple[str, ...]
    reason: str


class CancelAll(_Effect, tag="cancel_all", frozen=True):
    """Cancel every order of the account in `condition_id` (None: in every market)."""

    client_req_id: str
    condition_id: str | None
    reason: str


OrderAction = PlaceOrder | CancelOrders | CancelAll


# Reducer effects (reducer -> edges) --------------------------------------------------------------


class QueryOpenOrders(_Effect, tag="query_open_orders", frozen=True):
    """Ask the venue which of our orders are open (resolves UNKNOWN orders, boot sync)."""

    condition_id: str
    reason: str


class QueryBalances(_Effect, tag="query_balances", frozen=True):
    reason: str


class QueryTrades(_Effect, tag="query_trades", frozen=True):
    """Backfill our trades after a user-channel gap (fills missed while disconnected)."""

    condition_id: str
    after_ms: int
    reason: str


class SwitchMarket(_Effect, tag="switch_market", frozen=True):
    """Subscribe the market and user websockets to this market (and drop the previous one)."""

    market: MarketInfo


class ArmHeartbeat(_Effect, tag="arm_heartbeat", frozen=True):
    """Keep the venue's dead-man switch armed (True) or let it lapse once flat (False)."""

    armed: bool


class ReportModeChange(_Effect, tag="report_mode_change", frozen=True):
    old: RiskMode
    new: RiskMode
    reason: str


class ReportSessionChange(_Effect, tag="report_session_change", frozen=True):
    old: SessionState
    new: SessionState
    reason: str


class RaiseAlert(_Effect, tag="raise_alert", frozen=True):
    """Something an operator should see (logged, counted, shown on the dashboard)."""

    code: str
    detail: str
    severity: str = "warning"  # info | warning | critical


Effect = (
    PlaceOrder
    | CancelOrders
    | CancelAll
    | QueryOpenOrders
    | QueryBalances
    | QueryTrades
    | SwitchMarket
    | ArmHeartbeat
    | ReportModeChange
    | ReportSessionChange
    | RaiseAlert
)
