"""The authenticated user websocket: our orders and our fills -> reducer events.

In: `order` messages (PLACEMENT / UPDATE / CANCELLATION) and `trade` messages (every status) for
the subscribed condition id. Out: `UserOrderEvent`, and one `UserTradeEvent` per trade message
carrying the fills in it that are ours (reference C.3): the taker order when `trader_side` is
TAKER, else every `maker_orders[]` entry whose `maker_address` is our funder (case-insensitive)
or whose `owner` is our API key. A maker's side is its own `side` when present, else the opposite
of the taker's side on the same token, or the same side on the complementary token (a mint/merge
match). Messages with none of ours are counted and dropped.

Duplicates, out-of-order delivery and events that precede the REST answer are the reducer's to
absorb (orders are keyed by the order hash known before sending); this edge only translates. The
same translation serves `GET /data/trades` items (REST backfill after a gap).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import msgspec

from hourmm_common.logs import get_logger
from polymarket_trader import wire
from polymarket_trader.core.events import (
    Channel,
    Event,
    MarketInfo,
    OrderEventKind,
    Side,
    Token,
    TradeFill,
    TradeRole,
    TradeStatus,
    UserOrderEvent,
    UserTradeEvent,
    VenueOrderStatus,
)
from polymarket_trader.ws_channel import ChannelClient, drop_bad_message

_TRADE_STATUS = {s.value: s for s in TradeStatus}
_TRADE_STATUS["MATCHED_NOT_BROADCASTED"] = TradeStatus.MATCHED
_ORDER_STATUS = {s.value: s for s in VenueOrderStatus}
_ORDER_KIND = {k.value: k for k in OrderEventKind}


def normalise_order_status(text: str | None) -> VenueOrderStatus:
    """`CANCELED_<reason>` -> CANCELED; unknown text -> UNKNOWN (the caller counts it)."""
    status = (text or "").upper()
    if status.startswith("ORDER_STATUS_"):
        status = status[len("ORDER_STATUS_"):]
    if status in _ORDER_STATUS:
        return _ORDER_STATUS[status]
    if status.startswith("CANCELED"):
        return VenueOrderStatus.CANCELED
    return VenueOrderStatus.UNKNOWN


def normalise_trade_status(text: str | None) -> TradeStatus | None:
    status = (text or "").upper()
    if status.startswith("TRADE_STATUS_"):
        status = status[len("TRADE_STATUS_"):]
    return _TRADE_STATUS.get(status)


def _opposite(side: Side) -> Side:
    return Side.SELL if side is Side.BUY else Side.BUY


class UserTranslator:
    """User-channel frames -> events for one market and one account. Pure (no IO)."""

    def __init__(self, *, funder: str, api_key: str) -> None:
        self.funder = funder.lower()
        self.api_key = api_key
        self.market: MarketInfo | None = None
        self.previous: MarketInfo | None = None
        self._tokens: dict[str, Token] = {}
        self.counts: Counter[str] = Counter()
        self._log = get_logger("user_ws")

    def set_market(self, market: MarketInfo | None) -> None:
        """Follow `market`, and keep following the previous one: trades of the hour we just left
        still move MATCHED -> MINED -> CONFIRMED (or FAILED) after the roll, and must be seen."""
        if market is not None and self.market is not None and market.condition_id != self.market.condition_id:
            self.previous = self.market
        self.market = market
        self._tokens = {}
        for m in (self.previous, market):
            if m is not None:
                self._tokens |= {m.up_token_id: Token.UP, m.down_token_id: Token.DOWN}

    @property
    def condition_ids(self) -> list[str]:
        return [m.condition_id for m in (self.market, self.previous) if m is not None]

    def frame_to_events(self, raw: str | bytes, ts_local_ms: int) -> list[Event]:
        try:
            decoded = wire.USER_FRAME_DECODER.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._bad("malformed_frame", str(exc), raw)
            return []
        msgs = decoded if isinstance(decoded, list) else [decoded]
        out: list[Event] = []
        for msg in msgs:
            try:
                event = self.message_to_event(msg, ts_local_ms)
            except ValueError as exc:
                self._bad("malformed_message", str(exc), msgspec.json.encode(msg))
                continue
            if event is not None:
                out.append(event)
        return out

    def _bad(self, key: str, reason: str, raw: str | bytes) -> None:
        drop_bad_message(self.counts, self._log, key, reason, raw)

    def message_to_event(self, msg: wire.UserWsMsg, ts: int) -> Event | None:
        kind = wire.classify_user(msg)
        self.counts[f"msg_{kind}"] += 1
        if kind == "order":
            return self._order(msg, ts)
        if kind == "trade":
            return self._trade(msg, ts)
        self.counts["unknown_event_type"] += 1
        return None

    def _order(self, msg: wire.UserWsMsg, ts: int) -> UserOrderEvent | None:
        token = self._tokens.get(msg.asset_id)
        if token is None:
            self.counts["other_market"] += 1
            return None
        kind = _ORDER_KIND.get((msg.type or "").upper())
        if kind is None:
            raise ValueError(f"order type {msg.type!r} unknown")
        status = normalise_order_status(msg.status)
        if status is VenueOrderStatus.UNKNOWN:
            self.counts["unknown_order_status"] += 1
        if msg.price is None or msg.original_size is None:
            raise ValueError("order without price or original_size")
        matched = msg.size_matched if msg.size_matched not in (None, "") else 0
        assert matched is not None
        expiration = msg.expiration if msg.expiration not in (None, "") else 0
        assert expiration is not None
        return UserOrderEvent(
            ts_local_ms=ts, order_id=msg.id, kind=kind, status=status, token=token,
            side=Side(_side(msg.side)), price_e4=wire.price_e4_nearest(msg.price),
            original_size_e6=wire.size_e6(msg.original_size), size_matched_e6=wire.size_e6(matched),
            expiration_s=int(expiration), ts_exchange_ms=wire.timestamp_ms(msg.timestamp))

    def _trade(self, msg: wire.UserWsMsg, ts: int) -> UserTradeEvent | None:
        status = normalise_trade_status(msg.status)
        if status is None:
            raise ValueError(f"trade status {msg.status!r} unknown")
        if self.market is not None and msg.market and msg.market not in self.condition_ids:
            self.counts["other_market"] += 1
            return None
        fills = self.our_fills(msg)
        if not fills:
            self.counts["trade_not_ours"] += 1
            return None
        return UserTradeEvent(ts_local_ms=ts, trade_id=msg.id, status=status, fills=tuple(fills),
                              ts_exchange_ms=wire.timestamp_ms(msg.timestamp))

    def our_fills(self, msg: wire.UserWsMsg) -> list[TradeFill]:
        taker_side = Side(_side(msg.side))
        fills: list[TradeFill] = []
        if (msg.trader_side or "").upper() == "TAKER":
            token = self._tokens.get(msg.asset_id)
            if token is None or msg.taker_order_id is None or msg.price is None or msg.size is None:
                raise ValueError("taker trade without our token, order id, price or size")
            fills.append(TradeFill(
                trade_id=msg.id, order_id=msg.taker_order_id, token=token, side=taker_side,
                price_e4=wire.price_e4(msg.price), size_e6=wire.size_e6(msg.size), role=TradeRole.TAKER,
                fee_rate_bps=_bps(msg.fee_rate_bps)))
            return fills
        for m in msg.maker_orders or ():
            if m.maker_address.lower() != self.funder and not (self.api_key and m.owner == self.api_key):
                continue
            token = self._tokens.get(m.asset_id)
            if token is None:
                self.counts["maker_fill_other_token"] += 1
                continue
            if m.side:
                side = Side(_side(m.side))
            elif m.asset_id == msg.asset_id:
                side = _opposite(taker_side)
            else:
                side = taker_side
            fills.append(TradeFill(
                trade_id=msg.id, order_id=m.order_id, token=token, side=side,
                price_e4=wire.price_e4(m.price), size_e6=wire.size_e6(m.matched_amount),
                role=TradeRole.MAKER, fee_rate_bps=_bps(m.fee_rate_bps)))
        return fills


def _side(text: str | None) -> str:
    side = (text or "").upper()
    if side not in ("BUY", "SELL"):
        raise ValueError(f"side {text!r} is neither BUY nor SELL")
    return side


def _bps(value: wire.Num | None) -> int:
    if value in (None, ""):
        return 0
    assert value is not None
    return wire.fixed(value, 0)


class PolymarketUserWsClient(ChannelClient):
    """User channel for the current market, authenticated with the L2 API credentials."""

    channel = Channel.USER

    def __init__(self, *, funder: str, api_key: str, api_secret: str, api_passphrase: str,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.translator = UserTranslator(funder=funder, api_key=api_key)
        self._auth = {"apiKey": api_key, "secret": api_secret, "passphrase": api_passphrase}

    def switch_market(self, market: MarketInfo) -> None:
        if self.translator.market == market:
            return
        self.translator.set_market(market)
        self.resubscribe()

    def subscription(self) -> str | None:
        market = self.translator.market
        if market is None:
            return None
        return msgspec.json.encode({"auth": self._auth, "markets": self.translator.condition_ids,
                                    "assets_ids": [], "type": "user", "initial_dump": True}).decode()

    def translate(self, raw: str, ts_local_ms: int) -> list[Event]:
        return self.translator.frame_to_events(raw, ts_local_ms)
