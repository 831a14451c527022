"""CanonicalState is immutable end to end, and clone_for_persist round-trips exactly (B-4)."""

from __future__ import annotations

import msgspec
import pytest
from trader_testkit.builders import a_fill, a_submit, a_user_order, a_user_trade, an_ack, at, boot_events
from trader_testkit.harness import CoreHarness

from polymarket_trader.core.events import OrderEventKind, VenueOrderStatus
from polymarket_trader.core.state import CanonicalState, decode_state


def a_busy_state() -> CanonicalState:
    h = CoreHarness(now_ms=at(1))
    h.feed_all(boot_events())
    h.fresh_snapshot(0.55)
    h.feed(a_submit("0xo1", ts=at(2)), an_ack("0xo1", ts=at(2)), a_user_trade(a_fill("0xo1", size=4), ts=at(2)))
    return h.state


def test_the_view_cannot_be_mutated_attribute_or_item() -> None:
    view = a_busy_state().view()
    with pytest.raises(AttributeError):
        view.risk_mode = view.risk_mode  # type: ignore[misc]
    with pytest.raises(AttributeError):
        view.positions.up_e6 = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        view.open_orders["0xo2"] = view.open_orders["0xo1"]  # type: ignore[index]
    with pytest.raises(TypeError):
        del view.fills["t1|0xo1"]  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        view.anomalies.update({"x": 1})  # type: ignore[attr-defined]


def test_applying_events_leaves_an_old_view_unchanged() -> None:
    h = CoreHarness(now_ms=at(1))
    h.feed_all(boot_events())
    h.feed(a_submit("0xo1", ts=at(2)), an_ack("0xo1", ts=at(2)))
    old = h.state.view()
    frozen_copy = msgspec.msgpack.encode(old)
    h.feed(a_user_trade(a_fill("0xo1", size=4), ts=at(3)))
    h.feed(a_user_order("0xo1", ts=at(3), kind=OrderEventKind.CANCELLATION, status=VenueOrderStatus.CANCELED,
                        matched=4))
    assert h.state.positions.up_e6 == 4_000_000
    assert msgspec.msgpack.encode(old) == frozen_copy
    assert old.positions.up_e6 == 0 and "0xo1" in old.open_orders


def test_clone_for_persist_decodes_to_an_equal_state_that_is_as_immutable() -> None:
    state = a_busy_state()
    restored = decode_state(state.clone_for_persist())
    assert restored == state
    assert restored.fills == state.fills and restored.open_orders == state.open_orders
    with pytest.raises(TypeError):
        restored.open_orders["x"] = next(iter(state.open_orders.values()))  # type: ignore[index]
