"""`dispatch_effects`: every kind of effect reaches its port, order requests as one batch."""

from __future__ import annotations

import typing
from collections.abc import Sequence

import pytest
from trader_testkit.builders import a_market

from hourmm_common.enums import RiskMode, SessionState
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
from polymarket_trader.core.events import MarketInfo, OrderTerms, Side, Token
from polymarket_trader.core.ports import PlaceOrCancel, Report, dispatch_effects

PLACE = PlaceOrder(client_req_id="1:2:bid", condition_id="c", tick_e4=100,
                   terms=OrderTerms(token=Token.UP, side=Side.BUY, price_e4=5000, size_e6=5_000_000, expiration_s=10))
CANCEL = CancelOrders(client_req_id="1:2:cancel", order_ids=("0xa",), reason="reconcile")
ONE_OF_EACH: dict[type, Effect] = {
    PlaceOrder: PLACE, CancelOrders: CANCEL, CancelAll: CancelAll(client_req_id="x", condition_id=None, reason="r"),
    QueryOpenOrders: QueryOpenOrders(condition_id="c", reason="boot"), QueryBalances: QueryBalances(reason="boot"),
    QueryTrades: QueryTrades(condition_id="c", after_ms=1, reason="gap"), SwitchMarket: SwitchMarket(market=a_market()),
    ArmHeartbeat: ArmHeartbeat(armed=True),
    ReportModeChange: ReportModeChange(old=RiskMode.NORMAL, new=RiskMode.HALT, reason="r"),
    ReportSessionChange: ReportSessionChange(old=SessionState.BOOT_SYNC, new=SessionState.ACTIVE, reason="r"),
    RaiseAlert: RaiseAlert(code="c", detail="d"),
}


class RecordingPorts:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def submit(self, actions: Sequence[PlaceOrCancel]) -> None:
        self.calls.append(("submit", tuple(actions)))

    def cancel_all(self, request: CancelAll) -> None:
        self.calls.append(("cancel_all", request))

    def query_open_orders(self, query: QueryOpenOrders) -> None:
        self.calls.append(("query_open_orders", query))

    def query_balances(self, query: QueryBalances) -> None:
        self.calls.append(("query_balances", query))

    def query_trades(self, query: QueryTrades) -> None:
        self.calls.append(("query_trades", query))

    def switch_market(self, market: MarketInfo) -> None:
        self.calls.append(("switch_market", market))

    def arm_heartbeat(self, armed: bool) -> None:
        self.calls.append(("arm_heartbeat", armed))

    def report(self, report: Report) -> None:
        self.calls.append(("report", report))


def test_the_table_above_has_every_member_of_the_union() -> None:
    assert set(ONE_OF_EACH) == set(typing.get_args(Effect))


@pytest.mark.parametrize("kind", sorted(ONE_OF_EACH, key=lambda k: k.__name__), ids=lambda k: k.__name__)
def test_every_effect_reaches_exactly_one_port(kind: type) -> None:
    ports = RecordingPorts()
    dispatch_effects([ONE_OF_EACH[kind]], ports)
    assert len(ports.calls) == 1


def test_order_requests_go_as_one_batch_after_the_rest_in_their_order() -> None:
    ports = RecordingPorts()
    alert = RaiseAlert(code="c", detail="d")
    dispatch_effects([CANCEL, alert, PLACE, ArmHeartbeat(armed=False)], ports)
    assert ports.calls == [("report", alert), ("arm_heartbeat", False), ("submit", (CANCEL, PLACE))]
