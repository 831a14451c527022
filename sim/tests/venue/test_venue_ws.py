"""The market and user websockets: real handshakes, PING/PONG, initial book, price changes,
order and trade events with attribution (MAKER/TAKER, complement matches) moving MATCHED ->
MINED -> CONFIRMED on the clock, and the websocket faults."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from venue_testkit import (
    PK_EOA,
    PK_SAFE,
    SAFE,
    collect,
    flat,
    recv,
    sdk_client,
    sdk_limit,
    until,
    user_socket,
)


def spec_of(venue):
    return next(iter(venue.clob.markets.values())).spec


async def test_market_channel_dumps_books_answers_ping_and_streams_changes(venue):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http, http.ws_connect(venue.ws_market_url) as ws:
        await ws.send_str(json.dumps({"assets_ids": [spec.up_token, spec.down_token], "type": "market",
                                      "initial_dump": True, "custom_feature_enabled": True}))
        books = flat(await recv(ws))
        assert sorted(b["asset_id"] for b in books) == sorted(spec.token_ids())
        assert all(b["event_type"] == "book" and b["bids"] == [] for b in books)
        await ws.send_str("PING")
        assert await recv(ws) == "PONG"
        await asyncio.to_thread(lambda: sdk_limit(sdk_client(venue), spec.up_token, 0.45, 10))
        change = flat(await recv(ws))[0]
        assert change["event_type"] == "price_change"
        entries = {(c["asset_id"], c["side"], c["price"], c["size"]) for c in change["price_changes"]}
        assert entries == {(spec.up_token, "BUY", "0.45", "10"), (spec.down_token, "SELL", "0.55", "10")}


async def test_user_channel_attributes_a_complement_match_and_walks_the_statuses(venue, clock):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http:
        alice_ws = await user_socket(http, venue, "alice")
        bob_ws = await user_socket(http, venue, "bob")

        def trade():
            maker = sdk_client(venue, PK_EOA)
            placed = sdk_limit(maker, spec.up_token, 0.45, 10)
            taken = sdk_limit(sdk_client(venue, PK_SAFE, 2, SAFE), spec.down_token, 0.55, 6, post_only=False)
            return placed["orderID"], taken

        maker_id, taken = await asyncio.to_thread(trade)
        assert taken["status"] == "matched" and taken["tradeIDs"] and taken["takingAmount"] == "6"
        alice = await collect(alice_ws, 3)
        assert [(m["event_type"], m.get("type")) for m in alice] == [
            ("order", "PLACEMENT"), ("trade", "TRADE"), ("order", "UPDATE")]
        maker_trade = alice[1]
        assert maker_trade["trader_side"] == "MAKER" and maker_trade["status"] == "MATCHED"
        assert maker_trade["asset_id"] == spec.down_token and maker_trade["side"] == "BUY"
        [mo] = maker_trade["maker_orders"]
        assert (mo["order_id"], mo["asset_id"], mo["side"], mo["matched_amount"], mo["price"]) == (
            maker_id, spec.up_token, "BUY", "6", "0.45")
        assert alice[2]["size_matched"] == "6" and alice[2]["status"] == "LIVE"
        bob = await collect(bob_ws, 3)
        taker_trade = next(m for m in bob if m["event_type"] == "trade")
        assert taker_trade["trader_side"] == "TAKER" and taker_trade["taker_order_id"] == taken["orderID"]
        await clock.run_until(clock.now_ms() + venue.clob.config.confirmed_delay_ms + 500)
        later = await collect(alice_ws, 2)
        assert [m["status"] for m in later] == ["MINED", "CONFIRMED"]
        assert {m["id"] for m in later} == {maker_trade["id"]}
        await alice_ws.close()
        await bob_ws.close()


async def test_user_channel_rejects_bad_credentials(venue):
    async with aiohttp.ClientSession() as http, http.ws_connect(venue.ws_user_url) as ws:
        await ws.send_str(json.dumps({"auth": {"apiKey": "nope", "secret": "x", "passphrase": "y"},
                                      "markets": [], "type": "user"}))
        assert await recv(ws) in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    assert venue.counters["ws_user_auth_failures"] == 1


async def test_frozen_socket_goes_silent_and_stops_answering_ping(venue, clock):
    async with aiohttp.ClientSession() as http, http.ws_connect(venue.ws_market_url) as ws:
        await http.post(f"{venue.clob_url}/_sim/faults",
                        json={"kind": "ws_freeze", "channel": "market", "duration_ms": 30_000})
        await ws.send_str("PING")
        await until(lambda: venue.counters["ws_market_pings_ignored"] == 1)
        await clock.run_until(clock.now_ms() + 30_000)
        await ws.send_str("PING")
        assert await recv(ws) == "PONG"
        assert venue.counters["ws_market_pongs"] == 1


async def test_dropped_user_socket_is_closed_by_the_venue(venue):
    async with aiohttp.ClientSession() as http:
        ws = await user_socket(http, venue, "alice")
        await http.post(f"{venue.clob_url}/_sim/faults", json={"kind": "ws_drop", "channel": "user"})
        assert await recv(ws) in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert venue.counters["faults_applied"] >= 1


async def test_duplicated_user_events_arrive_twice(venue):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http:
        ws = await user_socket(http, venue, "alice")
        await http.post(f"{venue.clob_url}/_sim/faults", json={"kind": "user_duplicate", "duration_ms": 60_000})
        await asyncio.to_thread(lambda: sdk_limit(sdk_client(venue), spec.up_token, 0.45, 10))
        first, second = await collect(ws, 2)
        assert first == second and first["type"] == "PLACEMENT"
        await ws.close()


async def test_user_events_can_precede_the_rest_answer(venue):
    spec = spec_of(venue)
    seen: list[str] = []
    async with aiohttp.ClientSession() as http:
        ws = await user_socket(http, venue, "alice")
        await http.post(f"{venue.clob_url}/_sim/faults", json={"kind": "user_first", "count": 1})

        async def listen():
            seen.append(flat(await recv(ws))[0]["id"])

        listener = asyncio.create_task(listen())
        posted = await asyncio.to_thread(lambda: sdk_limit(sdk_client(venue), spec.up_token, 0.45, 10))
        seen.append("rest:" + posted["orderID"])
        await listener
        assert seen == [posted["orderID"], "rest:" + posted["orderID"]]
        await ws.close()


async def test_a_trade_is_followed_by_last_trade_price_and_fresh_books(venue):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http, http.ws_connect(venue.ws_market_url) as ws:
        await ws.send_str(json.dumps({"assets_ids": [spec.up_token, spec.down_token], "type": "market",
                                      "initial_dump": False}))
        await asyncio.to_thread(lambda: sdk_limit(sdk_client(venue, PK_EOA), spec.up_token, 0.45, 10))
        assert flat(await recv(ws))[0]["event_type"] == "price_change"
        await asyncio.to_thread(lambda: sdk_limit(sdk_client(venue, PK_SAFE, 2, SAFE), spec.down_token, 0.55, 4,
                                                  post_only=False))
        frame = flat(await recv(ws))
        kinds = [m["event_type"] for m in frame]
        assert kinds == ["price_change", "last_trade_price", "book", "book"]
        last = frame[1]
        assert (last["asset_id"], last["price"], last["size"], last["side"]) == (spec.down_token, "0.55", "4", "BUY")
        up_book = next(m for m in frame if m["event_type"] == "book" and m["asset_id"] == spec.up_token)
        assert up_book["bids"] == [{"price": "0.45", "size": "6"}]
