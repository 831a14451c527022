"""The trader's pure core in the backtest's process: reducer, risk, strategy, order manager.

The same functions the service runs (`core.reducer.reduce`, `build_context`, `RiskEngine`, the
configured `Strategy`, `OrderManager.reconcile`); only the edges differ. Where the service's
executor signs and POSTs, this one calls the in-process `Clob` directly and reports the outcome as
the same events: the intent first (`OrderSubmitted`, `CancelRequested`, `CancelAllRequested`),
then what the venue published about the request on our websockets (order updates, trades, book:
the user channel often beats the REST answer, and the core must take that), then the REST answer
(`RestOrderAckEvent` / `RestOrderRejected`, `CancelAckEvent`, `CancelAllAckEvent`); reducer effects that ask the venue something (open
orders, balances) are answered from the venue's own books. Deterministic: order ids derive from
the seed and the decision's `client_req_id`.

Not modelled here (the paper and e2e tests cover them): network latency, REST failures, websocket
drops and the dead-man heartbeat (`ArmHeartbeat` is acknowledged at once).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable

import msgspec

from hourmm_common.snapshot import BinanceSnapshot
from hourmm_lab.backtest.translate import U_PER_E4, bbo_events, token_of
from hourmm_sim.polymarket.clob import POST_ONLY_CROSS, Clob, OrderRequest
from hourmm_sim.polymarket.clob_events import VenueEvent
from hourmm_sim.polymarket.ledger import PUSD
from hourmm_sim.polymarket.matching import BUY, SELL
from polymarket_trader.core.decision import build_context
from polymarket_trader.core.effects import (
    ArmHeartbeat,
    CancelAll,
    CancelOrders,
    Effect,
    PlaceOrder,
    QueryBalances,
    QueryOpenOrders,
    QueryTrades,
    RaiseAlert,
    ReportModeChange,
    ReportSessionChange,
    SwitchMarket,
)
from polymarket_trader.core.events import (
    BalancesSnapshot,
    CancelAckEvent,
    CancelAllAckEvent,
    CancelAllRequested,
    CancelRequested,
    Channel,
    Event,
    HeartbeatStatusEvent,
    MarketStatus,
    MarketStatusEvent,
    OpenOrdersSnapshot,
    OrderSubmitted,
    OrderType,
    RestOrderAckEvent,
    RestOrderRejected,
    Side,
    Token,
    VenueOpenOrder,
    VenueOrderStatus,
    WsConnected,
)
from polymarket_trader.core.order_manager import OrderManager
from polymarket_trader.core.params import DecisionParams, ReducerParams, RiskLimits
from polymarket_trader.core.reducer import reduce
from polymarket_trader.core.risk import RiskEngine
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.core.strategy import STRATEGIES, StrategyParams

# Takes the venue's records produced by one of our requests and returns what our websockets would
# then deliver (the runner also feeds its metrics from here).
VenueSink = Callable[[list[VenueEvent]], list[Event]]


class TraderParams(msgspec.Struct, frozen=True, kw_only=True):
    strategy: StrategyParams = StrategyParams()
    decision: DecisionParams = DecisionParams()
    limits: RiskLimits = RiskLimits()
    reducer: ReducerParams = ReducerParams()


class BacktestTrader:
    """Holds the canonical state and folds events into it; `decide` runs one decision."""

    def __init__(self, clob: Clob, params: TraderParams, *, address: str, api_key: str, seed: int,
                 venue_sink: VenueSink) -> None:
        self.clob = clob
        self.venue_sink = venue_sink
        self.params = params
        self.address = address
        self.api_key = api_key
        self.seed = seed
        self.state = CanonicalState(limits=params.limits, params=params.reducer)
        self.strategy = STRATEGIES[params.strategy.name](params.strategy, params.decision)
        self.risk = RiskEngine(params.decision)
        self.orders = OrderManager(params.decision)
        self.decisions = 0
        self.events = 0
        self.alerts: dict[str, int] = {}
        self._connected = False

    # --- folding --------------------------------------------------------------------------
    def apply(self, events: Iterable[Event]) -> None:
        """Reduce each event; effects are carried out at once and their outcomes folded in turn."""
        queue: deque[Event] = deque(events)
        while queue:
            ev = queue.popleft()
            self.state, effects = reduce(self.state, ev)
            self.events += 1
            for fx in effects:
                queue.extend(self._carry_out(fx, self.state.now_ms))

    def decide(self, now_ms: int, snapshot: BinanceSnapshot | None) -> int:
        """One pass of the decision loop; returns the number of order actions sent."""
        self.decisions += 1
        ctx = build_context(self.state, snapshot, now_ms, self.decisions, self.params.decision)
        risk = self.risk.evaluate(ctx)
        intent = self.risk.clamp_intent(self.strategy.on_tick(ctx, risk), risk, ctx)
        actions = self.orders.reconcile(intent, ctx.working, ctx)
        for action in actions:
            self.apply(self._carry_out(action, now_ms))
        return len(actions)

    # --- the executor and the other edges --------------------------------------------------
    def _carry_out(self, fx: Effect, now: int) -> list[Event]:
        if isinstance(fx, PlaceOrder):
            return self._place(fx, now)
        if isinstance(fx, CancelOrders):
            canceled, refused = self.clob.cancel(self.api_key, list(fx.order_ids), now)
            return [CancelRequested(ts_local_ms=now, client_req_id=fx.client_req_id, order_ids=fx.order_ids,
                                    reason=fx.reason),
                    *self.venue_sink(self.clob.drain()),
                    CancelAckEvent(ts_local_ms=now, client_req_id=fx.client_req_id, canceled=tuple(canceled),
                                   not_canceled=tuple(sorted(refused.items())))]
        if isinstance(fx, CancelAll):
            ids = [o.order_id for o in self.clob.live_orders(owner=self.api_key, market=fx.condition_id)]
            canceled, _ = self.clob.cancel(self.api_key, ids, now)
            return [CancelAllRequested(ts_local_ms=now, client_req_id=fx.client_req_id, condition_id=fx.condition_id,
                                       reason=fx.reason),
                    *self.venue_sink(self.clob.drain()),
                    CancelAllAckEvent(ts_local_ms=now, client_req_id=fx.client_req_id, canceled=tuple(canceled))]
        if isinstance(fx, QueryOpenOrders):
            return [self._open_orders(fx.condition_id, now)]
        if isinstance(fx, QueryBalances):
            return [self._balances(now)]
        if isinstance(fx, SwitchMarket):
            return self._switch(fx, now)
        if isinstance(fx, ArmHeartbeat):
            return [HeartbeatStatusEvent(ts_local_ms=now, ok=True)]
        if isinstance(fx, RaiseAlert):
            self.alerts[fx.code] = self.alerts.get(fx.code, 0) + 1
        elif not isinstance(fx, QueryTrades | ReportModeChange | ReportSessionChange):
            raise TypeError(f"backtest cannot carry out {type(fx).__name__}")
        return []  # QueryTrades: no gap to backfill in process; mode/session reports are read from state

    def order_id(self, client_req_id: str) -> str:
        return "0x" + hashlib.sha256(f"backtest:{self.seed}:{client_req_id}".encode()).hexdigest()

    def _place(self, fx: PlaceOrder, now: int) -> list[Event]:
        oid = self.order_id(fx.client_req_id)
        submitted = OrderSubmitted(ts_local_ms=now, client_req_id=fx.client_req_id, order_id=oid, token=fx.token,
                                   side=fx.side, price_e4=fx.price_e4, size_e6=fx.size_e6,
                                   expiration_s=fx.expiration_s, post_only=fx.post_only, order_type=fx.order_type)
        spec = self.clob.markets[fx.condition_id].spec
        req = OrderRequest(
            order_id=oid, owner=self.api_key, holder=self.address, maker_address=self.address,
            token_id=spec.up_token if fx.token is Token.UP else spec.down_token,
            side=BUY if fx.side is Side.BUY else SELL, price_u=fx.price_e4 * U_PER_E4, size_u=fx.size_e6,
            order_type=fx.order_type.value, expiration_s=fx.expiration_s if fx.order_type is OrderType.GTD else 0,
            post_only=fx.post_only)
        result = self.clob.place(req, now)
        if result.success:
            status = VenueOrderStatus.MATCHED if result.status == "matched" else VenueOrderStatus.LIVE
            outcome: Event = RestOrderAckEvent(ts_local_ms=now, client_req_id=fx.client_req_id, order_id=oid,
                                               venue_status=status)
        else:
            outcome = RestOrderRejected(ts_local_ms=now, client_req_id=fx.client_req_id, order_id=oid,
                                        reason=result.error, post_only_cross=result.error == POST_ONLY_CROSS)
        return [submitted, *self.venue_sink(self.clob.drain()), outcome]

    def _open_orders(self, condition_id: str, now: int) -> OpenOrdersSnapshot:
        orders = tuple(
            VenueOpenOrder(order_id=o.order_id, token=token_of(o.token), side=Side.BUY if o.side == BUY else Side.SELL,
                           price_e4=o.price_u // U_PER_E4, original_size_e6=o.size_u, size_matched_e6=o.matched_u,
                           expiration_s=o.expiration_s, created_ms=o.created_ms)
            for o in self.clob.live_orders(owner=self.api_key, market=condition_id))
        return OpenOrdersSnapshot(ts_local_ms=now, condition_id=condition_id, orders=orders)

    def _balances(self, now: int) -> BalancesSnapshot:
        ledger = self.clob.ledger
        market = self.state.active_market
        up = down = 0
        if market is not None:
            up = ledger.total(self.address, market.up_token_id)
            down = ledger.total(self.address, market.down_token_id)
        return BalancesSnapshot(ts_local_ms=now, usdc_e6=ledger.total(self.address, PUSD), up_e6=up, down_e6=down,
                                condition_id=None if market is None else market.condition_id)

    def _switch(self, fx: SwitchMarket, now: int) -> list[Event]:
        out: list[Event] = []
        if not self._connected:
            self._connected = True
            out += [WsConnected(ts_local_ms=now, channel=Channel.MARKET, reconnect=False),
                    WsConnected(ts_local_ms=now, channel=Channel.USER, reconnect=False)]
        state = self.clob.markets[fx.market.condition_id]
        status = MarketStatus.CLOSED if state.closed else MarketStatus.OPEN
        out.append(MarketStatusEvent(ts_local_ms=now, condition_id=fx.market.condition_id, status=status))
        out += bbo_events(self.clob, fx.market.condition_id, now)
        return out

