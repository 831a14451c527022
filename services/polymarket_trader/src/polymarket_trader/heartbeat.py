"""The venue's dead-man switch, kept armed while we have orders out.

`POST /v1/heartbeats` every ~5 s with chained ids: if the venue hears nothing for 10 s it cancels
every order of the API key, so a dead trader cannot leave quotes behind. Armed and disarmed by
the reducer's `ArmHeartbeat` effect. A beat answered "Invalid Heartbeat ID" resumes with the id
the venue returns. Out: `HeartbeatStatusEvent` when the switch's health changes (ok after a
failure or after arming; every failed beat), never one per successful beat (the journal would
fill with them).
"""

from __future__ import annotations

import asyncio
from collections import Counter

from hourmm_common.clock import Clock
from hourmm_common.logs import get_logger
from polymarket_trader.core.events import Event, HeartbeatStatusEvent
from polymarket_trader.rest_client import Ok, PolymarketRestClient, Rejected


class HeartbeatKeeper:
    def __init__(self, *, rest: PolymarketRestClient, out: asyncio.Queue[Event], clock: Clock,
                 interval_ms: int = 5_000) -> None:
        self._rest = rest
        self._out = out
        self._clock = clock
        self.interval_ms = interval_ms
        self.armed = False
        self.heartbeat_id = ""
        self.healthy: bool | None = None  # None until the first beat after arming
        self.last_ok_ms: int | None = None
        self.counts: Counter[str] = Counter()
        self._wake = asyncio.Event()
        self._log = get_logger("heartbeat")

    def set_armed(self, armed: bool) -> None:
        if armed != self.armed:
            self.armed = armed
            self.healthy = None
            self._log.info("heartbeat_armed" if armed else "heartbeat_disarmed")
        self._wake.set()

    async def run(self) -> None:
        next_ms = self._clock.now_ms()
        while True:
            if not self.armed:
                self._wake.clear()
                await self._wake.wait()
                next_ms = self._clock.now_ms()
                continue
            await self.beat()
            next_ms = max(next_ms + self.interval_ms, self._clock.now_ms())
            await self._clock.sleep_until(next_ms)

    async def beat(self) -> None:
        result = await self._rest.heartbeat(self.heartbeat_id)
        if isinstance(result, Rejected) and result.data:
            self.counts["id_resynced"] += 1
            self.heartbeat_id = result.data  # the venue told us the id it expects: resume the chain
            result = await self._rest.heartbeat(self.heartbeat_id)
        now = self._clock.now_ms()
        if isinstance(result, Ok):
            self.counts["ok"] += 1
            self.heartbeat_id = result.value
            self.last_ok_ms = now
            if self.healthy is not True:
                self.healthy = True
                await self._out.put(HeartbeatStatusEvent(ts_local_ms=now, ok=True))
            return
        self.counts["failed"] += 1
        detail = result.reason if isinstance(result, Rejected) else f"{result.failure.value}: {result.detail}"
        self.healthy = False
        self._log.warning("heartbeat_failed", detail=detail[:200])
        await self._out.put(HeartbeatStatusEvent(ts_local_ms=now, ok=False, detail=detail[:200]))
