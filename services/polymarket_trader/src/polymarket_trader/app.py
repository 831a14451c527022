"""`ContainerBApp`: wires the trader and supervises its tasks (one TaskGroup, every task named).

Boot: restore the state from the journal (snapshot + replay), put `BootStarted` first into the
inbox (the reducer goes to BOOT_SYNC: cancel-all, open orders, balances once the market is known),
start the control plane, then the tasks: reducer, executor, reconciler (cancel-all worker),
heartbeat, both websockets, snapshot poller, market scheduler, decision loop, reducer ticks.

Modes are wiring, not branches inside clients: `paper` and `live` use the REST executor and the
user websocket against `CLOB_URL` (the local venue or Polymarket); `shadow` gets the
`ShadowExecutor`, the `ShadowVenue`, no user websocket and no heartbeat.

Stop (SIGTERM/SIGINT or `request_stop()`): the TaskGroup unwinds, then a bounded best-effort
cancel-all (not in shadow), the journal is flushed and closed. A task that dies of a bug takes the
group down the same way and the process exits non-zero (crash-only: restart into the boot path).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aiohttp

from hourmm_common.clock import Clock
from hourmm_common.enums import RunMode
from hourmm_common.logs import get_logger
from polymarket_trader.config import BConfig
from polymarket_trader.control_plane import ControlPlaneServer, StatusView, build_status
from polymarket_trader.core.decision import DecisionRules, resume_pacing
from polymarket_trader.core.events import (
    BootStarted,
    CancelAllAckEvent,
    CancelAllRequested,
    Channel,
    Event,
    ReducerTickEvent,
    RestErrorEvent,
    RestFailure,
    RestOp,
    WsConnected,
)
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.core.strategy import STRATEGIES
from polymarket_trader.decision_loop import DecisionLoop
from polymarket_trader.executor import Executor, ShadowExecutor
from polymarket_trader.gamma_client import GammaClient
from polymarket_trader.heartbeat import HeartbeatKeeper
from polymarket_trader.journal_sqlite import EventJournalSQLite
from polymarket_trader.market_scheduler import MarketScheduler
from polymarket_trader.market_ws import PolymarketMarketWsClient
from polymarket_trader.metrics import TraderMetrics
from polymarket_trader.reconciler import Reconciler, RestVenue, ShadowVenue, VenueOps
from polymarket_trader.rest_client import Failed, Ok, PolymarketRestClient
from polymarket_trader.signing import L2Auth, OrderSigner
from polymarket_trader.snapshot_poller import SnapshotPoller
from polymarket_trader.state_reducer import StateReducer
from polymarket_trader.user_ws import PolymarketUserWsClient, UserTranslator

TICK_MS = 250  # reducer time input: session timers, staleness, stabilisation windows
SHUTDOWN_CANCEL_TIMEOUT_S = 5.0
SHUTDOWN_DRAIN_TIMEOUT_S = 3.0
INBOX_SIZE = 10_000  # a full inbox blocks the producers (backpressure), it never drops


class _StopRequested(Exception):
    pass


class ContainerBApp:
    def __init__(self, config: BConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._stop = asyncio.Event()
        self._log = get_logger("app")
        self.started = asyncio.Event()
        self.session: aiohttp.ClientSession | None = None
        self.control_plane: ControlPlaneServer | None = None
        self.metrics = TraderMetrics()
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._cancelled_on_stop = False

    # Wiring -----------------------------------------------------------------------------------------

    def build(self, session: aiohttp.ClientSession) -> None:
        """Construct every component (no IO beyond opening the journal)."""
        cfg, clock = self.config, self.clock
        self.session = session
        self.journal = EventJournalSQLite(cfg.sqlite_path, retain_events=cfg.journal_retain_events)
        # The reducer's inbox exists first: every edge writes into it, and the reducer is built
        # last, with its effect sink (the reconciler), so nothing is patched after construction.
        inbox: asyncio.Queue[Event] = asyncio.Queue(maxsize=INBOX_SIZE)
        creds = cfg.credentials
        signer: OrderSigner | None = None
        auth: L2Auth | None = None
        if creds is not None:
            signer = OrderSigner(private_key=creds.private_key.reveal(), signature_type=creds.signature_type,
                                 funder=creds.funder, chain_id=creds.chain_id, owner=creds.api_key.reveal())
            auth = L2Auth(address_signer=signer, api_key=creds.api_key.reveal(),
                          api_secret=creds.api_secret.reveal(), api_passphrase=creds.api_passphrase.reveal())
        self.rest = PolymarketRestClient(base_url=cfg.clob_url, session=session, auth=auth, clock=clock,
                                         signature_type=creds.signature_type if creds else 0,
                                         timeout_s=cfg.rest_timeout_ms / 1000)
        self.market_ws = PolymarketMarketWsClient(url=cfg.pm_ws_market_url, session=session, out=inbox, clock=clock)
        self.user_ws: PolymarketUserWsClient | None = None
        self.heartbeat: HeartbeatKeeper | None = None
        venue: VenueOps
        if cfg.mode is RunMode.SHADOW or signer is None or creds is None:
            self.executor: Executor | ShadowExecutor = ShadowExecutor(out=inbox, clock=clock)
            venue = ShadowVenue(cfg.shadow_usdc_e6)
            translator = UserTranslator(funder="", api_key="")
        else:
            self.executor = Executor(rest=self.rest, signer=signer, out=inbox, clock=clock)
            venue = RestVenue(self.rest)
            self.heartbeat = HeartbeatKeeper(rest=self.rest, out=inbox, clock=clock,
                                             interval_ms=cfg.heartbeat_interval_ms)
            self.user_ws = PolymarketUserWsClient(
                url=cfg.pm_ws_user_url, session=session, out=inbox, clock=clock, funder=signer.funder,
                api_key=creds.api_key.reveal(), api_secret=creds.api_secret.reveal(),
                api_passphrase=creds.api_passphrase.reveal())
            translator = UserTranslator(funder=signer.funder, api_key=creds.api_key.reveal())
        on_switch = [self.market_ws.switch_market, self.executor.set_market]
        if self.user_ws is not None:
            on_switch.append(self.user_ws.switch_market)
        self.reconciler = Reconciler(venue=venue, out=inbox, clock=clock, executor=self.executor,
                                     translator=translator, cooldown_ms=cfg.cancel_all_cooldown_ms,
                                     on_switch=on_switch,
                                     on_arm=self.heartbeat.set_armed if self.heartbeat is not None else None)
        initial = CanonicalState(limits=cfg.limits, params=cfg.reducer)
        self.reducer = StateReducer.restored(self.journal, initial, self.reconciler, clock, inbox=inbox)
        wake = asyncio.Event()  # a new snapshot runs a decision at once (when `step_on_snapshot`)
        self.poller = SnapshotPoller(url=cfg.snapshot_url, session=session, out=inbox, clock=clock,
                                     poll_hz=cfg.snapshot_poll_hz, long_poll_wait_ms=cfg.snapshot_long_poll_ms,
                                     on_new=wake.set if cfg.decision.step_on_snapshot else None,
                                     keepalive_ms=cfg.snapshot_journal_keepalive_ms,
                                     fair_step=cfg.snapshot_journal_fair_step)
        self.gamma = GammaClient(base_url=cfg.gamma_url, session=session)
        self.scheduler = MarketScheduler(
            gamma=self.gamma, out=inbox, clock=clock, rest=self.rest, lead_ms=cfg.market_lead_ms,
            settling_provider=lambda: [sp.condition_id for sp in self.reducer.view.settling
                                       if sp.winning_token is None],
            on_resolved=lambda cid: self.reconciler.request_balances("market_resolved"))
        d = cfg.decision
        self.decision_loop = DecisionLoop(
            state_provider=lambda: self.reducer.view, snapshot_provider=lambda: self.poller.latest,
            rules=DecisionRules.of(d, STRATEGIES[cfg.strategy.name](cfg.strategy, d)), sink=self.reconciler,
            clock=clock, pacing=resume_pacing(self.journal.last_pacing(), clock.now_ms()),
            recorder=self.journal.record_decision, wake=wake)
        self.control_plane = ControlPlaneServer(
            bind_host=cfg.control_host, port=cfg.control_port, token=cfg.control_token.reveal(), out=inbox,
            clock=clock, status=self.status, health=self.health, metrics=self.metrics.render)
        self._register_metrics()

    def _register_metrics(self) -> None:
        c = self.metrics.collector
        c.add_counts("market_ws", lambda: self.market_ws.counts + self.market_ws.translator.counts)
        if self.user_ws is not None:
            user_ws = self.user_ws
            c.add_counts("user_ws", lambda: user_ws.counts + user_ws.translator.counts)
        c.add_counts("rest", lambda: self.rest.counts)
        c.add_counts("executor", lambda: self.executor.counts)
        c.add_counts("reconciler", lambda: self.reconciler.counts)
        c.add_counts("snapshot_poller", lambda: self.poller.counts)
        c.add_counts("scheduler", lambda: self.scheduler.counts + self.gamma.counts)
        c.add_counts("anomalies", lambda: dict(self.reducer.view.anomalies))
        if self.heartbeat is not None:
            hb = self.heartbeat
            c.add_counts("heartbeat", lambda: hb.counts)
        c.add_gauges("reducer", lambda: {
            "inbox_depth": self.reducer.inbox.qsize(), "events": self.reducer.events, "seq": self.reducer.version,
            "batches": self.reducer.batches})
        c.add_gauges("state", self._state_gauges)
        c.add_gauges("decision_loop", lambda: dict(self.decision_loop.emit_decision_metrics()))

    def _state_gauges(self) -> dict[str, float]:
        s = self.reducer.view
        return {"mode_normal": float(s.risk_mode.value == "NORMAL"), "mode_halt": float(s.risk_mode.value == "HALT"),
                "session_active": float(s.session_state.value == "ACTIVE"), "open_orders": len(s.open_orders),
                "up_e6": s.positions.up_e6, "down_e6": s.positions.down_e6, "usdc_e6": s.positions.usdc_e6,
                "reserved_usdc_e6": s.positions.reserved_usdc_e6,
                "market_ws_connected": float(s.health.market_ws_connected),
                "user_ws_connected": float(s.health.user_ws_connected)}

    # Views ------------------------------------------------------------------------------------------

    def status(self) -> StatusView:
        return build_status(self.reducer.view, now_ms=self.clock.now_ms(), run_mode=self.config.mode.value,
                            extras={"recent_mode_changes": self.reconciler.recent_mode_changes,
                                    "recent_alerts": self.reconciler.recent_alerts,
                                    "health": self._edge_health()})

    def _edge_health(self) -> dict[str, Any]:
        return {"market_ws": self.market_ws.health(),
                "user_ws": self.user_ws.health() if self.user_ws is not None else None,
                "snapshot": self.poller.health(), "scheduler": self.scheduler.health(),
                "executor": self.executor.health(), "rest_last_error": self.rest.last_error,
                "heartbeat": None if self.heartbeat is None else {
                    "armed": self.heartbeat.armed, "healthy": self.heartbeat.healthy,
                    "last_ok_ms": self.heartbeat.last_ok_ms},
                "inbox_depth": self.reducer.inbox.qsize()}

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Alive and keeping up: the process is running its tasks and the inbox is not backed up."""
        s = self.reducer.view
        backed_up = self.reducer.inbox.qsize() > self.reducer.inbox.maxsize * 0.9
        ok = self.started.is_set() and not self._stop.is_set() and not backed_up
        return ok, {"mode": s.risk_mode.value, "mode_reason": s.mode_reason, "session": s.session_state.value,
                    "market": s.active_market.slug if s.active_market else None,
                    "unavailable_reason": s.unavailable_reason, **self._edge_health()}

    # Lifecycle --------------------------------------------------------------------------------------

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session:
            self.build(session)
            self._log.info("trader_starting", config=self.config.redacted(), restored_seq=self.reducer.version)
            try:
                await self._supervise()
            finally:
                await self._shutdown()

    async def _supervise(self) -> None:
        assert self.control_plane is not None
        await self.reducer.inbox.put(BootStarted(ts_local_ms=self.clock.now_ms()))
        if self.user_ws is None:
            # Shadow mode sends no orders, so it has no user channel to lose: it is reported up
            # once so the reducer's "both websockets up" condition reflects the market feed alone.
            await self.reducer.inbox.put(WsConnected(ts_local_ms=self.clock.now_ms(), channel=Channel.USER,
                                                     reconnect=False))
        await self.control_plane.start()
        try:
            async with asyncio.TaskGroup() as tg:
                tasks: dict[str, Any] = {
                    "reducer": self.reducer.run(), "executor": self.executor.run(),
                    "reconciler": self.reconciler.run(), "market_ws": self.market_ws.run(),
                    "snapshot_poller": self.poller.run(), "scheduler": self.scheduler.run(),
                    "resolutions": self.scheduler.run_resolutions(),
                    "decision_loop": self.decision_loop.run(), "ticker": self._ticker(), "stop": self._wait_stop()}
                if self.user_ws is not None:
                    tasks["user_ws"] = self.user_ws.run()
                if self.heartbeat is not None:
                    tasks["heartbeat"] = self.heartbeat.run()
                for name, coro in tasks.items():
                    self._tasks[name] = tg.create_task(coro, name=name)
                self.started.set()
        except* _StopRequested:
            pass

    async def _wait_stop(self) -> None:
        """The orderly stop, while the reducer still runs so that all of it is journaled: no new
        decisions, in-flight calls finished, cancel-all (intent and outcome into the inbox), the
        inbox folded; then the TaskGroup unwinds."""
        await self._stop.wait()
        self._log.info("trader_stopping")
        self._tasks["decision_loop"].cancel()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.executor.wait_idle(), SHUTDOWN_DRAIN_TIMEOUT_S)
        if isinstance(self.executor, Executor):
            for event in await self._final_cancel_all():
                await self.reducer.inbox.put(event)
            self._cancelled_on_stop = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._inbox_folded(), SHUTDOWN_DRAIN_TIMEOUT_S)
        raise _StopRequested

    async def _inbox_folded(self) -> None:
        while not self.reducer.inbox.empty():
            await self.reducer.wait_changed(self.reducer.version)

    async def _final_cancel_all(self) -> list[Event]:
        """Cancel every order of the account, bounded in time; the events that record it."""
        now = self.clock.now_ms()
        req = f"shutdown:{now}"
        events: list[Event] = [CancelAllRequested(ts_local_ms=now, client_req_id=req, condition_id=None,
                                                  reason="shutdown")]
        try:
            async with asyncio.timeout(SHUTDOWN_CANCEL_TIMEOUT_S):
                result = await self.rest.cancel_all()
        except TimeoutError:
            result = Failed(RestFailure.TIMEOUT, "shutdown cancel-all timed out")
        if isinstance(result, Ok):
            events.append(CancelAllAckEvent(ts_local_ms=self.clock.now_ms(), client_req_id=req,
                                            canceled=result.value.canceled))
        else:
            detail = result.detail if isinstance(result, Failed) else result.reason
            events.append(RestErrorEvent(ts_local_ms=self.clock.now_ms(), client_req_id=req, op=RestOp.CANCEL_ALL,
                                         failure=result.failure if isinstance(result, Failed)
                                         else RestFailure.BAD_RESPONSE, detail=detail[:200]))
        self._log.warning("shutdown_cancel_all", ok=isinstance(result, Ok), detail=None if isinstance(result, Ok)
                          else str(result)[:200])
        return events

    async def _ticker(self) -> None:
        next_ms = self.clock.now_ms()
        while True:
            next_ms += TICK_MS
            await self.clock.sleep_until(next_ms)
            now = self.clock.now_ms()
            await self.reducer.inbox.put(ReducerTickEvent(ts_local_ms=now, now_ms=now))

    async def _shutdown(self) -> None:
        """After the tasks: a cancel-all if the orderly stop did not make one (a task crashed), the
        leftover inbox folded so the journal holds every event that arrived, the journal closed."""
        leftover: list[Event] = []
        if isinstance(self.executor, Executor) and not self._cancelled_on_stop:
            leftover_cancel = await self._final_cancel_all()
        else:
            leftover_cancel = []
        if self.control_plane is not None:
            await self.control_plane.stop()
        while not self.reducer.inbox.empty():
            leftover.append(self.reducer.inbox.get_nowait())
        try:
            if leftover or leftover_cancel:
                self.reducer.fold(leftover + leftover_cancel)
        finally:
            self.journal.close()
        self._log.info("trader_stopped", seq=self.reducer.version)

