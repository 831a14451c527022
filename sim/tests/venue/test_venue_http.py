"""py-clob-client-v2 itself, pointed at the venue, can authenticate, place, list and cancel
orders for every signature type; Gamma lists the hour; REST faults, cancel-only and the
dead-man switch behave as on the real venue."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from py_clob_client_v2 import (
    OpenOrderParams,
    OrderArgs,
    OrderMarketCancelParams,
    OrderPayload,
    PartialCreateOrderOptions,
    PostOrdersV2Args,
    TradeParams,
)
from py_clob_client_v2.exceptions import PolyApiException
from venue_testkit import DEPOSIT_WALLET, PK_DEPOSIT, PK_EOA, PK_SAFE, SAFE, sdk_client, sdk_limit

from hourmm_common.paths import fixtures_dir


def spec_of(venue):
    return next(iter(venue.clob.markets.values())).spec


@pytest.mark.parametrize(("pk", "sig_type", "funder"), [
    (PK_EOA, 0, None), (PK_SAFE, 2, SAFE), (PK_DEPOSIT, 3, DEPOSIT_WALLET)])
async def test_the_sdk_places_lists_and_cancels_orders(venue, pk, sig_type, funder):
    spec = spec_of(venue)

    def flow():
        client = sdk_client(venue, pk, sig_type, funder)
        posted = sdk_limit(client, spec.up_token, 0.45, 10)
        listed = client.get_open_orders(OpenOrderParams(market=spec.condition_id))
        canceled = client.cancel_order(OrderPayload(orderID=posted["orderID"]))
        after = client.get_open_orders(OpenOrderParams(market=spec.condition_id))
        return posted, listed, canceled, after

    posted, listed, canceled, after = await asyncio.to_thread(flow)
    assert posted["success"] and posted["status"] == "live" and len(posted["orderID"]) == 66
    recorded = json.loads((fixtures_dir() / "polymarket" / "rest" / "post_order_response_ok.json").read_text())
    assert set(recorded) <= set(posted)
    assert {"status", "makingAmount", "takingAmount", "transactionsHashes", "tradeIDs"} <= set(posted)
    assert [o["id"] for o in listed] == [posted["orderID"]]
    assert listed[0]["maker_address"].lower() == (funder or listed[0]["maker_address"]).lower()
    assert canceled == {"canceled": [posted["orderID"]], "not_canceled": {}}
    assert after == []


async def test_post_only_crossing_is_refused_with_the_real_error(venue):
    spec = spec_of(venue)

    def flow():
        alice = sdk_client(venue, PK_EOA)
        bob = sdk_client(venue, PK_SAFE, 2, SAFE)
        sdk_limit(alice, spec.up_token, 0.45, 10)
        with pytest.raises(PolyApiException) as err:
            sdk_limit(bob, spec.down_token, 0.55, 10)
        return err.value

    err = await asyncio.to_thread(flow)
    assert err.status_code == 400 and err.error_msg == {"error": "invalid post-only order: order crosses book"}


async def test_bad_hmac_is_unauthorized(venue):
    creds = venue.accounts.creds_for(venue.scenario.users[0].eoa())
    headers = {"POLY_ADDRESS": creds.address, "POLY_API_KEY": creds.api_key, "POLY_PASSPHRASE": creds.passphrase,
               "POLY_TIMESTAMP": "1700000000", "POLY_SIGNATURE": "AAAA"}
    async with aiohttp.ClientSession() as http, http.get(f"{venue.clob_url}/data/orders", headers=headers) as resp:
        assert resp.status == 401
        assert await resp.json() == {"error": "Unauthorized/Invalid api key"}
    assert venue.counters["rest_auth_failures"] == 1


async def test_gamma_lists_the_hour_in_the_hourly_series(venue):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{venue.gamma_url}/events", params={"series_id": "10114", "closed": "false"}) as resp:
            events = await resp.json()
        async with http.get(f"{venue.gamma_url}/markets", params={"slug": spec.slug}) as resp:
            markets = await resp.json()
    assert len(events) == 1 and events[0]["markets"][0]["conditionId"] == spec.condition_id
    market = events[0]["markets"][0]
    assert market["eventStartTime"] == "2025-06-02T14:00:00Z" and market["acceptingOrders"] is True
    assert markets[0]["clobTokenIds"] == f'["{spec.up_token}", "{spec.down_token}"]'


async def test_a_500_with_the_order_placed_behind_it(venue):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http:
        fault = {"kind": "rest_error", "path": "/order", "status": 500, "placed": True}
        async with http.post(f"{venue.clob_url}/_sim/faults", json=fault) as resp:
            assert resp.status == 200

    def flow():
        client = sdk_client(venue)
        with pytest.raises(PolyApiException) as err:
            sdk_limit(client, spec.up_token, 0.45, 10)
        return err.value.status_code, client.get_open_orders(OpenOrderParams(market=spec.condition_id))

    status, open_orders = await asyncio.to_thread(flow)
    assert status == 500 and len(open_orders) == 1


async def test_cancel_only_mode_answers_503(venue):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http:
        await http.post(f"{venue.clob_url}/_sim/faults", json={"kind": "cancel_only"})

    def flow():
        with pytest.raises(PolyApiException) as err:
            sdk_limit(sdk_client(venue), spec.up_token, 0.45, 10)
        return err.value

    err = await asyncio.to_thread(flow)
    assert err.status_code == 503 and "cancel-only" in err.error_msg["error"]


async def test_heartbeat_silence_cancels_orders_within_ten_seconds(venue, clock):
    spec = spec_of(venue)

    def flow():
        client = sdk_client(venue)
        sdk_limit(client, spec.up_token, 0.45, 10)
        return client, client.post_heartbeat("")["heartbeat_id"]

    client, hb = await asyncio.to_thread(flow)
    await clock.run_until(clock.now_ms() + 9_000)
    assert len(venue.clob.live_orders()) == 1
    with pytest.raises(PolyApiException) as err:
        await asyncio.to_thread(client.post_heartbeat, "wrong-id")
    assert err.value.error_msg == {"error": "Invalid Heartbeat ID", "heartbeat_id": hb}
    await clock.run_until(clock.now_ms() + 2_000)
    assert venue.clob.live_orders() == []


async def test_ledger_and_balance_views_agree(venue):
    spec = spec_of(venue)

    def flow():
        client = sdk_client(venue, PK_DEPOSIT, 3, DEPOSIT_WALLET)
        sdk_limit(client, spec.up_token, 0.40, 10)
        return client.get_balance_allowance()

    balance = await asyncio.to_thread(flow)
    assert balance["balance"] == "1000000000"
    async with aiohttp.ClientSession() as http, \
            http.get(f"{venue.clob_url}/_sim/ledger", params={"address": DEPOSIT_WALLET}) as resp:
        ledger = await resp.json()
    assert ledger["pusd"] == {"balance": "1000", "reserved": "4", "pending": "0"}
    async with aiohttp.ClientSession() as http, http.get(f"{venue.clob_url}/_sim/ledger") as resp:
        everyone = await resp.json()
    assert {v["address"] for v in everyone} == {u.funder_address().lower() for u in venue.scenario.users}


async def test_batch_post_cancel_market_and_cancel_all_through_the_sdk(venue):
    spec = spec_of(venue)

    def flow():
        client = sdk_client(venue)
        opts = PartialCreateOrderOptions(tick_size="0.01", neg_risk=False)
        batch = [PostOrdersV2Args(order=client.create_order(OrderArgs(token_id=token, price=0.40, size=size,
                                                                      side="BUY"), opts), orderType="GTC")
                 for token, size in ((spec.up_token, 10), (spec.down_token, 10), (spec.up_token, 1))]
        posted = client.post_orders(batch, post_only=True)
        by_market = client.cancel_market_orders(OrderMarketCancelParams(market=spec.condition_id,
                                                                        asset_id=spec.down_token))
        remaining = client.get_open_orders(OpenOrderParams(market=spec.condition_id))
        everything = client.cancel_all()
        return posted, by_market, remaining, everything

    posted, by_market, remaining, everything = await asyncio.to_thread(flow)
    assert [p["success"] for p in posted] == [True, True, False]
    assert "lower than the minimum: 5" in posted[2]["errorMsg"]
    assert by_market["canceled"] == [posted[1]["orderID"]]
    assert [o["id"] for o in remaining] == [posted[0]["orderID"]]
    assert everything == {"canceled": [posted[0]["orderID"]], "not_canceled": {}}


async def test_trades_are_listed_for_both_sides_with_their_status(venue, clock):
    spec = spec_of(venue)

    def trade():
        alice = sdk_client(venue, PK_EOA)
        sdk_limit(alice, spec.up_token, 0.45, 10)
        taken = sdk_limit(sdk_client(venue, PK_SAFE, 2, SAFE), spec.down_token, 0.55, 10, post_only=False)
        return alice, taken

    alice, taken = await asyncio.to_thread(trade)
    await clock.run_until(clock.now_ms() + venue.clob.config.confirmed_delay_ms)
    trades = await asyncio.to_thread(alice.get_trades, TradeParams(market=spec.condition_id))
    assert [(t["id"], t["trader_side"], t["status"]) for t in trades] == [(taken["tradeIDs"][0], "MAKER", "CONFIRMED")]
    assert trades[0]["maker_orders"][0]["matched_amount"] == "10"


async def test_rest_faults_match_the_method_as_well_as_the_path(venue):
    spec = spec_of(venue)
    async with aiohttp.ClientSession() as http:
        await http.post(f"{venue.clob_url}/_sim/faults",
                        json={"kind": "rest_error", "method": "DELETE", "path": "/order", "status": 429})

    def flow():
        client = sdk_client(venue)
        posted = sdk_limit(client, spec.up_token, 0.45, 10)  # POST /order is not affected
        with pytest.raises(PolyApiException) as err:
            client.cancel_order(OrderPayload(orderID=posted["orderID"]))
        return err.value, client.cancel_order(OrderPayload(orderID=posted["orderID"]))

    err, retried = await asyncio.to_thread(flow)
    assert err.status_code == 429 and err.error_msg == {"error": "Too Many Requests"}
    assert len(retried["canceled"]) == 1


async def test_the_admin_api_reports_an_owners_order_outcomes(venue):
    spec = spec_of(venue)

    def flow():
        client = sdk_client(venue, PK_EOA)
        posted = sdk_limit(client, spec.up_token, 0.45, 10)
        client.cancel_order(OrderPayload(orderID=posted["orderID"]))
        return client.creds.api_key

    api_key = await asyncio.to_thread(flow)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{venue.clob_url}/_sim/orders", params={"owner": api_key}) as resp:
            assert resp.status == 200
            assert await resp.json() == {spec.condition_id: {"placed": 1, "cancelled": 1, "expired": 0,
                                                             "rejected": 0}}
        async with http.get(f"{venue.clob_url}/_sim/orders") as resp:
            assert resp.status == 400 and "owner" in (await resp.json())["error"]
