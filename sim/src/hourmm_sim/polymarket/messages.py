"""The venue's wire shapes: engine records in, Polymarket JSON objects out (strings for numbers,
ms timestamps as strings, the recorded fixtures' key sets). The only module that knows the
venue's field names for the CLOB; `gamma.py` holds Gamma's."""

from __future__ import annotations

import hashlib
from typing import Any

from hourmm_sim.polymarket.clob import Clob
from hourmm_sim.polymarket.clob_events import (
    BookEvent,
    LastTradeEvent,
    MarketSpec,
    OrderSnapshot,
    TickEvent,
    TradeRecord,
)
from hourmm_sim.polymarket.markets import iso
from hourmm_sim.polymarket.matching import BUY, DOWN, UP
from hourmm_sim.polymarket.units import ONE, fmt_tick, fmt_units, json_number

OUTCOMES = ("Up", "Down")
SIDES = ("BUY", "SELL")


def _side(side: int) -> str:
    return SIDES[side]


def order_message(o: OrderSnapshot, spec: MarketSpec, kind: str, ts_ms: int) -> dict[str, Any]:
    """User channel `order` event (PLACEMENT / UPDATE / CANCELLATION)."""
    return {
        "asset_id": spec.token_ids()[o.token],
        "associate_trades": list(o.trade_ids) or None,
        "created_at": str(o.created_ms // 1000),
        "event_type": "order",
        "expiration": str(o.expiration_s),
        "id": o.order_id,
        "maker_address": o.maker_address,
        "market": o.market,
        "order_owner": o.owner,
        "order_type": o.order_type,
        "original_size": fmt_units(o.size_u),
        "outcome": OUTCOMES[o.token],
        "owner": o.owner,
        "price": fmt_units(o.price_u),
        "side": _side(o.side),
        "size_matched": fmt_units(o.matched_u),
        "status": o.status,
        "timestamp": str(ts_ms),
        "type": kind,
    }


def _maker_orders(t: TradeRecord, spec: MarketSpec) -> list[dict[str, Any]]:
    return [{
        "order_id": m.order_id,
        "owner": m.owner,
        "maker_address": m.maker_address,
        "matched_amount": fmt_units(m.matched_u),
        "price": fmt_units(m.price_u),
        "fee_rate_bps": "0",
        "asset_id": spec.token_ids()[m.token],
        "outcome": OUTCOMES[m.token],
        "side": _side(m.side),
    } for m in t.makers]


def trade_rest_item(t: TradeRecord, spec: MarketSpec, trader_side: str) -> dict[str, Any]:
    """One item of `GET /data/trades` (no event_type/type/timestamp/trade_owner)."""
    return {
        "id": t.trade_id,
        "taker_order_id": t.taker_order_id,
        "market": t.market,
        "asset_id": spec.token_ids()[t.token],
        "side": _side(t.side),
        "size": fmt_units(t.size_u),
        "fee_rate_bps": str(t.fee_rate_bps),
        "price": fmt_units(t.price_u),
        "status": t.status,
        "match_time": str(t.match_ms // 1000),
        "last_update": str(t.last_update_ms // 1000),
        "outcome": OUTCOMES[t.token],
        "bucket_index": t.bucket_index,
        "owner": t.taker_owner,
        "maker_address": t.taker_address,
        "transaction_hash": t.tx_hash,
        "maker_orders": _maker_orders(t, spec),
        "trader_side": trader_side,
    }


def trade_message(t: TradeRecord, spec: MarketSpec, trader_side: str, ts_ms: int) -> dict[str, Any]:
    """User channel `trade` event, as one recipient (taker or one of the makers) sees it."""
    item = trade_rest_item(t, spec, trader_side)
    item.update({"event_type": "trade", "type": "TRADE", "timestamp": str(ts_ms), "trade_owner": t.taker_owner})
    return item


def _levels(levels: list[tuple[int, int]]) -> list[dict[str, str]]:
    # the venue lists the best level last: reverse of best-first
    return [{"price": fmt_units(p), "size": fmt_units(s)} for p, s in reversed(levels)]


def book_hash(market: str, asset_id: str, ts_ms: int) -> str:
    return hashlib.sha1(f"{market}:{asset_id}:{ts_ms}".encode()).hexdigest()


def book_message(clob: Clob, spec: MarketSpec, token: int, ts_ms: int) -> dict[str, Any]:
    """Market channel `book` snapshot of one token (bids ascending, asks descending)."""
    bids, asks = clob.markets[spec.condition_id].book.token_depth(token)
    asset = spec.token_ids()[token]
    return {"asks": _levels(asks), "asset_id": asset, "bids": _levels(bids), "event_type": "book",
            "hash": book_hash(spec.condition_id, asset, ts_ms), "market": spec.condition_id, "timestamp": str(ts_ms)}


def book_rest(clob: Clob, spec: MarketSpec, token: int, ts_ms: int) -> dict[str, Any]:
    """`GET /book` summary, with the newer fields the SDK parses."""
    state = clob.markets[spec.condition_id]
    bids, asks = state.book.token_depth(token)
    last = state.last_trade_u
    if last is not None and token == DOWN:
        last = ONE - last
    asset = spec.token_ids()[token]
    return {
        "market": spec.condition_id, "asset_id": asset, "timestamp": str(ts_ms),
        "hash": book_hash(spec.condition_id, asset, ts_ms),
        "bids": _levels(bids), "asks": _levels(asks),
        "min_order_size": fmt_units(spec.min_size_u), "tick_size": fmt_tick(state.tick_u), "neg_risk": False,
        "last_trade_price": fmt_units(last) if last is not None else "0.5",
    }


def price_change_message(ev: BookEvent, spec: MarketSpec) -> dict[str, Any]:
    """`price_change` (current shape): entries for both tokens, as each token's book sees it."""
    bb, ba = ev.best_bid_u, ev.best_ask_u
    up_best = (fmt_units(bb) if bb is not None else "0", fmt_units(ba) if ba is not None else "1")
    down_best = (fmt_units(ONE - ba) if ba is not None else "0", fmt_units(ONE - bb) if bb is not None else "1")
    changes = []
    for is_bid, up_price, size in ev.changes:
        for token in (UP, DOWN):
            price = up_price if token == UP else ONE - up_price
            side_is_bid = is_bid if token == UP else not is_bid
            best = up_best if token == UP else down_best
            asset = spec.token_ids()[token]
            changes.append({
                "asset_id": asset, "price": fmt_units(price), "side": "BUY" if side_is_bid else "SELL",
                "size": fmt_units(size),
                "hash": hashlib.sha1(f"{asset}:{price}:{size}:{ev.ts_ms}".encode()).hexdigest(),
                "best_bid": best[0], "best_ask": best[1],
            })
    return {"market": spec.condition_id, "price_changes": changes, "event_type": "price_change",
            "timestamp": str(ev.ts_ms)}


def best_bid_ask_messages(ev: BookEvent, spec: MarketSpec) -> list[dict[str, Any]]:
    """`best_bid_ask` (custom feature) for both tokens after a top-of-book change."""
    bb, ba = ev.best_bid_u, ev.best_ask_u
    out = []
    for token in (UP, DOWN):
        if token == UP:
            bid, ask = bb, ba
        else:
            bid, ask = (ONE - ba if ba is not None else None), (ONE - bb if bb is not None else None)
        spread = (ask - bid) if bid is not None and ask is not None else None
        out.append({"event_type": "best_bid_ask", "market": spec.condition_id, "asset_id": spec.token_ids()[token],
                    "best_bid": fmt_units(bid) if bid is not None else "0",
                    "best_ask": fmt_units(ask) if ask is not None else "1",
                    "spread": fmt_units(spread) if spread is not None else "1", "timestamp": str(ev.ts_ms)})
    return out


def last_trade_message(ev: LastTradeEvent, spec: MarketSpec) -> dict[str, Any]:
    return {"asset_id": spec.token_ids()[ev.token], "event_type": "last_trade_price",
            "fee_rate_bps": str(ev.fee_rate_bps), "market": spec.condition_id, "price": fmt_units(ev.price_u),
            "side": _side(ev.side), "size": fmt_units(ev.size_u), "timestamp": str(ev.ts_ms),
            "transaction_hash": ev.tx_hash}


def tick_messages(ev: TickEvent, spec: MarketSpec) -> list[dict[str, Any]]:
    return [{"asset_id": asset, "event_type": "tick_size_change", "market": spec.condition_id,
             "new_tick_size": fmt_tick(ev.new_tick_u), "old_tick_size": fmt_tick(ev.old_tick_u),
             "timestamp": str(ev.ts_ms)} for asset in spec.token_ids()]


def resolved_message(spec: MarketSpec, winner: int, ts_ms: int) -> dict[str, Any]:
    return {"assets_ids": list(spec.token_ids()), "event_type": "market_resolved", "id": spec.market_id,
            "market": spec.condition_id, "tags": ["Crypto", "Bitcoin", "Up or Down", "Hourly"],
            "timestamp": str(ts_ms), "winning_asset_id": spec.token_ids()[winner],
            "winning_outcome": OUTCOMES[winner]}


def open_order_item(o: OrderSnapshot, spec: MarketSpec) -> dict[str, Any]:
    """An item of `GET /data/orders` and the body of `GET /data/order/{id}`."""
    return {
        "associate_trades": list(o.trade_ids),
        "id": o.order_id,
        "status": o.status,
        "market": o.market,
        "original_size": fmt_units(o.size_u),
        "outcome": OUTCOMES[o.token],
        "maker_address": o.maker_address,
        "owner": o.owner,
        "price": fmt_units(o.price_u),
        "side": _side(o.side),
        "size_matched": fmt_units(o.matched_u),
        "asset_id": spec.token_ids()[o.token],
        "expiration": str(o.expiration_s) if o.expiration_s else None,
        "order_type": o.order_type,
        "created_at": o.created_ms // 1000,
    }


def clob_market(clob: Clob, spec: MarketSpec) -> dict[str, Any]:
    """`GET /markets/{condition_id}` in the recorded layout."""
    state = clob.markets[spec.condition_id]
    last = state.last_trade_u if state.last_trade_u is not None else ONE // 2
    prices = (last / ONE, (ONE - last) / ONE)
    return {
        "enable_order_book": True, "active": True, "closed": state.closed, "archived": False,
        "accepting_orders": state.accepting and not state.closed, "accepting_order_timestamp": None,
        "minimum_order_size": json_number(spec.min_size_u), "minimum_tick_size": state.tick_u / ONE,
        "condition_id": spec.condition_id, "question_id": spec.question_id, "question": spec.title,
        "description": "", "market_slug": spec.slug,
        "end_date_iso": _iso_s(spec.end_ms), "game_start_time": _iso_s(spec.start_ms), "seconds_delay": 0,
        "fpmm": "", "maker_base_fee": 0, "taker_base_fee": spec.fee_rate_e5 // 10,
        "notifications_enabled": False, "neg_risk": False, "neg_risk_market_id": "", "neg_risk_request_id": "",
        "icon": "", "image": "", "rewards": {"rates": None, "min_size": 50, "max_spread": 4.5},
        "is_50_50_outcome": False,
        "tokens": [{"token_id": spec.token_ids()[i], "outcome": OUTCOMES[i],
                    "price": (1.0 if state.winner == i else 0.0) if state.winner is not None else prices[i],
                    "winner": state.winner == i} for i in (UP, DOWN)],
        "tags": ["Crypto", "Bitcoin", "Up or Down", "Hourly"],
    }


def _iso_s(ms: int) -> str:
    return iso(ms)


def parse_side(side_text: str) -> int:
    if side_text == "BUY":
        return BUY
    if side_text == "SELL":
        return 1
    raise ValueError(f"bad side {side_text!r}")
