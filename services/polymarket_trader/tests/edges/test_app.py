"""ContainerBApp end to end against fake venue servers: boots, quotes, stops cleanly; no secret in logs."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import aiohttp
import msgspec
from aiohttp import web
from trader_testkit.builders import a_snapshot

from edges.edge_kit import (
    TEST_API_KEY,
    TEST_KEY,
    TEST_PASSPHRASE,
    TEST_SECRET,
    FakeClob,
    FakeWs,
    hourly_event,
    start_server,
)
from hourmm_common.clock import ManualClock
from hourmm_common.enums import SessionState
from hourmm_common.logs import configure_logging
from hourmm_common.snapshot import encode_snapshot
from polymarket_trader.app import ContainerBApp
from polymarket_trader.config import BConfig
from polymarket_trader.core.events import CancelAllAckEvent, CancelAllRequested
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.journal_sqlite import EventJournalSQLite
from polymarket_trader.state_reducer import restore

H = 1_769_090_400_000
TOKEN = "control-token-" + "z" * 20


async def test_paper_app_boots_quotes_and_stops_with_cancel_all(tmp_path: Path) -> None:
    log = io.StringIO()
    configure_logging("INFO", service="polymarket_trader", stream=log)
    clock = ManualClock(H + 2 * 60_000)
    clob, ws = FakeClob(), FakeWs()
    event = hourly_event(H)
    market = event["markets"][0]
    up, down = msgspec.json.decode(market["clobTokenIds"])
    ws.on_subscribe = [msgspec.json.encode(
        [{"event_type": "book", "asset_id": tok, "market": market["conditionId"],
          "bids": [{"price": "0.40", "size": "100"}], "asks": [{"price": "0.60", "size": "100"}]}
         for tok in (up, down)]).decode()]
    gamma = web.Application()

    async def events(request: web.Request) -> web.Response:
        return web.json_response([event])

    async def snapshot(request: web.Request) -> web.Response:
        now = clock.now_ms()
        snap = a_snapshot(0.5, now_ms=now, seq=now, hour_start_ms=H)
        return web.Response(body=encode_snapshot(snap), content_type="application/json")

    gamma.router.add_get("/events", events)
    pricer = web.Application()
    pricer.router.add_get("/snapshot/latest", snapshot)
    servers = [await start_server(app) for app in (clob.app, ws.app, gamma, pricer)]
    (clob_url, _), (ws_url, _), (gamma_url, _), (pricer_url, _) = servers
    config, _ = BConfig.from_env({
        "MODE": "paper", "GAMMA_URL": gamma_url, "CLOB_URL": clob_url,
        "PM_WS_MARKET_URL": ws_url.replace("http", "ws") + "/ws/market",
        "PM_WS_USER_URL": ws_url.replace("http", "ws") + "/ws/user",
        "SNAPSHOT_URL": pricer_url + "/snapshot/latest", "SQLITE_PATH": str(tmp_path / "trader.sqlite"),
        "CONTROL_PORT": "0", "CONTROL_TOKEN": TOKEN, "POLY_PRIVATE_KEY": TEST_KEY, "POLY_API_KEY": TEST_API_KEY,
        "POLY_API_SECRET": TEST_SECRET, "POLY_API_PASSPHRASE": TEST_PASSPHRASE})
    app = ContainerBApp(config, clock)
    task = asyncio.create_task(app.run())
    try:
        await asyncio.wait_for(app.started.wait(), 5)
        reducer = app.reducer

        async def drive(pred: object, max_ms: int = 60_000) -> None:
            start = clock.now_ms()
            while not pred(reducer.view):  # type: ignore[operator]
                try:
                    await asyncio.wait_for(reducer.wait_changed(reducer.version), 0.05)
                except TimeoutError:
                    assert clock.now_ms() - start < max_ms, reducer.view.mode_reason
                    await clock.run_until(clock.now_ms() + 100)

        await drive(lambda s: s.session_state is SessionState.ACTIVE and s.active_market is not None)
        assert reducer.view.active_market.condition_id == market["conditionId"]  # type: ignore[union-attr]
        # the decision loop quoted; the executor signed, announced and posted; the venue acked
        await drive(lambda s: any(o.status is OrderStatus.LIVE for o in s.open_orders.values()))
        assert clob.count("POST /orders") + clob.count("POST /order") >= 1
        async with aiohttp.ClientSession() as session:
            port = app.control_plane.bound_port  # type: ignore[union-attr]
            async with session.get(f"http://127.0.0.1:{port}/health") as resp:
                assert resp.status == 200
            async with session.get(f"http://127.0.0.1:{port}/status",
                                   headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                status = await resp.json()
            async with session.get(f"http://127.0.0.1:{port}/metrics") as resp:
                metrics = await resp.text()
        assert status["session"] == "ACTIVE" and status["working_orders"]
        assert "hourmm_trader_rest_total" in metrics
        cancels_before = clob.count("DELETE /cancel-all")
        app.request_stop()
        await asyncio.wait_for(task, 10)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        clob.release.set()
        for _, runner in servers:
            await runner.cleanup()
    assert clob.count("DELETE /cancel-all") == cancels_before + 1  # SIGTERM path: cancel-all on the way out
    journal = EventJournalSQLite(tmp_path / "trader.sqlite")
    assert journal.count_events() == reducer.version  # everything that arrived was journaled
    events = [e for _, e in journal.load_events_since(0).events]
    [stop_req] = [e for e in events if isinstance(e, CancelAllRequested) and e.reason == "shutdown"]
    assert any(isinstance(e, CancelAllAckEvent) and e.client_req_id == stop_req.client_req_id for e in events)
    final, _ = restore(journal, CanonicalState())
    assert final == reducer.view and not final.open_orders  # the journal ends where the venue is: nothing out
    journal.close()
    text = log.getvalue()
    assert "trader_starting" in text and "trader_stopped" in text
    for secret in (TEST_KEY, TEST_KEY[2:], TEST_SECRET, TEST_PASSPHRASE, TOKEN):
        assert secret not in text


async def test_shadow_app_journals_decisions_and_sends_no_order(tmp_path: Path) -> None:
    clock = ManualClock(H + 2 * 60_000)
    clob, ws = FakeClob(), FakeWs()
    event = hourly_event(H)
    market = event["markets"][0]
    up, down = msgspec.json.decode(market["clobTokenIds"])
    ws.on_subscribe = [msgspec.json.encode(
        [{"event_type": "book", "asset_id": tok, "market": market["conditionId"],
          "bids": [{"price": "0.40", "size": "100"}], "asks": [{"price": "0.60", "size": "100"}]}
         for tok in (up, down)]).decode()]
    gamma = web.Application()

    async def events(request: web.Request) -> web.Response:
        return web.json_response([event])

    async def snapshot(request: web.Request) -> web.Response:
        now = clock.now_ms()
        return web.Response(body=encode_snapshot(a_snapshot(0.5, now_ms=now, seq=now, hour_start_ms=H)),
                            content_type="application/json")

    gamma.router.add_get("/events", events)
    gamma.router.add_get("/snapshot/latest", snapshot)
    servers = [await start_server(app) for app in (clob.app, ws.app, gamma)]
    (clob_url, _), (ws_url, _), (gamma_url, _) = servers
    config, _ = BConfig.from_env({
        "MODE": "shadow", "GAMMA_URL": gamma_url, "CLOB_URL": clob_url,
        "PM_WS_MARKET_URL": ws_url.replace("http", "ws") + "/ws/market",
        "SNAPSHOT_URL": gamma_url + "/snapshot/latest", "SQLITE_PATH": str(tmp_path / "shadow.sqlite"),
        "CONTROL_PORT": "0", "CONTROL_TOKEN": TOKEN})
    app = ContainerBApp(config, clock)
    task = asyncio.create_task(app.run())
    try:
        await asyncio.wait_for(app.started.wait(), 5)
        reducer = app.reducer
        start = clock.now_ms()
        while app.decision_loop.actions_sent == 0:
            try:
                await asyncio.wait_for(reducer.wait_changed(reducer.version), 0.05)
            except TimeoutError:
                assert clock.now_ms() - start < 60_000, reducer.view.mode_reason
                await clock.run_until(clock.now_ms() + 100)
        assert reducer.view.session_state is SessionState.ACTIVE and not reducer.view.open_orders
        app.request_stop()
        await asyncio.wait_for(task, 10)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        clob.release.set()
        for _, runner in servers:
            await runner.cleanup()
    assert clob.calls == []  # no order, cancel, heartbeat or other authenticated call reached the venue
    assert [p for p in ws.subscriptions if p["_path"] == "/ws/user"] == []
    journal = EventJournalSQLite(tmp_path / "shadow.sqlite")
    assert journal.load_decisions()  # the shadow run's output: what it would have done
    journal.close()
