"""B-8: inventory management and end-of-hour flattening, driven by the session timers."""

from __future__ import annotations

from trader_testkit.builders import a_bbo, a_fill, a_submit, a_user_trade, an_ack, at, boot_events, e6
from trader_testkit.harness import CoreHarness

from hourmm_common.enums import SessionState
from polymarket_trader.core.effects import CancelOrders, PlaceOrder
from polymarket_trader.core.events import OrderType, Side, Token
from polymarket_trader.core.params import SessionTimers
from polymarket_trader.core.session import next_session, phase_for


def trader_long_up(shares: float = 20) -> CoreHarness:
    h = CoreHarness(now_ms=at(1))
    h.feed_all(boot_events(ts=at(1)))
    h.fresh_snapshot(0.5)
    h.feed(a_submit("0xlong", size=shares, ts=at(1)), an_ack("0xlong", ts=at(1)),
           a_user_trade(a_fill("0xlong", trade_id="tl", size=shares), ts=at(1)))
    return h


def at_minute(h: CoreHarness, minute: float) -> None:
    h.set_time(at(minute))
    h.fresh_snapshot(0.5)
    t = at(minute)
    h.feed(a_bbo(Token.UP, 0.45, 0.55, ts=t), a_bbo(Token.DOWN, 0.45, 0.55, ts=t))


def intent_at(h: CoreHarness, minute: float):  # type: ignore[no-untyped-def]
    at_minute(h, minute)
    ctx = h.context()
    d = h.rules.risk.evaluate(ctx)
    return d, h.rules.risk.clamp_intent(h.rules.strategy.on_tick(ctx, d), d, ctx)


def test_phases_follow_the_configured_timers() -> None:
    h = trader_long_up()
    phases = []
    for minute in (10, 49, 50, 53, 56, 58, 60):
        at_minute(h, minute)
        phases.append(h.state.session_state)
    assert phases == [SessionState.ACTIVE, SessionState.ACTIVE, SessionState.WIND_DOWN, SessionState.WIND_DOWN,
                      SessionState.FLATTEN, SessionState.FLATTEN, SessionState.DONE]


def test_custom_timers_and_forward_only() -> None:
    timers = SessionTimers(wind_down_before_end_ms=20 * 60_000, flatten_before_end_ms=5 * 60_000)
    h = trader_long_up()
    market = h.state.active_market
    assert market is not None
    assert phase_for(at(41), market, timers) is SessionState.WIND_DOWN
    assert next_session(SessionState.FLATTEN, at(41), market, timers, True) is SessionState.FLATTEN


def test_wind_down_shrinks_target_inventory_and_quote_sizes_and_skews_to_unwind() -> None:
    h = trader_long_up(20)
    d_active, active = intent_at(h, 30)
    d_wind, wind = intent_at(h, 53)
    assert d_wind.inventory_cap_e6 < d_active.inventory_cap_e6
    size = {o.slot: o.size_e6 for o in active.orders}
    size_w = {o.slot: o.size_e6 for o in wind.orders}
    assert size_w.get("ask", 0) < size["ask"]
    assert size_w.get("bid", 0) < size.get("bid", 1)
    # long Up: the bid is smaller than the ask (taper) and priced lower than a flat book would be
    assert size["bid"] < size["ask"]


def test_flatten_phase_only_unwinds_and_cancels_exposure_increasing_quotes() -> None:
    h = trader_long_up(20)
    at_minute(h, 30)
    h.echo(h.decide())
    assert {o.slot for o in h.state.open_orders.values()} == {"bid", "ask"}
    at_minute(h, 56.5)
    actions = h.decide()
    cancelled = {oid for a in actions if isinstance(a, CancelOrders) for oid in a.order_ids}
    bid = next(o for o in h.state.open_orders.values() if o.slot == "bid")
    assert bid.order_id in cancelled
    places = [a for a in actions if isinstance(a, PlaceOrder)]
    assert places and all((p.token, p.side) == (Token.DOWN, Side.BUY) for p in places)
    assert sum(p.size_e6 for p in places) <= e6(20)
    assert all(p.order_type is OrderType.GTD and p.post_only for p in places)  # GTD still allowed at 56.5


def test_after_the_gtd_window_flatten_takes_with_fak_then_stops_at_cutoff() -> None:
    h = trader_long_up(20)
    at_minute(h, 58)
    (place,) = [a for a in h.decide() if isinstance(a, PlaceOrder)]
    assert (place.order_type, place.expiration_s, place.post_only) == (OrderType.FAK, 0, False)
    assert (place.token, place.side, place.price_e4, place.size_e6) == (Token.DOWN, Side.BUY, 5500, e6(20))
    at_minute(h, 59.5)
    assert [a for a in h.decide() if isinstance(a, PlaceOrder)] == []
