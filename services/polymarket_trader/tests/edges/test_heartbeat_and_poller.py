"""Dead-man switch kept armed with chained ids; snapshot poller rejects stale/malformed, reports outages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from trader_testkit.builders import a_snapshot

from edges.edge_kit import FakeClob, JumpClock, Reply, a_signer, an_auth, drain, start_server
from hourmm_common.clock import ManualClock
from hourmm_common.snapshot import encode_snapshot
from polymarket_trader.core.events import (
    BinanceSnapshotEvent,
    Event,
    HeartbeatStatusEvent,
    SnapshotUnavailable,
)
from polymarket_trader.heartbeat import HeartbeatKeeper
from polymarket_trader.rest_client import PolymarketRestClient
from polymarket_trader.snapshot_poller import SnapshotPoller

H = 1_769_090_400_000


async def test_heartbeat_chains_resyncs_and_reports_changes_only() -> None:
    clob = FakeClob()
    url, runner = await start_server(clob.app)
    q: asyncio.Queue[Event] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        rest = PolymarketRestClient(base_url=url, session=session, auth=an_auth(a_signer()), clock=JumpClock(H))
        hb = HeartbeatKeeper(rest=rest, out=q, clock=JumpClock(H), interval_ms=5_000)
        hb.set_armed(True)
        await hb.beat()
        await hb.beat()
        assert hb.heartbeat_id == "hb-2" and drain(q) == [HeartbeatStatusEvent(ts_local_ms=H, ok=True)]
        hb.heartbeat_id = "stale-id"  # e.g. after a restart: the venue says which id it expects
        await hb.beat()
        assert hb.heartbeat_id == "hb-3" and hb.counts["id_resynced"] == 1 and drain(q) == []
        clob.script["POST /v1/heartbeats"] = [Reply(500, {"error": "down"})]
        await hb.beat()
        [failed] = drain(q)
        assert isinstance(failed, HeartbeatStatusEvent) and not failed.ok
        await hb.beat()
        assert drain(q) == [HeartbeatStatusEvent(ts_local_ms=H, ok=True)]
        bodies = [p for m, path, p in clob.calls if path == "/v1/heartbeats"]
        assert bodies[0] == {"heartbeat_id": ""} and bodies[1] == {"heartbeat_id": "hb-1"}
    clob.release.set()
    await runner.cleanup()


async def test_heartbeat_runs_every_interval_only_while_armed() -> None:
    clob = FakeClob()
    url, runner = await start_server(clob.app)
    clock = ManualClock(H)
    q: asyncio.Queue[Event] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        rest = PolymarketRestClient(base_url=url, session=session, auth=an_auth(a_signer()), clock=clock)
        hb = HeartbeatKeeper(rest=rest, out=q, clock=clock, interval_ms=5_000)
        task = asyncio.create_task(hb.run())
        try:
            await clock.run_until(H + 20_000)
            assert clob.count("POST /v1/heartbeats") == 0  # not armed: no beats
            hb.set_armed(True)
            await asyncio.wait_for(q.get(), 5)  # first beat acknowledged
            for n in (2, 3):
                await clock.run_until(clock.now_ms() + 5_000)
                while clob.count("POST /v1/heartbeats") < n:
                    await asyncio.wait_for(_next_call(clob), 5)
            hb.set_armed(False)
            beats = clob.count("POST /v1/heartbeats")
            await clock.run_until(clock.now_ms() + 30_000)
            assert clob.count("POST /v1/heartbeats") <= beats + 1
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    clob.release.set()
    await runner.cleanup()


async def _next_call(clob: FakeClob) -> None:
    n = len(clob.calls)
    while len(clob.calls) == n:
        await asyncio.sleep(0)


class FakePricer:
    def __init__(self) -> None:
        self.replies: list[tuple[int, bytes]] = []
        self.queries: list[dict[str, str]] = []
        self.app = web.Application()
        self.app.router.add_get("/snapshot/latest", self.latest)

    async def latest(self, request: web.Request) -> web.Response:
        self.queries.append(dict(request.query))
        status, body = self.replies.pop(0)
        return web.Response(status=status, body=body, content_type="application/json")


@pytest.fixture
async def pricer() -> AsyncIterator[tuple[FakePricer, str]]:
    fake = FakePricer()
    url, runner = await start_server(fake.app)
    yield fake, url + "/snapshot/latest"
    await runner.cleanup()


async def test_poller_accepts_newer_rejects_older_and_malformed_and_reports_outage(
        pricer: tuple[FakePricer, str]) -> None:
    fake, url = pricer
    q: asyncio.Queue[Event] = asyncio.Queue()
    snap = lambda seq: encode_snapshot(a_snapshot(0.5, seq=seq, now_ms=H + 60_000, hour_start_ms=H))  # noqa: E731
    fake.replies = [(200, snap(5)), (200, snap(4)), (200, snap(5)), (200, b'{"seq": "x"}'), (200, snap(6)),
                    (503, b'{"error":"no snapshot published yet"}')]
    async with aiohttp.ClientSession() as session:
        poller = SnapshotPoller(url=url, session=session, out=q, clock=ManualClock(H), poll_hz=20)
        for _ in range(6):
            await poller.poll_once()
        events = drain(q)
        assert [type(e) for e in events] == [BinanceSnapshotEvent, SnapshotUnavailable, BinanceSnapshotEvent]
        assert [e.snapshot.seq for e in events if isinstance(e, BinanceSnapshotEvent)] == [5, 6]
        assert poller.counts["not_newer"] == 2 and poller.counts["malformed"] == 1
        assert poller.latest is not None and poller.latest.seq == 6
        dead = SnapshotPoller(url="http://127.0.0.1:9/snapshot/latest", session=session, out=q, clock=ManualClock(H))
        await dead.poll_once()
        await dead.poll_once()
        [gone] = drain(q)
        assert isinstance(gone, SnapshotUnavailable) and "unreachable" in gone.reason


async def test_only_snapshots_that_change_what_the_reducer_knows_are_journaled(
        pricer: tuple[FakePricer, str]) -> None:
    fake, url = pricer
    clock = ManualClock(H)
    # (fair, stale, ms after the previous poll): the decision loop sees all of them, the reducer
    # (and the journal) only the first, real moves, flag changes and a keepalive.
    plan = [(0.5, False, 0), (0.5004, False, 20), (0.5011, False, 20), (0.5013, False, 20), (0.5013, True, 20),
            (0.5013, True, 20), (0.5013, False, 20), (0.5014, False, 20), (0.5014, False, 500)]
    fake.replies = [(200, encode_snapshot(a_snapshot(p, seq=i + 1, now_ms=H + 60_000 + i, stale=stale, hour_start_ms=H)))
                    for i, (p, stale, _) in enumerate(plan)]
    q: asyncio.Queue[Event] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        poller = SnapshotPoller(url=url, session=session, out=q, clock=clock, keepalive_ms=500, fair_step=0.001)
        for _, _, dt in plan:
            clock.advance(dt)
            await poller.poll_once()
            assert poller.latest is not None
    sent = [e.snapshot.seq for e in drain(q) if isinstance(e, BinanceSnapshotEvent)]
    assert sent == [1, 3, 5, 7, 9]
    assert poller.counts["accepted"] == 9 and poller.counts["to_reducer"] == 5


async def test_long_poll_asks_for_newer_than_the_last_seq(pricer: tuple[FakePricer, str]) -> None:
    fake, url = pricer
    fake.replies = [(200, encode_snapshot(a_snapshot(0.5, seq=9, now_ms=H + 60_000, hour_start_ms=H)))] * 2
    q: asyncio.Queue[Event] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        nudges: list[int] = []
        poller = SnapshotPoller(url=url, session=session, out=q, clock=ManualClock(H), long_poll_wait_ms=500,
                                on_new=lambda: nudges.append(1))
        await poller.poll_once()
        await poller.poll_once()
    assert fake.queries == [{"after_seq": "0", "wait_ms": "500"}, {"after_seq": "9", "wait_ms": "500"}]
    assert len(drain(q)) == 1
    assert nudges == [1]  # the decision loop is woken once per new snapshot, not for a repeat


async def test_a_restarted_pricer_whose_seq_began_again_is_followed(pricer: tuple[FakePricer, str]) -> None:
    fake, url = pricer
    fake.replies = [(200, encode_snapshot(a_snapshot(0.5, seq=500, now_ms=H + 60_000, hour_start_ms=H))),
                    (200, encode_snapshot(a_snapshot(0.5, seq=400, now_ms=H + 60_000, hour_start_ms=H))),
                    (200, encode_snapshot(a_snapshot(0.6, seq=1, now_ms=H + 90_000, hour_start_ms=H)))]
    q: asyncio.Queue[Event] = asyncio.Queue()
    async with aiohttp.ClientSession() as session:
        poller = SnapshotPoller(url=url, session=session, out=q, clock=ManualClock(H))
        for _ in range(3):
            await poller.poll_once()
    seqs = [e.snapshot.seq for e in drain(q) if isinstance(e, BinanceSnapshotEvent)]
    assert seqs == [500, 1] and poller.counts["source_restarted"] == 1 and poller.counts["not_newer"] == 1
