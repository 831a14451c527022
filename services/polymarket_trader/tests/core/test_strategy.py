"""Strategies: the ask side (SELL settled Up, else BUY Down at 1 - ask), flattening by the
complement, and the optional directional taker."""

from __future__ import annotations

from trader_testkit.builders import a_bbo, a_fill, a_submit, a_user_trade, an_ack, at, boot_events, e6
from trader_testkit.harness import CoreHarness

from hourmm_common.enums import RiskMode
from polymarket_trader.core.context import DecisionContext
from polymarket_trader.core.events import (
    ControlCommandEvent,
    ControlKind,
    OrderType,
    Side,
    Token,
    TradeStatus,
)
from polymarket_trader.core.params import DecisionParams
from polymarket_trader.core.strategy import STRATEGIES, OpportunisticQuoteStrategy, StrategyParams


def trader(*, held_up: float = 0, status: TradeStatus = TradeStatus.MATCHED, p: float = 0.55) -> CoreHarness:
    h = CoreHarness(now_ms=at(5))
    h.feed_all(boot_events(ts=at(5)))
    if held_up:
        h.feed(a_submit("0xb", size=held_up, ts=at(5)), an_ack("0xb", ts=at(5)),
               a_user_trade(a_fill("0xb", size=held_up), status=status, ts=at(5)))
    h.fresh_snapshot(p)
    h.feed(a_bbo(Token.UP, 0.40, 0.70, ts=at(5)), a_bbo(Token.DOWN, 0.30, 0.60, ts=at(5)))
    return h


def ctx_of(h: CoreHarness) -> DecisionContext:
    return h.context()


def ask_of(h: CoreHarness):  # type: ignore[no-untyped-def]
    ctx = ctx_of(h)
    intent = h.rules.strategy.on_tick(ctx, h.rules.risk.evaluate(ctx))
    return next(o for o in intent.orders if o.slot == "ask")


def test_ask_sells_up_only_when_settled_up_is_held() -> None:
    unsettled = ask_of(trader(held_up=20, status=TradeStatus.MATCHED))
    assert (unsettled.token, unsettled.side) == (Token.DOWN, Side.BUY)
    settled = ask_of(trader(held_up=20, status=TradeStatus.CONFIRMED))
    assert (settled.token, settled.side) == (Token.UP, Side.SELL)
    assert settled.price_e4 == 10_000 - unsettled.price_e4


def test_flatten_buys_the_complement() -> None:
    h = trader(held_up=20, status=TradeStatus.CONFIRMED)
    h.feed(ControlCommandEvent(ts_local_ms=at(5), kind=ControlKind.FLATTEN_NOW))
    ctx = ctx_of(h)
    decision = h.rules.risk.evaluate(ctx)
    assert decision.mode is RiskMode.FLATTEN
    (order,) = h.rules.strategy.on_tick(ctx, decision).orders
    assert (order.token, order.side, order.size_e6, order.order_type) == (Token.DOWN, Side.BUY, e6(20), OrderType.GTD)
    assert order.price_e4 == 5900  # one tick under Down's best ask: post-only, still aggressive


def test_no_fair_value_no_quotes() -> None:
    h = trader()
    h.snapshot = None
    ctx = ctx_of(h)
    assert OpportunisticQuoteStrategy(StrategyParams(), DecisionParams()).on_tick(
        ctx, h.rules.risk.evaluate(ctx)).orders == ()


def test_directional_taker_takes_only_with_edge_over_fee_and_band() -> None:
    taker = STRATEGIES["directional_taker"](StrategyParams(take_min_edge=0.02), DecisionParams())
    h = trader(p=0.80)  # Up ask 0.70; fee 0.07*0.21 = 0.0147; band 0.02 -> edge 0.065
    ctx = ctx_of(h)
    (order,) = taker.on_tick(ctx, h.rules.risk.evaluate(ctx)).orders
    assert (order.token, order.side, order.price_e4, order.order_type) == (Token.UP, Side.BUY, 7000, OrderType.FAK)
    h2 = trader(p=0.72)
    ctx2 = ctx_of(h2)
    assert taker.on_tick(ctx2, h2.rules.risk.evaluate(ctx2)).orders == ()
