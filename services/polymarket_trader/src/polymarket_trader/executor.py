"""The executor: the only place order actions become REST calls (paper and live), or not (shadow).

In: `OrderAction`s from the decision loop through `submit()` (non-blocking: enqueued, a task
drains). Out, into the reducer's inbox: the intent first (`OrderSubmitted`, `CancelRequested`,
`CancelAllRequested`), written before any network call, then the outcome (`RestOrderAckEvent`,
`RestOrderRejected`, `CancelAckEvent`, `CancelAllAckEvent`, or `RestErrorEvent` when there is no
proven answer, which leaves the orders UNKNOWN for the reconciler's open-orders query).

Orders are signed (in a worker thread: ECDSA is CPU work) before the intent is emitted, so
`OrderSubmitted` carries the order hash the user channel will report. In-flight calls are kept
by client request id for health.

`ShadowExecutor` (shadow mode) sends nothing and emits nothing: the decisions are journaled by
the decision loop; it only counts them. It is a different class, not a flag in this one.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Sequence
from typing import Any

import msgspec

from hourmm_common.clock import Clock
from hourmm_common.logs import get_logger
from polymarket_trader.core.effects import CancelAll, CancelOrders, OrderAction, PlaceOrder
from polymarket_trader.core.events import (
    CancelAckEvent,
    CancelAllAckEvent,
    CancelAllRequested,
    CancelRequested,
    Event,
    MarketInfo,
    OrderSubmitted,
    RestErrorEvent,
    RestFailure,
    RestOp,
    RestOrderAckEvent,
    RestOrderRejected,
)
from polymarket_trader.rest_client import (
    MAX_BATCH,
    CancelResult,
    Failed,
    Ok,
    PolymarketRestClient,
    Rejected,
    Result,
)
from polymarket_trader.signing import OrderSigner, OrderSpec, SignedOrder, SigningError


class InflightCall(msgspec.Struct, frozen=True, kw_only=True):
    op: RestOp
    started_ms: int
    order_ids: tuple[str, ...] = ()


class _Base:
    def __init__(self, *, out: asyncio.Queue[Event], clock: Clock, queue_size: int = 10_000) -> None:
        self._out = out
        self._clock = clock
        self._pending: asyncio.Queue[list[OrderAction]] = asyncio.Queue(maxsize=queue_size)
        self.market: MarketInfo | None = None
        self.counts: Counter[str] = Counter()
        self.inflight: dict[str, InflightCall] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    def set_market(self, market: MarketInfo) -> None:
        self.market = market

    def submit(self, actions: Sequence[OrderAction]) -> None:
        """OrderPort: never blocks, never raises on well-formed input."""
        if actions:
            self._pending.put_nowait(list(actions))
            self._idle.clear()
            self.counts["batches_submitted"] += 1

    async def run(self) -> None:
        while True:
            if self._pending.empty():
                self._idle.set()
            batch = await self._pending.get()
            self._idle.clear()
            await self.execute(batch)

    async def wait_idle(self) -> None:
        """Return once every submitted batch has been executed (its outcome events emitted)."""
        await self._idle.wait()

    async def execute(self, batch: list[OrderAction]) -> None:
        raise NotImplementedError

    async def drain(self) -> None:
        """Execute everything already submitted (shutdown, tests)."""
        while not self._pending.empty():
            await self.execute(self._pending.get_nowait())

    def health(self) -> dict[str, Any]:
        now = self._clock.now_ms()
        oldest = min((c.started_ms for c in self.inflight.values()), default=None)
        return {"inflight": len(self.inflight), "oldest_inflight_ms": None if oldest is None else now - oldest,
                "queued_batches": self._pending.qsize()}

    async def _emit(self, event: Event) -> None:
        await self._out.put(event)


class Executor(_Base):
    """REST execution against the venue (the local one in paper mode, the real one live)."""

    def __init__(self, *, rest: PolymarketRestClient, signer: OrderSigner, out: asyncio.Queue[Event],
                 clock: Clock, queue_size: int = 10_000) -> None:
        super().__init__(out=out, clock=clock, queue_size=queue_size)
        self._rest = rest
        self._signer = signer
        self._log = get_logger("executor")

    async def execute(self, batch: list[OrderAction]) -> None:
        cancels = [a for a in batch if not isinstance(a, PlaceOrder)]
        places = [a for a in batch if isinstance(a, PlaceOrder)]
        await asyncio.gather(*(self._cancel(a) for a in cancels))
        if places:
            await self._place(places)

    # Places -------------------------------------------------------------------------------------

    async def _place(self, actions: list[PlaceOrder]) -> None:
        now = self._clock.now_ms()
        signed = await asyncio.to_thread(self._sign_all, actions, now)
        ready: list[tuple[PlaceOrder, SignedOrder]] = []
        for action, result in zip(actions, signed, strict=True):
            if isinstance(result, SignedOrder):
                ready.append((action, result))
                continue
            self.counts["unsignable"] += 1
            self._log.warning("order_not_signed", client_req_id=action.client_req_id, reason=result)
            await self._emit(RestOrderRejected(ts_local_ms=self._clock.now_ms(), client_req_id=action.client_req_id,
                                               order_id="", reason=f"not signed: {result}"))
        for action, order in ready:
            await self._emit(OrderSubmitted(ts_local_ms=self._clock.now_ms(), client_req_id=action.client_req_id,
                                            order_id=order.order_id, terms=action.terms))
            self.inflight[action.client_req_id] = InflightCall(op=RestOp.PLACE, started_ms=now,
                                                               order_ids=(order.order_id,))
        chunks = [ready[i:i + MAX_BATCH] for i in range(0, len(ready), MAX_BATCH)]
        await asyncio.gather(*(self._post_chunk(chunk) for chunk in chunks))

    def _sign_all(self, actions: list[PlaceOrder], now_ms: int) -> list[SignedOrder | str]:
        out: list[SignedOrder | str] = []
        for a in actions:
            try:
                token_id = self._token_id(a)
                out.append(self._signer.sign(OrderSpec(token_id=token_id, terms=a.terms, tick_e4=a.tick_e4,
                                                       neg_risk=a.neg_risk), timestamp_ms=now_ms))
            except (SigningError, ValueError) as exc:
                out.append(str(exc)[:200])
        return out

    def _token_id(self, action: PlaceOrder) -> str:
        market = self.market
        if market is None or market.condition_id != action.condition_id:
            raise ValueError(f"no token ids known for market {action.condition_id}")
        return market.token_id(action.token)

    async def _post_chunk(self, chunk: list[tuple[PlaceOrder, SignedOrder]]) -> None:
        results = await self._rest.place_orders([order for _, order in chunk])
        for (action, order), result in zip(chunk, results, strict=True):
            self.inflight.pop(action.client_req_id, None)
            ts = self._clock.now_ms()
            if isinstance(result, Ok):
                self.counts["place_ok"] += 1
                await self._emit(RestOrderAckEvent(ts_local_ms=ts, client_req_id=action.client_req_id,
                                                   order_id=order.order_id, venue_status=result.value.status))
            elif isinstance(result, Rejected):
                self.counts["place_rejected"] += 1
                await self._emit(RestOrderRejected(ts_local_ms=ts, client_req_id=action.client_req_id,
                                                   order_id=order.order_id, reason=result.reason,
                                                   post_only_cross=result.post_only_cross))
            else:
                self.counts[f"place_failed_{result.failure.value.lower()}"] += 1
                self._log.warning("order_outcome_unknown", client_req_id=action.client_req_id,
                                  order_id=order.order_id, failure=result.failure.value, detail=result.detail)
                await self._emit(RestErrorEvent(ts_local_ms=ts, client_req_id=action.client_req_id, op=RestOp.PLACE,
                                                failure=result.failure, detail=result.detail,
                                                order_ids=(order.order_id,)))

    # Cancels ------------------------------------------------------------------------------------

    async def _cancel(self, action: OrderAction) -> None:
        now = self._clock.now_ms()
        if isinstance(action, CancelOrders):
            await self._emit(CancelRequested(ts_local_ms=now, client_req_id=action.client_req_id,
                                             order_ids=action.order_ids, reason=action.reason))
            self.inflight[action.client_req_id] = InflightCall(op=RestOp.CANCEL, started_ms=now,
                                                               order_ids=action.order_ids)
            ids = list(action.order_ids)
            results = await asyncio.gather(*(self._rest.cancel(ids[i:i + MAX_BATCH])
                                             for i in range(0, len(ids), MAX_BATCH)))
            self.inflight.pop(action.client_req_id, None)
            await self._emit_cancel(action.client_req_id, action.order_ids, RestOp.CANCEL, list(results))
        elif isinstance(action, CancelAll):
            await self._emit(CancelAllRequested(ts_local_ms=now, client_req_id=action.client_req_id,
                                                condition_id=action.condition_id, reason=action.reason))
            op = RestOp.CANCEL_ALL if action.condition_id is None else RestOp.CANCEL_MARKET
            self.inflight[action.client_req_id] = InflightCall(op=op, started_ms=now)
            result = await (self._rest.cancel_all() if action.condition_id is None
                            else self._rest.cancel_market(action.condition_id))
            self.inflight.pop(action.client_req_id, None)
            await emit_cancel_all_outcome(self._out, self._clock, action.client_req_id, op, result)

    async def _emit_cancel(self, req_id: str, order_ids: tuple[str, ...], op: RestOp,
                           results: list[Result[CancelResult]]) -> None:
        canceled: list[str] = []
        not_canceled: list[tuple[str, str]] = []
        for result in results:
            if isinstance(result, Failed):
                self.counts[f"cancel_failed_{result.failure.value.lower()}"] += 1
                await self._emit(RestErrorEvent(ts_local_ms=self._clock.now_ms(), client_req_id=req_id, op=op,
                                                failure=result.failure, detail=result.detail, order_ids=order_ids))
                return
            if isinstance(result, Rejected):
                not_canceled.extend((oid, result.reason) for oid in order_ids)
            else:
                canceled.extend(result.value.canceled)
                not_canceled.extend(result.value.not_canceled)
        self.counts["cancel_ok"] += 1
        await self._emit(CancelAckEvent(ts_local_ms=self._clock.now_ms(), client_req_id=req_id,
                                        canceled=tuple(canceled), not_canceled=tuple(not_canceled)))


async def emit_cancel_all_outcome(out: asyncio.Queue[Event], clock: Clock, req_id: str, op: RestOp,
                                  result: Result[CancelResult]) -> None:
    """A cancel-all is confirmed only by a 2xx answer; anything else is an error to retry."""
    ts = clock.now_ms()
    if isinstance(result, Ok):
        await out.put(CancelAllAckEvent(ts_local_ms=ts, client_req_id=req_id, canceled=result.value.canceled))
    elif isinstance(result, Rejected):  # proves nothing was cancelled: unproven, so it is retried
        await out.put(RestErrorEvent(ts_local_ms=ts, client_req_id=req_id, op=op,
                                     failure=RestFailure.BAD_RESPONSE, detail=f"refused: {result.reason}"))
    else:
        await out.put(RestErrorEvent(ts_local_ms=ts, client_req_id=req_id, op=op, failure=result.failure,
                                     detail=result.detail))


class ShadowExecutor(_Base):
    """Shadow mode: nothing reaches the venue and nothing is pretended.

    The decision loop journals every decision (the journal's `decisions` table is shadow mode's
    output); this executor only counts them and keeps the latest few for the status page. No
    event goes to the reducer, so the state shows what the venue really holds: nothing.
    """

    def __init__(self, *, out: asyncio.Queue[Event], clock: Clock, keep: int = 50) -> None:
        super().__init__(out=out, clock=clock)
        self.recent: deque[dict[str, Any]] = deque(maxlen=keep)

    def submit(self, actions: Sequence[OrderAction]) -> None:
        now = self._clock.now_ms()
        for action in actions:
            self.counts[f"shadow_{type(action).__name__}"] += 1
            self.recent.append({"ts_ms": now, **msgspec.to_builtins(action)})

    async def run(self) -> None:
        await asyncio.Event().wait()  # nothing to drain: submit() does all the work

    async def execute(self, batch: list[OrderAction]) -> None:
        self.submit(batch)
