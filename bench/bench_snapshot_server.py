"""Snapshot endpoint benchmark over loopback: requests/s and p50/p99 latency.

The server (the service's `SnapshotServer` and `LatestSnapshotStore`, holding a realistic
snapshot) runs in its own process, as in production; the client is aiohttp with keep-alive, as
the trader's poller is. Latency: one connection, sequential requests (the poller's pattern).
Throughput: 8 connections in parallel. Also the long-poll wake-up: time from a publish to the
waiting client's answer.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import statistics
import time
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

from binance_pricer.snapshot_server import SnapshotServer
from binance_pricer.snapshot_store import LatestSnapshotStore
from hourmm_common.hours import HOUR_MS, hour_id
from hourmm_common.snapshot import BinanceSnapshot

H0 = 1_750_075_200_000


def _snapshot(seq: int) -> BinanceSnapshot:
    feats = {f"rv_{w}s": 1e-4 for w in (60, 300, 900)} | {f"ewma_vol_{h}s": 1e-4 for h in (60, 300, 1800)}
    return BinanceSnapshot(
        seq=seq, ts_local_ms=H0 + 600_000 + seq * 20, ts_exchange_ms=H0 + 599_990, age_ms=12, stale=False,
        hour_id=hour_id(H0), hour_start_ts_ms=H0, hour_end_ts_ms=H0 + HOUR_MS, t_remaining_ms=3_000_000,
        open_price=106_834.33, last_trade_price=106_900.01, bbo_bid=106_900.0, bbo_ask=106_900.01,
        mid=106_900.005, features=feats, p_yes_fair=0.6123, p_yes_band_lo=0.6, p_yes_band_hi=0.62,
    )


def _serve(conn: Connection) -> None:
    async def run() -> None:
        store = LatestSnapshotStore()
        store.publish(_snapshot(1))
        server = SnapshotServer(store=store, host="127.0.0.1", port=0, health_reasons=lambda: (),
                                metrics=lambda: b"")
        await server.start()
        conn.send(server.bound_port)
        loop = asyncio.get_running_loop()
        while True:
            cmd = await loop.run_in_executor(None, conn.recv)
            if cmd == "stop":
                break
            store.publish(_snapshot(store.seq + 1))  # "publish": wake long-pollers
        await server.stop()

    asyncio.run(run())


async def _latency(base: str, n: int) -> list[float]:
    out = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as http:
        for _ in range(200):  # warm-up
            async with http.get(base) as r:
                await r.read()
        for _ in range(n):
            t0 = time.perf_counter()
            async with http.get(base) as r:
                await r.read()
            out.append((time.perf_counter() - t0) * 1e3)
    return out


async def _throughput(base: str, seconds: float, workers: int = 8) -> float:
    count = 0
    deadline = time.perf_counter() + seconds

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            async with http.get(base) as r:
                await r.read()
            count += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=workers)) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(workers)))
        return count / (time.perf_counter() - t0)


async def _long_poll_wake(base: str, conn: Connection, n: int) -> list[float]:
    out = []
    async with aiohttp.ClientSession() as http:
        async with http.get(base) as r:
            seq = (await r.json())["seq"]
        for _ in range(n):
            task = asyncio.create_task(http.get(base, params={"after_seq": str(seq), "wait_ms": "5000"}))
            await asyncio.sleep(0.002)  # let the request park on the server
            t0 = time.perf_counter()
            conn.send("publish")
            async with await task as r:
                seq = (await r.json())["seq"]
            out.append((time.perf_counter() - t0) * 1e3)
    return out


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def main() -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child,), daemon=True)
    proc.start()
    try:
        port = parent.recv()
        base = f"http://127.0.0.1:{port}/snapshot/latest"
        lat = asyncio.run(_latency(base, 5_000))
        rps = asyncio.run(_throughput(base, 3.0))
        wake = asyncio.run(_long_poll_wake(base, parent, 200))
    finally:
        parent.send("stop")
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
    rows = [
        {"name": "GET /snapshot/latest latency p50 (keep-alive, sequential)", "value": round(_pct(lat, 50), 3),
         "unit": "ms", "target": "< 1"},
        {"name": "GET /snapshot/latest latency p99", "value": round(_pct(lat, 99), 3), "unit": "ms", "target": "< 1"},
        {"name": "GET /snapshot/latest throughput (8 connections)", "value": round(rps), "unit": "req/s",
         "target": ">= 2500 (50 Hz x 50 pollers)"},
        {"name": "long-poll: publish -> answer p50", "value": round(_pct(wake, 50), 3), "unit": "ms", "target": "< 1"},
    ]
    for r in rows:
        print(f"{r['name']} | {r['value']} {r['unit']} | {r['target']}")
    return rows


if __name__ == "__main__":
    main()
