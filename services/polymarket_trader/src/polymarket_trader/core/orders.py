"""Our orders as the reducer tracks them: `OrderState` and the status transition table.

The table is data (house style rule 6) with venue reality written down:
- fills still arrive after a cancel (CANCELED -> FILLED, PENDING_CANCEL -> PARTIALLY_FILLED/FILLED),
  and after a GTD expiry (EXPIRED -> FILLED);
- a refused cancel puts a PENDING_CANCEL order back to LIVE / PARTIALLY_FILLED;
- UNKNOWN (a timeout or 5xx on submit or cancel) is resolved only by the venue: a user event or an
  open-orders snapshot may move it anywhere.
A transition outside the table is not applied: it is counted as an anomaly and makes the state
uncertain (cancel-all + HALT). Orders are keyed by order id (the EIP-712 hash the executor
computes before sending), so venue events that overtake the REST answer still match.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from polymarket_trader.core.events import OrderTerms, Side, WithTerms, notional_e6

DUST_E6 = 10_000  # |original - matched| below 0.01 share counts as fully filled (cent-tick dust)


class OrderStatus(StrEnum):
    PENDING_SUBMIT = "PENDING_SUBMIT"  # OrderSubmitted seen, no venue answer yet
    LIVE = "LIVE"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"  # cancel requested, not yet confirmed
    CANCELED = "CANCELED"
    REJECTED = "REJECTED"
    UNKNOWN = "UNKNOWN"  # timeout / 5xx on submit or cancel: only the venue can tell
    EXPIRED = "EXPIRED"


S = OrderStatus
WORKING = frozenset({S.PENDING_SUBMIT, S.LIVE, S.PARTIALLY_FILLED, S.PENDING_CANCEL, S.UNKNOWN})
TERMINAL = frozenset({S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED})

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.PENDING_SUBMIT: frozenset(set(OrderStatus) - {S.PENDING_SUBMIT}),
    S.LIVE: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.PENDING_CANCEL, S.CANCELED, S.EXPIRED, S.UNKNOWN}),
    S.PARTIALLY_FILLED: frozenset({S.FILLED, S.PENDING_CANCEL, S.CANCELED, S.EXPIRED, S.UNKNOWN}),
    S.PENDING_CANCEL: frozenset({S.LIVE, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED, S.UNKNOWN}),
    S.UNKNOWN: frozenset(set(OrderStatus) - {S.UNKNOWN, S.PENDING_SUBMIT}),
    S.CANCELED: frozenset({S.FILLED}),  # a match that raced the cancel is reported afterwards
    S.EXPIRED: frozenset({S.FILLED}),
    S.FILLED: frozenset(),
    S.REJECTED: frozenset(),
}
"""Allowed status changes (a status to itself is always allowed: duplicates are normal)."""

# Late news about a closed order that is true but changes nothing (not an anomaly).
ABSORBED: frozenset[tuple[OrderStatus, OrderStatus]] = frozenset(
    {(S.FILLED, S.CANCELED), (S.FILLED, S.EXPIRED), (S.CANCELED, S.EXPIRED), (S.EXPIRED, S.CANCELED),
     (S.CANCELED, S.PARTIALLY_FILLED), (S.EXPIRED, S.PARTIALLY_FILLED), (S.FILLED, S.PARTIALLY_FILLED)}
)
# Not absorbed on purpose: LIVE for an order we hold closed (it may be resting): an anomaly.


def transition_allowed(old: OrderStatus, new: OrderStatus) -> bool:
    return old is new or new in TRANSITIONS[old]


class OrderState(msgspec.Struct, WithTerms, frozen=True, kw_only=True):
    """One of our orders, with the `terms` it was submitted with. `filled_e6` counts applied
    (non-failed) fills; `venue_matched_e6` is the venue's cumulative `size_matched`; remaining uses
    the larger so a fill reported either way first frees the reservation at once."""

    order_id: str
    client_req_id: str
    condition_id: str
    terms: OrderTerms
    status: OrderStatus
    created_ms: int
    updated_ms: int
    filled_e6: int = 0
    venue_matched_e6: int = 0
    cancel_requested_ms: int | None = None
    reject_reason: str = ""

    @property
    def matched_e6(self) -> int:
        return max(self.filled_e6, self.venue_matched_e6)

    @property
    def remaining_e6(self) -> int:
        return max(0, self.size_e6 - self.matched_e6)

    @property
    def working(self) -> bool:
        return self.status in WORKING

    @property
    def slot(self) -> str:
        """The decision slot this order fills (`client_req_id` is `"<hour>:<n>:<slot>"`)."""
        return self.client_req_id.rsplit(":", 1)[-1]

    def reserved_usdc_e6(self) -> int:
        """Collateral locked by a working BUY: price times the unfilled size."""
        if self.side is Side.BUY and self.status in WORKING:
            return notional_e6(self.price_e4, self.remaining_e6)
        return 0

    def reserved_shares_e6(self) -> int:
        """Shares locked by a working SELL."""
        if self.side is Side.SELL and self.status in WORKING:
            return self.remaining_e6
        return 0


def fill_status(order: OrderState, matched_e6: int) -> OrderStatus:
    """Status implied by the cumulative matched size, for an order that is still open."""
    if order.size_e6 - matched_e6 < DUST_E6:
        return S.FILLED
    if order.status is S.PENDING_CANCEL:
        return S.PENDING_CANCEL
    return S.PARTIALLY_FILLED if matched_e6 > 0 else S.LIVE
