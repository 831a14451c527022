"""What the CLOB engine tells the outside world: frozen records the edges turn into the venue's
wire messages (`messages.py`) and push to websocket subscribers. Times are scenario ms."""

from __future__ import annotations

import msgspec


class MarketSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One hourly Up/Down market as listed on Gamma and traded on the CLOB."""

    condition_id: str
    question_id: str
    up_token: str
    down_token: str
    slug: str
    title: str
    start_ms: int
    end_ms: int
    listed_ms: int
    tick_u: int = 10_000
    min_size_u: int = 5_000_000
    fee_rate_e5: int = 0        # taker fee rate in 1e-5 (0.07 -> 7000); 0 = fees disabled
    fee_exponent: int = 1
    event_id: str = ""
    market_id: str = ""

    def token_ids(self) -> tuple[str, str]:
        return (self.up_token, self.down_token)


class MakerFill(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    owner: str
    maker_address: str
    matched_u: int
    price_u: int   # in the maker's own token
    token: int
    side: int


class TradeRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One match of a taker against the makers of one price level (one status at a time)."""

    trade_id: str
    market: str
    taker_order_id: str
    taker_owner: str
    taker_address: str
    token: int        # taker's token
    side: int         # taker's side
    size_u: int       # taker's shares
    price_u: int      # taker's price (the level, in the taker's token)
    fee_rate_bps: int
    makers: tuple[MakerFill, ...]
    status: str
    match_ms: int
    last_update_ms: int
    tx_hash: str
    bucket_index: int = 0


class OrderSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    owner: str
    maker_address: str
    market: str
    token: int
    side: int
    price_u: int
    size_u: int
    matched_u: int
    order_type: str
    status: str
    expiration_s: int
    created_ms: int
    trade_ids: tuple[str, ...]


class OrderEvent(msgspec.Struct, frozen=True, kw_only=True, tag="order"):
    kind: str  # PLACEMENT | UPDATE | CANCELLATION
    order: OrderSnapshot
    ts_ms: int


class TradeEvent(msgspec.Struct, frozen=True, kw_only=True, tag="trade"):
    trade: TradeRecord
    ts_ms: int


class BookEvent(msgspec.Struct, frozen=True, kw_only=True, tag="book"):
    """Up-space level totals that changed, and the Up-space best bid/ask afterwards."""

    market: str
    changes: tuple[tuple[bool, int, int], ...]  # (is_bid, up_price_u, new_total_u)
    best_bid_u: int | None
    best_ask_u: int | None
    ts_ms: int


class LastTradeEvent(msgspec.Struct, frozen=True, kw_only=True, tag="last_trade"):
    market: str
    token: int
    price_u: int
    size_u: int
    side: int
    fee_rate_bps: int
    tx_hash: str
    ts_ms: int


class TickEvent(msgspec.Struct, frozen=True, kw_only=True, tag="tick"):
    market: str
    old_tick_u: int
    new_tick_u: int
    ts_ms: int


class ResolvedEvent(msgspec.Struct, frozen=True, kw_only=True, tag="resolved"):
    market: str
    winner: int
    ts_ms: int


VenueEvent = OrderEvent | TradeEvent | BookEvent | LastTradeEvent | TickEvent | ResolvedEvent
