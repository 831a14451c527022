"""B-3: user websocket frames (recorded) -> our orders and our attributed fills."""

from __future__ import annotations

import json

from edges.edge_kit import OUR_API_KEY, OUR_FUNDER, TRUMP_CID, TRUMP_NO, TRUMP_YES, a_market, fixture_text
from polymarket_trader.core.events import (
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
from polymarket_trader.user_ws import UserTranslator

SYN_A = "71321045679252212594626385532706912750332728571942532289631379312455583992563"


def ours(funder: str = OUR_FUNDER, api_key: str = OUR_API_KEY, up: str = TRUMP_YES, down: str = TRUMP_NO) -> UserTranslator:
    t = UserTranslator(funder=funder, api_key=api_key)
    t.set_market(a_market(up=up, down=down))
    return t


def test_order_placement_and_cancellation() -> None:
    t = ours()
    [placed] = t.frame_to_events(fixture_text("user_ws/order_placement.json"), 1)
    assert placed == UserOrderEvent(
        ts_local_ms=1, order_id="0x0f76f4dc6eaf3332f4100f2e8a0b4a927351dd64646b7bb12f37df775c657a78",
        kind=OrderEventKind.PLACEMENT, status=VenueOrderStatus.LIVE, token=Token.UP, side=Side.BUY,
        price_e4=5130, original_size_e6=5_000_000, size_matched_e6=0, expiration_s=0,
        ts_exchange_ms=1725842520990)
    [canceled] = t.frame_to_events(fixture_text("user_ws/order_cancellation.json"), 2)
    assert isinstance(canceled, UserOrderEvent)
    assert canceled.kind is OrderEventKind.CANCELLATION and canceled.status is VenueOrderStatus.CANCELED


def test_partial_then_full_update_without_event_type() -> None:
    t = ours(funder="0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266", api_key="x", up=SYN_A)
    [partial] = t.frame_to_events(fixture_text("user_ws/order_update_partial_fill.json"), 1)
    [full] = t.frame_to_events(fixture_text("user_ws/order_update_matched.json"), 2)
    assert isinstance(partial, UserOrderEvent) and isinstance(full, UserOrderEvent)
    assert (partial.kind, partial.size_matched_e6, partial.original_size_e6) == (OrderEventKind.UPDATE, 25_000_000, 100_000_000)
    assert (full.status, full.size_matched_e6) == (VenueOrderStatus.MATCHED, 100_000_000)


def test_quirky_cancellation_statuses_are_normalised() -> None:
    for name in ("order_cancellation_fok_killed.json", "order_cancellation_status_invalid.json"):
        raw = json.loads(fixture_text(f"user_ws/{name}"))
        t = ours(up=raw["asset_id"])
        [event] = t.frame_to_events(fixture_text(f"user_ws/{name}"), 1)
        assert isinstance(event, UserOrderEvent) and event.kind is OrderEventKind.CANCELLATION
        assert event.status in (VenueOrderStatus.CANCELED, VenueOrderStatus.INVALID)
    fok = ours(up="256")
    [killed] = fok.frame_to_events(fixture_text("user_ws/order_cancellation_fok_killed.json"), 1)
    assert isinstance(killed, UserOrderEvent)
    assert killed.status is VenueOrderStatus.CANCELED and killed.size_matched_e6 == 0


def test_taker_trade_is_our_taker_order() -> None:
    [event] = ours().frame_to_events(fixture_text("user_ws/trade_taker_matched.json"), 3)
    assert event == UserTradeEvent(
        ts_local_ms=3, trade_id="f50e8ab2-652d-4dc8-9c82-8e46197fe98d", status=TradeStatus.MATCHED,
        fills=(TradeFill(trade_id="f50e8ab2-652d-4dc8-9c82-8e46197fe98d",
                         order_id="0x5b605a0e8e40f3402d3cb3bc19edad6733ed23fbc079d2a09ee399c3487ace81",
                         token=Token.UP, side=Side.BUY, price_e4=5200, size_e6=5_000_000, role=TradeRole.TAKER),),
        ts_exchange_ms=1725958682125)


def test_multi_maker_trade_picks_only_our_maker_entry_with_the_opposite_side() -> None:
    [event] = ours().frame_to_events(fixture_text("user_ws/trade_maker_mined_multi_maker.json"), 4)
    assert isinstance(event, UserTradeEvent) and event.status is TradeStatus.MINED
    [fill] = event.fills
    assert fill.order_id == "0xab679e56242324e15e59cfd488cd0f12e4fd71b153b9bfb57518898b9983145e"
    assert (fill.role, fill.token, fill.side, fill.price_e4, fill.size_e6) == (
        TradeRole.MAKER, Token.UP, Side.SELL, 5180, 5_000_000)


def test_maker_on_the_complementary_token_keeps_the_takers_side() -> None:
    """The NO maker in the multi-maker trade was matched by minting: same side as the taker."""
    other = "0xFfd192468b7a05b38c37C82d09fA941289FaEB23"
    [event] = ours(funder=other.upper(), api_key="nobody").frame_to_events(
        fixture_text("user_ws/trade_maker_mined_multi_maker.json"), 4)
    assert isinstance(event, UserTradeEvent)
    [fill] = event.fills
    assert (fill.token, fill.side, fill.price_e4, fill.size_e6) == (Token.DOWN, Side.BUY, 4820, 10_000_000)


def test_maker_side_field_wins_and_two_of_our_fills_in_one_trade() -> None:
    [cross] = ours().frame_to_events(fixture_text("user_ws/trade_maker_confirmed_cross_asset.json"), 5)
    assert isinstance(cross, UserTradeEvent) and cross.status is TradeStatus.CONFIRMED
    assert cross.ts_exchange_ms == 1_762_776_436_000  # seconds on the wire
    assert [(f.side, f.token, f.price_e4) for f in cross.fills] == [(Side.BUY, Token.UP, 5130)]
    [three] = ours().frame_to_events(fixture_text("user_ws/trade_maker_confirmed_three_fills.json"), 6)
    assert isinstance(three, UserTradeEvent)
    assert [(f.order_id[:6], f.price_e4) for f in three.fills] == [("0x3ad0", 4000), ("0x67b5", 3000)]


def test_attribution_by_api_key_when_the_address_differs() -> None:
    [event] = ours(funder="0x0000000000000000000000000000000000000001").frame_to_events(
        fixture_text("user_ws/trade_maker_mined_multi_maker.json"), 4)
    assert isinstance(event, UserTradeEvent) and len(event.fills) == 1


def test_trade_with_none_of_ours_and_failed_status() -> None:
    t = ours(funder="0x0000000000000000000000000000000000000001", api_key="nobody")
    assert t.frame_to_events(fixture_text("user_ws/trade_maker_mined_multi_maker.json"), 4) == []
    assert t.counts["trade_not_ours"] == 1
    failed = json.loads(fixture_text("user_ws/trade_taker_matched.json")) | {"status": "FAILED"}
    [event] = ours().frame_to_events(json.dumps(failed), 9)
    assert isinstance(event, UserTradeEvent) and event.status is TradeStatus.FAILED


def test_rest_trade_items_translate_the_same_way() -> None:
    item = json.loads(fixture_text("rest/data_trades_item_confirmed_taker.json"))
    [event] = ours().frame_to_events(json.dumps(item), 1)
    assert isinstance(event, UserTradeEvent) and event.fills[0].role is TradeRole.TAKER


def test_after_a_roll_the_previous_hours_trades_are_still_attributed() -> None:
    t = ours()
    t.set_market(a_market(up="111", down="222", cid="0xnext"))
    assert t.condition_ids == ["0xnext", TRUMP_CID]
    [late] = t.frame_to_events(fixture_text("user_ws/trade_maker_mined_multi_maker.json"), 9)
    assert isinstance(late, UserTradeEvent) and late.fills[0].token is Token.UP
    t.set_market(a_market(up="333", down="444", cid="0xafter"))  # two rolls later the old hour is dropped
    assert t.frame_to_events(fixture_text("user_ws/trade_maker_mined_multi_maker.json"), 10) == []
