"""Fault paths against fake venue servers on 127.0.0.1, with the real reducer in the loop (B-5).

websocket drop -> cancel-all -> HALT -> (ack + stabilisation) -> NORMAL; stale socket (no PONG)
-> reconnect; malformed frames counted, not fatal; REST timeout -> UNKNOWN -> resolved by the
open-orders query.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from trader_testkit.builders import a_snapshot

from edges.edge_kit import (
    FakeClob,
    FakeWs,
    Reply,
    a_market,
    a_signer,
    an_auth,
    drain,
    next_event,
    start_server,
)
from hourmm_common.clock import ManualClock
from hourmm_common.enums import RiskMode, SessionState
from hourmm_common.snapshot import BinanceSnapshot
from polymarket_trader.core.decision import DecisionRules, Pacing
from polymarket_trader.core.effects import PlaceOrder, QueryOpenOrders
from polymarket_trader.core.events import (
    BinanceSnapshotEvent,
    Channel,
    Event,
    MarketBboEvent,
    MarketSelected,
    OrderSubmitted,
    OrderTerms,
    ReducerTickEvent,
    RestErrorEvent,
    RestFailure,
    RestOp,
    Side,
    Token,
    WsConnected,
    WsDisconnected,
)
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.core.params import DecisionParams
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.core.strategy import OpportunisticQuoteStrategy, StrategyParams
from polymarket_trader.decision_loop import DecisionLoop
from polymarket_trader.executor import Executor
from polymarket_trader.journal_sqlite import EventJournalSQLite
from polymarket_trader.market_ws import PolymarketMarketWsClient
from polymarket_trader.reconciler import Reconciler, RestVenue
from polymarket_trader.rest_client import PolymarketRestClient
from polymarket_trader.state_reducer import StateReducer
from polymarket_trader.user_ws import PolymarketUserWsClient, UserTranslator

H = 1_769_090_400_000  # 2026-01-22T14:00Z
MARKET = a_market(hour_start_ms=H)
BOOK = json.dumps({"event_type": "book", "asset_id": MARKET.up_token_id, "market": MARKET.condition_id,
                   "bids": [{"price": "0.48", "size": "10"}], "asks": [{"price": "0.52", "size": "10"}],
                   "timestamp": "1"})


class Rig:
    def __init__(self, clock: ManualClock, reducer: StateReducer, clob: FakeClob, ws: FakeWs,
                 market_ws: PolymarketMarketWsClient, user_ws: PolymarketUserWsClient, reconciler: Reconciler,
                 executor: Executor) -> None:
        self.clock, self.reducer, self.clob, self.ws = clock, reducer, clob, ws
        self.market_ws, self.user_ws, self.reconciler, self.executor = market_ws, user_ws, reconciler, executor
        self.snapshot: BinanceSnapshot | None = None

    async def until(self, pred: Callable[[CanonicalState], bool], timeout_s: float = 5.0) -> CanonicalState:
        """Wait (on the reducer's publication, not on time) until the view satisfies `pred`."""
        async def wait() -> CanonicalState:
            while not pred(self.reducer.view):
                await self.reducer.wait_changed(self.reducer.version)
            return self.reducer.view
        return await asyncio.wait_for(wait(), timeout_s)

    async def feed(self, *events: object) -> None:
        for e in events:
            await self.reducer.inbox.put(e)  # type: ignore[arg-type]

    async def drive(self, pred: Callable[[CanonicalState], bool], *, step_ms: int = 250,
                    max_ms: int = 30_000) -> CanonicalState:
        """Until `pred` holds: wait for the reducer; when nothing happens, move the clock a step
        (ticks and a fresh snapshot go in, as the app's ticker and poller would send)."""
        start = self.clock.now_ms()
        while not pred(self.reducer.view):
            try:
                await asyncio.wait_for(self.reducer.wait_changed(self.reducer.version), 0.05)
            except TimeoutError:
                assert self.clock.now_ms() - start < max_ms, "condition never reached"
                await self.tick(step_ms)
        return self.reducer.view

    async def tick(self, advance_ms: int) -> None:
        await self.clock.run_until(self.clock.now_ms() + advance_ms)
        now = self.clock.now_ms()
        self.snapshot = a_snapshot(0.5, now_ms=now, seq=now, hour_start_ms=H)
        await self.feed(ReducerTickEvent(ts_local_ms=now, now_ms=now),
                        BinanceSnapshotEvent(ts_local_ms=now, snapshot=self.snapshot))


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    clob, ws = FakeClob(), FakeWs()
    clob_url, clob_runner = await start_server(clob.app)
    ws_url, ws_runner = await start_server(ws.app)
    clock = ManualClock(H + 60_000)
    journal = EventJournalSQLite(tmp_path / "j.sqlite")
    async with aiohttp.ClientSession() as session:
        signer = a_signer()
        rest = PolymarketRestClient(base_url=clob_url, session=session, auth=an_auth(signer), clock=clock, timeout_s=0.3)
        inbox: asyncio.Queue[Event] = asyncio.Queue()
        executor = Executor(rest=rest, signer=signer, out=inbox, clock=clock)
        common = {"session": session, "out": inbox, "clock": clock}
        market_ws = PolymarketMarketWsClient(url=ws_url.replace("http", "ws") + "/ws/market", **common)
        user_ws = PolymarketUserWsClient(url=ws_url.replace("http", "ws") + "/ws/user", funder=signer.funder,
                                         api_key="k", api_secret="s", api_passphrase="p", **common)
        reconciler = Reconciler(venue=RestVenue(rest), out=inbox, clock=clock, executor=executor,
                                translator=UserTranslator(funder=signer.funder, api_key="k"),
                                on_switch=[market_ws.switch_market, user_ws.switch_market, executor.set_market])
        reducer = StateReducer(journal, CanonicalState(), reconciler, clock, inbox=inbox)
        rig = Rig(clock, reducer, clob, ws, market_ws, user_ws, reconciler, executor)
        d = DecisionParams()
        loop = DecisionLoop(state_provider=lambda: reducer.view, snapshot_provider=lambda: rig.snapshot,
                            rules=DecisionRules.of(d, OpportunisticQuoteStrategy(StrategyParams(), d)),
                            sink=reconciler, clock=clock, pacing=Pacing(n=clock.now_ms()))
        tasks = [asyncio.create_task(c) for c in (reducer.run(), reconciler.run(), executor.run(), market_ws.run(),
                                                  user_ws.run(), loop.run())]
        try:
            yield rig
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            clob.release.set()
    await ws_runner.cleanup()
    await clob_runner.cleanup()
    journal.close()


async def boot(rig: Rig) -> None:
    rig.ws.on_subscribe = [BOOK]
    await rig.feed(MarketSelected(ts_local_ms=rig.clock.now_ms(), market=MARKET))
    await rig.until(lambda s: s.session_state is SessionState.ACTIVE and s.health.market_ws_connected
                    and s.health.user_ws_connected)
    await rig.tick(0)
    await rig.until(lambda s: s.risk_mode is RiskMode.NORMAL and s.market_view.up_bid_e4 == 4800)


def _posts(clob: FakeClob) -> int:
    return clob.count("POST /order") + clob.count("POST /orders")


async def test_websocket_drop_cancels_all_halts_then_returns_to_normal(rig: Rig) -> None:
    await boot(rig)
    assert rig.clob.count("DELETE /cancel-all") == 1  # the boot sync's
    await rig.drive(lambda s: any(o.status is OrderStatus.LIVE for o in s.open_orders.values()))
    assert _posts(rig.clob) >= 1  # quoting in NORMAL
    await rig.ws.drop()
    halted = await rig.until(lambda s: s.risk_mode is RiskMode.HALT)
    assert not halted.health.market_ws_connected and halted.flags.cancel_all_pending is not None
    # reconnect backoff, cancel-all cooldown and stabilisation all run on the (manual) clock
    acked = await rig.drive(lambda s: s.health.market_ws_connected and s.health.user_ws_connected
                            and s.flags.cancel_all_pending is None and s.flags.cancel_all_acked_ms is not None)
    assert acked.risk_mode is RiskMode.HALT  # acked, not yet stable
    assert rig.clob.count("DELETE /cancel-all") >= 2 and rig.clob.open == {}  # the venue holds nothing of ours
    posts_in_halt = _posts(rig.clob)
    back = await rig.drive(lambda s: s.risk_mode is RiskMode.NORMAL)
    assert _posts(rig.clob) == posts_in_halt  # no new order while the reconcile was in progress
    assert back.flags.halt_reason is None
    assert back.now_ms >= acked.flags.cancel_all_acked_ms + back.params.stabilize_ms  # type: ignore[operator]
    assert all(s["_path"] in ("/ws/market", "/ws/user") for s in rig.ws.subscriptions)
    assert rig.market_ws.connects == 2 and rig.user_ws.connects == 2
    await rig.drive(lambda s: _posts(rig.clob) > posts_in_halt)  # and quoting resumes once NORMAL


async def test_no_pong_for_30s_is_stale_and_reconnects(tmp_path: Path) -> None:
    ws = FakeWs()
    url, runner = await start_server(ws.app)
    clock = ManualClock(H)
    q: asyncio.Queue[object] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        client = PolymarketMarketWsClient(url=url.replace("http", "ws") + "/ws/market", session=session,
                                          out=q, clock=clock)  # type: ignore[arg-type]
        client.switch_market(MARKET)
        task = asyncio.create_task(client.run())
        try:
            assert await next_event(q) == WsConnected(ts_local_ms=H, channel=Channel.MARKET, reconnect=False)
            ws.mute = True
            for n in (1, 2):  # PINGs at 10 s and 20 s go unanswered
                await clock.run_until(clock.now_ms() + 10_000)
                await asyncio.wait_for(_pings_reach(ws, n), 5)
            await clock.run_until(clock.now_ms() + 10_000)  # 30 s without PONG
            gone = await next_event(q)
            assert isinstance(gone, WsDisconnected) and gone.reason.startswith("stale")
            ws.mute = False
            await clock.run_until(clock.now_ms() + 1_000)
            again = await next_event(q)
            assert again == WsConnected(ts_local_ms=again.ts_local_ms, channel=Channel.MARKET, reconnect=True)
            assert client.counts["stale"] == 1 and len(ws.subscriptions) == 2
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    await runner.cleanup()


async def _pings_reach(ws: FakeWs, n: int) -> None:
    while ws.pings < n:
        await asyncio.sleep(0)


async def test_malformed_frames_are_counted_and_the_socket_lives_on() -> None:
    ws = FakeWs()
    ws.on_subscribe = ["{garbage", "[]", '{"event_type": "mystery"}', "NO NEW ASSETS", BOOK]
    url, runner = await start_server(ws.app)
    q: asyncio.Queue[object] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        client = PolymarketMarketWsClient(url=url.replace("http", "ws") + "/ws/market", session=session,
                                          out=q, clock=ManualClock(H))  # type: ignore[arg-type]
        client.switch_market(MARKET)
        task = asyncio.create_task(client.run())
        try:
            assert isinstance(await next_event(q), WsConnected)
            bbo = await next_event(q)
            assert isinstance(bbo, MarketBboEvent) and bbo.token is Token.UP and bbo.best_ask_e4 == 5200
            assert client.translator.counts["malformed_frame"] == 1
            assert client.parse_message("{still garbage") == []  # the same path, called directly
            assert client.translator.counts["unknown_event_type"] == 1
            assert client.translator.counts["malformed_frame"] == 2
            assert client.connected and drain(q) == []
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    await runner.cleanup()


async def test_rest_timeout_leaves_the_order_unknown_until_the_open_orders_query_resolves_it(rig: Rig) -> None:
    await boot(rig)
    rig.clob.script["POST /order"] = [Reply(hang=True)]
    place = PlaceOrder(client_req_id="d1:bid", condition_id=MARKET.condition_id, tick_e4=100,
                       terms=OrderTerms(token=Token.UP, side=Side.BUY, price_e4=4700, size_e6=5_000_000,
                                        expiration_s=(H + 3_540_000) // 1000 + 60))
    sink: asyncio.Queue[object] = asyncio.Queue()  # the executor's output, inspected before it reaches the reducer
    executor = Executor(rest=rig.executor._rest, signer=a_signer(), out=sink, clock=rig.clock)  # type: ignore[arg-type]
    executor.set_market(MARKET)
    await executor.execute([place])
    submitted, error = drain(sink)
    assert isinstance(submitted, OrderSubmitted) and isinstance(error, RestErrorEvent)
    assert (error.op, error.failure, error.order_ids) == (RestOp.PLACE, RestFailure.TIMEOUT, (submitted.order_id,))
    # The venue did take it: it is listed as open when the reconciler asks.
    rig.clob.open[submitted.order_id] = {"id": submitted.order_id, "status": "LIVE", "market": MARKET.condition_id,
                                         "asset_id": MARKET.up_token_id, "side": "BUY", "price": "0.47",
                                         "original_size": "5", "size_matched": "0", "expiration": "0",
                                         "created_at": 1}
    effects = rig.reducer.fold([submitted])
    effects += rig.reducer.fold([error])
    unknown = rig.reducer.view.open_orders[submitted.order_id]
    assert unknown.status is OrderStatus.UNKNOWN  # never assumed gone
    assert any(isinstance(e, QueryOpenOrders) for e in effects)
    rig.reconciler.handle([e for e in effects if isinstance(e, QueryOpenOrders)])
    resolved = await rig.until(lambda s: s.open_orders.get(submitted.order_id) is None
                               or s.open_orders[submitted.order_id].status is not OrderStatus.UNKNOWN)
    order = resolved.open_orders.get(submitted.order_id)
    assert order is not None and order.status is OrderStatus.LIVE
