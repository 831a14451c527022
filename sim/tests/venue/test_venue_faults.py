"""Fault injection through the admin API: failed trades revert, tick changes reach the market
channel and REST, an early close shows on Gamma and resolves, REST timeouts with the order placed
behind them, delayed and reordered user events."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from py_clob_client_v2 import OpenOrderParams
from py_clob_client_v2.exceptions import PolyApiException
from venue_testkit import (
    PK_EOA,
    PK_SAFE,
    SAFE,
    START_MS,
    a_scenario,
    collect,
    flat,
    recv,
    sdk_client,
    sdk_limit,
    until,
    user_socket,
)

from hourmm_common.clock import ManualClock
from hourmm_sim.polymarket.venue import PolymarketVenue


def spec_of(venue):
    return next(iter(venue.clob.markets.values())).spec


async def inject(venue, **fault):
    async with aiohttp.ClientSession() as http, http.post(f"{venue.clob_url}/_sim/faults", json=fault) as resp:
        assert resp.status == 200, await resp.text()


async def test_a_failed_trade_is_reported_and_reverted(venue, clock):
    spec = spec_of(venue)
    await inject(venue, kind="fail_trades", count=1)
    async with aiohttp.ClientSession() as http:
        ws = await user_socket(http, venue, "alice")

        def trade():
            sdk_limit(sdk_client(venue, PK_EOA), spec.up_token, 0.45, 10)
            return sdk_limit(sdk_client(venue, PK_SAFE, 2, SAFE), spec.down_token, 0.55, 10, post_only=False)

        taken = await asyncio.to_thread(trade)
        first = [m for m in await collect(ws, 3) if m["event_type"] == "trade"]
        assert [m["status"] for m in first] == ["MATCHED"]
        await clock.run_until(clock.now_ms() + venue.clob.config.mined_delay_ms)
        failed = flat(await recv(ws))[0]
        assert (failed["id"], failed["status"]) == (taken["tradeIDs"][0], "FAILED")
        async with http.get(f"{venue.clob_url}/_sim/ledger", params={"address": SAFE}) as resp:
            ledger = await resp.json()
        assert ledger == {"address": SAFE, "pusd": {"balance": "1000", "reserved": "0", "pending": "0"}, "tokens": {}}
        await ws.close()


async def test_a_tick_change_reaches_the_market_channel_and_rest(venue):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http, http.ws_connect(venue.ws_market_url) as ws:
        await ws.send_str(json.dumps({"assets_ids": [spec.up_token], "type": "market", "initial_dump": False}))
        await asyncio.sleep(0)
        await inject(venue, kind="set_tick", tick="0.001")
        change = flat(await recv(ws))[0]
        assert (change["event_type"], change["asset_id"], change["new_tick_size"]) == (
            "tick_size_change", spec.up_token, "0.001")
        async with http.get(f"{venue.clob_url}/tick-size", params={"token_id": spec.up_token}) as resp:
            assert await resp.json() == {"minimum_tick_size": 0.001}


async def test_an_early_close_shows_on_gamma_and_the_market_resolves():
    clock = ManualClock(START_MS + 60_000)
    venue = PolymarketVenue(a_scenario(), clock, outcome=lambda spec: 1)
    await venue.start()
    try:
        spec = spec_of(venue)
        await inject(venue, kind="close_market")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{venue.gamma_url}/events", params={"series_id": "10114", "closed": "true"}) as r:
                [event] = await r.json()
            assert event["closed"] is True and event["markets"][0]["acceptingOrders"] is False
            await clock.run_until(spec.end_ms + venue.clob.config.resolve_delay_ms)
            async with http.get(f"{venue.gamma_url}/markets", params={"slug": spec.slug}) as r:
                [market] = await r.json()
            async with http.get(f"{venue.clob_url}/markets/{spec.condition_id}") as r:
                clob_market = await r.json()
        assert json.loads(market["outcomePrices"]) == ["0", "1"]
        assert [t["winner"] for t in clob_market["tokens"]] == [False, True]
    finally:
        await venue.stop()


async def test_a_rest_timeout_with_the_order_placed_behind_it(venue, clock):
    spec = spec_of(venue)
    await inject(venue, kind="rest_timeout", path="/order", delay_ms=20_000, placed=True)
    client = await asyncio.to_thread(sdk_client, venue)
    post = asyncio.create_task(asyncio.to_thread(sdk_limit, client, spec.up_token, 0.45, 10))
    await until(lambda: len(venue.clob.live_orders()) == 1)
    assert not post.done()
    await clock.run_until(clock.now_ms() + 20_000)
    with pytest.raises(PolyApiException) as err:
        await post
    assert err.value.status_code == 504
    listed = await asyncio.to_thread(client.get_open_orders, OpenOrderParams(market=spec.condition_id))
    assert len(listed) == 1


async def test_delayed_user_events_wait_for_scenario_time(venue, clock):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http:
        ws = await user_socket(http, venue, "alice")
        await inject(venue, kind="user_delay", delay_ms=3_000, duration_ms=60_000)
        await asyncio.to_thread(lambda: sdk_limit(sdk_client(venue), spec.up_token, 0.45, 10))
        await clock.run_until(clock.now_ms() + 2_999)
        assert venue.counters["ws_user_frames_sent"] == 0
        await clock.run_until(clock.now_ms() + 1)
        assert flat(await recv(ws))[0]["type"] == "PLACEMENT"
        await ws.close()


async def test_reordered_user_events_arrive_last_first(venue, clock):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http:
        ws = await user_socket(http, venue, "alice")
        await inject(venue, kind="user_reorder", duration_ms=1_000)

        def two():
            client = sdk_client(venue)
            return [sdk_limit(client, spec.up_token, p, 10)["orderID"] for p in (0.40, 0.41)]

        ids = await asyncio.to_thread(two)
        await clock.run_until(clock.now_ms() + 1_500)
        got = [m["id"] for m in await collect(ws, 2)]
        assert got == list(reversed(ids))
        await ws.close()
