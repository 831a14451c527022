"""The REST client: L2-signed calls, typed results, 429 back-off, timeouts, retries only where safe."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from trader_testkit.builders import split_terms

from edges.edge_kit import FakeClob, JumpClock, Reply, a_signer, an_auth, fixture_text, start_server
from polymarket_trader.core.events import OrderTerms, OrderType, RestFailure, Side, Token, VenueOrderStatus
from polymarket_trader.rest_client import MAX_BATCH, Failed, Ok, PlaceAck, PolymarketRestClient, Rejected
from polymarket_trader.signing import OrderSpec

TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"


class Env:
    def __init__(self, clob: FakeClob, rest: PolymarketRestClient, clock: JumpClock) -> None:
        self.clob, self.rest, self.clock = clob, rest, clock


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clob = FakeClob()
    url, runner = await start_server(clob.app)
    clock = JumpClock(1_760_000_000_000)
    async with aiohttp.ClientSession() as session:
        rest = PolymarketRestClient(base_url=url, session=session, auth=an_auth(a_signer()), clock=clock,
                                    timeout_s=0.2)
        yield Env(clob, rest, clock)
    clob.release.set()
    await runner.cleanup()


def signed(n: int, **kw: object) -> list:  # type: ignore[type-arg]
    signer = a_signer()
    spec = {"token_id": TOKEN, "token": Token.UP, "side": Side.BUY, "price_e4": 5000, "size_e6": 5_000_000, "expiration_s": 1_800_000_000,
            "tick_e4": 100} | kw
    return [signer.sign(OrderSpec(**split_terms(spec)), timestamp_ms=1_760_000_000_000 + i) for i in range(n)]


async def test_place_one_and_a_batch_are_acked_by_our_precomputed_ids(env: Env) -> None:
    [one] = signed(1)
    assert await env.rest.place_orders([one]) == [Ok(PlaceAck(order_id=one.order_id, status=VenueOrderStatus.LIVE))]
    batch = signed(MAX_BATCH)
    results = await env.rest.place_orders(batch)
    assert [r.value.order_id for r in results if isinstance(r, Ok)] == [s.order_id for s in batch]
    assert env.clob.count("POST /order") == 1 and env.clob.count("POST /orders") == 1
    with pytest.raises(ValueError):
        await env.rest.place_orders(signed(MAX_BATCH + 1))


async def test_refusals_are_rejected_with_post_only_flag_and_batch_legs_apart(env: Env) -> None:
    a, b = signed(2)
    env.clob.script["POST /orders"] = [Reply(200, [
        {"success": False, "errorMsg": "invalid post-only order: order crosses book", "orderID": ""},
        {"success": True, "errorMsg": "", "orderID": b.order_id, "status": "matched"}])]
    r_a, r_b = await env.rest.place_orders([a, b])
    assert isinstance(r_a, Rejected) and r_a.post_only_cross
    assert r_b == Ok(PlaceAck(order_id=b.order_id, status=VenueOrderStatus.MATCHED))
    env.clob.script["POST /order"] = [Reply(400, {"error": "order 0x1 is invalid. Duplicated."})]
    [dup] = await env.rest.place_orders([a])
    assert isinstance(dup, Rejected) and "Duplicated" in dup.reason and not dup.post_only_cross
    env.clob.script["POST /order"] = [Reply(200, {"success": False, "orderID": None, "errorMsg": "Insufficient balance"})]
    [poor] = await env.rest.place_orders([a])
    assert isinstance(poor, Rejected) and poor.reason == "Insufficient balance"


async def test_a_post_that_times_out_or_5xx_is_unknown_and_never_retried(env: Env) -> None:
    [a] = signed(1)
    env.clob.script["POST /order"] = [Reply(hang=True)]
    [r] = await env.rest.place_orders([a])
    assert isinstance(r, Failed) and r.failure is RestFailure.TIMEOUT
    env.clob.script["POST /order"] = [Reply(500, {"error": "Internal server error"})]
    [r] = await env.rest.place_orders([a])
    assert isinstance(r, Failed) and r.failure is RestFailure.SERVER_ERROR
    assert env.clob.count("POST /order") == 2  # one call each: a POST is never retried blindly
    env.clob.script["POST /order"] = [Reply(503, {"error": "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed."})]
    [r] = await env.rest.place_orders([a])
    assert isinstance(r, Failed) and r.failure is RestFailure.CANCEL_ONLY


async def test_cancels_and_reads_are_retried_with_backoff(env: Env) -> None:
    env.clob.script["DELETE /cancel-all"] = [Reply(502, {"error": "bad gateway"}), Reply(hang=True)]
    t0 = env.clock.now_ms()
    result = await env.rest.cancel_all()
    assert isinstance(result, Ok) and env.clob.count("DELETE /cancel-all") == 3
    assert env.clock.now_ms() > t0  # backed off on the clock between attempts
    env.clob.script["GET /data/orders"] = [Reply(500, {"error": "x"}), Reply(500, {"error": "x"}), Reply(500, {"error": "x"})]
    orders = await env.rest.open_orders("0xabc")
    assert isinstance(orders, Failed) and orders.failure is RestFailure.SERVER_ERROR
    assert env.clob.count("GET /data/orders") == 3  # 1 + read_retries, then give up


async def test_429_starts_a_cooldown_from_retry_after_that_later_calls_wait_out(env: Env) -> None:
    env.clob.script["GET /balance-allowance"] = [Reply(429, {"error": "Too Many Requests"}, headers={"Retry-After": "2"})]
    t0 = env.clock.now_ms()
    result = await env.rest.balance()
    assert result == Ok(1_000_000_000)  # the retry waited out the cooldown, then succeeded
    assert env.clock.now_ms() - t0 >= 2_000
    env.clob.script["POST /order"] = [Reply(429, {"error": "Too Many Requests"}, headers={"Retry-After": "3"})]
    [a] = signed(1)
    [r] = await env.rest.place_orders([a])
    assert isinstance(r, Failed) and r.failure is RestFailure.RATE_LIMITED
    t1 = env.clock.now_ms()
    await env.rest.cancel([a.order_id])  # the next call waits out the cooldown first
    assert env.clock.now_ms() - t1 >= 3_000
    assert env.rest.counts["waited_rate_limit"] >= 1


async def test_wrong_credentials_are_unauthorized_and_cancel_answers_parse(env: Env) -> None:
    [a] = signed(1)
    await env.rest.place_orders([a])
    ok = await env.rest.cancel([a.order_id, "0xgone"])
    assert isinstance(ok, Ok) and ok.value.canceled == (a.order_id,)
    assert ok.value.not_canceled == (("0xgone", "already canceled or matched"),)
    bad = PolymarketRestClient(base_url=env.rest.base_url, session=env.rest._session, auth=None, clock=env.clock)
    r = await bad.cancel_all()
    assert isinstance(r, Failed) and r.failure is RestFailure.UNAUTHORIZED


async def test_fixture_shaped_answers_decode(env: Env) -> None:
    env.clob.script["GET /data/orders"] = [Reply(200, __import__("json").loads(fixture_text("rest/data_orders_page.json")))]
    orders = await env.rest.open_orders("0xdd22")
    assert isinstance(orders, Ok) and [o.id[:6] for o in orders.value] == ["0xaaaa", "0xbbbb"]
    env.clob.script["DELETE /orders"] = [Reply(200, __import__("json").loads(fixture_text("rest/cancel_orders_response.json")))]
    res = await env.rest.cancel(["0x1", "0x2", "0x3"])
    assert isinstance(res, Ok) and len(res.value.canceled) == 2 and len(res.value.not_canceled) == 1


async def test_heartbeat_chains_ids(env: Env) -> None:
    first = await env.rest.heartbeat("")
    second = await env.rest.heartbeat(first.value if isinstance(first, Ok) else "")
    assert (first, second) == (Ok("hb-1"), Ok("hb-2"))
    wrong = await env.rest.heartbeat("hb-999")
    assert isinstance(wrong, Rejected) and wrong.data == "hb-2"


def test_fak_spec_is_not_post_only() -> None:
    assert OrderSpec(token_id="1", tick_e4=100, terms=OrderTerms(token=Token.UP, side=Side.BUY, price_e4=5000, size_e6=1,
                     expiration_s=0, order_type=OrderType.FAK, post_only=False)).order_type is OrderType.FAK
