"""The dashboard page in a real browser: headless Chromium driven over the DevTools protocol.

Given the trader's real control plane on 127.0.0.1 (port 0) serving the page at /dashboard and a
`/status` behind its bearer token, when the page loads, asks for the token (a wrong one is
refused and asked again), and polls, then what it shows matches `/status`, it refreshes when the
status changes, it never requests anything but the page and /status (no external assets), and a
screenshot is saved (`dashboard.png` in the test's tmp dir; its path is printed).

Waiting is event-driven: the page counts its renders in `body[data-updates]`, and the browser
resolves a promise from a MutationObserver when a condition holds. Timeouts are safety nets only.
Skips (with the reason) when Chromium is not installed; CI's `.ci/run` installs it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web

from hourmm_common.clock import ManualClock
from polymarket_trader.control_plane import (
    BboView,
    ControlPlaneServer,
    FairView,
    FillView,
    MarketStatusView,
    OrderView,
    PnlView,
    PositionsView,
    StatusView,
)
from polymarket_trader.dashboard import DASHBOARD_HTML, dashboard_html, handle_dashboard

TOKEN = "s3cret-token-for-the-test"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--remote-debugging-port=0")

pytestmark = pytest.mark.timeout(90)


def a_status(**overrides: Any) -> StatusView:
    """A /status answer (the control plane's own `StatusView`), mid-hour with a position and quotes up."""
    status = StatusView(
        ts_ms=1_767_270_600_000,  # 2026-01-01T12:30:00Z
        run_mode="paper", mode="NORMAL", mode_reason="", session="ACTIVE", hour="2026-01-01T12:00:00Z",
        market=MarketStatusView(condition_id="0xabc123", slug="bitcoin-up-or-down-january-1-2026-7am-et",
                                question="Bitcoin Up or Down - January 1, 7AM ET", up_token_id="111",
                                down_token_id="222", hour_start_ms=1_767_268_800_000,
                                hour_end_ms=1_767_272_400_000, tick_e4=100, min_size_e6=5_000_000),
        unavailable_reason="",
        fair=FairView(p_yes_fair=0.5634, band_lo=0.54, band_hi=0.59, snapshot_seq=4242, snapshot_age_ms=120,
                      stale=False, problem=""),
        bbo={"UP": BboView(bid_e4=5500, ask_e4=5800, bid_size_e6=120_000_000, ask_size_e6=80_000_000),
             "DOWN": BboView(bid_e4=4200, ask_e4=4500, bid_size_e6=60_000_000, ask_size_e6=70_000_000)},
        working_orders=[
            OrderView(order_id="0x01", token="UP", side="BUY", price_e4=5400, size_e6=10_000_000, matched_e6=0,
                      status="LIVE", expiration_s=1_767_272_400),
            OrderView(order_id="0x02", token="DOWN", side="BUY", price_e4=4100, size_e6=10_000_000,
                      matched_e6=5_000_000, status="LIVE", expiration_s=1_767_272_400)],
        positions=PositionsView(up_e6=5_000_000, down_e6=0, usdc_e6=94_600_000, reserved_usdc_e6=9_500_000,
                                reserved_up_e6=0, reserved_down_e6=0, fees_paid_e6=0),
        pnl=PnlView(equity_e6=100_250_000, hour_start_equity_e6=100_262_300, hour_pnl_e6=-12_300),
        recent_fills=[FillView(trade_id="t1", order_id="0x01", token="UP", side="BUY", price_e4=5400,
                               size_e6=5_000_000, status="MATCHED", ts_ms=1_767_270_000_000)],
        recent_mode_changes=[{"ts_ms": 1_767_268_900_000, "old": "HALT", "new": "NORMAL", "reason": "boot_sync_done"},
                             {"ts_ms": 1_767_268_900_000, "session_old": "BOOT_SYNC", "session_new": "ACTIVE",
                              "reason": "synced"}],
        recent_alerts=[{"ts_ms": 1_767_269_000_000, "code": "ws_reconnected", "detail": "MARKET",
                        "severity": "warning"}],
        limits={"max_order_size_e6": 50_000_000, "max_open_orders": 4},
        health={"market_ws_connected": True, "user_ws_connected": True, "heartbeat_ok": True},
    )
    return msgspec.structs.replace(status, **overrides)


class StatusServer:
    """The trader's real control plane (its own `/dashboard` route and bearer token) with a
    `/status` the test changes; it records every path the browser asks for."""

    def __init__(self) -> None:
        self.status = a_status()
        self.paths: list[str] = []
        self.plane = ControlPlaneServer(
            bind_host="127.0.0.1", port=0, token=TOKEN, out=asyncio.Queue(), clock=ManualClock(0),
            status=lambda: self.status, health=lambda: (True, {}), metrics=lambda: b"")
        self.plane.app.middlewares.append(self._record)

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.paths.append(request.path)
        response: web.StreamResponse = await handler(request)
        return response

    @property
    def refused(self) -> int:
        return self.plane.counts["unauthorized"]


@pytest.fixture
async def server() -> AsyncIterator[tuple[StatusServer, str]]:
    state = StatusServer()
    await state.plane.start()
    try:
        yield state, f"http://127.0.0.1:{state.plane.bound_port}"
    finally:
        await state.plane.stop()


class Page:
    """One Chromium tab over the DevTools protocol (JSON-RPC on a websocket)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        await self.ws.send_json({"id": self._next_id, "method": method, "params": params})
        async for msg in self.ws:
            data = json.loads(msg.data)
            if data.get("id") == self._next_id:
                if "error" in data:
                    raise AssertionError(f"{method}: {data['error']}")
                result: dict[str, Any] = data["result"]
                return result
        raise AssertionError("DevTools websocket closed")

    async def navigate(self, url: str) -> None:
        await self.call("Page.enable")
        self._next_id += 1
        await self.ws.send_json({"id": self._next_id, "method": "Page.navigate", "params": {"url": url}})
        async for msg in self.ws:
            if json.loads(msg.data).get("method") == "Page.loadEventFired":
                return
        raise AssertionError("DevTools websocket closed before the page loaded")

    async def eval(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, condition_js: str) -> Any:
        """Resolve in the browser as soon as `condition_js` is truthy (re-checked on every DOM change)."""
        return await self.eval(
            "new Promise((resolve) => { const check = () => { let v; try { v = (" + condition_js + "); }"
            " catch (e) { v = undefined; } if (v) { resolve(v); return true; } return false; };"
            " if (check()) return; const obs = new MutationObserver(() => { if (check()) obs.disconnect(); });"
            " obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true}); })")

    async def texts(self, ids: list[str]) -> dict[str, str]:
        value: dict[str, str] = await self.eval(
            "Object.fromEntries(" + json.dumps(ids) + ".map((id) => [id, document.getElementById(id).textContent]))")
        return value


@pytest.fixture
async def page(tmp_path: Path) -> AsyncIterator[Page]:
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if binary is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    proc = await asyncio.create_subprocess_exec(
        binary, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "about:blank",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stderr is not None
        async with asyncio.timeout(30):
            while True:
                line = (await proc.stderr.readline()).decode("utf-8", "replace")
                assert line, "Chromium exited before DevTools was listening"
                found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
                if found:
                    break
        drain = asyncio.create_task(proc.stderr.read())  # keep its pipe from filling
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{found.group(1)}/json/list") as resp:
                targets = await resp.json()
            target = next(t for t in targets if t["type"] == "page")
            async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=64 * 1024 * 1024) as ws:
                tab = Page(ws)
                await tab.call("Emulation.setDeviceMetricsOverride", width=1400, height=1050,
                               deviceScaleFactor=1, mobile=False)
                yield tab
        drain.cancel()
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def test_the_page_has_no_external_assets() -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", DASHBOARD_HTML)
    assert "@import" not in DASHBOARD_HTML and "url(" not in DASHBOARD_HTML
    assert "innerHTML" not in DASHBOARD_HTML  # venue strings are written as text, never markup


def test_the_status_path_is_validated() -> None:
    assert '"/api/status"' in dashboard_html(status_path="/api/status")
    with pytest.raises(ValueError):
        dashboard_html(status_path='/x";alert(1);"')
    with pytest.raises(ValueError):
        dashboard_html(poll_ms=0)


async def test_the_dashboard_shows_the_status_and_refreshes(
        server: tuple[StatusServer, str], page: Page, tmp_path: Path) -> None:
    state, base = server
    await page.navigate(f"{base}/dashboard")

    # Given no token yet, the page asks for one; a wrong token is refused and asked again.
    assert await page.wait_for("!document.getElementById('login').hidden")
    await page.eval("document.getElementById('token').value = 'wrong';"
                    "document.getElementById('login').requestSubmit(); true")
    refusal = await page.wait_for("document.getElementById('login-error').textContent")
    assert "401" in refusal and state.refused == 1

    # When the right token is given, the page polls /status with it and renders.
    await page.eval(f"document.getElementById('token').value = {json.dumps(TOKEN)};"
                    "document.getElementById('login').requestSubmit(); true")
    await page.wait_for("Number(document.body.dataset.updates) >= 2")
    assert await page.eval("sessionStorage.getItem('hourmm_control_token')") == TOKEN
    shown = await page.texts(["run_mode", "risk_mode", "session", "hour", "market", "condition_id", "t_remaining",
                              "tick", "fair", "band", "snapshot_state", "snapshot_seq", "book", "book_size",
                              "book_down", "our_quotes", "inv_up", "inv_down", "inv_net", "collateral", "equity",
                              "pnl_hour", "fees", "conn"])
    assert shown == {
        "run_mode": "paper", "risk_mode": "NORMAL", "session": "ACTIVE", "hour": "2026-01-01T12:00:00Z",
        "market": "bitcoin-up-or-down-january-1-2026-7am-et", "condition_id": "0xabc123",
        "t_remaining": "30m 00s", "tick": "0.0100", "fair": "0.5634", "band": "0.5400 .. 0.5900",
        "snapshot_state": "fresh (120 ms)", "snapshot_seq": "4242", "book": "0.5500 / 0.5800",
        "book_size": "120.00 / 80.00", "book_down": "0.4200 / 0.4500",
        "our_quotes": "0.5400 / 0.5900",  # BUY Down at 0.41 is an Up offer at 0.59
        "inv_up": "5.00", "inv_down": "0.00", "inv_net": "5.00", "collateral": "94.60 / 9.50",
        "equity": "100.2500", "pnl_hour": "-0.0123", "fees": "0.0000", "conn": "live"}
    orders = await page.eval("[...document.querySelectorAll('#orders tr')].map((tr) => tr.innerText.split('\\t'))")
    assert orders == [["BUY", "UP", "0.5400", "10.00", "0.00", "LIVE"], ["BUY", "DOWN", "0.4100", "10.00", "5.00", "LIVE"]]
    fills = await page.eval("[...document.querySelectorAll('#fills tr')].map((tr) => tr.innerText.split('\\t'))")
    assert fills == [["12:20:00", "BUY", "UP", "0.5400", "5.00", "MATCHED"]]
    changes = await page.eval("[...document.querySelectorAll('#mode_changes li')].map((li) => li.textContent)")
    assert changes == ["12:01:40 session BOOT_SYNC \u2192 ACTIVE (synced)", "12:01:40 risk HALT \u2192 NORMAL (boot_sync_done)"]
    alerts = await page.eval("document.getElementById('alerts').textContent")
    assert alerts == "12:03:20 [warning] ws_reconnected: MARKET"
    assert "heartbeat_ok" in await page.eval("document.getElementById('health').textContent")
    assert "max_open_orders" in await page.eval("document.getElementById('limits').textContent")

    # When the trader's state changes, the page follows without a reload.
    seen = int(await page.eval("document.body.dataset.updates"))
    before = a_status()
    state.status = a_status(
        mode="REDUCE_ONLY", mode_reason="stale_snapshot", ts_ms=1_767_271_200_000,
        fair=msgspec.structs.replace(before.fair, p_yes_fair=0.6012, stale=True),
        recent_mode_changes=[*before.recent_mode_changes,
                             {"ts_ms": 1_767_271_100_000, "old": "NORMAL", "new": "REDUCE_ONLY",
                              "reason": "stale_snapshot"}])
    await page.wait_for(f"Number(document.body.dataset.updates) >= {seen + 2}")
    shown = await page.texts(["risk_mode", "mode_reason", "fair", "snapshot_state", "t_remaining"])
    assert shown == {"risk_mode": "REDUCE_ONLY", "mode_reason": "stale_snapshot", "fair": "0.6012",
                     "snapshot_state": "STALE (120 ms)", "t_remaining": "20m 00s"}
    newest = await page.eval("document.querySelector('#mode_changes li').textContent")
    assert newest == "12:38:20 risk NORMAL \u2192 REDUCE_ONLY (stale_snapshot)"
    assert await page.eval("document.querySelectorAll('#chart polyline').length") >= 1

    shot = await page.call("Page.captureScreenshot", format="png")
    png = base64.b64decode(shot["data"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    out = tmp_path / "dashboard.png"
    out.write_bytes(png)
    print(f"dashboard screenshot: {out}")

    # Nothing but the page and its status calls was requested: no CDN, fonts or favicon.
    assert set(state.paths) == {"/dashboard", "/status"}


async def test_handle_dashboard_serves_the_page_under_a_policy_that_forbids_other_origins() -> None:
    app = web.Application()
    app.router.add_get("/dashboard", handle_dashboard)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/dashboard"
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            assert resp.status == 200 and resp.content_type == "text/html"
            assert await resp.text() == DASHBOARD_HTML
            policy = resp.headers["Content-Security-Policy"]
            assert "default-src 'none'" in policy and "connect-src 'self'" in policy and "form-action 'none'" in policy
            assert resp.headers["Cache-Control"] == "no-store"
    finally:
        await runner.cleanup()
