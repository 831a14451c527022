"""The trader's pure core in the backtest's process: reducer, decision step, effect dispatch.

The same functions the service runs: `core.reducer.reduce` folds every event, `core.decision.step`
decides with the same `Pacing` the service's `DecisionLoop` carries (in-flight actions, FAK
cooldowns, the decision number), and `core.ports.dispatch_effects` carries out the reducer's
effects and the decision's actions through the same ports the service uses. Only the ports
differ: `InProcessVenue` calls the in-process `Clob` where the service signs and POSTs, and reports
the outcome as the same events, which are folded in order before the next step. Deterministic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import msgspec

from hourmm_common.snapshot import BinanceSnapshot
from hourmm_lab.backtest.venue_adapter import InProcessVenue, VenueSink
from hourmm_sim.polymarket.clob import Clob
from polymarket_trader.core.decision import DecisionRules, Pacing, step
from polymarket_trader.core.events import Event
from polymarket_trader.core.params import DecisionParams, ReducerParams, RiskLimits
from polymarket_trader.core.ports import dispatch_effects
from polymarket_trader.core.reducer import reduce
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.core.strategy import STRATEGIES, StrategyParams


class TraderParams(msgspec.Struct, frozen=True, kw_only=True):
    strategy: StrategyParams = StrategyParams()
    decision: DecisionParams = DecisionParams()
    limits: RiskLimits = RiskLimits()
    reducer: ReducerParams = ReducerParams()


class BacktestTrader:
    """Holds the canonical state and the pacing, folds events, runs one decision at a time."""

    def __init__(self, clob: Clob, params: TraderParams, *, address: str, api_key: str, seed: int,
                 venue_sink: VenueSink) -> None:
        self.params = params
        self.state = CanonicalState(limits=params.limits, params=params.reducer)
        self.rules = DecisionRules.of(params.decision, STRATEGIES[params.strategy.name](params.strategy,
                                                                                        params.decision))
        self.pacing = Pacing(n=1)  # one process for the whole run: numbers from 1 never repeat
        self._pending: deque[Event] = deque()
        self.venue = InProcessVenue(clob, address=address, api_key=api_key, seed=seed, venue_sink=venue_sink,
                                    state=lambda: self.state, out=self._pending)
        self.decisions = 0
        self.events = 0

    @property
    def alerts(self) -> dict[str, int]:
        return self.venue.alerts

    def apply(self, events: Iterable[Event]) -> None:
        """Reduce each event; effects are carried out at once and their outcomes folded in turn."""
        self._pending.extend(events)
        self._fold_pending()

    def decide(self, now_ms: int, snapshot: BinanceSnapshot | None) -> int:
        """One decision step; its actions reach the venue and their outcomes are folded. Returns
        the number of actions sent."""
        self.decisions += 1
        result = step(self.state, snapshot, now_ms, self.pacing, rules=self.rules)
        self.pacing = result.pacing
        dispatch_effects(result.actions, self.venue)
        self._fold_pending()
        return len(result.actions)

    def _fold_pending(self) -> None:
        pending = self._pending
        while pending:
            self.state, effects = reduce(self.state, pending.popleft())
            self.events += 1
            if effects:
                dispatch_effects(effects, self.venue)
