"""`DecisionLoop`: the fixed-rate loop that turns the current view into order actions.

Each step: build the context (frozen view + latest Binance snapshot + now), evaluate risk, ask
the strategy, clamp the intent, reconcile against working orders, hand the actions to the
executor, journal the decision. It never writes state: the executor reports intents and outcomes
back as events into the reducer's inbox.

Pacing: the loop sleeps until the next slot on the injected clock (`start + k * period`), so it
does not drift; a late step skips missed slots instead of bursting. `nudge()` (called by the
snapshot poller on every new snapshot) runs a step at once, off the grid, so a Binance move
reaches a decision without waiting for the next slot; the grid stays the floor. An action is "in flight"
until the view reflects it (the executor's OrderSubmitted / CancelRequested has been folded), and
a slot with an action in flight gets no new order: no duplicates while the reducer catches up.
A FAK (which cannot rest) is retried in its slot at most every `fak_min_interval_ms`.
Entries the view never reflects are forgotten after `inflight_timeout_ms` (counted).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hourmm_common.clock import Clock
from hourmm_common.snapshot import BinanceSnapshot
from polymarket_trader.core.decision import DecisionContext, build_context
from polymarket_trader.core.effects import CancelOrders, OrderAction, PlaceOrder
from polymarket_trader.core.events import OrderType
from polymarket_trader.core.order_manager import OrderManager
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.core.params import DecisionParams
from polymarket_trader.core.ports import ExecutorPort
from polymarket_trader.core.risk import RiskEngine
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.core.strategy import Strategy

DecisionRecorder = Callable[[int, int, list[OrderAction]], None]


class DecisionLoop:
    def __init__(self, *, state_provider: Callable[[], CanonicalState],
                 snapshot_provider: Callable[[], BinanceSnapshot | None], risk: RiskEngine, strategy: Strategy,
                 order_manager: OrderManager, executor: ExecutorPort, clock: Clock, params: DecisionParams,
                 recorder: DecisionRecorder | None = None) -> None:
        self.tick_hz = params.tick_hz
        self.state_provider = state_provider
        self.snapshot_provider = snapshot_provider
        self.risk = risk
        self.strategy = strategy
        self.order_manager = order_manager
        self.executor = executor
        self.clock = clock
        self.params = params
        self.recorder = recorder
        # Decision numbers start at the clock's ms: always above any number a previous process used
        # in this hour (it made at most one decision per ms), so client_req_ids never repeat.
        self.n = clock.now_ms()
        self.inflight_places: dict[str, tuple[str, int]] = {}  # slot -> (client_req_id, sent_ms)
        self.inflight_cancels: dict[str, int] = {}  # order_id -> sent_ms
        self.take_cooldown: dict[str, int] = {}  # slot -> no new FAK there before this time
        self.steps = 0
        self.nudged_steps = 0
        self._wake = asyncio.Event()
        self.actions_sent = 0
        self.inflight_expired = 0

    def build_context(self, state_view: CanonicalState, snapshot: BinanceSnapshot | None) -> DecisionContext:
        return build_context(state_view, snapshot, self.clock.now_ms(), self.n, self.params)

    def nudge(self) -> None:
        """Ask for a step now (a new snapshot arrived). Nudges before the step coalesce."""
        self._wake.set()

    async def run(self) -> None:
        period_ms = max(1, 1000 // self.tick_hz)
        next_ms = self.clock.now_ms()
        while True:
            if not await self._sleep_or_nudge(next_ms):
                self.nudged_steps += 1
                self.step(self.build_context(self.state_provider(), self.snapshot_provider()))
                continue  # the grid slot is still ahead
            self.step(self.build_context(self.state_provider(), self.snapshot_provider()))
            next_ms += period_ms
            now = self.clock.now_ms()
            if next_ms <= now:  # late: skip the missed slots, keep the grid
                next_ms += ((now - next_ms) // period_ms + 1) * period_ms

    async def _sleep_or_nudge(self, deadline_ms: int) -> bool:
        """True when the slot at `deadline_ms` is due, False when a nudge came first."""
        if self._wake.is_set():
            self._wake.clear()
            return False
        sleeper = asyncio.ensure_future(self.clock.sleep_until(deadline_ms))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            done, _ = await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()
        if sleeper in done:
            return True
        self._wake.clear()
        return False

    def step(self, ctx: DecisionContext) -> list[OrderAction]:
        """One decision: risk -> strategy -> clamp -> reconcile -> executor."""
        self.steps += 1
        self._prune_inflight(ctx)
        decision = self.risk.evaluate(ctx)
        intent = self.risk.clamp_intent(self.strategy.on_tick(ctx, decision), decision, ctx)
        busy = set(self.inflight_places)
        busy.update(slot for slot, until in self.take_cooldown.items() if until > ctx.now_ms)
        actions = self.order_manager.reconcile(intent, ctx.working, ctx, inflight_slots=busy,
                                               inflight_cancels=self.inflight_cancels.keys())
        self.n += 1
        if actions:
            for a in actions:
                if isinstance(a, PlaceOrder):
                    slot = a.client_req_id.rsplit(":", 1)[-1]
                    self.inflight_places[slot] = (a.client_req_id, ctx.now_ms)
                    if a.order_type is OrderType.FAK:  # it cannot rest: pace the retries instead
                        self.take_cooldown[slot] = ctx.now_ms + self.params.fak_min_interval_ms
                elif isinstance(a, CancelOrders):
                    for oid in a.order_ids:
                        self.inflight_cancels[oid] = ctx.now_ms
            self.actions_sent += len(actions)
            self.executor.submit(actions)
            if self.recorder is not None:
                self.recorder(ctx.now_ms, ctx.n, actions)
        return actions

    def _prune_inflight(self, ctx: DecisionContext) -> None:
        view = ctx.view
        timeout = self.params.inflight_timeout_ms
        if self.inflight_places:
            recent = view.recent_client_req_ids
            for slot, (req, sent) in list(self.inflight_places.items()):
                if req in recent:
                    del self.inflight_places[slot]
                elif ctx.now_ms - sent > timeout:
                    del self.inflight_places[slot]
                    self.inflight_expired += 1
        if self.inflight_cancels:
            for oid, sent in list(self.inflight_cancels.items()):
                o = view.open_orders.get(oid)
                if o is None or o.status is OrderStatus.PENDING_CANCEL:
                    del self.inflight_cancels[oid]
                elif ctx.now_ms - sent > timeout:
                    del self.inflight_cancels[oid]
                    self.inflight_expired += 1

    def emit_decision_metrics(self) -> dict[str, int]:
        return {"steps": self.steps, "actions_sent": self.actions_sent, "inflight_places": len(self.inflight_places),
                "inflight_cancels": len(self.inflight_cancels), "inflight_expired": self.inflight_expired}
