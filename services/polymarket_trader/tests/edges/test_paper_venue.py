"""Paper mode against the real local venue (`hourmm_sim`), an independent witness of our wire code:
it checks our V2 deposit-wallet signatures and L2 headers with its own code."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
from aiohttp import web
from eth_account import Account
from trader_testkit.builders import a_snapshot
from venue_testkit import DEPOSIT_WALLET, PK_DEPOSIT, START_MS, a_scenario

from edges.edge_kit import start_server
from hourmm_common.clock import ManualClock
from hourmm_common.enums import SessionState
from hourmm_common.snapshot import encode_snapshot
from hourmm_sim.polymarket.venue import PolymarketVenue
from polymarket_trader.app import ContainerBApp
from polymarket_trader.config import BConfig
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.rest_client import Ok, PolymarketRestClient
from polymarket_trader.signing import L2Auth, OrderSigner

TOKEN = "paper-control-token-0123456789"


async def test_paper_trader_quotes_on_the_local_venue_and_leaves_nothing_behind(tmp_path: Path) -> None:
    clock = ManualClock(START_MS + 2 * 60_000)
    venue = PolymarketVenue(a_scenario(), clock)
    await venue.start()
    creds = venue.accounts.creds_for(Account.from_key(PK_DEPOSIT).address)

    async def snapshot(request: web.Request) -> web.Response:
        now = clock.now_ms()
        return web.Response(body=encode_snapshot(a_snapshot(0.5, now_ms=now, seq=now, hour_start_ms=START_MS)),
                            content_type="application/json")

    pricer = web.Application()
    pricer.router.add_get("/snapshot/latest", snapshot)
    pricer_url, pricer_runner = await start_server(pricer)
    config, _ = BConfig.from_env({
        "MODE": "paper", "GAMMA_URL": venue.gamma_url, "CLOB_URL": venue.clob_url,
        "PM_WS_MARKET_URL": venue.ws_market_url, "PM_WS_USER_URL": venue.ws_user_url,
        "SNAPSHOT_URL": pricer_url + "/snapshot/latest", "SQLITE_PATH": str(tmp_path / "t.sqlite"),
        "CONTROL_PORT": "0", "CONTROL_TOKEN": TOKEN, "POLY_PRIVATE_KEY": PK_DEPOSIT, "POLY_SIGNATURE_TYPE": "3",
        "POLY_FUNDER": DEPOSIT_WALLET, "POLY_API_KEY": creds.api_key, "POLY_API_SECRET": creds.secret,
        "POLY_API_PASSPHRASE": creds.passphrase})
    app = ContainerBApp(config, clock)
    task = asyncio.create_task(app.run())
    try:
        await asyncio.wait_for(app.started.wait(), 5)
        reducer = app.reducer

        async def drive(pred: object, max_ms: int = 120_000) -> None:
            start = clock.now_ms()
            while not pred(reducer.view):  # type: ignore[operator]
                try:
                    await asyncio.wait_for(reducer.wait_changed(reducer.version), 0.05)
                except TimeoutError:
                    assert clock.now_ms() - start < max_ms, (reducer.view.mode_reason, reducer.view.unavailable_reason)
                    await clock.run_until(clock.now_ms() + 250)

        await drive(lambda s: s.session_state is SessionState.ACTIVE)
        market = reducer.view.active_market
        assert market is not None and market.hour_start_ms == START_MS
        await drive(lambda s: any(o.status is OrderStatus.LIVE for o in s.open_orders.values()))
        assert app.rest.counts.get("POST orders Rejected", 0) == 0
        assert reducer.view.anomalies.get("order_event_for_unknown_order", 0) == 0
        app.request_stop()
        await asyncio.wait_for(task, 15)
        signer = OrderSigner(private_key=PK_DEPOSIT, signature_type=3, funder=DEPOSIT_WALLET)
        async with aiohttp.ClientSession() as session:
            check = PolymarketRestClient(
                base_url=venue.clob_url, session=session, clock=clock, signature_type=3,
                auth=L2Auth(address_signer=signer, api_key=creds.api_key, api_secret=creds.secret,
                            api_passphrase=creds.passphrase))
            left = await check.open_orders(market.condition_id)
        assert isinstance(left, Ok) and left.value == []  # the SIGTERM cancel-all reached the venue
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await pricer_runner.cleanup()
        await venue.stop()
