"""Fakes over mocks: an executor and an effect sink that record what they were given."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from hourmm_common.clock import Clock
from polymarket_trader.core.effects import CancelAll, CancelOrders, Effect, OrderAction, PlaceOrder
from polymarket_trader.core.events import (
    CancelAckEvent,
    CancelAllAckEvent,
    CancelAllRequested,
    CancelRequested,
    Event,
    OrderSubmitted,
    RestOrderAckEvent,
    VenueOrderStatus,
)


class RecordingExecutor:
    """`OrderPort` that records every batch of actions (and sends nothing)."""

    def __init__(self) -> None:
        self.batches: list[list[OrderAction]] = []

    def submit(self, actions: Sequence[OrderAction]) -> None:
        self.batches.append(list(actions))

    @property
    def actions(self) -> list[OrderAction]:
        return [a for b in self.batches for a in b]


class RecordingSink:
    """`EffectSink` that records every effect."""

    def __init__(self) -> None:
        self.effects: list[Effect] = []

    def handle(self, effects: Sequence[Effect]) -> None:
        self.effects.extend(effects)

    def of(self, kind: type) -> list[Effect]:
        return [e for e in self.effects if isinstance(e, kind)]


class EchoExecutor:
    """`OrderPort` that reports what a venue would: the intent event, then an ack, into a queue.

    Like the real executor it never writes state; the events reach the reducer through its inbox.
    """

    def __init__(self, inbox: asyncio.Queue[Event], clock: Clock) -> None:
        self.inbox = inbox
        self.clock = clock
        self.batches: list[list[OrderAction]] = []

    def submit(self, actions: Sequence[OrderAction]) -> None:
        self.batches.append(list(actions))
        now = self.clock.now_ms()
        for a in actions:
            for ev in _venue_answer(a, now):
                self.inbox.put_nowait(ev)


class ExecutorSink:
    """`EffectSink` that hands every action to an `OrderPort` (the decision loop's view of the
    reconciler, without its REST queries)."""

    def __init__(self, executor: RecordingExecutor | EchoExecutor) -> None:
        self.executor = executor

    def handle(self, effects: Sequence[Effect]) -> None:
        self.executor.submit([e for e in effects if isinstance(e, PlaceOrder | CancelOrders | CancelAll)])


def _venue_answer(a: OrderAction, now: int) -> list[Event]:
    if isinstance(a, PlaceOrder):
        oid = "0x" + a.client_req_id.replace(":", "_")
        return [OrderSubmitted(ts_local_ms=now, client_req_id=a.client_req_id, order_id=oid, terms=a.terms),
                RestOrderAckEvent(ts_local_ms=now, client_req_id=a.client_req_id, order_id=oid,
                                  venue_status=VenueOrderStatus.LIVE)]
    if isinstance(a, CancelOrders):
        return [CancelRequested(ts_local_ms=now, client_req_id=a.client_req_id, order_ids=a.order_ids, reason=a.reason),
                CancelAckEvent(ts_local_ms=now, client_req_id=a.client_req_id, canceled=a.order_ids)]
    return [CancelAllRequested(ts_local_ms=now, client_req_id=a.client_req_id, condition_id=a.condition_id,
                               reason=a.reason),
            CancelAllAckEvent(ts_local_ms=now, client_req_id=a.client_req_id, canceled=())]
