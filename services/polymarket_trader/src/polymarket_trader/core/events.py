"""Every input the trader's reducer accepts, as frozen, wire-independent structs.

This is the contract between the edges (websocket clients, REST executor, snapshot poller,
scheduler, control plane, timers), which translate bytes into these events, and the pure core,
which folds them into `CanonicalState`. It is also the journal's schema: each event is stored
under its tag and replayed through the same reducer, so a field is only ever added with a default,
never renamed or removed.

Units (house style rule 10): prices are integers in 1e-4 pUSD per share (`_e4`; the finest tick
Polymarket allows is 0.0001), sizes integers in 1e-6 shares (`_e6`, the on-chain unit), money
integers in 1e-6 pUSD (`usdc_e6`). `price_e4 * size_e6 // 10_000` is the pUSD value in `_e6`,
exact for every price on the grid and every size with up to 6 decimals. Times are Unix ms; each
event carries `ts_local_ms` (stamped by the edge on receipt, from the injected clock) and, where
the venue gives one, `ts_exchange_ms`.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from hourmm_common.enums import RiskMode
from hourmm_common.snapshot import BinanceSnapshot

PRICE_SCALE = 10_000  # price_e4 units per 1 pUSD
SIZE_SCALE = 1_000_000  # size_e6 units per share
USDC_SCALE = 1_000_000  # usdc_e6 units per pUSD


def notional_e6(price_e4: int, size_e6: int) -> int:
    """pUSD value (e6) of `size_e6` shares at `price_e4`: exact on the price grid."""
    return price_e4 * size_e6 // PRICE_SCALE


# ---------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class Token(StrEnum):
    """The two outcome tokens of an hourly market. UP is the YES token."""

    UP = "UP"
    DOWN = "DOWN"


class OrderType(StrEnum):
    """GTD for every resting quote (expiration = hour cutoff + 60 s); FAK only for marketable
    flatten orders near the end, which can never rest on the book."""

    GTD = "GTD"
    FAK = "FAK"


class Channel(StrEnum):
    MARKET = "MARKET"
    USER = "USER"


class OrderEventKind(StrEnum):
    PLACEMENT = "PLACEMENT"
    UPDATE = "UPDATE"
    CANCELLATION = "CANCELLATION"


class VenueOrderStatus(StrEnum):
    """Order status as the venue reports it, normalised (`CANCELED_<reason>` -> CANCELED)."""

    LIVE = "LIVE"
    MATCHED = "MATCHED"
    DELAYED = "DELAYED"
    UNMATCHED = "UNMATCHED"
    CANCELED = "CANCELED"
    CANCELED_MARKET_RESOLVED = "CANCELED_MARKET_RESOLVED"
    INVALID = "INVALID"
    UNKNOWN = "UNKNOWN"  # a status text we do not recognise (counted by the edge)


class TradeStatus(StrEnum):
    MATCHED = "MATCHED"
    MINED = "MINED"
    CONFIRMED = "CONFIRMED"
    RETRYING = "RETRYING"
    FAILED = "FAILED"


class TradeRole(StrEnum):
    MAKER = "MAKER"
    TAKER = "TAKER"


class MarketStatus(StrEnum):
    OPEN = "OPEN"  # tradable: active, not closed, order book enabled, accepting orders
    NOT_ACCEPTING = "NOT_ACCEPTING"  # listed but not accepting orders (before open, cancel-only)
    CLOSED = "CLOSED"  # trading over, awaiting resolution
    RESOLVED = "RESOLVED"  # winner known


class RestOp(StrEnum):
    PLACE = "PLACE"
    CANCEL = "CANCEL"
    CANCEL_ALL = "CANCEL_ALL"
    CANCEL_MARKET = "CANCEL_MARKET"
    OPEN_ORDERS = "OPEN_ORDERS"
    BALANCES = "BALANCES"
    TRADES = "TRADES"
    HEARTBEAT = "HEARTBEAT"


class RestFailure(StrEnum):
    """Why a REST call did not produce a proven answer. All of these leave the outcome UNKNOWN."""

    TIMEOUT = "TIMEOUT"
    NETWORK = "NETWORK"
    SERVER_ERROR = "SERVER_ERROR"  # 5xx
    RATE_LIMITED = "RATE_LIMITED"  # 429
    CANCEL_ONLY = "CANCEL_ONLY"  # 503 "Trading is currently cancel-only"
    TRADING_DISABLED = "TRADING_DISABLED"  # 503 "Trading is currently disabled"
    UNAUTHORIZED = "UNAUTHORIZED"  # 401: credentials or clock skew; never retried blindly
    BAD_RESPONSE = "BAD_RESPONSE"  # a 2xx we could not decode


class ControlKind(StrEnum):
    PAUSE_QUOTING = "PAUSE_QUOTING"
    RESUME_QUOTING = "RESUME_QUOTING"
    SET_MODE = "SET_MODE"
    FLATTEN_NOW = "FLATTEN_NOW"
    SET_LIMITS = "SET_LIMITS"


# ---------------------------------------------------------------------------------------------
# Value types carried by events
# ---------------------------------------------------------------------------------------------


class FeeSchedule(msgspec.Struct, frozen=True, kw_only=True):
    """Taker fee `fee = size * rate * (p * (1 - p)) ** exponent` (pUSD); makers pay none."""

    enabled: bool
    rate_bps: int  # e.g. 0.07 -> 700
    exponent: int = 1
    taker_only: bool = True


class MarketInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One hourly market, verified from Gamma (and the CLOB) before the trader may quote it."""

    condition_id: str
    question: str
    slug: str
    hour_start_ms: int  # eventStartTime == Binance 1h candle open time
    hour_end_ms: int  # endDate
    up_token_id: str
    down_token_id: str
    tick_e4: int  # orderPriceMinTickSize (initial; changes arrive as TickSizeChanged)
    min_size_e6: int  # orderMinSize
    neg_risk: bool
    fees: FeeSchedule
    accepting_orders: bool = True

    def token_id(self, token: Token) -> str:
        return self.up_token_id if token is Token.UP else self.down_token_id

    def token_of(self, token_id: str) -> Token | None:
        if token_id == self.up_token_id:
            return Token.UP
        if token_id == self.down_token_id:
            return Token.DOWN
        return None


class BookLevel(msgspec.Struct, frozen=True, kw_only=True):
    price_e4: int
    size_e6: int


class VenueOpenOrder(msgspec.Struct, frozen=True, kw_only=True):
    """One order as the venue's open-orders query lists it (reconciliation input)."""

    order_id: str
    token: Token
    side: Side
    price_e4: int
    original_size_e6: int
    size_matched_e6: int
    expiration_s: int  # 0 = none
    created_ms: int


class TradeFill(msgspec.Struct, frozen=True, kw_only=True):
    """One of our fills inside a venue trade, attributed by the edge (taker or one of the makers)."""

    trade_id: str
    order_id: str  # our order (taker_order_id, or our entry in maker_orders)
    token: Token  # the token our order traded (for a complement match: our order's token)
    side: Side  # our order's side
    price_e4: int  # our order's price
    size_e6: int  # our matched size in this trade
    role: TradeRole
    fee_rate_bps: int = 0


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------


class _Event(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    ts_local_ms: int


# From the snapshot poller ----------------------------------------------------------------------


class BinanceSnapshotEvent(_Event, tag="binance_snapshot", frozen=True):
    """A new, validated snapshot from container A (older or equal `seq` never reaches the reducer)."""

    snapshot: BinanceSnapshot


class SnapshotUnavailable(_Event, tag="snapshot_unavailable", frozen=True):
    """Container A could not be read (unreachable, malformed answer): the fair value is stale."""

    reason: str


# From the market scheduler ---------------------------------------------------------------------


class MarketSelected(_Event, tag="market_selected", frozen=True):
    """The verified market for an hour (the current one, or the next one ahead of the roll)."""

    market: MarketInfo


class MarketUnavailable(_Event, tag="market_unavailable", frozen=True):
    """No market fits the hour: the trader stays flat. `reason` says why, for health and logs."""

    hour_start_ms: int
    reason: str


class SessionRolloverEvent(_Event, tag="session_rollover", frozen=True):
    """The scheduler moves the trader from one hour's market to the next one."""

    hour_start_ms: int


class MarketStatusEvent(_Event, tag="market_status", frozen=True):
    condition_id: str
    status: MarketStatus
    winning_token: Token | None = None


# From the market websocket ---------------------------------------------------------------------


class MarketBboEvent(_Event, tag="market_bbo", frozen=True):
    """Top of book of one token after a book snapshot or a price change (maintained by the edge)."""

    token: Token
    best_bid_e4: int | None
    best_ask_e4: int | None
    bid_size_e6: int = 0
    ask_size_e6: int = 0
    ts_exchange_ms: int | None = None


class TickSizeChangedEvent(_Event, tag="tick_size_changed", frozen=True):
    token: Token
    old_tick_e4: int
    new_tick_e4: int
    ts_exchange_ms: int | None = None


class LastTradePriceEvent(_Event, tag="last_trade_price", frozen=True):
    token: Token
    price_e4: int
    size_e6: int
    aggressor: Side
    ts_exchange_ms: int | None = None


# From the user websocket (and REST reconciliation of the same facts) ---------------------------


class UserOrderEvent(_Event, tag="user_order", frozen=True):
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


class UserTradeEvent(_Event, tag="user_trade", frozen=True):
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


class WsConnected(_Event, tag="ws_connected", frozen=True):
    channel: Channel
    reconnect: bool  # False for the first connection of the process; True after any drop


class WsDisconnected(_Event, tag="ws_disconnected", frozen=True):
    channel: Channel
    reason: str


# From the executor: intent before IO, then the outcome -----------------------------------------


class OrderSubmitted(_Event, tag="order_submitted", frozen=True):
    """Written before the POST: the order exists for us from here on (its id is the order hash)."""

    client_req_id: str
    order_id: str
    token: Token
    side: Side
    price_e4: int
    size_e6: int
    expiration_s: int
    post_only: bool = True
    order_type: OrderType = OrderType.GTD


class RestOrderAckEvent(_Event, tag="rest_order_ack", frozen=True):
    client_req_id: str
    order_id: str
    venue_status: VenueOrderStatus  # live / matched / delayed


class RestOrderRejected(_Event, tag="rest_order_rejected", frozen=True):
    """The venue's answer proves the order was refused (never a timeout or a 5xx)."""

    client_req_id: str
    order_id: str
    reason: str
    post_only_cross: bool = False


class CancelRequested(_Event, tag="cancel_requested", frozen=True):
    client_req_id: str
    order_ids: tuple[str, ...]
    reason: str


class CancelAllRequested(_Event, tag="cancel_all_requested", frozen=True):
    client_req_id: str
    condition_id: str | None  # None = every market of the account
    reason: str


class CancelAckEvent(_Event, tag="cancel_ack", frozen=True):
    client_req_id: str
    canceled: tuple[str, ...]
    not_canceled: tuple[tuple[str, str], ...] = ()  # (order id, venue reason)


class CancelAllAckEvent(_Event, tag="cancel_all_ack", frozen=True):
    client_req_id: str
    canceled: tuple[str, ...]


class RestErrorEvent(_Event, tag="rest_error", frozen=True):
    """A REST call without a proven answer. For PLACE and CANCEL the order state becomes UNKNOWN."""

    client_req_id: str
    op: RestOp
    failure: RestFailure
    detail: str
    order_ids: tuple[str, ...] = ()


class OpenOrdersSnapshot(_Event, tag="open_orders_snapshot", frozen=True):
    """The venue's complete list of our open orders in a market (reconciliation truth)."""

    condition_id: str
    orders: tuple[VenueOpenOrder, ...]


class BalancesSnapshot(_Event, tag="balances_snapshot", frozen=True):
    """Venue balances: pUSD collateral and shares per token (reconciliation truth)."""

    usdc_e6: int
    up_e6: int
    down_e6: int
    condition_id: str | None = None


class HeartbeatStatusEvent(_Event, tag="heartbeat_status", frozen=True):
    """The dead-man switch: armed and acknowledged, or a beat failed (the venue may cancel all)."""

    ok: bool
    detail: str = ""


# From the control plane ------------------------------------------------------------------------


class LimitsUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """Operator-set limits; None leaves a limit unchanged. Validated by the control plane edge."""

    max_reserved_usdc_e6: int | None = None
    max_order_size_e6: int | None = None
    max_open_orders: int | None = None
    max_position_e6: int | None = None
    max_loss_per_hour_usdc_e6: int | None = None


class ControlCommandEvent(_Event, tag="control_command", frozen=True):
    kind: ControlKind
    mode: RiskMode | None = None  # SET_MODE
    limits: LimitsUpdate | None = None  # SET_LIMITS
    reason: str = ""
    request_id: str = ""


# From the app ----------------------------------------------------------------------------------


class BootStarted(_Event, tag="boot_started", frozen=True):
    """The process (re)started: back to BOOT_SYNC (cancel-all, open orders, balances) before quoting.

    The app puts it first into the inbox after restoring the journal; a replay of a journal that
    contains it goes through the same boot path.
    """

    reason: str = "process_start"


# From timers -----------------------------------------------------------------------------------


class ReducerTickEvent(_Event, tag="reducer_tick", frozen=True):
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
