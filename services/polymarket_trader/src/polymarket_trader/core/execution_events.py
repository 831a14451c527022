"""Events from the executor, the cancel-all worker and the reconciler: intent before IO, then the
outcome (an ack, a proven refusal, or a `RestErrorEvent` when there is no proven answer), and the
venue's own account of our orders and balances.

Part of the tagged union `core.events.Event` (import them from there); the journal-format rules
stated there apply.
"""

from __future__ import annotations

from polymarket_trader.core.vocabulary import (
    EventBase,
    OrderTerms,
    RestFailure,
    RestOp,
    VenueOpenOrder,
    VenueOrderStatus,
    WithTerms,
)


class OrderSubmitted(EventBase, WithTerms, tag="order_submitted", frozen=True):
    """Written before the POST: the order exists for us from here on (its id is the order hash)."""

    client_req_id: str
    order_id: str
    terms: OrderTerms


class RestOrderAckEvent(EventBase, tag="rest_order_ack", frozen=True):
    client_req_id: str
    order_id: str
    venue_status: VenueOrderStatus  # live / matched / delayed


class RestOrderRejected(EventBase, tag="rest_order_rejected", frozen=True):
    """The venue's answer proves the order was refused (never a timeout or a 5xx)."""

    client_req_id: str
    order_id: str
    reason: str
    post_only_cross: bool = False


class CancelRequested(EventBase, tag="cancel_requested", frozen=True):
    client_req_id: str
    order_ids: tuple[str, ...]
    reason: str


class CancelAllRequested(EventBase, tag="cancel_all_requested", frozen=True):
    client_req_id: str
    condition_id: str | None  # None = every market of the account
    reason: str


class CancelAckEvent(EventBase, tag="cancel_ack", frozen=True):
    client_req_id: str
    canceled: tuple[str, ...]
    not_canceled: tuple[tuple[str, str], ...] = ()  # (order id, venue reason)


class CancelAllAckEvent(EventBase, tag="cancel_all_ack", frozen=True):
    client_req_id: str
    canceled: tuple[str, ...]


class RestErrorEvent(EventBase, tag="rest_error", frozen=True):
    """A REST call without a proven answer. For PLACE and CANCEL the order state becomes UNKNOWN."""

    client_req_id: str
    op: RestOp
    failure: RestFailure
    detail: str
    order_ids: tuple[str, ...] = ()


class OpenOrdersSnapshot(EventBase, tag="open_orders_snapshot", frozen=True):
    """The venue's complete list of our open orders in a market (reconciliation truth)."""

    condition_id: str
    orders: tuple[VenueOpenOrder, ...]


class BalancesSnapshot(EventBase, tag="balances_snapshot", frozen=True):
    """Venue balances: pUSD collateral and shares per token (reconciliation truth)."""

    usdc_e6: int
    up_e6: int
    down_e6: int
    condition_id: str | None = None


class HeartbeatStatusEvent(EventBase, tag="heartbeat_status", frozen=True):
    """The dead-man switch: armed and acknowledged, or a beat failed (the venue may cancel all)."""

    ok: bool
    detail: str = ""
