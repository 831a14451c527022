"""The order status table: every allowed transition applies, every other one is an anomaly that
makes the state uncertain (cancel-all + HALT), never an exception."""

from __future__ import annotations

import msgspec
import pytest
from trader_testkit.builders import a_submit, at, boot_events
from trader_testkit.harness import CoreHarness

from hourmm_common.enums import RiskMode
from polymarket_trader.core.effects import CancelAll, Effect
from polymarket_trader.core.ledger import put_order
from polymarket_trader.core.order_events import move
from polymarket_trader.core.orders import ABSORBED, TRANSITIONS, OrderStatus, transition_allowed

PAIRS = [(a, b) for a in OrderStatus for b in OrderStatus]


def _state_with_order_in(status: OrderStatus) -> CoreHarness:
    h = CoreHarness(now_ms=at(1))
    h.feed_all(boot_events())
    h.feed(a_submit("0xo1", ts=at(2)))
    order = msgspec.structs.replace(h.state.order("0xo1"), status=status)  # type: ignore[type-var]
    h.state = put_order(h.state, order)
    return h


@pytest.mark.parametrize(("old", "new"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_transition_table(old: OrderStatus, new: OrderStatus) -> None:
    h = _state_with_order_in(old)
    order = h.state.order("0xo1")
    assert order is not None and order.status is old
    fx: list[Effect] = []
    after = move(h.state, order, new, at(3), fx)
    if (old, new) in ABSORBED:
        assert after.order("0xo1").status is old  # type: ignore[union-attr]
        assert not after.anomalies
    elif transition_allowed(old, new):
        assert after.order("0xo1").status is new  # type: ignore[union-attr]
        assert not after.anomalies
    else:
        assert after.order("0xo1").status is old  # type: ignore[union-attr]
        assert sum(after.anomalies.values()) == 1
        assert after.flags.halt_reason is not None
        assert any(isinstance(e, CancelAll) for e in fx)


def test_venue_reality_is_written_down() -> None:
    assert OrderStatus.FILLED in TRANSITIONS[OrderStatus.CANCELED]  # CANCELED -> MATCHED fills still arrive
    assert OrderStatus.FILLED in TRANSITIONS[OrderStatus.PENDING_CANCEL]
    assert OrderStatus.PARTIALLY_FILLED in TRANSITIONS[OrderStatus.PENDING_CANCEL]
    assert not TRANSITIONS[OrderStatus.REJECTED]


def test_an_impossible_transition_halts_the_trader() -> None:
    h = _state_with_order_in(OrderStatus.REJECTED)
    h.set_time(at(2))
    order = h.state.order("0xo1")
    assert order is not None
    fx: list[Effect] = []
    h.state = move(h.state, order, OrderStatus.LIVE, at(3), fx)
    h.set_time(at(3))
    assert h.state.risk_mode is RiskMode.HALT
