"""`DecisionLoop`: the fixed-rate loop around the pure `core.decision.step`.

It only sleeps, calls, records and submits: each turn it reads the published view and the latest
Binance snapshot, calls `step` with the pacing the previous turn left, journals the decision
(`DecisionRecord`: its inputs, the pacing before and after, the actions) and hands the actions to
the effect sink (the same dispatch the reducer's effects go through: orders to the executor, a
cancel-all to the one cancel-all owner). It never writes state: the executor reports intents and
outcomes back as events into the reducer's inbox. The decision is recorded before the actions
are handed on, so the journal batch that holds their intents also holds the decision.

Timing: the loop sleeps until the next slot on the injected clock (`start + k * period`), so it
does not drift; a late step skips missed slots instead of bursting. A set `wake` event (the
snapshot poller sets it on every new snapshot) runs a step at once, off the grid, so a Binance
move reaches a decision without waiting for the next slot; the grid stays the floor.

Pacing starts from the last journaled decision (`resume_pacing`, see there for why that is safe
after a restart); it is passed in, not read here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from hourmm_common.clock import Clock
from hourmm_common.snapshot import BinanceSnapshot
from hourmm_common.waits import sleep_until_or
from polymarket_trader.core.decision import DecisionRecord, DecisionRules, Pacing, step
from polymarket_trader.core.effects import OrderAction
from polymarket_trader.core.ports import EffectSink
from polymarket_trader.core.state import CanonicalState

DecisionRecorder = Callable[[DecisionRecord], None]


class DecisionLoop:
    def __init__(self, *, state_provider: Callable[[], CanonicalState],
                 snapshot_provider: Callable[[], BinanceSnapshot | None], rules: DecisionRules, sink: EffectSink,
                 clock: Clock, pacing: Pacing, recorder: DecisionRecorder | None = None,
                 wake: asyncio.Event | None = None) -> None:
        self.state_provider = state_provider
        self.snapshot_provider = snapshot_provider
        self.rules = rules
        self.sink = sink
        self.clock = clock
        self.pacing = pacing
        self.recorder = recorder
        self.wake = wake if wake is not None else asyncio.Event()
        self.steps = 0
        self.nudged_steps = 0
        self.actions_sent = 0
        self.inflight_expired = 0

    async def run(self) -> None:
        period_ms = max(1, 1000 // self.rules.params.tick_hz)
        next_ms = self.clock.now_ms()
        while True:
            if not await sleep_until_or(self.clock, next_ms, self.wake):
                self.wake.clear()  # nudges that came before this step coalesce into it
                self.nudged_steps += 1
                self.step()
                continue  # the grid slot is still ahead
            self.step()
            next_ms += period_ms
            now = self.clock.now_ms()
            if next_ms <= now:  # late: skip the missed slots, keep the grid
                next_ms += ((now - next_ms) // period_ms + 1) * period_ms

    def step(self) -> tuple[OrderAction, ...]:
        """One decision on the current view and snapshot, now; returns the actions handed on."""
        view, snapshot, now = self.state_provider(), self.snapshot_provider(), self.clock.now_ms()
        before = self.pacing
        result = step(view, snapshot, now, before, rules=self.rules)
        self.pacing = result.pacing
        self.steps += 1
        self.inflight_expired += result.expired
        if result.actions:
            if self.recorder is not None:
                self.recorder(DecisionRecord(now_ms=now, seq=view.seq, snapshot=snapshot, pacing_before=before,
                                             pacing=result.pacing, actions=result.actions))
            self.actions_sent += len(result.actions)
            self.sink.handle(result.actions)
        return result.actions

    def emit_decision_metrics(self) -> dict[str, int]:
        return {"steps": self.steps, "actions_sent": self.actions_sent, "inflight_places": len(self.pacing.places),
                "inflight_cancels": len(self.pacing.cancels), "inflight_expired": self.inflight_expired}
