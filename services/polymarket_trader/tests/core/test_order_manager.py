"""B-7: desired -> working reconciliation with minimal churn; expirations; tick changes."""

from __future__ import annotations

import msgspec
from trader_testkit.builders import HOUR0, a_bbo, at, boot_events, e6
from trader_testkit.harness import CoreHarness

from hourmm_common.hours import HOUR_MS
from polymarket_trader.core.context import DecisionContext, DesiredOrder, StrategyIntent
from polymarket_trader.core.effects import CancelOrders, PlaceOrder
from polymarket_trader.core.events import OrderType, Side, TickSizeChangedEvent, Token
from polymarket_trader.core.order_manager import OrderManager
from polymarket_trader.core.params import DecisionParams

PARAMS = DecisionParams(replace_min_ticks=2, replace_min_age_ms=1_000)


def resting_bid(price_e4: int = 5000, *, minute: float = 1) -> tuple[CoreHarness, DecisionContext]:
    h = CoreHarness(now_ms=at(minute), params=PARAMS)
    h.feed_all(boot_events(ts=at(minute)))
    h.fresh_snapshot(0.55)
    om = OrderManager(PARAMS)
    ctx = h.context()
    h.echo(om.reconcile(want(price_e4), (), ctx))
    return h, h.context()


def want(price_e4: int, size: float = 10, slot: str = "bid") -> StrategyIntent:
    return StrategyIntent(orders=(DesiredOrder(slot=slot, token=Token.UP, side=Side.BUY, price_e4=price_e4,
                                               size_e6=e6(size)),))


def later(h: CoreHarness, ms: int) -> DecisionContext:
    h.clock.advance(ms)
    h.fresh_snapshot(0.55)
    return h.context()


def test_small_price_moves_do_not_replace() -> None:
    h, _ = resting_bid(5000)
    ctx = later(h, 5_000)
    assert OrderManager(PARAMS).reconcile(want(5100), ctx.working, ctx) == []


def test_a_move_of_replace_min_ticks_replaces_once_old_enough() -> None:
    h, _ = resting_bid(5000)
    om = OrderManager(PARAMS)
    young = later(h, 500)
    assert om.reconcile(want(5200), young.working, young) == []
    old = later(h, 600)
    actions = om.reconcile(want(5200), old.working, old)
    assert isinstance(actions[0], CancelOrders) and actions[0].order_ids == (old.working[0].order_id,)
    assert isinstance(actions[1], PlaceOrder) and actions[1].price_e4 == 5200


def test_unwanted_slots_are_cancelled_and_extra_orders_are_not_duplicated() -> None:
    h, ctx = resting_bid(5000)
    om = OrderManager(PARAMS)
    actions = om.reconcile(StrategyIntent(), ctx.working, ctx)
    assert actions == [CancelOrders(client_req_id=actions[0].client_req_id,  # type: ignore[union-attr]
                                    order_ids=(ctx.working[0].order_id,), reason="reconcile")]
    assert om.reconcile(want(5000), ctx.working, ctx, inflight_slots={"bid"}) == []


def test_expiration_is_cutoff_plus_60s_and_its_lead_shrinks_with_time() -> None:
    om = OrderManager(PARAMS)
    leads = []
    for minute in (1, 30, 55):
        h = CoreHarness(now_ms=at(minute), params=PARAMS)
        h.feed_all(boot_events(ts=at(minute)))
        h.fresh_snapshot(0.55)
        ctx = h.context()
        (place,) = om.reconcile(want(5000), (), ctx)
        assert isinstance(place, PlaceOrder)
        assert place.expiration_s == (HOUR0 + HOUR_MS - 60_000 + 60_000) // 1000
        assert place.post_only and place.order_type is OrderType.GTD
        leads.append(place.expiration_s * 1000 - ctx.now_ms)
    assert leads == sorted(leads, reverse=True)


def test_no_gtd_inside_the_last_180s_and_nothing_past_cutoff() -> None:
    om = OrderManager(PARAMS)
    for minute, allowed in ((56.9, True), (57.1, False), (59.5, False)):
        h = CoreHarness(now_ms=at(minute), params=PARAMS)
        h.feed_all(boot_events(ts=at(minute)))
        h.fresh_snapshot(0.55)
        ctx = h.context()
        assert bool(om.reconcile(want(5000), (), ctx)) is allowed
    fak = StrategyIntent(orders=(DesiredOrder(slot="flat", token=Token.DOWN, side=Side.BUY, price_e4=5000,
                                              size_e6=e6(10), order_type=OrderType.FAK),))
    h = CoreHarness(now_ms=at(58), params=PARAMS)
    h.feed_all(boot_events(ts=at(58)))
    h.fresh_snapshot(0.55)
    (place,) = om.reconcile(fak, (), h.context())
    assert isinstance(place, PlaceOrder)
    assert (place.expiration_s, place.post_only, place.order_type) == (0, False, OrderType.FAK)
    h.set_time(at(59.1))
    h.fresh_snapshot(0.55)
    assert om.reconcile(fak, (), h.context()) == []


def test_tick_change_re_grids_off_grid_orders_at_once() -> None:
    h, _ = resting_bid(5000)
    h.feed(TickSizeChangedEvent(ts_local_ms=h.clock.now_ms(), token=Token.UP, old_tick_e4=100, new_tick_e4=1000))
    ctx = later(h, 10)
    actions = OrderManager(PARAMS).reconcile(want(5050), ctx.working, ctx)
    assert not actions  # 0.50 is on the 0.1 grid too; 0.505 rounds down to 0.50: nothing to do
    h2, _ = resting_bid(5100)
    h2.feed(TickSizeChangedEvent(ts_local_ms=h2.clock.now_ms(), token=Token.UP, old_tick_e4=100, new_tick_e4=1000))
    ctx2 = later(h2, 10)
    actions = OrderManager(PARAMS).reconcile(want(5100), ctx2.working, ctx2)
    assert isinstance(actions[0], CancelOrders)
    assert isinstance(actions[1], PlaceOrder) and (actions[1].price_e4, actions[1].tick_e4) == (5000, 1000)


def test_an_order_larger_than_wanted_is_replaced_without_waiting() -> None:
    h, _ = resting_bid(5000)
    ctx = later(h, 10)
    smaller = StrategyIntent(orders=(msgspec.structs.replace(want(5000).orders[0], size_e6=e6(5)),))
    actions = OrderManager(PARAMS).reconcile(smaller, ctx.working, ctx)
    assert isinstance(actions[0], CancelOrders) and isinstance(actions[1], PlaceOrder)


def test_quotes_do_not_cross_the_book() -> None:
    h, _ = resting_bid(5000)
    h.feed(a_bbo(Token.UP, 0.50, 0.52, ts=h.clock.now_ms()), a_bbo(Token.DOWN, 0.48, 0.50, ts=h.clock.now_ms()))
    h.clock.advance(10)
    h.fresh_snapshot(0.60)  # fair far above the book: the bid must stay one tick under the best ask
    ctx = h.context()
    intent = h.rules.strategy.on_tick(ctx, h.rules.risk.evaluate(ctx))
    bid = next(o for o in intent.orders if o.slot == "bid")
    ask = next(o for o in intent.orders if o.slot == "ask")
    assert bid.price_e4 <= 5100
    assert (ask.token, ask.side) == (Token.DOWN, Side.BUY) and ask.price_e4 <= 4900
