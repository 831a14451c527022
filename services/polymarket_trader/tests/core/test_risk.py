"""B-6: risk gating with a stale snapshot, and the hard limits of `RiskEngine`."""

from __future__ import annotations

from trader_testkit.builders import a_bbo, a_fill, a_submit, a_user_trade, an_ack, at, boot_events, e6
from trader_testkit.harness import CoreHarness

from hourmm_common.enums import RiskMode
from polymarket_trader.core.context import DesiredOrder, StrategyIntent
from polymarket_trader.core.effects import CancelOrders, PlaceOrder
from polymarket_trader.core.events import ControlCommandEvent, ControlKind, LimitsUpdate, Side, Token
from polymarket_trader.core.params import DecisionParams
from polymarket_trader.core.risk import RiskEngine


def quoting(now_minute: float = 1, *, p: float = 0.55) -> CoreHarness:
    h = CoreHarness(now_ms=at(now_minute))
    h.feed_all(boot_events(ts=at(now_minute)))
    h.fresh_snapshot(p)
    t = at(now_minute)
    h.feed(a_bbo(Token.UP, 0.40, 0.70, ts=t), a_bbo(Token.DOWN, 0.30, 0.60, ts=t))
    return h


def long_up(h: CoreHarness, shares: float) -> None:
    t = h.clock.now_ms()
    h.feed(a_submit("0xlong", size=shares, ts=t), an_ack("0xlong", ts=t),
           a_user_trade(a_fill("0xlong", trade_id="tl", size=shares), ts=t))


def test_stale_snapshot_gives_reduce_only_and_only_unwinding_actions() -> None:
    h = quoting()
    long_up(h, 20)
    first = h.decide()
    h.echo(first)
    assert {(a.token, a.side) for a in first if isinstance(a, PlaceOrder)} == {(Token.UP, Side.BUY), (Token.DOWN, Side.BUY)}
    h.clock.advance(10)
    h.fresh_snapshot(0.55, stale=True)
    ctx = h.context()
    decision = h.rules.risk.evaluate(ctx)
    assert decision.mode is RiskMode.REDUCE_ONLY and not decision.allows_increase
    actions = h.decide()
    cancels = [a for a in actions if isinstance(a, CancelOrders)]
    places = [a for a in actions if isinstance(a, PlaceOrder)]
    bid_id = next(o.order_id for o in h.state.open_orders.values() if o.slot == "bid")
    assert any(bid_id in c.order_ids for c in cancels)  # the exposure-increasing bid goes
    for p in places:  # whatever is placed reduces the long
        assert (p.token, p.side) in {(Token.DOWN, Side.BUY), (Token.UP, Side.SELL)}
        assert p.size_e6 <= e6(20)


def test_no_snapshot_at_all_means_no_new_exposure() -> None:
    h = quoting()
    h.snapshot = None
    assert [a for a in h.decide() if isinstance(a, PlaceOrder)] == []


def test_clamp_enforces_size_position_collateral_and_order_count() -> None:
    h = quoting()
    h.feed(ControlCommandEvent(ts_local_ms=at(1), kind=ControlKind.SET_LIMITS,
                               limits=LimitsUpdate(max_order_size_e6=e6(8), max_reserved_usdc_e6=e6(6),
                                                   max_position_e6=e6(100), max_open_orders=2)))
    ctx = h.context()
    risk = RiskEngine(DecisionParams())
    d = risk.evaluate(ctx)
    intent = StrategyIntent(orders=(
        DesiredOrder(slot="bid", token=Token.UP, side=Side.BUY, price_e4=5000, size_e6=e6(50)),
        DesiredOrder(slot="ask", token=Token.DOWN, side=Side.BUY, price_e4=4000, size_e6=e6(50)),
        DesiredOrder(slot="x", token=Token.DOWN, side=Side.BUY, price_e4=4000, size_e6=e6(50)),
    ))
    out = risk.clamp_intent(intent, d, ctx).orders
    assert [o.size_e6 for o in out] == [e6(8), e6(5)]  # 8 by order size; then 6 - 4 pUSD left at 0.40 -> 5
    assert len(out) <= 2


def test_inventory_cap_shrinks_through_wind_down() -> None:
    h = quoting()
    risk = RiskEngine(DecisionParams())
    cap = h.state.limits.max_position_e6
    assert risk.compute_target_inventory(30 * 60_000, h.state) == cap
    assert risk.compute_target_inventory(7 * 60_000, h.state) == cap // 2
    assert risk.compute_target_inventory(4 * 60_000, h.state) == 0


def test_reserved_capital_is_what_working_buys_lock() -> None:
    h = quoting()
    h.feed(a_submit("0xa", price=0.5, size=10, ts=at(1)), a_submit("0xb", side=Side.SELL, price=0.6, size=5, ts=at(1)))
    assert RiskEngine(DecisionParams()).compute_reserved_capital(h.state) == e6(5)


def test_halt_allows_nothing() -> None:
    h = quoting()
    long_up(h, 20)
    h.feed(ControlCommandEvent(ts_local_ms=at(1), kind=ControlKind.SET_MODE, mode=RiskMode.HALT))
    assert [a for a in h.decide() if isinstance(a, PlaceOrder)] == []


def test_paused_quoting_places_nothing_but_flatten_still_unwinds() -> None:
    h = quoting()
    long_up(h, 20)
    h.feed(ControlCommandEvent(ts_local_ms=at(1), kind=ControlKind.PAUSE_QUOTING))
    assert [a for a in h.decide() if isinstance(a, PlaceOrder)] == []
    h.feed(ControlCommandEvent(ts_local_ms=at(1), kind=ControlKind.FLATTEN_NOW))
    h.clock.advance(10)
    places = [a for a in h.decide() if isinstance(a, PlaceOrder)]
    assert places and all((p.token, p.side) == (Token.DOWN, Side.BUY) for p in places)
