"""The words the trader's events are made of: units, enums, value types, `OrderTerms`.

Units (house style rule 10): prices are integers in 1e-4 pUSD per share (`_e4`; the finest tick
Polymarket allows is 0.0001), sizes integers in 1e-6 shares (`_e6`, the on-chain unit), money
integers in 1e-6 pUSD (`usdc_e6`). `price_e4 * size_e6 // 10_000` is the pUSD value in `_e6`,
exact for every price on the grid and every size with up to 6 decimals. Times are Unix ms.

Everything here is also journaled (inside events, effects, decisions and state snapshots), so the
journal-format rules of `core.events` apply to it. Import these names from `core.events`.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

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


class LimitsUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """Operator-set limits; None leaves a limit unchanged. Validated by the control plane edge."""

    max_reserved_usdc_e6: int | None = None
    max_order_size_e6: int | None = None
    max_open_orders: int | None = None
    max_position_e6: int | None = None
    max_loss_per_hour_usdc_e6: int | None = None


class OrderTerms(msgspec.Struct, frozen=True, kw_only=True):
    """What an order is, once: the terms the decision asks for (`PlaceOrder`), the executor signs
    and announces (`OrderSubmitted`) and the reducer tracks (`OrderState`). Each of those embeds
    this struct, so no edge copies the fields by hand. GTD for every resting quote (post-only,
    expiration = hour cutoff + 60 s); FAK only for marketable flatten orders (expiration 0, not
    post-only)."""

    token: Token
    side: Side
    price_e4: int
    size_e6: int
    expiration_s: int  # Unix s; 0 for FAK
    post_only: bool = True
    order_type: OrderType = OrderType.GTD


class WithTerms:
    """Read-through properties for a struct that embeds `terms: OrderTerms`, so code that reads an
    order (`o.price_e4`) does not care whether it holds an intent, an event or a state."""

    __slots__ = ()
    terms: OrderTerms

    @property
    def token(self) -> Token:
        return self.terms.token

    @property
    def side(self) -> Side:
        return self.terms.side

    @property
    def price_e4(self) -> int:
        return self.terms.price_e4

    @property
    def size_e6(self) -> int:
        return self.terms.size_e6

    @property
    def expiration_s(self) -> int:
        return self.terms.expiration_s

    @property
    def post_only(self) -> bool:
        return self.terms.post_only

    @property
    def order_type(self) -> OrderType:
        return self.terms.order_type


class EventBase(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """What every event carries: its tag (the union's discriminator, also the journal's) and the
    local time the edge stamped on receipt (from the injected clock)."""

    ts_local_ms: int
