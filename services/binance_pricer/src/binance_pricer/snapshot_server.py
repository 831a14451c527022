"""HTTP edge of container A (aiohttp).

- `GET /snapshot/latest`: the latest snapshot's pre-encoded JSON (503 before the first one).
  `?after_seq=N&wait_ms=M` long-polls: answers as soon as a snapshot newer than N exists, or
  with the latest after M ms (capped): still a pull, with latency near zero.
- `GET /health`: 200 `{"ok": true}` or 503 with the reasons (not_connected, stale, no_open,
  not_warm).
- `GET /metrics`: Prometheus text.
Bad query parameters get a 400 that says which one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec
from aiohttp import web

from binance_pricer.snapshot_store import LatestSnapshotStore

MAX_WAIT_MS = 30_000
_JSON = "application/json"


class HealthReport(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    reasons: tuple[str, ...] = ()
    seq: int = 0


_HEALTH = msgspec.json.Encoder()


class SnapshotServer:
    def __init__(
        self,
        *,
        store: LatestSnapshotStore,
        host: str,
        port: int,
        health_reasons: Callable[[], tuple[str, ...]],
        metrics: Callable[[], bytes],
    ) -> None:
        self.store = store
        self.host = host
        self.port = port
        self.health_reasons = health_reasons
        self.metrics = metrics
        self.requests = 0
        self._runner: web.AppRunner | None = None
        app = web.Application()
        app.router.add_get("/snapshot/latest", self.handle_get_latest)
        app.router.add_get("/health", self.handle_health)
        app.router.add_get("/metrics", self.handle_metrics)
        self.app = app

    @property
    def bound_port(self) -> int:
        """The port actually bound (the OS picks one when `port` is 0)."""
        assert self._runner is not None, "server not started"
        for addr in self._runner.addresses:
            return int(addr[1])
        raise RuntimeError("server has no bound address")

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle_get_latest(self, request: web.Request) -> web.Response:
        self.requests += 1
        q = request.rel_url.query
        if "after_seq" in q:
            after = _int_param(q, "after_seq", 0, 1 << 62)
            wait_ms = _int_param(q, "wait_ms", 0, MAX_WAIT_MS) if "wait_ms" in q else 1_000
            latest = await self.store.wait_newer(after, wait_ms / 1000.0)
        else:
            latest = self.store.read_latest_json()
        if latest is None:
            return web.Response(status=503, body=b'{"error":"no snapshot published yet"}', content_type=_JSON)
        return web.Response(body=latest[1], content_type=_JSON)

    async def handle_health(self, request: web.Request) -> web.Response:
        reasons = self.health_reasons()
        report = HealthReport(ok=not reasons, reasons=reasons, seq=self.store.seq)
        return web.Response(status=503 if reasons else 200, body=_HEALTH.encode(report), content_type=_JSON)

    async def handle_metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics(), headers={"Content-Type": "text/plain; version=0.0.4"})


def _int_param(query: Mapping[str, str], name: str, lo: int, hi: int) -> int:
    raw = query[name]
    try:
        value = int(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name}={raw[:40]!r} is not an integer") from None
    if not lo <= value <= hi:
        raise web.HTTPBadRequest(text=f"{name}={value} is outside [{lo}, {hi}]")
    return value
