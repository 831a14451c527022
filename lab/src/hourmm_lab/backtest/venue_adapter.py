"""`InProcessVenue`: the backtest's `EffectPorts`, carrying out effects against the in-process `Clob`.

The service carries out effects through the same ports (`core.ports.dispatch_effects`) with its
REST executor, cancel-all worker and reconciler; here each port calls the venue directly and
appends to `out` the events the service's edges would report, in the order they would arrive:
the intent first (`OrderSubmitted`, `CancelRequested`, `CancelAllRequested`), then what the venue
published about the request on our websockets (order updates, trades, book: the user channel
often beats the REST answer, and the core must take that), then the REST answer
(`RestOrderAckEvent` / `RestOrderRejected`, `CancelAckEvent`, `CancelAllAckEvent`). Queries (open
orders, balances) are answered from the venue's own books. Deterministic: order ids derive from
the seed and the decision's `client_req_id`.

Not modelled (the paper and e2e tests cover them): network latency, REST failures, websocket
drops, the dead-man heartbeat (`ArmHeartbeat` is acknowledged at once), trade backfills
(`QueryTrades`: there is no gap in process).
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Sequence

from hourmm_lab.backtest.translate import U_PER_E4, bbo_events, token_of
from hourmm_sim.polymarket.clob import Clob
from hourmm_sim.polymarket.clob_events import VenueEvent
from hourmm_sim.polymarket.clob_rules import POST_ONLY_CROSS, OrderRequest
from hourmm_sim.polymarket.ledger import PUSD
from hourmm_sim.polymarket.matching import BUY, SELL
from polymarket_trader.core.effects import (
    CancelAll,
    CancelOrders,
    PlaceOrder,
    QueryBalances,
    QueryOpenOrders,
    QueryTrades,
    RaiseAlert,
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
    MarketInfo,
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
from polymarket_trader.core.ports import PlaceOrCancel, Report
from polymarket_trader.core.state import CanonicalState

# Takes the venue's records produced by one of our requests and returns what our websockets would
# then deliver (the runner also feeds its metrics from here).
VenueSink = Callable[[list[VenueEvent]], list[Event]]


class InProcessVenue:
    """`EffectPorts` over the in-process venue. `state` is the trader's current view (for the time
    and the active market); every outcome goes to `out`, which the trader folds in order."""

    def __init__(self, clob: Clob, *, address: str, api_key: str, seed: int, venue_sink: VenueSink,
                 state: Callable[[], CanonicalState], out: deque[Event]) -> None:
        self.clob = clob
        self.address = address
        self.api_key = api_key
        self.seed = seed
        self.venue_sink = venue_sink
        self._state = state
        self._out = out
        self.alerts: dict[str, int] = {}
        self._connected = False

    def order_id(self, client_req_id: str) -> str:
        return "0x" + hashlib.sha256(f"backtest:{self.seed}:{client_req_id}".encode()).hexdigest()

    # EffectPorts ---------------------------------------------------------------------------------

    def submit(self, actions: Sequence[PlaceOrCancel]) -> None:
        for action in actions:
            if isinstance(action, PlaceOrder):
                self._place(action, self._now())
            else:
                self._cancel(action, self._now())

    def cancel_all(self, request: CancelAll) -> None:
        now = self._now()
        ids = [o.order_id for o in self.clob.live_orders(owner=self.api_key, market=request.condition_id)]
        canceled, _ = self.clob.cancel(self.api_key, ids, now)
        self._out.extend([CancelAllRequested(ts_local_ms=now, client_req_id=request.client_req_id,
                                             condition_id=request.condition_id, reason=request.reason),
                          *self.venue_sink(self.clob.drain()),
                          CancelAllAckEvent(ts_local_ms=now, client_req_id=request.client_req_id,
                                            canceled=tuple(canceled))])

    def query_open_orders(self, query: QueryOpenOrders) -> None:
        orders = tuple(
            VenueOpenOrder(order_id=o.order_id, token=token_of(o.token), side=Side.BUY if o.side == BUY else Side.SELL,
                           price_e4=o.price_u // U_PER_E4, original_size_e6=o.size_u, size_matched_e6=o.matched_u,
                           expiration_s=o.expiration_s, created_ms=o.created_ms)
            for o in self.clob.live_orders(owner=self.api_key, market=query.condition_id))
        self._out.append(OpenOrdersSnapshot(ts_local_ms=self._now(), condition_id=query.condition_id, orders=orders))

    def query_balances(self, query: QueryBalances) -> None:
        ledger = self.clob.ledger
        market = self._state().active_market
        up = down = 0
        if market is not None:
            up = ledger.total(self.address, market.up_token_id)
            down = ledger.total(self.address, market.down_token_id)
        self._out.append(BalancesSnapshot(ts_local_ms=self._now(), usdc_e6=ledger.total(self.address, PUSD), up_e6=up,
                                          down_e6=down, condition_id=None if market is None else market.condition_id))

    def query_trades(self, query: QueryTrades) -> None:
        """Nothing to backfill: in process, no user-channel message is ever lost."""

    def switch_market(self, market: MarketInfo) -> None:
        now = self._now()
        if not self._connected:
            self._connected = True
            self._out.extend([WsConnected(ts_local_ms=now, channel=Channel.MARKET, reconnect=False),
                              WsConnected(ts_local_ms=now, channel=Channel.USER, reconnect=False)])
        closed = self.clob.markets[market.condition_id].closed
        self._out.append(MarketStatusEvent(ts_local_ms=now, condition_id=market.condition_id,
                                           status=MarketStatus.CLOSED if closed else MarketStatus.OPEN))
        self._out.extend(bbo_events(self.clob, market.condition_id, now))

    def arm_heartbeat(self, armed: bool) -> None:
        self._out.append(HeartbeatStatusEvent(ts_local_ms=self._now(), ok=True))

    def report(self, report: Report) -> None:
        """Alerts are counted for the run's result; mode and session changes are read from state."""
        if isinstance(report, RaiseAlert):
            self.alerts[report.code] = self.alerts.get(report.code, 0) + 1

    # The executor's part --------------------------------------------------------------------------

    def _now(self) -> int:
        return self._state().now_ms

    def _cancel(self, action: CancelOrders, now: int) -> None:
        canceled, refused = self.clob.cancel(self.api_key, list(action.order_ids), now)
        self._out.extend([CancelRequested(ts_local_ms=now, client_req_id=action.client_req_id,
                                          order_ids=action.order_ids, reason=action.reason),
                          *self.venue_sink(self.clob.drain()),
                          CancelAckEvent(ts_local_ms=now, client_req_id=action.client_req_id,
                                         canceled=tuple(canceled), not_canceled=tuple(sorted(refused.items())))])

    def _place(self, action: PlaceOrder, now: int) -> None:
        oid = self.order_id(action.client_req_id)
        submitted = OrderSubmitted(ts_local_ms=now, client_req_id=action.client_req_id, order_id=oid,
                                   terms=action.terms)
        spec = self.clob.markets[action.condition_id].spec
        req = OrderRequest(
            order_id=oid, owner=self.api_key, holder=self.address, maker_address=self.address,
            token_id=spec.up_token if action.token is Token.UP else spec.down_token,
            side=BUY if action.side is Side.BUY else SELL, price_u=action.price_e4 * U_PER_E4,
            size_u=action.size_e6, order_type=action.order_type.value,
            expiration_s=action.expiration_s if action.order_type is OrderType.GTD else 0, post_only=action.post_only)
        result = self.clob.place(req, now)
        outcome: Event
        if result.success:
            status = VenueOrderStatus.MATCHED if result.status == "matched" else VenueOrderStatus.LIVE
            outcome = RestOrderAckEvent(ts_local_ms=now, client_req_id=action.client_req_id, order_id=oid,
                                        venue_status=status)
        else:
            outcome = RestOrderRejected(ts_local_ms=now, client_req_id=action.client_req_id, order_id=oid,
                                        reason=result.error, post_only_cross=result.error == POST_ONLY_CROSS)
        self._out.extend([submitted, *self.venue_sink(self.clob.drain()), outcome])
