"""Events from the data feeds: container A's snapshots, the market scheduler, both websockets.

Part of the tagged union `core.events.Event` (import them from there); the journal-format rules
stated there apply.
"""

from __future__ import annotations

from hourmm_common.snapshot import BinanceSnapshot
from polymarket_trader.core.vocabulary import (
    Channel,
    EventBase,
    MarketInfo,
    MarketStatus,
    OrderEventKind,
    Side,
    Token,
    TradeFill,
    TradeStatus,
    VenueOrderStatus,
)

# From the snapshot poller ----------------------------------------------------------------------


class BinanceSnapshotEvent(EventBase, tag="binance_snapshot", frozen=True):
    """A new, validated snapshot from container A (older or equal `seq` never reaches the reducer)."""

    snapshot: BinanceSnapshot


class SnapshotUnavailable(EventBase, tag="snapshot_unavailable", frozen=True):
    """Container A could not be read (unreachable, malformed answer): the fair value is stale."""

    reason: str


# From the market scheduler ---------------------------------------------------------------------


class MarketSelected(EventBase, tag="market_selected", frozen=True):
    """The verified market for an hour (the current one, or the next one ahead of the roll)."""

    market: MarketInfo


class MarketUnavailable(EventBase, tag="market_unavailable", frozen=True):
    """No market fits the hour: the trader stays flat. `reason` says why, for health and logs."""

    hour_start_ms: int
    reason: str


class SessionRolloverEvent(EventBase, tag="session_rollover", frozen=True):
    """The scheduler moves the trader from one hour's market to the next one."""

    hour_start_ms: int


class MarketStatusEvent(EventBase, tag="market_status", frozen=True):
    condition_id: str
    status: MarketStatus
    winning_token: Token | None = None


# From the market websocket ---------------------------------------------------------------------


class MarketBboEvent(EventBase, tag="market_bbo", frozen=True):
    """Top of book of one token after a book snapshot or a price change (maintained by the edge)."""

    token: Token
    best_bid_e4: int | None
    best_ask_e4: int | None
    bid_size_e6: int = 0
    ask_size_e6: int = 0
    ts_exchange_ms: int | None = None


class TickSizeChangedEvent(EventBase, tag="tick_size_changed", frozen=True):
    token: Token
    old_tick_e4: int
    new_tick_e4: int
    ts_exchange_ms: int | None = None


class LastTradePriceEvent(EventBase, tag="last_trade_price", frozen=True):
    token: Token
    price_e4: int
    size_e6: int
    aggressor: Side
    ts_exchange_ms: int | None = None


# From the user websocket (and REST reconciliation of the same facts) ---------------------------


class UserOrderEvent(EventBase, tag="user_order", frozen=True):
    order_id: str
    kind: OrderEventKind
    status: VenueOrderStatus
    token: Token
    side: Side
    price_e4: int
    original_size_e6: int
    size_matched_e6: int
    expiration_s: int = 0
    ts_exchange_ms: int | None = None


class UserTradeEvent(EventBase, tag="user_trade", frozen=True):
    """One status report of one venue trade, with the fills in it that are ours (one or more).

    The same trade arrives again for every status change (MATCHED -> MINED -> CONFIRMED, maybe
    RETRYING, or FAILED), possibly duplicated, out of order, or first seen after MATCHED. Fills
    count once per (trade_id, order_id) on first sight and are reversed if the trade FAILS.
    """

    trade_id: str
    status: TradeStatus
    fills: tuple[TradeFill, ...]
    ts_exchange_ms: int | None = None


# Connection state ------------------------------------------------------------------------------


class WsConnected(EventBase, tag="ws_connected", frozen=True):
    channel: Channel
    reconnect: bool  # False for the first connection of the process; True after any drop


class WsDisconnected(EventBase, tag="ws_disconnected", frozen=True):
    channel: Channel
    reason: str
