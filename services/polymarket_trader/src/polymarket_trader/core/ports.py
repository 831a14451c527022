"""The seams between the pure core and the edges: Protocols, and the one effect dispatch.

- `EffectSink`: where `StateReducer` hands the reducer's effects and the decision loop its order
  actions.
- `EffectPorts`: what carrying out an effect needs, one method per kind. The service implements
  it with its edges (`Reconciler`: REST executor, the cancel-all worker, venue queries, websocket
  switches, heartbeat, status page); the backtest with the in-process venue.
- `OrderPort`: the executor's side of it (place and cancel orders).
- `dispatch_effects(effects, ports)`: the only `match` over the `Effect` union, ending in
  `assert_never`, so an effect nobody carries out fails the type check. It lives in the core
  (it routes data to injected ports and performs no IO itself) because the service and the
  backtest must share it, and the lab may import the trader's core only.
Every port method returns quickly and never raises on a well-formed input: outcomes come back
as events.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, assert_never

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
from polymarket_trader.core.events import MarketInfo

PlaceOrCancel = PlaceOrder | CancelOrders
Report = ReportModeChange | ReportSessionChange | RaiseAlert


class EffectSink(Protocol):
    def handle(self, effects: Sequence[Effect]) -> None: ...


class OrderPort(Protocol):
    def submit(self, actions: Sequence[PlaceOrCancel]) -> None: ...


class EffectPorts(OrderPort, Protocol):
    def cancel_all(self, request: CancelAll) -> None: ...
    def query_open_orders(self, query: QueryOpenOrders) -> None: ...
    def query_balances(self, query: QueryBalances) -> None: ...
    def query_trades(self, query: QueryTrades) -> None: ...
    def switch_market(self, market: MarketInfo) -> None: ...
    def arm_heartbeat(self, armed: bool) -> None: ...
    def report(self, report: Report) -> None: ...


def dispatch_effects(effects: Sequence[Effect], ports: EffectPorts) -> None:
    """Carry out `effects` in order; order requests go to `submit` as one batch at the end (the
    executor runs a batch's cancels before its places)."""
    orders: list[PlaceOrCancel] = []
    for effect in effects:
        match effect:
            case PlaceOrder() | CancelOrders():
                orders.append(effect)
            case CancelAll():
                ports.cancel_all(effect)
            case QueryOpenOrders():
                ports.query_open_orders(effect)
            case QueryBalances():
                ports.query_balances(effect)
            case QueryTrades():
                ports.query_trades(effect)
            case SwitchMarket():
                ports.switch_market(effect.market)
            case ArmHeartbeat():
                ports.arm_heartbeat(effect.armed)
            case ReportModeChange() | ReportSessionChange() | RaiseAlert():
                ports.report(effect)
            case _:
                assert_never(effect)
    if orders:
        ports.submit(orders)
