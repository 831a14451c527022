"""Every input the trader's reducer accepts, as frozen, wire-independent structs: the tagged union
`Event` and everything it is made of (import them all from here).

This is the contract between the edges (websocket clients, REST executor, snapshot poller,
scheduler, control plane, timers), which translate bytes into these events, and the pure core,
which folds them into `CanonicalState`. The definitions live by topic: units, enums and value
types (`OrderTerms` among them) in `vocabulary`, data-feed events in `feed_events`, order-flow
events in `execution_events`; the control, app and timer events and the union are here.

It is also the journal's schema: each event is stored under its tag and replayed through the same
reducer. A field is added with a default; a change of shape (a field moved, renamed or removed,
as when `OrderSubmitted`'s terms moved into `terms: OrderTerms`) makes older journals unreadable
and goes together with the journal's format version (`journal_sqlite`).

Each event carries `ts_local_ms` (stamped by the edge on receipt, from the injected clock) and,
where the venue gives one, `ts_exchange_ms`.
"""

from __future__ import annotations

from hourmm_common.enums import RiskMode
from polymarket_trader.core.execution_events import (
    BalancesSnapshot,
    CancelAckEvent,
    CancelAllAckEvent,
    CancelAllRequested,
    CancelRequested,
    HeartbeatStatusEvent,
    OpenOrdersSnapshot,
    OrderSubmitted,
    RestErrorEvent,
    RestOrderAckEvent,
    RestOrderRejected,
)
from polymarket_trader.core.feed_events import (
    BinanceSnapshotEvent,
    LastTradePriceEvent,
    MarketBboEvent,
    MarketSelected,
    MarketStatusEvent,
    MarketUnavailable,
    SessionRolloverEvent,
    SnapshotUnavailable,
    TickSizeChangedEvent,
    UserOrderEvent,
    UserTradeEvent,
    WsConnected,
    WsDisconnected,
)
from polymarket_trader.core.vocabulary import (
    PRICE_SCALE,
    SIZE_SCALE,
    USDC_SCALE,
    BookLevel,
    Channel,
    ControlKind,
    EventBase,
    FeeSchedule,
    LimitsUpdate,
    MarketInfo,
    MarketStatus,
    OrderEventKind,
    OrderTerms,
    OrderType,
    RestFailure,
    RestOp,
    Side,
    Token,
    TradeFill,
    TradeRole,
    TradeStatus,
    VenueOpenOrder,
    VenueOrderStatus,
    WithTerms,
    notional_e6,
)

# From the control plane ------------------------------------------------------------------------


class ControlCommandEvent(EventBase, tag="control_command", frozen=True):
    kind: ControlKind
    mode: RiskMode | None = None  # SET_MODE
    limits: LimitsUpdate | None = None  # SET_LIMITS
    reason: str = ""
    request_id: str = ""


# From the app ----------------------------------------------------------------------------------


class BootStarted(EventBase, tag="boot_started", frozen=True):
    """The process (re)started: back to BOOT_SYNC (cancel-all, open orders, balances) before quoting.

    The app puts it first into the inbox after restoring the journal; a replay of a journal that
    contains it goes through the same boot path.
    """

    reason: str = "process_start"


# From timers -----------------------------------------------------------------------------------


class ReducerTickEvent(EventBase, tag="reducer_tick", frozen=True):
    """Periodic time input: session timers, staleness and stabilisation windows advance on it."""

    now_ms: int


Event = (
    BinanceSnapshotEvent
    | SnapshotUnavailable
    | MarketSelected
    | MarketUnavailable
    | SessionRolloverEvent
    | MarketStatusEvent
    | MarketBboEvent
    | TickSizeChangedEvent
    | LastTradePriceEvent
    | UserOrderEvent
    | UserTradeEvent
    | WsConnected
    | WsDisconnected
    | OrderSubmitted
    | RestOrderAckEvent
    | RestOrderRejected
    | CancelRequested
    | CancelAllRequested
    | CancelAckEvent
    | CancelAllAckEvent
    | RestErrorEvent
    | OpenOrdersSnapshot
    | BalancesSnapshot
    | HeartbeatStatusEvent
    | ControlCommandEvent
    | ReducerTickEvent
    | BootStarted
)
"""The tagged union the reducer matches on (`case _: assert_never(event)`)."""

__all__ = [
    "BalancesSnapshot",
    "BinanceSnapshotEvent",
    "BookLevel",
    "BootStarted",
    "CancelAckEvent",
    "CancelAllAckEvent",
    "CancelAllRequested",
    "CancelRequested",
    "Channel",
    "ControlCommandEvent",
    "ControlKind",
    "Event",
    "EventBase",
    "FeeSchedule",
    "HeartbeatStatusEvent",
    "LastTradePriceEvent",
    "LimitsUpdate",
    "MarketBboEvent",
    "MarketInfo",
    "MarketSelected",
    "MarketStatus",
    "MarketStatusEvent",
    "MarketUnavailable",
    "OpenOrdersSnapshot",
    "OrderEventKind",
    "OrderSubmitted",
    "OrderTerms",
    "OrderType",
    "PRICE_SCALE",
    "ReducerTickEvent",
    "RestErrorEvent",
    "RestFailure",
    "RestOp",
    "RestOrderAckEvent",
    "RestOrderRejected",
    "SIZE_SCALE",
    "SessionRolloverEvent",
    "Side",
    "SnapshotUnavailable",
    "TickSizeChangedEvent",
    "Token",
    "TradeFill",
    "TradeRole",
    "TradeStatus",
    "USDC_SCALE",
    "UserOrderEvent",
    "UserTradeEvent",
    "VenueOpenOrder",
    "VenueOrderStatus",
    "WithTerms",
    "WsConnected",
    "WsDisconnected",
    "notional_e6",
]
