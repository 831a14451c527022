"""Executor: intent before IO, batches of 15, typed outcomes; reconciler: coalesced cancel-all with cooldown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from trader_testkit.builders import split_terms

from edges.edge_kit import FakeClob, JumpClock, Reply, a_market, a_signer, an_auth, drain, start_server
from polymarket_trader.core.effects import CancelAll, CancelOrders, PlaceOrder, QueryBalances
from polymarket_trader.core.events import (
    BalancesSnapshot,
    CancelAckEvent,
    CancelAllAckEvent,
    CancelAllRequested,
    CancelRequested,
    Event,
    OrderSubmitted,
    RestErrorEvent,
    RestFailure,
    RestOrderAckEvent,
    RestOrderRejected,
    Side,
    Token,
    VenueOrderStatus,
)
from polymarket_trader.executor import Executor, ShadowExecutor
from polymarket_trader.reconciler import Reconciler, RestVenue
from polymarket_trader.rest_client import PolymarketRestClient
from polymarket_trader.user_ws import UserTranslator

H = 1_769_090_400_000
MARKET = a_market(hour_start_ms=H)


def a_place(i: int, **kw: object) -> PlaceOrder:
    base: dict[str, object] = {"client_req_id": f"d{i}:bid", "condition_id": MARKET.condition_id, "token": Token.UP,
                               "side": Side.BUY, "price_e4": 4000 + 100 * (i % 20), "size_e6": 5_000_000,
                               "expiration_s": (H + 3_600_000) // 1000, "tick_e4": 100}
    return PlaceOrder(**split_terms(base | kw))


class Env:
    def __init__(self, clob: FakeClob, rest: PolymarketRestClient, q: asyncio.Queue[Event], clock: JumpClock) -> None:
        self.clob, self.rest, self.q, self.clock = clob, rest, q, clock
        self.executor = Executor(rest=rest, signer=a_signer(), out=q, clock=clock)
        self.executor.set_market(MARKET)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clob = FakeClob()
    url, runner = await start_server(clob.app)
    clock = JumpClock(H + 60_000)
    async with aiohttp.ClientSession() as session:
        rest = PolymarketRestClient(base_url=url, session=session, auth=an_auth(a_signer()), clock=clock, timeout_s=0.3)
        yield Env(clob, rest, asyncio.Queue(), clock)
    clob.release.set()
    await runner.cleanup()


async def test_intent_is_announced_before_the_post_and_acked_after(env: Env) -> None:
    env.executor.submit([a_place(1)])
    assert env.executor.health()["queued_batches"] == 1  # submit() only enqueues
    await env.executor.drain()
    submitted, ack = drain(env.q)
    assert isinstance(submitted, OrderSubmitted) and isinstance(ack, RestOrderAckEvent)
    assert submitted.order_id == ack.order_id and ack.venue_status is VenueOrderStatus.LIVE
    assert (submitted.price_e4, submitted.size_e6, submitted.post_only) == (4100, 5_000_000, True)
    assert env.executor.inflight == {}


async def test_twenty_orders_go_in_batches_of_fifteen_and_five(env: Env) -> None:
    await env.executor.execute([a_place(i) for i in range(20)])
    events = drain(env.q)
    assert sum(isinstance(e, OrderSubmitted) for e in events) == 20
    assert sum(isinstance(e, RestOrderAckEvent) for e in events) == 20
    sizes = sorted(len(p) for m, path, p in env.clob.calls if path == "/orders" and m == "POST")
    assert sizes == [5, 15]


async def test_rejections_errors_and_unsignable_orders_become_events(env: Env) -> None:
    env.clob.script["POST /order"] = [Reply(200, {"success": False, "errorMsg": "invalid post-only order: order crosses book"})]
    await env.executor.execute([a_place(1)])
    _, rejected = drain(env.q)
    assert isinstance(rejected, RestOrderRejected) and rejected.post_only_cross
    env.clob.script["POST /order"] = [Reply(502, {"error": "bad gateway"})]
    await env.executor.execute([a_place(2)])
    submitted, error = drain(env.q)
    assert isinstance(error, RestErrorEvent) and error.failure is RestFailure.SERVER_ERROR
    assert error.order_ids == (submitted.order_id,)  # type: ignore[union-attr]
    await env.executor.execute([a_place(3, price_e4=4150)])  # off the 0.01 grid: never signed, never sent
    [unsigned] = drain(env.q)
    assert isinstance(unsigned, RestOrderRejected) and unsigned.reason.startswith("not signed")


async def test_cancels_and_cancel_all_report_intent_then_outcome(env: Env) -> None:
    await env.executor.execute([a_place(1), a_place(2)])
    ids = [e.order_id for e in drain(env.q) if isinstance(e, OrderSubmitted)]
    await env.executor.execute([CancelOrders(client_req_id="c1", order_ids=(ids[0], "0xnope"), reason="replace")])
    req, ack = drain(env.q)
    assert isinstance(req, CancelRequested) and isinstance(ack, CancelAckEvent)
    assert ack.canceled == (ids[0],) and ack.not_canceled == (("0xnope", "already canceled or matched"),)
    await env.executor.execute([CancelAll(client_req_id="ca", condition_id=MARKET.condition_id, reason="cutoff")])
    req, ack = drain(env.q)
    assert isinstance(req, CancelAllRequested) and ack == CancelAllAckEvent(ts_local_ms=ack.ts_local_ms,
                                                                            client_req_id="ca", canceled=(ids[1],))
    env.clob.script["DELETE /cancel-all"] = [Reply(hang=True)] * 3
    await env.executor.execute([CancelAll(client_req_id="cb", condition_id=None, reason="halt")])
    _, err = drain(env.q)
    assert isinstance(err, RestErrorEvent) and err.failure is RestFailure.TIMEOUT


async def test_reconciler_coalesces_cancel_alls_and_keeps_them_apart(env: Env) -> None:
    recon = Reconciler(venue=RestVenue(env.rest), out=env.q, clock=env.clock, executor=env.executor,
                       translator=UserTranslator(funder="0x0", api_key="k"), cooldown_ms=2_000)
    recon.switch_market(MARKET)
    task = asyncio.create_task(recon.run())
    try:
        recon.handle([CancelAll(client_req_id="a", condition_id=None, reason="r1")])
        for _ in range(2):
            await asyncio.wait_for(env.q.get(), 5)
        t_first = env.clock.now_ms()
        recon.handle([CancelAll(client_req_id="b", condition_id=None, reason="r2"),
                      CancelAll(client_req_id="c", condition_id=MARKET.condition_id, reason="r3")])
        got = [await asyncio.wait_for(env.q.get(), 5) for _ in range(4)]
        acks = [e.client_req_id for e in got if isinstance(e, CancelAllAckEvent)]
        assert acks == ["b", "c"]  # every request answered
        assert env.clob.count("DELETE /cancel-all") == 2  # ... by one call for the pair
        assert env.clock.now_ms() >= t_first + 2_000  # the cooldown held the second call back
        recon.handle([QueryBalances(reason="boot")])
        bal = await asyncio.wait_for(env.q.get(), 5)
        assert bal == BalancesSnapshot(ts_local_ms=bal.ts_local_ms, usdc_e6=1_000_000_000, up_e6=0, down_e6=0,
                                       condition_id=MARKET.condition_id)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_shadow_executor_sends_nothing_and_emits_nothing() -> None:
    q: asyncio.Queue[Event] = asyncio.Queue()
    shadow = ShadowExecutor(out=q, clock=JumpClock(H))
    shadow.submit([a_place(1), CancelOrders(client_req_id="c", order_ids=("0x1",), reason="x")])
    assert q.empty() and shadow.counts["shadow_PlaceOrder"] == 1 and len(shadow.recent) == 2
