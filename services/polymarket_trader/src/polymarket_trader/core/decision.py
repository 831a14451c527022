"""One decision as a pure function: `step(view, snapshot, now_ms, pacing, rules=...) -> StepResult`.

In: the frozen state view, the Binance snapshot the step uses, the time, and the `Pacing` left by
the previous step. Out: the order actions, the next `Pacing`, and how many in-flight entries
expired (a metric, as data). The step prunes the pacing against the view, builds the context,
runs risk -> strategy -> clamp -> order manager, and records what it sent in the new pacing.

Why pacing is an input and not hidden state: it changes which actions come out (an action in
flight blocks its slot, a cancel in flight is not sent again, a FAK that found nothing is not
retried in its slot before `fak_min_interval_ms`). Carried as a frozen struct and journaled with
every decision (`DecisionRecord`), a decision replays from the journal alone: fold the events to
`seq`, then `step(view, snapshot, now_ms, pacing_before)` gives the same actions. The service's
`DecisionLoop` and the backtest run this same function, so FAK pacing is backtested too.

Pacing entries: an action is "in flight" until the view reflects it (the executor's
OrderSubmitted / CancelRequested has been folded); entries the view never reflects are forgotten
after `inflight_timeout_ms` and counted. Pure: no clock, no IO.
"""

from __future__ import annotations

import msgspec

from hourmm_common.snapshot import BinanceSnapshot
from polymarket_trader.core.context import build_context
from polymarket_trader.core.effects import CancelOrders, OrderAction, PlaceOrder
from polymarket_trader.core.events import OrderType
from polymarket_trader.core.order_manager import OrderManager
from polymarket_trader.core.orders import OrderStatus
from polymarket_trader.core.params import DecisionParams
from polymarket_trader.core.risk import RiskEngine
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.core.strategy import Strategy


class InflightPlace(msgspec.Struct, frozen=True, kw_only=True):
    slot: str
    client_req_id: str
    sent_ms: int


class InflightCancel(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    sent_ms: int


class FakCooldown(msgspec.Struct, frozen=True, kw_only=True):
    slot: str
    until_ms: int  # no new FAK in this slot before this time


class Pacing(msgspec.Struct, frozen=True, kw_only=True):
    """What the decision loop remembers between steps. Tuples of a handful of entries (one per
    slot or cancelled order), so it is cheap to copy and small to journal."""

    n: int  # the next decision number: part of every client_req_id, so ids derive from inputs
    places: tuple[InflightPlace, ...] = ()
    cancels: tuple[InflightCancel, ...] = ()
    cooldowns: tuple[FakCooldown, ...] = ()


class DecisionRules(msgspec.Struct, frozen=True, kw_only=True):
    """The fixed parts of a decision (configuration, not state): never journaled, picked by config."""

    params: DecisionParams
    risk: RiskEngine
    strategy: Strategy
    orders: OrderManager

    @classmethod
    def of(cls, params: DecisionParams, strategy: Strategy) -> DecisionRules:
        return cls(params=params, risk=RiskEngine(params), strategy=strategy, orders=OrderManager(params))


class StepResult(msgspec.Struct, frozen=True, kw_only=True):
    actions: tuple[OrderAction, ...]
    pacing: Pacing
    expired: int = 0  # in-flight entries dropped by the timeout in this step


class DecisionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One journaled decision: every input `step` read besides the rules, and what it produced.

    It carries its own snapshot (the journal keeps few Binance snapshots among its events) and
    the pacing on both sides: `pacing_before` to replay it, `pacing` to resume after a restart.
    """

    now_ms: int
    seq: int  # the view's seq: the state after folding the journal's events up to this one
    snapshot: BinanceSnapshot | None
    pacing_before: Pacing
    pacing: Pacing
    actions: tuple[OrderAction, ...]

    @property
    def n(self) -> int:
        return self.pacing_before.n


def step(view: CanonicalState, snapshot: BinanceSnapshot | None, now_ms: int, pacing: Pacing, *,
         rules: DecisionRules) -> StepResult:
    """One decision: prune pacing -> context -> risk -> strategy -> clamp -> reconcile -> pacing."""
    pacing, expired = _prune(pacing, view, now_ms, rules.params.inflight_timeout_ms)
    ctx = build_context(view, snapshot, now_ms, pacing.n, rules.params)
    risk = rules.risk.evaluate(ctx)
    intent = rules.risk.clamp_intent(rules.strategy.on_tick(ctx, risk), risk, ctx)
    busy = {p.slot for p in pacing.places} | {c.slot for c in pacing.cooldowns}
    actions = tuple(rules.orders.reconcile(intent, ctx.working, ctx, inflight_slots=busy,
                                           inflight_cancels={c.order_id for c in pacing.cancels}))
    return StepResult(actions=actions, pacing=_sent(pacing, actions, now_ms, rules.params), expired=expired)


def resume_pacing(last: Pacing | None, now_ms: int) -> Pacing:
    """The pacing a (re)started decision loop begins with: the last journaled one, numbered from
    at least the clock's ms. A previous process made at most one decision per ms, so numbers (and
    client_req_ids) never repeat, even when its last decisions never reached the journal. Its
    in-flight entries are kept: they resolve against the restored view or expire as in a live
    run, and BOOT_SYNC (HALT until its cancel-all is acknowledged) sends nothing meanwhile."""
    if last is None:
        return Pacing(n=now_ms)
    return msgspec.structs.replace(last, n=max(last.n, now_ms))


def _prune(pacing: Pacing, view: CanonicalState, now_ms: int, timeout_ms: int) -> tuple[Pacing, int]:
    """Drop what the view reflects, what timed out (counted), and cooldowns that are over."""
    expired = 0
    places: list[InflightPlace] = []
    recent = view.recent_client_req_ids
    for p in pacing.places:
        if p.client_req_id in recent:
            continue
        if now_ms - p.sent_ms > timeout_ms:
            expired += 1
            continue
        places.append(p)
    cancels: list[InflightCancel] = []
    for c in pacing.cancels:
        order = view.open_orders.get(c.order_id)
        if order is None or order.status is OrderStatus.PENDING_CANCEL:
            continue
        if now_ms - c.sent_ms > timeout_ms:
            expired += 1
            continue
        cancels.append(c)
    cooldowns = tuple(c for c in pacing.cooldowns if c.until_ms > now_ms)
    if (len(places), len(cancels), len(cooldowns)) == (len(pacing.places), len(pacing.cancels),
                                                       len(pacing.cooldowns)):
        return pacing, 0
    return Pacing(n=pacing.n, places=tuple(places), cancels=tuple(cancels), cooldowns=cooldowns), expired


def _sent(pacing: Pacing, actions: tuple[OrderAction, ...], now_ms: int, params: DecisionParams) -> Pacing:
    """The next decision number, and the actions just sent marked in flight (a FAK, which cannot
    rest, also starts its slot's cooldown: its retries are paced instead)."""
    if not actions:
        return msgspec.structs.replace(pacing, n=pacing.n + 1)
    places = {p.slot: p for p in pacing.places}
    cancels = {c.order_id: c for c in pacing.cancels}
    cooldowns = {c.slot: c for c in pacing.cooldowns}
    for a in actions:
        if isinstance(a, PlaceOrder):
            slot = a.client_req_id.rsplit(":", 1)[-1]
            places[slot] = InflightPlace(slot=slot, client_req_id=a.client_req_id, sent_ms=now_ms)
            if a.order_type is OrderType.FAK:
                cooldowns[slot] = FakCooldown(slot=slot, until_ms=now_ms + params.fak_min_interval_ms)
        elif isinstance(a, CancelOrders):
            for oid in a.order_ids:
                cancels[oid] = InflightCancel(order_id=oid, sent_ms=now_ms)
    return Pacing(n=pacing.n + 1, places=tuple(places.values()), cancels=tuple(cancels.values()),
                  cooldowns=tuple(cooldowns.values()))
