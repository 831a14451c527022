"""The venue's wire, mirrored exactly: Polymarket field names, string numbers, optional keys.

Everything the trader reads from Polymarket (market and user websockets, CLOB REST answers,
Gamma listings) is decoded here into these structs with decoders built once, and nowhere else.
The translation into HourMM events (`core.events`) lives in `market_ws`, `user_ws`,
`gamma_client` and `rest_client`, as pure functions over these types; raw dicts never cross.

Websocket frames are one object or an array of objects and `event_type` may be absent, so each
channel decodes into one flat struct of optional fields and is classified by keys. Numbers arrive
as strings (sometimes `".48"`, sometimes bare numbers): `price_e4` / `size_e6` parse them exactly
(integer arithmetic, never float), and raise `ValueError` for anything not on the grid.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import msgspec

Num = str | int | float
"""A number as the venue sends it: normally a decimal string, sometimes a bare JSON number."""


# ---------------------------------------------------------------------------------------------
# Exact decimal parsing
# ---------------------------------------------------------------------------------------------


def fixed(value: Num, digits: int) -> int:
    """`value * 10**digits` as an exact non-negative int; ValueError if it is not representable."""
    scale = int(10**digits)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"negative number {value}")
        return value * scale
    text = repr(value) if isinstance(value, float) else value.strip()
    whole, dot, frac = text.partition(".")
    if (
        text.isascii()
        and (whole.isdigit() or (whole == "" and dot))
        and (frac.isdigit() or frac == "")
        and (whole or frac)
    ):
        if len(frac) > digits:
            if frac[digits:].strip("0"):
                raise ValueError(f"{text!r} has more than {digits} decimals")
            frac = frac[:digits]
        return int(whole or "0") * scale + int(frac.ljust(digits, "0") or "0")
    if not text.isascii():
        raise ValueError(f"{text!r} is not an ASCII decimal number")
    try:
        scaled = Decimal(text).scaleb(digits)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a decimal number") from exc
    if not scaled.is_finite() or scaled < 0 or scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} is not a non-negative number with at most {digits} decimals")
    return int(scaled)


_CACHE_MAX = 65_536
_PRICE_CACHE: dict[str, int] = {}
_SIZE_CACHE: dict[str, int] = {}


def _cached(value: Num, digits: int, cache: dict[str, int]) -> int:
    """`fixed` memoised on the text: books repeat the same few price and size strings constantly."""
    if type(value) is not str:
        return fixed(value, digits)
    hit = cache.get(value)
    if hit is None:
        hit = fixed(value, digits)  # raises for bad text, which is never cached
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[value] = hit
    return hit


def price_e4(value: Num) -> int:
    return _cached(value, 4, _PRICE_CACHE)


def price_e4_nearest(value: Num) -> int:
    """A price rounded to the nearest 1e-4: an order event of a market order reports its implied
    (worst) price, which may carry more decimals; fills take their prices from trade events."""
    try:
        return price_e4(value)
    except ValueError:
        try:
            scaled = Decimal(str(value)).scaleb(4).to_integral_value(rounding=ROUND_HALF_UP)
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not a decimal number") from exc
        if not scaled.is_finite() or scaled < 0:
            raise ValueError(f"{value!r} is not a non-negative price") from None
        return int(scaled)


def size_e6(value: Num) -> int:
    return _cached(value, 6, _SIZE_CACHE)


def e4_text(value_e4: int) -> str:
    """`5150` -> `"0.515"`: the shortest exact decimal text of a price (for logs and signing)."""
    whole, frac = divmod(value_e4, 10_000)
    return f"{whole}.{frac:04d}".rstrip("0").rstrip(".") if frac else str(whole)


def e6_text(value_e6: int) -> str:
    whole, frac = divmod(value_e6, 1_000_000)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)


def timestamp_ms(value: Num | None) -> int | None:
    """Venue timestamps are ms strings, sometimes seconds: told apart by magnitude. ISO -> None."""
    if value is None or value == "":
        return None
    try:
        number = int(value) if not isinstance(value, float) else int(value)
    except ValueError:
        return None
    return number * 1000 if number < 100_000_000_000 else number


# ---------------------------------------------------------------------------------------------
# Market websocket (wss://.../ws/market)
# ---------------------------------------------------------------------------------------------


class WireLevel(msgspec.Struct, frozen=True):
    price: Num
    size: Num


class WirePriceChange(msgspec.Struct, frozen=True):
    asset_id: str
    price: Num
    size: Num
    side: str
    hash: str | None = None
    best_bid: Num | None = None
    best_ask: Num | None = None


class MarketWsMsg(msgspec.Struct, frozen=True):
    """Any market-channel message: `book`, `price_change` (both shapes), `tick_size_change`,
    `last_trade_price`, `best_bid_ask`, `new_market`, `market_resolved`."""

    event_type: str | None = None
    asset_id: str | None = None
    market: str | None = None
    bids: list[WireLevel] | None = None
    asks: list[WireLevel] | None = None
    price_changes: list[WirePriceChange] | None = None
    price: Num | None = None
    size: Num | None = None
    side: str | None = None
    hash: str | None = None
    best_bid: Num | None = None
    best_ask: Num | None = None
    old_tick_size: Num | None = None
    new_tick_size: Num | None = None
    tick_size: Num | None = None
    fee_rate_bps: Num | None = None
    winning_asset_id: str | None = None
    timestamp: Num | None = None


MARKET_FRAME_DECODER = msgspec.json.Decoder(list[MarketWsMsg] | MarketWsMsg)


def classify_market(msg: MarketWsMsg) -> str:
    """The message kind, from `event_type` or, when absent, from the keys present."""
    if msg.event_type:
        return msg.event_type
    if msg.price_changes is not None:
        return "price_change"
    if msg.bids is not None or msg.asks is not None:
        return "book"
    if msg.new_tick_size is not None:
        return "tick_size_change"
    if msg.winning_asset_id is not None:
        return "market_resolved"
    if msg.best_bid is not None and msg.price is None:
        return "best_bid_ask"
    if msg.price is not None and msg.side is not None and msg.asset_id is not None:
        return "price_change" if msg.hash is not None else "last_trade_price"
    return "unknown"


# ---------------------------------------------------------------------------------------------
# User websocket (wss://.../ws/user) and REST /data/trades, /data/orders items
# ---------------------------------------------------------------------------------------------


class WireMakerOrder(msgspec.Struct, frozen=True):
    order_id: str
    matched_amount: Num
    price: Num
    asset_id: str
    maker_address: str = ""
    owner: str = ""
    fee_rate_bps: Num | None = None
    outcome: str | None = None
    side: str | None = None


class UserWsMsg(msgspec.Struct, frozen=True):
    """An `order` or `trade` message of the user channel (also a REST trade or order item)."""

    event_type: str | None = None
    type: str | None = None
    id: str = ""
    market: str = ""
    asset_id: str = ""
    side: str | None = None
    price: Num | None = None
    status: str | None = None
    owner: str | None = None
    maker_address: str | None = None
    timestamp: Num | None = None
    # order
    original_size: Num | None = None
    size_matched: Num | None = None
    expiration: Num | None = None
    order_type: str | None = None
    created_at: Num | None = None
    associate_trades: list[str] | None = None
    # trade
    taker_order_id: str | None = None
    size: Num | None = None
    trader_side: str | None = None
    maker_orders: list[WireMakerOrder] | None = None
    fee_rate_bps: Num | None = None
    match_time: Num | None = None
    last_update: Num | None = None


USER_FRAME_DECODER = msgspec.json.Decoder(list[UserWsMsg] | UserWsMsg)


def classify_user(msg: UserWsMsg) -> str:
    if msg.event_type:
        return msg.event_type
    if msg.taker_order_id is not None or msg.maker_orders is not None:
        return "trade"
    if msg.original_size is not None:
        return "order"
    return "unknown"


# ---------------------------------------------------------------------------------------------
# CLOB REST answers
# ---------------------------------------------------------------------------------------------


class PostOrderResponse(msgspec.Struct, frozen=True):
    success: bool = False
    orderID: str | None = None  # venue spelling
    errorMsg: str | None = None
    status: str | None = None
    makingAmount: Num | None = None
    takingAmount: Num | None = None
    transactionsHashes: list[str] | None = None
    tradeIDs: list[str] | None = None


class CancelResponse(msgspec.Struct, frozen=True):
    canceled: list[str] | None = None
    not_canceled: dict[str, str] | None = None


class OrdersPage(msgspec.Struct, frozen=True):
    data: list[UserWsMsg]
    next_cursor: str = "LTE="


class BalanceAllowance(msgspec.Struct, frozen=True):
    balance: Num
    allowance: Num | dict[str, Num] | None = None


class HeartbeatResponse(msgspec.Struct, frozen=True):
    heartbeat_id: str | None = None
    error: str | None = None


class ErrorBody(msgspec.Struct, frozen=True):
    error: str | None = None
    heartbeat_id: str | None = None


class TickSizeResponse(msgspec.Struct, frozen=True):
    minimum_tick_size: Num


class FeeRateResponse(msgspec.Struct, frozen=True):
    base_fee: Num


class ClobToken(msgspec.Struct, frozen=True):
    token_id: str
    outcome: str
    winner: bool | None = None


class ClobMarket(msgspec.Struct, frozen=True):
    """`GET /markets/{condition_id}`: the CLOB's own view, authoritative for trading."""

    condition_id: str
    tokens: list[ClobToken]
    minimum_tick_size: Num | None = None
    minimum_order_size: Num | None = None
    neg_risk: bool = False
    accepting_orders: bool = False
    closed: bool = False
    active: bool = True
    enable_order_book: bool = True
    end_date_iso: str | None = None


# ---------------------------------------------------------------------------------------------
# Gamma (https://gamma-api.polymarket.com)
# ---------------------------------------------------------------------------------------------


class GammaFeeSchedule(msgspec.Struct, frozen=True):
    rate: Num = 0
    exponent: Num = 1
    takerOnly: bool = True
    rebateRate: Num | None = None


class GammaSeries(msgspec.Struct, frozen=True):
    id: str | int | None = None
    slug: str | None = None
    ticker: str | None = None
    recurrence: str | None = None


class GammaMarket(msgspec.Struct, frozen=True):
    conditionId: str = ""
    question: str = ""
    slug: str = ""
    resolutionSource: str | None = None
    eventStartTime: str | None = None
    startDate: str | None = None
    endDate: str | None = None
    outcomes: str | list[str] | None = None
    clobTokenIds: str | list[str] | None = None
    active: bool | None = None
    closed: bool | None = None
    enableOrderBook: bool | None = None
    acceptingOrders: bool | None = None
    orderPriceMinTickSize: Num | None = None
    orderMinSize: Num | None = None
    negRisk: bool | None = None
    feesEnabled: bool | None = None
    feeSchedule: GammaFeeSchedule | None = None
    outcomePrices: str | list[str] | None = None


class GammaEvent(msgspec.Struct, frozen=True):
    id: str | int | None = None
    slug: str = ""
    title: str = ""
    startTime: str | None = None
    endDate: str | None = None
    resolutionSource: str | None = None
    series: list[GammaSeries] | None = None
    markets: list[GammaMarket] | None = None
    closed: bool | None = None


GAMMA_EVENTS_DECODER = msgspec.json.Decoder(list[GammaEvent])


class SignedOrderWire(msgspec.Struct, frozen=True):
    """The `order` object of `POST /order` (CLOB V2): what we send, and what the venue echoes."""

    salt: int
    maker: str
    signer: str
    tokenId: str
    makerAmount: str
    takerAmount: str
    side: str
    signatureType: int
    expiration: str
    timestamp: str
    metadata: str
    builder: str
    signature: str


SIGNED_ORDER_DECODER = msgspec.json.Decoder(SignedOrderWire)
