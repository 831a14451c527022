"""B-2: market websocket frames (recorded) -> BBO, tick size, last trade events."""

from __future__ import annotations

import json

from edges.edge_kit import a_market, fixture_text
from polymarket_trader.core.events import (
    LastTradePriceEvent,
    MarketBboEvent,
    MarketStatus,
    MarketStatusEvent,
    Side,
    TickSizeChangedEvent,
    Token,
)
from polymarket_trader.market_ws import MarketTranslator

BOOK_ASSET = json.loads(fixture_text("market_ws/book.json"))["asset_id"]
SYN_A = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
SYN_B = "52114319501245915516055106046884209969926127482827954674443846427813813222426"


def translator(up: str, down: str = "other") -> MarketTranslator:
    t = MarketTranslator()
    t.set_market(a_market(up=up, down=down))
    return t


def test_real_book_snapshot_gives_best_levels_listed_last() -> None:
    raw = json.loads(fixture_text("market_ws/book.json"))
    t = translator(BOOK_ASSET)
    [bbo] = t.frame_to_events(fixture_text("market_ws/book.json"), 7)
    assert isinstance(bbo, MarketBboEvent) and bbo.token is Token.UP and bbo.ts_local_ms == 7
    best_bid, best_ask = raw["bids"][-1], raw["asks"][-1]
    assert bbo.best_bid_e4 == round(float(best_bid["price"]) * 10_000)
    assert bbo.best_ask_e4 == round(float(best_ask["price"]) * 10_000)
    assert bbo.bid_size_e6 == round(float(best_bid["size"]) * 1_000_000)
    assert bbo.best_bid_e4 < bbo.best_ask_e4
    assert t.frame_to_events(fixture_text("market_ws/book.json"), 8) == []  # same top: nothing new


def test_price_change_current_format_updates_levels_and_top() -> None:
    t = translator(SYN_B)
    t.frame_to_events(json.dumps({"event_type": "book", "asset_id": SYN_B, "market": "m",
                                  "bids": [{"price": "0.5", "size": "10"}],
                                  "asks": [{"price": "0.8", "size": "5"}], "timestamp": "1"}), 1)
    events = t.frame_to_events(fixture_text("market_ws/price_change.json"), 2)
    # the fixture adds BUY levels at 0.6, 0.5 and 0.7: the best bid becomes 0.7 (size 3400)
    assert events == [MarketBboEvent(ts_local_ms=2, token=Token.UP, best_bid_e4=7000, best_ask_e4=8000,
                                     bid_size_e6=3_400_000_000, ask_size_e6=5_000_000,
                                     ts_exchange_ms=1729084877448)]
    zero = {"event_type": "price_change", "market": "m", "timestamp": "3", "price_changes": [
        {"asset_id": SYN_B, "price": "0.7", "size": "0", "side": "BUY"}]}
    [after] = t.frame_to_events(json.dumps(zero), 3)
    assert isinstance(after, MarketBboEvent) and after.best_bid_e4 == 6000


def test_price_change_without_event_type_for_both_tokens_routes_by_asset() -> None:
    t = translator(SYN_A, SYN_B)
    for asset in (SYN_A, SYN_B):
        t.frame_to_events(json.dumps([{"event_type": "book", "asset_id": asset, "market": "m",
                                       "bids": [{"price": "0.4", "size": "1"}],
                                       "asks": [{"price": "0.6", "size": "1"}]}]), 1)
    events = t.frame_to_events(fixture_text("market_ws/price_change_two_assets_no_event_type.json"), 2)
    by_token = {e.token: e for e in events if isinstance(e, MarketBboEvent)}
    assert by_token[Token.UP].best_bid_e4 == 5100
    assert by_token[Token.DOWN].best_ask_e4 == 4900


def test_legacy_flat_price_change_still_applies() -> None:
    asset = json.loads(fixture_text("market_ws/price_change_legacy_pre_2025-09-15.json"))["asset_id"]
    t = translator(asset)
    t.frame_to_events(json.dumps({"event_type": "book", "asset_id": asset, "market": "m", "bids": [],
                                  "asks": [{"price": "0.6", "size": "1"}]}), 1)
    [bbo] = t.frame_to_events(fixture_text("market_ws/price_change_legacy_pre_2025-09-15.json"), 2)
    assert isinstance(bbo, MarketBboEvent) and bbo.best_ask_e4 == 5140 and bbo.ask_size_e6 == 21_574_080_000


def test_tick_size_change_starts_an_epoch_until_the_next_book() -> None:
    asset = json.loads(fixture_text("market_ws/tick_size_change.json"))["asset_id"]
    t = translator(asset)
    t.frame_to_events(json.dumps({"event_type": "book", "asset_id": asset, "market": "m",
                                  "bids": [{"price": "0.95", "size": "1"}], "asks": [{"price": "0.97", "size": "1"}]}), 1)
    events = t.frame_to_events(fixture_text("market_ws/tick_size_change.json"), 2)
    assert events[0] == TickSizeChangedEvent(ts_local_ms=2, token=Token.UP, old_tick_e4=100, new_tick_e4=10,
                                             ts_exchange_ms=1739068041853)
    assert isinstance(events[1], MarketBboEvent) and events[1].best_bid_e4 is None
    ignored = {"event_type": "price_change", "market": "m", "price_changes": [
        {"asset_id": asset, "price": "0.961", "size": "5", "side": "BUY"}]}
    assert t.frame_to_events(json.dumps(ignored), 3) == []
    assert t.counts["price_change_before_snapshot"] == 1
    [bbo] = t.frame_to_events(json.dumps({"event_type": "book", "asset_id": asset, "market": "m",
                                          "bids": [{"price": "0.961", "size": "2"}], "asks": []}), 4)
    assert isinstance(bbo, MarketBboEvent) and bbo.best_bid_e4 == 9610


def test_last_trade_price_and_resolution() -> None:
    ltp = json.loads(fixture_text("market_ws/last_trade_price.json"))
    t = translator(ltp["asset_id"])
    [event] = t.frame_to_events(fixture_text("market_ws/last_trade_price.json"), 5)
    assert event == LastTradePriceEvent(ts_local_ms=5, token=Token.UP, price_e4=4910, size_e6=85_360_000,
                                        aggressor=Side.SELL, ts_exchange_ms=1724564136087)
    resolved = json.loads(fixture_text("market_ws/market_resolved.json"))
    t2 = MarketTranslator()
    t2.set_market(a_market(up=resolved["assets_ids"][0], down=resolved["assets_ids"][1], cid=resolved["market"]))
    [status] = t2.frame_to_events(fixture_text("market_ws/market_resolved.json"), 6)
    assert status == MarketStatusEvent(ts_local_ms=6, condition_id=resolved["market"],
                                       status=MarketStatus.RESOLVED, winning_token=Token.UP)


def test_unknown_other_asset_and_malformed_are_counted_not_fatal() -> None:
    t = translator(SYN_A)
    assert t.frame_to_events(fixture_text("market_ws/new_market.json"), 1) == []
    assert t.frame_to_events(fixture_text("market_ws/best_bid_ask.json"), 1) == []
    assert t.frame_to_events('{"event_type": "brand_new_thing"}', 1) == []
    assert t.frame_to_events('{"event_type": "book", "asset_id": "nope", "bids": [], "asks": []}', 1) == []
    assert t.frame_to_events("{not json", 1) == []
    bad_price = {"event_type": "book", "asset_id": SYN_A, "bids": [{"price": "0.12345", "size": "1"}], "asks": []}
    assert t.frame_to_events(json.dumps(bad_price), 1) == []
    assert t.counts["unknown_event_type"] == 1
    assert t.counts["other_asset"] == 1
    assert t.counts["malformed_frame"] == 1
    assert t.counts["malformed_message"] == 1
