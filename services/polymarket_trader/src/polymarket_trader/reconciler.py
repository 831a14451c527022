"""The reconciler: carries out the reducer's effects and reports the venue's truth back as events.

In (`EffectSink.handle`, from `StateReducer`): `CancelAll` (on a websocket reconnect, an UNKNOWN
order, repeated errors, boot), `QueryOpenOrders`, `QueryBalances`, `QueryTrades`, `SwitchMarket`,
`ArmHeartbeat`, the report effects, and order actions (handed to the executor). Out, into the
reducer's inbox: `CancelAllRequested` then `CancelAllAckEvent` (or `RestErrorEvent`),
`OpenOrdersSnapshot`, `BalancesSnapshot`, `UserTradeEvent`s from the REST backfill. The mode
decisions (HALT until the cancel-all is confirmed and the stabilisation window has passed) are
the reducer's; this edge only acts and reports.

Cancel-alls are coalesced and rate-limited: requests arriving while one runs are served by the
next call, and two calls are at least `cooldown_ms` apart. Every request id still gets its own
intent and outcome event, so the reducer never waits for an answer that will not come.

The venue is reached through a `VenueOps` port: REST in paper and live, `ShadowVenue` (an
account that never sent an order) in shadow mode.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol, assert_never

from hourmm_common.clock import Clock
from hourmm_common.logs import get_logger
from polymarket_trader import wire
from polymarket_trader.core.effects import (
    CancelAll,
    Effect,
    QueryBalances,
    QueryOpenOrders,
    QueryTrades,
    RaiseAlert,
    ReportModeChange,
    ReportSessionChange,
)
from polymarket_trader.core.events import (
    BalancesSnapshot,
    CancelAllRequested,
    Event,
    MarketInfo,
    OpenOrdersSnapshot,
    RestErrorEvent,
    RestFailure,
    RestOp,
    Side,
    VenueOpenOrder,
)
from polymarket_trader.core.ports import OrderPort, PlaceOrCancel, Report, dispatch_effects
from polymarket_trader.executor import emit_cancel_all_outcome
from polymarket_trader.rest_client import CancelResult, Failed, Ok, PolymarketRestClient, Rejected, Result
from polymarket_trader.user_ws import UserTranslator


class VenueOps(Protocol):
    async def cancel_all(self, condition_id: str | None) -> Result[CancelResult]: ...
    async def open_orders(self, market: MarketInfo) -> Result[list[VenueOpenOrder]]: ...
    async def balances(self, market: MarketInfo | None) -> Result[tuple[int, int, int]]: ...
    async def trades(self, condition_id: str, after_ms: int) -> Result[list[wire.UserWsMsg]]: ...


class RestVenue:
    """`VenueOps` over the CLOB REST client."""

    def __init__(self, rest: PolymarketRestClient) -> None:
        self.rest = rest

    async def cancel_all(self, condition_id: str | None) -> Result[CancelResult]:
        return await (self.rest.cancel_all() if condition_id is None else self.rest.cancel_market(condition_id))

    async def open_orders(self, market: MarketInfo) -> Result[list[VenueOpenOrder]]:
        raw = await self.rest.open_orders(market.condition_id)
        if not isinstance(raw, Ok):
            return raw
        try:
            return Ok([o for o in (venue_open_order(m, market) for m in raw.value) if o is not None])
        except ValueError as exc:
            return Failed(RestFailure.BAD_RESPONSE, str(exc)[:200])

    async def balances(self, market: MarketInfo | None) -> Result[tuple[int, int, int]]:
        calls = [self.rest.balance()]
        if market is not None:
            calls += [self.rest.balance(market.up_token_id), self.rest.balance(market.down_token_id)]
        results = await asyncio.gather(*calls)
        for r in results:
            if not isinstance(r, Ok):
                return r
        values = [r.value for r in results if isinstance(r, Ok)] + [0, 0]
        return Ok((values[0], values[1], values[2]))

    async def trades(self, condition_id: str, after_ms: int) -> Result[list[wire.UserWsMsg]]:
        return await self.rest.trades(condition_id, after_ms // 1000)


class ShadowVenue:
    """`VenueOps` in shadow mode: no orders were ever sent, so there is nothing to cancel or list."""

    def __init__(self, usdc_e6: int) -> None:
        self.usdc_e6 = usdc_e6

    async def cancel_all(self, condition_id: str | None) -> Result[CancelResult]:
        return Ok(CancelResult(canceled=(), not_canceled=()))

    async def open_orders(self, market: MarketInfo) -> Result[list[VenueOpenOrder]]:
        return Ok([])

    async def balances(self, market: MarketInfo | None) -> Result[tuple[int, int, int]]:
        return Ok((self.usdc_e6, 0, 0))

    async def trades(self, condition_id: str, after_ms: int) -> Result[list[wire.UserWsMsg]]:
        return Ok([])


def venue_open_order(msg: wire.UserWsMsg, market: MarketInfo) -> VenueOpenOrder | None:
    """One `GET /data/orders` item in our units (None: not one of this market's tokens)."""
    token = market.token_of(msg.asset_id)
    if token is None:
        return None
    if msg.price is None or msg.original_size is None or (msg.side or "").upper() not in ("BUY", "SELL"):
        raise ValueError(f"open order {msg.id!r} lacks price, size or side")
    expiration = wire.fixed(msg.expiration, 0) if msg.expiration not in (None, "") else 0
    matched = wire.size_e6(msg.size_matched) if msg.size_matched not in (None, "") else 0
    return VenueOpenOrder(order_id=msg.id, token=token, side=Side((msg.side or "").upper()),
                          price_e4=wire.price_e4(msg.price), original_size_e6=wire.size_e6(msg.original_size),
                          size_matched_e6=matched, expiration_s=expiration,
                          created_ms=wire.timestamp_ms(msg.created_at) or 0)


class Reconciler:
    """`EffectSink` for the reducer's effects, carried out through `EffectPorts`."""

    def __init__(self, *, venue: VenueOps, out: asyncio.Queue[Event], clock: Clock, executor: OrderPort,
                 translator: UserTranslator, cooldown_ms: int = 1_000,
                 on_switch: Sequence[Callable[[MarketInfo], None]] = (),
                 on_arm: Callable[[bool], None] | None = None, recent: int = 50) -> None:
        self._venue = venue
        self._out = out
        self._clock = clock
        self._executor = executor
        self._translator = translator
        self.cooldown_ms = cooldown_ms
        self._on_switch = list(on_switch)
        self._on_arm = on_arm
        self.market: MarketInfo | None = None
        self.counts: Counter[str] = Counter()
        self.recent_mode_changes: deque[dict[str, Any]] = deque(maxlen=recent)
        self.recent_alerts: deque[dict[str, Any]] = deque(maxlen=recent)
        self.in_progress = False
        self.last_cancel_all_ms: int | None = None
        self._cancel_queue: list[CancelAll] = []
        self._cancel_wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._ids = itertools.count(1)
        self._log = get_logger("reconciler")

    # EffectSink -----------------------------------------------------------------------------------

    def handle(self, effects: Sequence[Effect]) -> None:
        for effect in effects:
            self.counts[type(effect).__name__] += 1
        dispatch_effects(effects, self)

    # EffectPorts ----------------------------------------------------------------------------------

    def submit(self, actions: Sequence[PlaceOrCancel]) -> None:
        self._executor.submit(actions)

    def cancel_all(self, request: CancelAll) -> None:
        self.start_cancel_all(request)

    def query_open_orders(self, query: QueryOpenOrders) -> None:
        self._spawn(self._query_open_orders(query))

    def query_balances(self, query: QueryBalances) -> None:
        self._spawn(self._query_balances())

    def query_trades(self, query: QueryTrades) -> None:
        self._spawn(self._query_trades(query))

    def arm_heartbeat(self, armed: bool) -> None:
        if self._on_arm is not None:
            self._on_arm(armed)

    def report(self, report: Report) -> None:
        """Mode and session changes are logged by the reducer; kept here for the status page."""
        now = self._clock.now_ms()
        match report:
            case ReportModeChange():
                self.recent_mode_changes.append({"ts_ms": now, "old": report.old.value, "new": report.new.value,
                                                 "reason": report.reason})
            case ReportSessionChange():
                self.recent_mode_changes.append({"ts_ms": now, "session_old": report.old.value,
                                                 "session_new": report.new.value, "reason": report.reason})
            case RaiseAlert():
                self.recent_alerts.append({"ts_ms": now, "code": report.code, "detail": report.detail,
                                           "severity": report.severity})
            case _:
                assert_never(report)

    def switch_market(self, market: MarketInfo) -> None:
        self.market = market
        self._translator.set_market(market)
        for callback in self._on_switch:
            callback(market)
        self._log.info("market_switched", condition_id=market.condition_id, slug=market.slug)

    # Cancel-all -----------------------------------------------------------------------------------

    def start_cancel_all(self, request: CancelAll) -> None:
        self._cancel_queue.append(request)
        self._cancel_wake.set()

    async def run(self) -> None:
        """The cancel-all worker: coalesces queued requests, keeps calls `cooldown_ms` apart."""
        while True:
            await self._cancel_wake.wait()
            self._cancel_wake.clear()
            while self._cancel_queue:
                if self.last_cancel_all_ms is not None:
                    await self._clock.sleep_until(self.last_cancel_all_ms + self.cooldown_ms)
                batch, self._cancel_queue = self._cancel_queue, []
                await self._cancel_all(batch)

    async def _cancel_all(self, batch: list[CancelAll]) -> None:
        self.in_progress = True
        try:
            for req in batch:
                await self._out.put(CancelAllRequested(ts_local_ms=self._clock.now_ms(), client_req_id=req.client_req_id,
                                                       condition_id=req.condition_id, reason=req.reason))
            scopes = {req.condition_id for req in batch}
            scope = None if None in scopes or len(scopes) > 1 else next(iter(scopes))
            result = await self._venue.cancel_all(scope)
            self.last_cancel_all_ms = self._clock.now_ms()
            op = RestOp.CANCEL_ALL if scope is None else RestOp.CANCEL_MARKET
            self.counts["cancel_all_ok" if isinstance(result, Ok) else "cancel_all_failed"] += 1
            for req in batch:
                await emit_cancel_all_outcome(self._out, self._clock, req.client_req_id, op, result)
        finally:
            self.in_progress = False

    def request_balances(self, reason: str) -> None:
        """Read the venue's balances now (e.g. after a market we held resolved)."""
        self.counts[f"balances_requested_{reason}"] += 1
        self._spawn(self._query_balances())

    def mark_complete(self) -> bool:
        """True when no cancel-all is running or queued."""
        return not self.in_progress and not self._cancel_queue

    # Queries --------------------------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _req_id(self, op: RestOp) -> str:
        return f"rec-{op.value.lower()}-{next(self._ids)}"

    async def _error(self, op: RestOp, result: Failed | Rejected) -> None:
        failure = result.failure if isinstance(result, Failed) else RestFailure.BAD_RESPONSE
        detail = result.detail if isinstance(result, Failed) else f"refused: {result.reason}"
        self.counts[f"{op.value.lower()}_failed"] += 1
        await self._out.put(RestErrorEvent(ts_local_ms=self._clock.now_ms(), client_req_id=self._req_id(op), op=op,
                                           failure=failure, detail=detail))

    async def _query_open_orders(self, effect: QueryOpenOrders) -> None:
        market = self.market
        if market is None or market.condition_id != effect.condition_id:
            await self._error(RestOp.OPEN_ORDERS, Failed(RestFailure.BAD_RESPONSE,
                                                          f"market {effect.condition_id} is not the current one"))
            return
        result = await self._venue.open_orders(market)
        if isinstance(result, Ok):
            await self._out.put(OpenOrdersSnapshot(ts_local_ms=self._clock.now_ms(), condition_id=market.condition_id,
                                                   orders=tuple(result.value)))
        else:
            await self._error(RestOp.OPEN_ORDERS, result)

    async def _query_balances(self) -> None:
        result = await self._venue.balances(self.market)
        if isinstance(result, Ok):
            usdc, up, down = result.value
            await self._out.put(BalancesSnapshot(ts_local_ms=self._clock.now_ms(), usdc_e6=usdc, up_e6=up,
                                                 down_e6=down,
                                                 condition_id=self.market.condition_id if self.market else None))
        else:
            await self._error(RestOp.BALANCES, result)

    async def _query_trades(self, effect: QueryTrades) -> None:
        result = await self._venue.trades(effect.condition_id, effect.after_ms)
        if not isinstance(result, Ok):
            await self._error(RestOp.TRADES, result)
            return
        now = self._clock.now_ms()
        for item in result.value:
            try:
                event = self._translator.message_to_event(item, now)
            except ValueError as exc:
                self.counts["bad_trade_item"] += 1
                self._log.warning("bad_message_dropped", kind="rest_trade", reason=str(exc)[:200], sample=item.id[:80])
                continue
            if event is not None:
                await self._out.put(event)
