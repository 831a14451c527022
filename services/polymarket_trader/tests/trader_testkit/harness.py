"""`CoreHarness`: the pure core wired the way the app wires it, without any IO.

It folds events through `reduce`, runs the real `core.decision.step` (carrying its `Pacing` from
one decision to the next, as the `DecisionLoop` does) on a `ManualClock`, and can
play the executor's part (`echo`): each PlaceOrder becomes OrderSubmitted + an ack, each cancel
becomes its intent + an ack, exactly the events the real executor reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hourmm_common.clock import ManualClock
from hourmm_common.snapshot import BinanceSnapshot
from polymarket_trader.core.context import DecisionContext, build_context
from polymarket_trader.core.decision import DecisionRules, Pacing, step
from polymarket_trader.core.effects import CancelAll, CancelOrders, Effect, OrderAction, PlaceOrder
from polymarket_trader.core.events import (
    BinanceSnapshotEvent,
    CancelAckEvent,
    CancelAllAckEvent,
    CancelAllRequested,
    CancelRequested,
    Event,
    OrderSubmitted,
    OrderType,
    ReducerTickEvent,
    RestOrderAckEvent,
    VenueOrderStatus,
)
from polymarket_trader.core.params import DecisionParams
from polymarket_trader.core.reducer import reduce
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.core.strategy import OpportunisticQuoteStrategy, StrategyParams


def order_id_for(client_req_id: str) -> str:
    """The executor's order id (an EIP-712 hash in reality): derived from the request here."""
    return "0x" + client_req_id.replace(":", "_")


class CoreHarness:
    def __init__(self, state: CanonicalState | None = None, *, now_ms: int = 0,
                 params: DecisionParams | None = None, strategy: StrategyParams | None = None) -> None:
        self.state = state if state is not None else CanonicalState()
        self.clock = ManualClock(now_ms)
        self.params = params or DecisionParams()
        self.snapshot: BinanceSnapshot | None = None
        self.effects: list[Effect] = []
        self.events: list[Event] = []
        self.rules = DecisionRules.of(self.params, OpportunisticQuoteStrategy(strategy or StrategyParams(), self.params))
        self.pacing = Pacing(n=now_ms)
        self.expired = 0

    def feed(self, *events: Event) -> list[Effect]:
        out: list[Effect] = []
        for ev in events:
            self.events.append(ev)
            self.state, fx = reduce(self.state, ev)
            out.extend(fx)
        self.effects.extend(out)
        return out

    def feed_all(self, events: Iterable[Any]) -> list[Effect]:
        return self.feed(*events)

    def set_time(self, now_ms: int) -> list[Effect]:
        self.clock.set(now_ms)
        return self.feed(ReducerTickEvent(ts_local_ms=now_ms, now_ms=now_ms))

    def fresh_snapshot(self, p: float | None, *, seq: int | None = None, **kw: Any) -> list[Effect]:
        from trader_testkit.builders import a_snapshot

        now = self.clock.now_ms()
        n = seq if seq is not None else max(1, self.state.health.snapshot_seq + 1)
        self.snapshot = a_snapshot(p, now_ms=now, seq=n, hour_start_ms=_hour_start(self.state, now), **kw)
        return self.feed(BinanceSnapshotEvent(ts_local_ms=now, snapshot=self.snapshot))

    def context(self) -> DecisionContext:
        """What the next decision will see."""
        return build_context(self.state, self.snapshot, self.clock.now_ms(), self.pacing.n, self.params)

    def decide(self) -> list[OrderAction]:
        result = step(self.state, self.snapshot, self.clock.now_ms(), self.pacing, rules=self.rules)
        self.pacing = result.pacing
        self.expired += result.expired
        return list(result.actions)

    def echo(self, actions: Iterable[OrderAction], *, ack: bool = True) -> list[Effect]:
        """Play the executor: intent event before IO, then the venue's answer."""
        now = self.clock.now_ms()
        evs: list[Event] = []
        for a in actions:
            if isinstance(a, PlaceOrder):
                oid = order_id_for(a.client_req_id)
                evs.append(OrderSubmitted(ts_local_ms=now, client_req_id=a.client_req_id, order_id=oid, terms=a.terms))
                if ack:
                    status = VenueOrderStatus.UNMATCHED if a.order_type is OrderType.FAK else VenueOrderStatus.LIVE
                    evs.append(RestOrderAckEvent(ts_local_ms=now, client_req_id=a.client_req_id, order_id=oid,
                                                 venue_status=status))
            elif isinstance(a, CancelOrders):
                evs.append(CancelRequested(ts_local_ms=now, client_req_id=a.client_req_id, order_ids=a.order_ids,
                                           reason=a.reason))
                if ack:
                    evs.append(CancelAckEvent(ts_local_ms=now, client_req_id=a.client_req_id, canceled=a.order_ids))
            else:
                evs.extend(self._cancel_all_events(a, now, ack))
        return self.feed(*evs)

    def _cancel_all_events(self, a: CancelAll, now: int, ack: bool) -> list[Event]:
        ids = tuple(o.order_id for o in self.state.open_orders.values()
                    if a.condition_id is None or o.condition_id == a.condition_id)
        evs: list[Event] = [CancelAllRequested(ts_local_ms=now, client_req_id=a.client_req_id,
                                               condition_id=a.condition_id, reason=a.reason)]
        if ack:
            evs.append(CancelAllAckEvent(ts_local_ms=now, client_req_id=a.client_req_id, canceled=ids))
        return evs

    def echo_effects(self, effects: Iterable[Effect]) -> list[Effect]:
        """Carry out the reducer's CancelAll effects the way the executor would."""
        return self.echo([e for e in effects if isinstance(e, CancelAll)])


def _hour_start(state: CanonicalState, now: int) -> int:
    if state.active_market is not None:
        return state.active_market.hour_start_ms
    return now - now % 3_600_000
