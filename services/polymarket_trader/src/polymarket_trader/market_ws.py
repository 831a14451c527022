"""The public market websocket: book, price changes, tick size, last trade -> reducer events.

In: frames from `wss://.../ws/market` (one object or an array; text `PONG` / `NO NEW ASSETS`).
Out: `MarketBboEvent` (only when a token's top of book changes), `TickSizeChangedEvent`,
`LastTradePriceEvent`, `MarketStatusEvent` (resolution), and `WsConnected` / `WsDisconnected`
so the reducer can HALT and cancel-all on a drop.

`MarketTranslator` is the pure part (frames in, events out, tested on the recorded fixtures); it
keeps one `core.book.L2Book` per token. The connection loop is `ws_channel.ChannelClient`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import msgspec

from hourmm_common.logs import get_logger
from polymarket_trader import wire
from polymarket_trader.core.book import EMPTY_TOP, L2Book, Top
from polymarket_trader.core.events import (
    Channel,
    Event,
    LastTradePriceEvent,
    MarketBboEvent,
    MarketInfo,
    MarketStatus,
    MarketStatusEvent,
    Side,
    TickSizeChangedEvent,
    Token,
)
from polymarket_trader.ws_channel import ChannelClient, drop_bad_message


class MarketTranslator:
    """Market-channel frames -> events for the current market's two tokens. Pure (no IO)."""

    def __init__(self) -> None:
        self.market: MarketInfo | None = None
        self._tokens: dict[str, Token] = {}
        self._books: dict[Token, L2Book] = {}
        self._tops: dict[Token, Top] = {}
        self.counts: Counter[str] = Counter()
        self._log = get_logger("market_ws")

    def set_market(self, market: MarketInfo | None) -> None:
        self.market = market
        self._tokens = {} if market is None else {market.up_token_id: Token.UP, market.down_token_id: Token.DOWN}
        self._books = {t: L2Book() for t in Token}
        self._tops = {t: EMPTY_TOP for t in Token}

    def book(self, token: Token) -> L2Book:
        return self._books[token]

    def frame_to_events(self, raw: str | bytes, ts_local_ms: int) -> list[Event]:
        try:
            decoded = wire.MARKET_FRAME_DECODER.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._bad("malformed_frame", str(exc), raw)
            return []
        msgs = decoded if isinstance(decoded, list) else [decoded]
        out: list[Event] = []
        for msg in msgs:
            try:
                self._one(msg, ts_local_ms, out)
            except ValueError as exc:
                self._bad("malformed_message", str(exc), msgspec.json.encode(msg))
        return out

    def _bad(self, key: str, reason: str, raw: str | bytes) -> None:
        drop_bad_message(self.counts, self._log, key, reason, raw)

    def _one(self, msg: wire.MarketWsMsg, ts: int, out: list[Event]) -> None:
        kind = wire.classify_market(msg)
        self.counts[f"msg_{kind}"] += 1
        if kind == "book":
            self._book(msg, ts, out)
        elif kind == "price_change":
            self._price_change(msg, ts, out)
        elif kind == "tick_size_change":
            self._tick_size_change(msg, ts, out)
        elif kind == "last_trade_price":
            token = self._token(msg.asset_id)
            if token is not None and msg.price is not None and msg.size is not None:
                out.append(LastTradePriceEvent(
                    ts_local_ms=ts, token=token, price_e4=wire.price_e4(msg.price),
                    size_e6=wire.size_e6(msg.size), aggressor=Side(_side(msg.side)),
                    ts_exchange_ms=wire.timestamp_ms(msg.timestamp)))
        elif kind == "market_resolved":
            if self.market is not None and msg.market == self.market.condition_id:
                out.append(MarketStatusEvent(
                    ts_local_ms=ts, condition_id=msg.market, status=MarketStatus.RESOLVED,
                    winning_token=self._tokens.get(msg.winning_asset_id or "")))
        elif kind in ("best_bid_ask", "new_market"):
            pass  # counted above; the BBO comes from our own book, new markets from Gamma
        else:
            self.counts["unknown_event_type"] += 1

    def _token(self, asset_id: str | None) -> Token | None:
        token = self._tokens.get(asset_id or "")
        if token is None:
            self.counts["other_asset"] += 1
        return token

    def _book(self, msg: wire.MarketWsMsg, ts: int, out: list[Event]) -> None:
        token = self._token(msg.asset_id)
        if token is None:
            return
        bids = [(wire.price_e4(lv.price), wire.size_e6(lv.size)) for lv in msg.bids or ()]
        asks = [(wire.price_e4(lv.price), wire.size_e6(lv.size)) for lv in msg.asks or ()]
        self._books[token].apply_snapshot(bids, asks)
        self._emit_top(token, ts, wire.timestamp_ms(msg.timestamp), out)

    def _price_change(self, msg: wire.MarketWsMsg, ts: int, out: list[Event]) -> None:
        if msg.price_changes is not None:
            entries = [(c.asset_id, c.price, c.size, c.side) for c in msg.price_changes]
        elif msg.asset_id is not None and msg.price is not None and msg.size is not None:
            entries = [(msg.asset_id, msg.price, msg.size, msg.side or "")]  # pre-2025-09-15 shape
        else:
            raise ValueError("price_change without levels")
        touched: list[Token] = []
        for asset_id, price, size, side in entries:
            token = self._token(asset_id)
            if token is None:
                continue
            is_bid = _side(side) == "BUY"
            if self._books[token].apply_level(is_bid, wire.price_e4(price), wire.size_e6(size)):
                if token not in touched:
                    touched.append(token)
            else:
                self.counts["price_change_before_snapshot"] += 1
        ts_ex = wire.timestamp_ms(msg.timestamp)
        for token in touched:
            self._emit_top(token, ts, ts_ex, out)

    def _tick_size_change(self, msg: wire.MarketWsMsg, ts: int, out: list[Event]) -> None:
        token = self._token(msg.asset_id)
        if token is None or msg.new_tick_size is None:
            return
        old = wire.price_e4(msg.old_tick_size) if msg.old_tick_size is not None else 0
        ts_ex = wire.timestamp_ms(msg.timestamp)
        out.append(TickSizeChangedEvent(ts_local_ms=ts, token=token, old_tick_e4=old,
                                        new_tick_e4=wire.price_e4(msg.new_tick_size), ts_exchange_ms=ts_ex))
        self._books[token].start_epoch()
        self._emit_top(token, ts, ts_ex, out)

    def _emit_top(self, token: Token, ts: int, ts_ex: int | None, out: list[Event]) -> None:
        top = self._books[token].top()
        if top == self._tops[token]:
            return
        self._tops[token] = top
        out.append(MarketBboEvent(ts_local_ms=ts, token=token, best_bid_e4=top.best_bid_e4,
                                  best_ask_e4=top.best_ask_e4, bid_size_e6=top.bid_size_e6,
                                  ask_size_e6=top.ask_size_e6, ts_exchange_ms=ts_ex))


def _side(text: str | None) -> str:
    side = (text or "").upper()
    if side not in ("BUY", "SELL"):
        raise ValueError(f"side {text!r} is neither BUY nor SELL")
    return side


class PolymarketMarketWsClient(ChannelClient):
    """Market channel for the current market's two tokens."""

    channel = Channel.MARKET

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.translator = MarketTranslator()

    @property
    def market_id(self) -> str | None:
        return self.translator.market.condition_id if self.translator.market else None

    def switch_market(self, market: MarketInfo) -> None:
        if self.translator.market == market:
            return
        self.translator.set_market(market)
        self.resubscribe()

    def subscription(self) -> str | None:
        market = self.translator.market
        if market is None:
            return None
        return msgspec.json.encode({
            "assets_ids": [market.up_token_id, market.down_token_id], "type": "market",
            "custom_feature_enabled": True, "initial_dump": True, "level": 2,
        }).decode()

    def translate(self, raw: str, ts_local_ms: int) -> list[Event]:
        events = self.translator.frame_to_events(raw, ts_local_ms)
        for ev in events:
            if type(ev) is TickSizeChangedEvent:
                # The book is dropped until the next snapshot, and the venue sends one only on
                # subscribe or after a trade: resubscribe to get it now (reference B.1, B.4).
                self.counts["tick_change_resubscribes"] += 1
                self.resubscribe()
                break
        return events
