"""SnapshotServer over loopback: latest, long-poll, health and metrics endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pricer_testkit.snapshots import a_snapshot

from binance_pricer.snapshot_server import SnapshotServer
from binance_pricer.snapshot_store import LatestSnapshotStore
from hourmm_common.snapshot import decode_snapshot


class Served:
    def __init__(self) -> None:
        self.store = LatestSnapshotStore()
        self.reasons: tuple[str, ...] = ()
        self.server = SnapshotServer(store=self.store, host="127.0.0.1", port=0,
                                     health_reasons=lambda: self.reasons,
                                     metrics=lambda: b"pricer_events 3.0\n")
        self.base = ""


@pytest.fixture
async def served() -> AsyncIterator[tuple[Served, aiohttp.ClientSession]]:
    s = Served()
    await s.server.start()
    s.base = f"http://127.0.0.1:{s.server.bound_port}"
    async with aiohttp.ClientSession() as http:
        yield s, http
    await s.server.stop()


async def test_latest_is_503_before_the_first_publish_then_the_snapshot(served: tuple[Served, aiohttp.ClientSession]) -> None:
    s, http = served
    async with http.get(s.base + "/snapshot/latest") as r:
        assert r.status == 503
    s.store.publish(a_snapshot(1))
    async with http.get(s.base + "/snapshot/latest") as r:
        assert r.status == 200 and r.content_type == "application/json"
        assert decode_snapshot(await r.read()) == a_snapshot(1)


async def test_long_poll_returns_as_soon_as_a_newer_snapshot_is_published(served: tuple[Served, aiohttp.ClientSession]) -> None:
    s, http = served
    s.store.publish(a_snapshot(1))

    async def poll() -> int:
        async with http.get(s.base + "/snapshot/latest", params={"after_seq": "1", "wait_ms": "20000"}) as r:
            return decode_snapshot(await r.read()).seq

    task = asyncio.create_task(poll())
    async with asyncio.timeout(5):  # safety net: wait until the handler is parked on the store
        while s.server.requests == 0:
            await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not task.done()
    s.store.publish(a_snapshot(2))
    assert await asyncio.wait_for(task, timeout=5) == 2


async def test_long_poll_with_zero_wait_gives_the_latest(served: tuple[Served, aiohttp.ClientSession]) -> None:
    s, http = served
    s.store.publish(a_snapshot(1))
    async with http.get(s.base + "/snapshot/latest?after_seq=5&wait_ms=0") as r:
        assert r.status == 200 and decode_snapshot(await r.read()).seq == 1


@pytest.mark.parametrize("query", ["after_seq=x", "after_seq=1&wait_ms=-1", "after_seq=1&wait_ms=999999"])
async def test_bad_long_poll_parameters_get_a_400_naming_them(served: tuple[Served, aiohttp.ClientSession], query: str) -> None:
    s, http = served
    s.store.publish(a_snapshot(1))
    async with http.get(s.base + "/snapshot/latest?" + query) as r:
        assert r.status == 400
        name = query.rsplit("&", 1)[-1].split("=")[0]
        assert name in await r.text()


async def test_health_is_200_when_healthy_and_503_with_reasons(served: tuple[Served, aiohttp.ClientSession]) -> None:
    s, http = served
    async with http.get(s.base + "/health") as r:
        assert r.status == 200 and (await r.json())["ok"] is True
    s.reasons = ("stale", "no_open")
    async with http.get(s.base + "/health") as r:
        body = await r.json()
        assert r.status == 503 and body["ok"] is False and body["reasons"] == ["stale", "no_open"]


async def test_metrics_are_prometheus_text(served: tuple[Served, aiohttp.ClientSession]) -> None:
    s, http = served
    async with http.get(s.base + "/metrics") as r:
        assert r.status == 200 and r.content_type == "text/plain"
        assert "pricer_events 3.0" in await r.text()
