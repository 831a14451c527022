"""The whole trader (`ContainerBApp`, paper mode) on the local venue, in-process: a pricer stub
serving a fixed fair value, the app wired to the venue's URLs and a deposit-wallet account, and a
`Session` that moves scenario time until the trader's view satisfies a condition."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web
from trader_testkit.builders import a_snapshot

from hourmm_common.clock import ManualClock
from hourmm_common.hours import hour_start_ms
from hourmm_common.snapshot import encode_snapshot
from hourmm_sim.polymarket.venue import PolymarketVenue
from polymarket_trader.app import ContainerBApp
from polymarket_trader.config import BConfig
from polymarket_trader.core.events import Side, Token
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.core.state import CanonicalState

from . import DEPOSIT_WALLET, PK_MM, TraderAccount

CONTROL_TOKEN = "conformance-control-token-0123456789"


class Session:
    def __init__(self, app: ContainerBApp, clock: ManualClock) -> None:
        self.app = app
        self.clock = clock

    @property
    def view(self) -> CanonicalState:
        return self.app.reducer.view

    async def drive(self, pred: Callable[[CanonicalState], bool], max_ms: int = 120_000) -> None:
        """Move scenario time in 250 ms steps until the trader's view satisfies `pred`."""
        reducer = self.app.reducer
        start = self.clock.now_ms()
        while not pred(reducer.view):
            try:
                await asyncio.wait_for(reducer.wait_changed(reducer.version), 0.01)  # safety net only
            except TimeoutError:
                assert self.clock.now_ms() - start < max_ms, (reducer.view.mode_reason,
                                                             reducer.view.unavailable_reason)
                await self.clock.run_until(self.clock.now_ms() + 250)


def live_quote(view: CanonicalState, token: Token) -> tuple[str, int, int] | None:
    """(order id, price, size) of our live BUY on `token`, if any."""
    for order in view.open_orders.values():
        if order.status is OrderStatus.LIVE and order.token is token and order.side is Side.BUY:
            return order.order_id, order.price_e4, order.size_e6
    return None


@asynccontextmanager
async def paper_trader(venue: PolymarketVenue, clock: ManualClock, mm: TraderAccount,
                       tmp_path: Path, p_yes: float = 0.5) -> AsyncIterator[Session]:
    async def snapshot(request: web.Request) -> web.Response:
        now = clock.now_ms()
        body = encode_snapshot(a_snapshot(p_yes, now_ms=now, seq=now, hour_start_ms=hour_start_ms(now)))
        return web.Response(body=body, content_type="application/json")

    pricer = web.Application()
    pricer.router.add_get("/snapshot/latest", snapshot)
    runner = web.AppRunner(pricer)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    pricer_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    config, _ = BConfig.from_env({
        "MODE": "paper", "GAMMA_URL": venue.gamma_url, "CLOB_URL": venue.clob_url,
        "PM_WS_MARKET_URL": venue.ws_market_url, "PM_WS_USER_URL": venue.ws_user_url,
        "SNAPSHOT_URL": pricer_url + "/snapshot/latest", "SQLITE_PATH": str(tmp_path / "trader.sqlite"),
        "CONTROL_PORT": "0", "CONTROL_TOKEN": CONTROL_TOKEN, "POLY_PRIVATE_KEY": PK_MM,
        "POLY_SIGNATURE_TYPE": "3", "POLY_FUNDER": DEPOSIT_WALLET, "POLY_API_KEY": mm.creds.api_key,
        "POLY_API_SECRET": mm.creds.secret, "POLY_API_PASSPHRASE": mm.creds.passphrase})
    app = ContainerBApp(config, clock)
    task = asyncio.create_task(app.run())
    try:
        await asyncio.wait_for(app.started.wait(), 5)
        yield Session(app, clock)
        app.request_stop()
        await asyncio.wait_for(task, 15)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await runner.cleanup()
