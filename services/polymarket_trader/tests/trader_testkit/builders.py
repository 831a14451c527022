"""Builders with defaults and keyword overrides: `a_market()`, `a_snapshot(p=0.6)`, `a_fill(...)`.

Times: the default market is the hour starting `HOUR0` (2026-01-22T14:00Z); `at(minute)` is a
time inside it. Sizes in shares and prices as floats are converted to the core's integer units.
"""

from __future__ import annotations

from typing import Any

from hourmm_common.hours import HOUR_MS, hour_id
from hourmm_common.snapshot import BinanceSnapshot
from polymarket_trader.core.events import (
    BalancesSnapshot,
    CancelAllAckEvent,
    Channel,
    FeeSchedule,
    MarketBboEvent,
    MarketInfo,
    MarketSelected,
    OpenOrdersSnapshot,
    OrderEventKind,
    OrderSubmitted,
    OrderTerms,
    OrderType,
    RestOrderAckEvent,
    Side,
    Token,
    TradeFill,
    TradeRole,
    TradeStatus,
    UserOrderEvent,
    UserTradeEvent,
    VenueOrderStatus,
    WsConnected,
)

HOUR0 = 1_769_090_400_000  # 2026-01-22T14:00:00Z
MIN = 60_000


def split_terms(fields: dict[str, Any]) -> dict[str, Any]:
    """Flat keyword fields -> the same with the order's terms gathered into `terms: OrderTerms`
    (for builders of `PlaceOrder`, `OrderSubmitted`, `OrderSpec` with flat overrides)."""
    names = set(OrderTerms.__struct_fields__)
    rest = {k: v for k, v in fields.items() if k not in names}
    return rest | {"terms": OrderTerms(**{k: v for k, v in fields.items() if k in names})}


def at(minute: float, hour_start_ms: int = HOUR0) -> int:
    return hour_start_ms + int(minute * MIN)


def e4(price: float) -> int:
    return round(price * 10_000)


def e6(shares: float) -> int:
    return round(shares * 1_000_000)


def a_market(hour_start_ms: int = HOUR0, **kw: Any) -> MarketInfo:
    n = hour_start_ms // HOUR_MS
    base: dict[str, Any] = dict(
        condition_id=f"0xcond{n}", question="Bitcoin Up or Down?", slug=f"btc-up-or-down-{n}",
        hour_start_ms=hour_start_ms, hour_end_ms=hour_start_ms + HOUR_MS, up_token_id=f"up{n}",
        down_token_id=f"down{n}", tick_e4=100, min_size_e6=e6(5), neg_risk=False,
        fees=FeeSchedule(enabled=True, rate_bps=700, exponent=1))
    base.update(kw)
    return MarketInfo(**base)


def a_snapshot(p: float | None = 0.55, *, now_ms: int | None = None, seq: int = 1, stale: bool = False,
               band: float = 0.02, hour_start_ms: int = HOUR0) -> BinanceSnapshot:
    now = now_ms if now_ms is not None else at(5, hour_start_ms)
    return BinanceSnapshot(
        seq=seq, ts_local_ms=now, ts_exchange_ms=now - 5, age_ms=5, stale=stale, hour_id=hour_id(hour_start_ms),
        hour_start_ts_ms=hour_start_ms, hour_end_ts_ms=hour_start_ms + HOUR_MS,
        t_remaining_ms=max(0, min(HOUR_MS, hour_start_ms + HOUR_MS - now)), open_price=100_000.0,
        last_trade_price=100_100.0, bbo_bid=100_099.0, bbo_ask=100_101.0, mid=100_100.0, features={},
        p_yes_fair=p, p_yes_band_lo=None if p is None else max(0.0, p - band),
        p_yes_band_hi=None if p is None else min(1.0, p + band))


def a_submit(order_id: str = "0xo1", *, ts: int | None = None, client_req_id: str | None = None,
             token: Token = Token.UP, side: Side = Side.BUY, price: float = 0.5, size: float = 10,
             expiration_s: int | None = None, order_type: OrderType = OrderType.GTD) -> OrderSubmitted:
    t = ts if ts is not None else at(5)
    exp = expiration_s if expiration_s is not None else (0 if order_type is OrderType.FAK else (HOUR0 + HOUR_MS) // 1000)
    return OrderSubmitted(ts_local_ms=t, client_req_id=client_req_id or f"x:0:{order_id}", order_id=order_id,
                          terms=OrderTerms(token=token, side=side, price_e4=e4(price), size_e6=e6(size),
                                           expiration_s=exp, post_only=order_type is OrderType.GTD,
                                           order_type=order_type))


def an_ack(order_id: str = "0xo1", *, ts: int | None = None, status: VenueOrderStatus = VenueOrderStatus.LIVE,
           client_req_id: str = "") -> RestOrderAckEvent:
    return RestOrderAckEvent(ts_local_ms=ts if ts is not None else at(5), client_req_id=client_req_id,
                             order_id=order_id, venue_status=status)


def a_user_order(order_id: str = "0xo1", *, ts: int | None = None, kind: OrderEventKind = OrderEventKind.UPDATE,
                 status: VenueOrderStatus = VenueOrderStatus.MATCHED, token: Token = Token.UP,
                 side: Side = Side.BUY, price: float = 0.5, size: float = 10, matched: float = 0) -> UserOrderEvent:
    return UserOrderEvent(ts_local_ms=ts if ts is not None else at(5), order_id=order_id, kind=kind, status=status,
                          token=token, side=side, price_e4=e4(price), original_size_e6=e6(size),
                          size_matched_e6=e6(matched))


def a_fill(order_id: str = "0xo1", *, trade_id: str = "t1", token: Token = Token.UP, side: Side = Side.BUY,
           price: float = 0.5, size: float = 4, role: TradeRole = TradeRole.MAKER) -> TradeFill:
    return TradeFill(trade_id=trade_id, order_id=order_id, token=token, side=side, price_e4=e4(price),
                     size_e6=e6(size), role=role)


def a_user_trade(*fills: TradeFill, trade_id: str | None = None, status: TradeStatus = TradeStatus.MATCHED,
                 ts: int | None = None) -> UserTradeEvent:
    fs = fills or (a_fill(),)
    return UserTradeEvent(ts_local_ms=ts if ts is not None else at(5), trade_id=trade_id or fs[0].trade_id,
                          status=status, fills=tuple(fs))


def a_bbo(token: Token = Token.UP, bid: float | None = 0.45, ask: float | None = 0.65, *,
          ts: int | None = None) -> MarketBboEvent:
    return MarketBboEvent(ts_local_ms=ts if ts is not None else at(5), token=token,
                          best_bid_e4=None if bid is None else e4(bid), best_ask_e4=None if ask is None else e4(ask),
                          bid_size_e6=e6(100), ask_size_e6=e6(100))


def boot_events(market: MarketInfo | None = None, *, ts: int | None = None, usdc: float = 1_000,
                boot_req: str = "boot:1") -> list[Any]:
    """Market selected, both websockets up, boot reconcile answered: the trader is ACTIVE after these."""
    m = market or a_market()
    t = ts if ts is not None else at(1, m.hour_start_ms)
    return [
        MarketSelected(ts_local_ms=t, market=m),
        WsConnected(ts_local_ms=t, channel=Channel.USER, reconnect=False),
        WsConnected(ts_local_ms=t, channel=Channel.MARKET, reconnect=False),
        CancelAllAckEvent(ts_local_ms=t, client_req_id=boot_req, canceled=()),
        OpenOrdersSnapshot(ts_local_ms=t, condition_id=m.condition_id, orders=()),
        BalancesSnapshot(ts_local_ms=t, usdc_e6=e6(usdc), up_e6=0, down_e6=0, condition_id=m.condition_id),
    ]
