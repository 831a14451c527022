"""Control plane: bearer token, validation with reasons, commands only as events for the reducer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from trader_testkit.builders import a_market, boot_events
from trader_testkit.fakes import RecordingSink

from edges.edge_kit import drain
from hourmm_common.clock import ManualClock
from hourmm_common.enums import RiskMode
from polymarket_trader.control_plane import ControlPlaneServer, StatusView, build_status
from polymarket_trader.core.events import ControlCommandEvent, ControlKind, Event, LimitsUpdate
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.ctl import main as ctl_main
from polymarket_trader.journal_sqlite import EventJournalSQLite
from polymarket_trader.state_reducer import StateReducer

TOKEN = "t" * 24


class Plane:
    def __init__(self, server: ControlPlaneServer, q: asyncio.Queue[Event], session: aiohttp.ClientSession,
                 url: str) -> None:
        self.server, self.q, self.session, self.url = server, q, session, url

    async def call(self, method: str, path: str, body: object = None, token: str | None = TOKEN) -> tuple[int, dict]:  # type: ignore[type-arg]
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        async with self.session.request(method, self.url + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


@pytest.fixture
async def plane() -> AsyncIterator[Plane]:
    q: asyncio.Queue[Event] = asyncio.Queue()
    clock = ManualClock(1_769_090_400_000)
    state = CanonicalState()
    server = ControlPlaneServer(
        bind_host="127.0.0.1", port=0, token=TOKEN, out=q, clock=clock,
        status=lambda: build_status(state, now_ms=clock.now_ms(), run_mode="paper", extras={}),
        health=lambda: (True, {"mode": "NORMAL"}), metrics=lambda: b"# metrics\n")
    await server.start()
    async with aiohttp.ClientSession() as session:
        yield Plane(server, q, session, f"http://127.0.0.1:{server.bound_port}")
    await server.stop()


async def test_commands_need_the_bearer_token(plane: Plane) -> None:
    assert (await plane.call("POST", "/pause_quoting", {}, token=None))[0] == 401
    assert (await plane.call("POST", "/set_mode", {"mode": "HALT"}, token="wrong-token-wrong-token"))[0] == 401
    assert (await plane.call("GET", "/status", token=None))[0] == 401
    assert plane.q.empty()
    assert (await plane.call("GET", "/health", token=None))[0] == 200  # the Docker healthcheck has no token


@pytest.mark.parametrize(("path", "body", "fragment"), [
    ("/set_mode", {"mode": "YOLO"}, "mode must be one of"),
    ("/set_mode", {}, "mode must be one of"),
    ("/set_mode", [1, 2], "JSON object"),
    ("/set_limits", {}, "at least one"),
    ("/set_limits", {"max_order_size_e6": -5}, "positive integer"),
    ("/set_limits", {"max_order_size_e6": 1.5}, "positive integer"),
    ("/set_limits", {"max_leverage": 3}, "unknown field"),
    ("/pause_quoting", {"paused": "yes"}, "true or false"),
    ("/flatten_now", {"reason": 7}, "reason must be a string"),
])
async def test_bad_commands_get_400_with_a_reason(plane: Plane, path: str, body: object, fragment: str) -> None:
    status, answer = await plane.call("POST", path, body)
    assert status == 400 and fragment in answer["error"]
    assert plane.q.empty()


async def test_valid_commands_become_control_events(plane: Plane) -> None:
    assert (await plane.call("POST", "/set_mode", {"mode": "reduce_only", "reason": "ops"}))[0] == 202
    assert (await plane.call("POST", "/pause_quoting", {}))[0] == 202
    assert (await plane.call("POST", "/resume_quoting", {}))[0] == 202
    assert (await plane.call("POST", "/flatten_now", {"reason": "news"}))[0] == 202
    assert (await plane.call("POST", "/set_limits", {"max_order_size_e6": 20_000_000, "max_open_orders": 2}))[0] == 202
    events = drain(plane.q)
    assert all(isinstance(e, ControlCommandEvent) for e in events)
    kinds = [(e.kind, e.mode, e.limits) for e in events if isinstance(e, ControlCommandEvent)]
    assert kinds == [(ControlKind.SET_MODE, RiskMode.REDUCE_ONLY, None), (ControlKind.PAUSE_QUOTING, None, None),
                     (ControlKind.RESUME_QUOTING, None, None), (ControlKind.FLATTEN_NOW, None, None),
                     (ControlKind.SET_LIMITS, None, LimitsUpdate(max_order_size_e6=20_000_000, max_open_orders=2))]
    assert len({e.request_id for e in events if isinstance(e, ControlCommandEvent)}) == 5


async def test_each_command_changes_state_only_through_the_reducer(plane: Plane, tmp_path: Path) -> None:
    """The server never touches state: the reducer applies the events it queued."""
    journal = EventJournalSQLite(tmp_path / "j.sqlite")
    reducer = StateReducer(journal, CanonicalState(), RecordingSink(), ManualClock(0))
    await reducer.apply_batch(boot_events(a_market()))
    before = reducer.view
    await plane.call("POST", "/set_mode", {"mode": "HALT", "reason": "drill"})
    await plane.call("POST", "/set_limits", {"max_position_e6": 7_000_000})
    assert reducer.view is before  # nothing changed yet: the commands are only queued
    await reducer.apply_batch(drain(plane.q))
    after = reducer.view
    assert after.risk_mode is RiskMode.HALT and after.limits.max_position_e6 == 7_000_000
    assert before.limits.max_position_e6 != 7_000_000  # the old view is untouched
    journal.close()


async def test_status_is_the_documented_struct(plane: Plane) -> None:
    status, body = await plane.call("GET", "/status")
    assert status == 200
    assert set(body) == set(StatusView.__struct_fields__)
    assert body["mode"] == "NORMAL" and body["run_mode"] == "paper" and body["market"] is None


async def test_ctl_drives_the_server(plane: Plane, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CONTROL_TOKEN", TOKEN)
    loop = asyncio.get_running_loop()
    code = await loop.run_in_executor(None, ctl_main, ["--url", plane.url, "mode", "FLATTEN", "--reason", "x"])
    assert code == 0
    code = await loop.run_in_executor(None, ctl_main, ["--url", plane.url, "limits", "--max-order-size", "12.5"])
    assert code == 0
    [mode, limits] = drain(plane.q)
    assert isinstance(mode, ControlCommandEvent) and mode.mode is RiskMode.FLATTEN
    assert isinstance(limits, ControlCommandEvent) and limits.limits == LimitsUpdate(max_order_size_e6=12_500_000)
    monkeypatch.setenv("CONTROL_TOKEN", "wrong-wrong-wrong-wrong")
    assert await loop.run_in_executor(None, ctl_main, ["--url", plane.url, "status"]) == 1
    assert "bearer" in capsys.readouterr().out


async def test_the_dashboard_page_is_served_without_data_or_token(plane: Plane) -> None:
    async with plane.session.get(plane.url + "/dashboard") as resp:
        page = await resp.text()
        assert resp.status == 200 and resp.content_type == "text/html"
    assert "/status" in page and TOKEN not in page
