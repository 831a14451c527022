"""The seams between the pure core and the edges, as Protocols (no IO here).

- `ExecutorPort`: where the decision loop hands order actions; implemented by the REST
  `Executor` (paper, live), by a journaling no-send executor (shadow), and by recording fakes.
- `EffectSink`: where `StateReducer` hands the reducer's effects (executor, reconciler,
  scheduler, websocket clients, logger).
Both must return quickly and never raise on a well-formed input: outcomes come back as events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from polymarket_trader.core.effects import Effect, OrderAction


class ExecutorPort(Protocol):
    def submit(self, actions: Sequence[OrderAction]) -> None: ...


class EffectSink(Protocol):
    def handle(self, effects: Sequence[Effect]) -> None: ...
