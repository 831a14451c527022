"""The backtest's stand-in for the trader's websocket and REST edges: venue records <-> core events.

In production `wire.py` and the websocket clients turn the venue's JSON into `core.events`; here
the venue runs in the same process, so its typed records (`clob_events`) are translated directly,
with the same meaning: our orders' updates (`UserOrderEvent`), our legs of each trade
(`UserTradeEvent` with `TradeFill`s, once per status report), the top of book of both tokens
(`MarketBboEvent`), tick changes, last trades and resolution. Units: the venue's micro units
(1e-6) become the core's `_e4` prices and `_e6` sizes. Pure.
"""

from __future__ import annotations

from hourmm_sim.polymarket.clob import Clob
from hourmm_sim.polymarket.clob_events import (
    BookEvent,
    LastTradeEvent,
    MarketSpec,
    OrderEvent,
    ResolvedEvent,
    TickEvent,
    TradeEvent,
    VenueEvent,
)
from hourmm_sim.polymarket.matching import BUY, UP
from polymarket_trader.core.events import (
    Event,
    FeeSchedule,
    LastTradePriceEvent,
    MarketBboEvent,
    MarketInfo,
    MarketStatus,
    MarketStatusEvent,
    OrderEventKind,
    Side,
    TickSizeChangedEvent,
    Token,
    TradeFill,
    TradeRole,
    TradeStatus,
    UserOrderEvent,
    UserTradeEvent,
    VenueOrderStatus,
)

U_PER_E4 = 100  # micro units (1e-6) per 1e-4: 1 pUSD = 1e4 e4 = 1e6 u


def token_of(index: int) -> Token:
    return Token.UP if index == UP else Token.DOWN


def side_of(index: int) -> Side:
    return Side.BUY if index == BUY else Side.SELL


def market_info(spec: MarketSpec, tick_u: int) -> MarketInfo:
    return MarketInfo(
        condition_id=spec.condition_id, question=spec.title, slug=spec.slug, hour_start_ms=spec.start_ms,
        hour_end_ms=spec.end_ms, up_token_id=spec.up_token, down_token_id=spec.down_token,
        tick_e4=tick_u // U_PER_E4, min_size_e6=spec.min_size_u, neg_risk=False,
        fees=FeeSchedule(enabled=spec.fee_rate_e5 > 0, rate_bps=spec.fee_rate_e5 // 10, exponent=spec.fee_exponent),
    )


def _status(text: str) -> VenueOrderStatus:
    if text.startswith("CANCELED") and text != "CANCELED_MARKET_RESOLVED":
        return VenueOrderStatus.CANCELED
    try:
        return VenueOrderStatus(text)
    except ValueError:
        return VenueOrderStatus.UNKNOWN


def bbo_events(clob: Clob, market: str, ts_ms: int) -> list[Event]:
    """Top of book of both tokens as the market channel would publish it after a change."""
    book = clob.markets[market].book
    out: list[Event] = []
    for index in (0, 1):
        bids, asks = book.token_depth(index)
        out.append(MarketBboEvent(
            ts_local_ms=ts_ms, token=token_of(index),
            best_bid_e4=bids[0][0] // U_PER_E4 if bids else None, best_ask_e4=asks[0][0] // U_PER_E4 if asks else None,
            bid_size_e6=bids[0][1] if bids else 0, ask_size_e6=asks[0][1] if asks else 0, ts_exchange_ms=ts_ms))
    return out


def to_core_events(ev: VenueEvent, clob: Clob, api_key: str, active: str | None, ts_local_ms: int) -> list[Event]:
    """The events our trader would receive for one venue record (often none: not ours, not our market)."""
    if type(ev) is OrderEvent:
        o = ev.order
        if o.owner != api_key:
            return []
        return [UserOrderEvent(
            ts_local_ms=ts_local_ms, order_id=o.order_id, kind=OrderEventKind(ev.kind), status=_status(o.status),
            token=token_of(o.token), side=side_of(o.side), price_e4=o.price_u // U_PER_E4, original_size_e6=o.size_u,
            size_matched_e6=o.matched_u, expiration_s=o.expiration_s, ts_exchange_ms=ev.ts_ms)]
    if type(ev) is TradeEvent:
        t = ev.trade
        fills: list[TradeFill] = []
        if t.taker_owner == api_key:
            fills.append(TradeFill(trade_id=t.trade_id, order_id=t.taker_order_id, token=token_of(t.token),
                                   side=side_of(t.side), price_e4=t.price_u // U_PER_E4, size_e6=t.size_u,
                                   role=TradeRole.TAKER, fee_rate_bps=t.fee_rate_bps))
        fills.extend(TradeFill(trade_id=t.trade_id, order_id=m.order_id, token=token_of(m.token), side=side_of(m.side),
                               price_e4=m.price_u // U_PER_E4, size_e6=m.matched_u, role=TradeRole.MAKER)
                     for m in t.makers if m.owner == api_key)
        if not fills:
            return []
        return [UserTradeEvent(ts_local_ms=ts_local_ms, trade_id=t.trade_id, status=TradeStatus(t.status),
                               fills=tuple(fills), ts_exchange_ms=ev.ts_ms)]
    if type(ev) is BookEvent:
        return bbo_events(clob, ev.market, ts_local_ms) if ev.market == active else []
    if type(ev) is TickEvent:
        if ev.market != active:
            return []
        return [TickSizeChangedEvent(ts_local_ms=ts_local_ms, token=tok, old_tick_e4=ev.old_tick_u // U_PER_E4,
                                     new_tick_e4=ev.new_tick_u // U_PER_E4, ts_exchange_ms=ev.ts_ms)
                for tok in (Token.UP, Token.DOWN)]
    if type(ev) is LastTradeEvent:
        if ev.market != active:
            return []
        return [LastTradePriceEvent(ts_local_ms=ts_local_ms, token=token_of(ev.token), price_e4=ev.price_u // U_PER_E4,
                                    size_e6=ev.size_u, aggressor=side_of(ev.side), ts_exchange_ms=ev.ts_ms)]
    if type(ev) is ResolvedEvent:
        return [MarketStatusEvent(ts_local_ms=ts_local_ms, condition_id=ev.market, status=MarketStatus.RESOLVED,
                                  winning_token=token_of(ev.winner))]
    return []


def price_u(price_e4: int) -> int:
    return price_e4 * U_PER_E4

