"""One whole trading hour decided without any network (spec 6.4 at the core level): boot, quotes,
a partial fill, skew, WIND_DOWN, FLATTEN, the hard cutoff, DONE and the roll to the next hour.
The harness plays the executor and the venue; the journal replays to the same state."""

from __future__ import annotations

from pathlib import Path

from trader_testkit.builders import HOUR0, a_bbo, a_market, at, boot_events
from trader_testkit.harness import CoreHarness

from hourmm_common.enums import SessionState
from hourmm_common.hours import HOUR_MS
from polymarket_trader.core.effects import CancelAll, PlaceOrder
from polymarket_trader.core.events import (
    MarketSelected,
    OrderType,
    SessionRolloverEvent,
    Token,
    TradeFill,
    TradeRole,
    TradeStatus,
    UserTradeEvent,
)
from polymarket_trader.core.modes import FLAT_E6
from polymarket_trader.core.orders import OrderState
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.journal_sqlite import EventJournalSQLite
from polymarket_trader.state_reducer import restore


def fill(h: CoreHarness, order: OrderState, size_e6: int, n: int) -> None:
    role = TradeRole.TAKER if order.order_type is OrderType.FAK else TradeRole.MAKER
    f = TradeFill(trade_id=f"t{n}", order_id=order.order_id, token=order.token, side=order.side,
                  price_e4=order.price_e4, size_e6=size_e6, role=role)
    for status in (TradeStatus.MATCHED, TradeStatus.MINED, TradeStatus.CONFIRMED):
        h.feed(UserTradeEvent(ts_local_ms=h.clock.now_ms(), trade_id=f.trade_id, status=status, fills=(f,)))


def test_a_whole_hour(tmp_path: Path) -> None:
    h = CoreHarness(now_ms=at(1))
    h.feed_all(boot_events(ts=at(1)))
    placed: list[tuple[int, PlaceOrder]] = []
    sessions = []
    n = 0
    bid_filled = False
    now = at(1)
    while now < at(61):
        h.set_time(now)
        h.fresh_snapshot(0.55 if now < at(30) else 0.5)
        h.feed(a_bbo(Token.UP, 0.44, 0.56, ts=now), a_bbo(Token.DOWN, 0.44, 0.56, ts=now))
        effects = h.effects[-50:]
        h.echo_effects(e for e in effects if isinstance(e, CancelAll) and e.reason == "hard_cutoff")
        actions = h.decide()
        placed += [(now, a) for a in actions if isinstance(a, PlaceOrder)]
        h.echo(actions)
        n += 1
        if not bid_filled and now >= at(10):  # a partial fill on our bid: we are long Up
            bid = next(o for o in h.state.open_orders.values() if o.slot == "bid")
            fill(h, bid, bid.size_e6 // 2, n)
            bid_filled = True
        for o in list(h.state.open_orders.values()):
            if o.slot == "flat":  # the flatten order trades in full
                fill(h, o, o.remaining_e6, n)
        sessions.append(h.state.session_state)
        now += 30_000

    assert bid_filled
    assert [s for i, s in enumerate(sessions) if i == 0 or s is not sessions[i - 1]] == [
        SessionState.ACTIVE, SessionState.WIND_DOWN, SessionState.FLATTEN, SessionState.DONE]
    cutoff = HOUR0 + HOUR_MS - 60_000
    for t, p in placed:
        assert t < cutoff
        assert p.order_type is OrderType.FAK or p.expiration_s * 1000 == cutoff + 60_000
    assert any(p.reason.startswith("flatten") for _, p in placed)
    assert not h.state.open_orders  # nothing left working at the end of the hour
    assert abs(h.state.positions.net_up_e6) < FLAT_E6  # flat, by buying the complement

    nxt = a_market(HOUR0 + HOUR_MS)
    h.feed(MarketSelected(ts_local_ms=now, market=nxt), SessionRolloverEvent(ts_local_ms=now, hour_start_ms=nxt.hour_start_ms))
    assert h.state.active_market == nxt and h.state.session_state is SessionState.ACTIVE

    journal = EventJournalSQLite(tmp_path / "hour.db")
    journal.append_batch(h.events)
    rebuilt, report = restore(journal, CanonicalState())
    assert report.problem is None and rebuilt == h.state
