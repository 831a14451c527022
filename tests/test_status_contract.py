"""The trader's `/status` and the harness's reading of it agree (the harness imports no trader code).

Given a trader state with a market, a snapshot, a working order and fills, when the control
plane's `StatusView` is encoded as the trader serves it, then `hourmm_harness.status` decodes it
and reads the same values; a state without a market decodes too.
"""

from __future__ import annotations

import msgspec
from trader_testkit.builders import a_bbo, a_market, a_snapshot, a_submit, an_ack, at, boot_events

from hourmm_harness.status import decode_status
from polymarket_trader.control_plane import build_status
from polymarket_trader.core.events import BinanceSnapshotEvent
from polymarket_trader.core.reducer import reduce
from polymarket_trader.core.state import CanonicalState


def _served(state: CanonicalState, now_ms: int) -> bytes:
    return msgspec.json.encode(build_status(state, now_ms=now_ms, run_mode="paper", extras={}))


def test_a_busy_status_page_decodes_with_the_same_values() -> None:
    market = a_market()
    state = CanonicalState()
    events = [*boot_events(market), BinanceSnapshotEvent(ts_local_ms=at(2), snapshot=a_snapshot(0.61, now_ms=at(2))),
              a_bbo(), a_submit("0xo1", ts=at(3)), an_ack("0xo1", ts=at(3))]
    for ev in events:
        state = reduce(state, ev)[0]
    status = decode_status(_served(state, at(4)))
    assert status.market is not None and status.market.condition_id == market.condition_id
    assert status.market.up_token_id == market.up_token_id and status.market.hour_start_ms == market.hour_start_ms
    assert status.fair.p_yes_fair == state.health.p_yes_fair
    assert status.up_bbo.bid_e4 == state.market_view.up_bid_e4
    assert [o.order_id for o in status.working_orders] == list(state.open_orders)
    assert status.positions.usdc_e6 == state.positions.usdc_e6
    assert (status.mode, status.session) == (state.risk_mode.value, state.session_state.value)


def test_a_status_page_before_any_market_decodes() -> None:
    status = decode_status(_served(CanonicalState(), 0))
    assert status.market is None and status.working_orders == []
