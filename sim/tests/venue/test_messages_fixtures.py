"""Every message the venue emits has the recorded fixtures' field names and value types
(strings for numbers, ms timestamps as strings, nulls where the venue sends nulls)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from venue_testkit import START_MS, a_clob, an_order, market_of

from hourmm_common.paths import fixtures_dir
from hourmm_sim.polymarket import messages
from hourmm_sim.polymarket.clob_events import BookEvent, LastTradeEvent, OrderEvent, TickEvent, TradeEvent
from hourmm_sim.polymarket.gamma import gamma_event, gamma_market
from hourmm_sim.polymarket.matching import DOWN, UP

PM = fixtures_dir() / "polymarket"
T0 = START_MS + 60_000


def fixture(name: str) -> Any:
    return json.loads((PM / name).read_text())


def same_shape(ours: dict[str, Any], theirs: dict[str, Any], *, nullable: frozenset[str] = frozenset(),
               extra: frozenset[str] = frozenset()) -> None:
    assert set(theirs) <= set(ours), f"missing: {set(theirs) - set(ours)}"
    assert set(ours) - set(theirs) <= extra, f"unexpected: {set(ours) - set(theirs) - extra}"
    for key, value in theirs.items():
        if key in nullable and (value is None or ours[key] is None):
            continue
        assert type(ours[key]) is type(value), f"{key}: {type(ours[key]).__name__} vs {type(value).__name__}"


@pytest.fixture
def traded():
    """A book with a mint trade (maker BUY Up, taker BUY Down) and a resting order."""
    clob = a_clob()
    for who in ("maker", "taker"):
        clob.ledger.deposit(who, 1_000_000_000)
    clob.place(an_order(clob, who="maker", token=UP, price=0.48, size=10), T0)
    clob.place(an_order(clob, who="taker", token=DOWN, price=0.52, size=5), T0)
    clob.place(an_order(clob, who="maker", token=UP, price=0.45, size=20, order_type="GTD",
                        expiration_s=T0 // 1000 + 3600), T0)
    return clob, clob.drain()


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_user_order_events_match_the_live_recording(traded):
    clob, events = traded
    spec = market_of(clob)
    for ev in of(events, OrderEvent):
        msg = messages.order_message(ev.order, spec, ev.kind, ev.ts_ms)
        same_shape(msg, fixture("user_ws/order_placement.json"), nullable=frozenset({"associate_trades"}))
        assert msg["timestamp"].isdigit() and len(msg["timestamp"]) == 13
    kinds = [e.kind for e in of(events, OrderEvent)]
    assert kinds[:3] == ["PLACEMENT", "PLACEMENT", "UPDATE"]


def test_user_trade_events_match_the_live_recordings(traded):
    clob, events = traded
    spec = market_of(clob)
    trade = of(events, TradeEvent)[0].trade
    taker = messages.trade_message(trade, spec, "TAKER", T0)
    maker = messages.trade_message(trade, spec, "MAKER", T0)
    same_shape(taker, fixture("user_ws/trade_taker_matched.json"))
    same_shape(maker, fixture("user_ws/trade_maker_confirmed_cross_asset.json"))
    rec_maker = fixture("user_ws/trade_maker_confirmed_cross_asset.json")["maker_orders"][0]
    same_shape(maker["maker_orders"][0], rec_maker)
    # complement match: taker bought Down, the maker's order was a BUY of Up
    assert (taker["asset_id"], taker["side"], taker["outcome"]) == (spec.down_token, "BUY", "Down")
    assert (maker["maker_orders"][0]["asset_id"], maker["maker_orders"][0]["side"]) == (spec.up_token, "BUY")
    assert maker["trader_side"] == "MAKER" and taker["trader_side"] == "TAKER"


def test_data_trades_and_orders_items_match_the_recordings(traded):
    clob, events = traded
    spec = market_of(clob)
    trade = of(events, TradeEvent)[0].trade
    item = messages.trade_rest_item(trade, spec, "TAKER")
    same_shape(item, fixture("rest/data_trades_item_confirmed_taker.json"))
    same_shape(item["maker_orders"][0], fixture("rest/data_trades_item_taker_two_makers_synthetic.json")["maker_orders"][0])
    for order in clob.live_orders():
        same_shape(messages.open_order_item(clob.snapshot(order), spec), fixture("rest/data_order_open.json"),
                   nullable=frozenset({"expiration"}))


def test_market_channel_messages_match_the_recordings(traded):
    clob, events = traded
    spec = market_of(clob)
    book = messages.book_message(clob, spec, UP, T0)
    same_shape(book, fixture("market_ws/book.json"))
    same_shape(book["bids"][0], fixture("market_ws/book.json")["bids"][0])
    prices = [float(level["price"]) for level in book["bids"]]
    assert prices == sorted(prices)  # best bid last
    down = messages.book_message(clob, spec, DOWN, T0)
    assert [lvl["price"] for lvl in down["asks"]][-1] == "0.52"  # mirror of the Up bid at 0.48
    change = messages.price_change_message(of(events, BookEvent)[0], spec)
    recorded = fixture("market_ws/price_change.json")
    same_shape(change, recorded)
    same_shape(change["price_changes"][0], recorded["price_changes"][0])
    assert {c["asset_id"] for c in change["price_changes"]} == set(spec.token_ids())
    last = messages.last_trade_message(of(events, LastTradeEvent)[0], spec)
    same_shape(last, fixture("market_ws/last_trade_price.json"), extra=frozenset({"transaction_hash"}))
    tick = messages.tick_messages(TickEvent(market=spec.condition_id, old_tick_u=10_000, new_tick_u=1_000, ts_ms=T0), spec)
    same_shape(tick[0], fixture("market_ws/tick_size_change.json"))
    assert (tick[0]["old_tick_size"], tick[0]["new_tick_size"]) == ("0.01", "0.001")
    same_shape(messages.resolved_message(spec, UP, T0), fixture("market_ws/market_resolved.json"))
    up_bba, down_bba = messages.best_bid_ask_messages(of(events, BookEvent)[-1], spec)
    same_shape(up_bba, fixture("market_ws/best_bid_ask.json"))
    assert (up_bba["best_bid"], up_bba["best_ask"]) == ("0.48", "1")
    assert (down_bba["best_bid"], down_bba["best_ask"], down_bba["spread"]) == ("0", "0.52", "1")


def test_rest_book_and_clob_market_match_the_recordings(traded):
    clob, _ = traded
    spec = market_of(clob)
    book = messages.book_rest(clob, spec, UP, T0)
    same_shape(book, fixture("rest/book_synthetic.json"),
               extra=frozenset({"min_order_size", "tick_size", "neg_risk", "last_trade_price"}))
    same_shape(messages.clob_market(clob, spec), fixture("rest/clob_market_2024.json"),
               nullable=frozenset({"accepting_order_timestamp", "game_start_time", "rewards"}))


def test_gamma_market_and_event_have_the_real_layout(traded):
    clob, _ = traded
    state = next(iter(clob.markets.values()))
    recorded = fixture("gamma/market_btc_updown_5m_2026-03.json")
    market = gamma_market(state, T0)
    theirs = {k: v for k, v in recorded.items() if k != "events"}
    same_shape(market, theirs, extra=frozenset({"feeSchedule"}), nullable=frozenset({"feeType"}))
    for key in ("clobTokenIds", "outcomes", "outcomePrices", "umaResolutionStatuses"):
        assert isinstance(market[key], str) and isinstance(json.loads(market[key]), list)
    assert json.loads(market["outcomes"]) == ["Up", "Down"]
    assert market["eventStartTime"] == "2025-06-02T14:00:00Z" and market["endDate"] == "2025-06-02T15:00:00Z"
    event = gamma_event(state, T0)
    same_shape(event, recorded["events"][0], extra=frozenset({"markets"}))
    assert event["series"][0]["id"] == "10114" and event["series"][0]["recurrence"] == "hourly"
    assert event["slug"].startswith("bitcoin-up-or-down-june-2-2025-10am-et")
