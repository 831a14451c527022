"""Hypothesis state machine over random event sequences and decisions:

- positions equal the sum of the non-failed fills (an oracle kept by the test, not the reducer);
- reserved collateral equals what the working orders need, and each order's filled size is the
  sum of its counted fills;
- no decision made in HALT or REDUCE_ONLY (or FLATTEN) increases exposure;
- no order is ever built without an expiration (GTD), with too short a one, or past the cutoff.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from trader_testkit.builders import a_bbo, at, boot_events, e6
from trader_testkit.harness import CoreHarness

from hourmm_common.enums import RiskMode
from polymarket_trader.core.context import DecisionContext, DesiredOrder, StrategyIntent
from polymarket_trader.core.effects import CancelAll, OrderAction, PlaceOrder
from polymarket_trader.core.events import (
    PRICE_SCALE,
    Channel,
    OrderEventKind,
    OrderSubmitted,
    OrderTerms,
    OrderType,
    Side,
    Token,
    TradeFill,
    TradeRole,
    TradeStatus,
    UserOrderEvent,
    UserTradeEvent,
    VenueOrderStatus,
    WsConnected,
    WsDisconnected,
)
from polymarket_trader.core.orders import WORKING
from polymarket_trader.core.params import gtd_allowed

CASH = e6(1_000)


def oracle_fee(size_e6: int, price_e4: int, rate_bps: int) -> int:
    return size_e6 * rate_bps * price_e4 * (PRICE_SCALE - price_e4) // (10_000 * PRICE_SCALE * PRICE_SCALE)


class TraderMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.h = CoreHarness(now_ms=at(1))
        self.h.feed_all(boot_events(ts=at(1), usdc=1_000))
        self.h.fresh_snapshot(0.5)
        self.fills: dict[str, tuple[TradeFill, bool]] = {}  # key -> (fill, counted)
        self.trade_n = 0
        self.reducing_decisions = 0

    # Inputs -------------------------------------------------------------------------------------

    @rule(ms=st.integers(0, 180_000))
    def time_passes(self, ms: int) -> None:
        self.h.set_time(self.h.clock.now_ms() + ms)

    @rule(minute=st.sampled_from((50.0, 56.5, 57.2, 58.0, 58.9, 59.5)))
    def jump_to_the_end_game(self, minute: float) -> None:
        if at(minute) > self.h.clock.now_ms():
            self.h.set_time(at(minute))
            self.h.fresh_snapshot(0.5)

    @rule(p=st.floats(0.02, 0.98), stale=st.booleans())
    def snapshot(self, p: float, stale: bool) -> None:
        self.h.fresh_snapshot(p, stale=stale)

    @rule(token=st.sampled_from(Token), bid=st.integers(1, 97), width=st.integers(1, 5))
    def book(self, token: Token, bid: int, width: int) -> None:
        self.h.feed(a_bbo(token, bid / 100, min(99, bid + width) / 100, ts=self.h.clock.now_ms()))

    @rule(ack=st.booleans())
    def decide(self, ack: bool) -> None:
        h = self.h
        ctx = h.context()
        self._check(ctx, h.rules.risk.evaluate(ctx).mode, h.decide(), ack)

    @rule(orders=st.lists(st.builds(
        DesiredOrder, slot=st.sampled_from(("bid", "ask", "flat", "x")), token=st.sampled_from(Token),
        side=st.sampled_from(Side), price_e4=st.integers(1, 9_999), size_e6=st.integers(1, 80).map(lambda n: n * 1_000_000),
        order_type=st.sampled_from(OrderType)), max_size=4), ack=st.booleans())
    def adversarial_strategy(self, orders: list[DesiredOrder], ack: bool) -> None:
        """Whatever a strategy asks for, risk clamping and the order manager keep the rules."""
        h = self.h
        ctx = h.context()
        risk = h.rules.risk.evaluate(ctx)
        intent = h.rules.risk.clamp_intent(StrategyIntent(orders=tuple(orders)), risk, ctx)
        actions = h.rules.orders.reconcile(intent, ctx.working, ctx)
        self._check(ctx, risk.mode, actions, ack)

    def _check(self, ctx: DecisionContext, mode: RiskMode, actions: list[OrderAction], ack: bool) -> None:
        h = self.h
        net = ctx.positions.net_up_e6
        places = [a for a in actions if isinstance(a, PlaceOrder)]
        for p in places:
            assert h.clock.now_ms() < ctx.cutoff_ms, "order built past cutoff"
            if p.order_type is OrderType.GTD:
                assert p.expiration_s > 0 and p.post_only
                assert gtd_allowed(ctx.now_ms, p.expiration_s, h.params)
            else:
                assert p.expiration_s == 0 and not p.post_only
            assert p.price_e4 % p.tick_e4 == 0 and p.tick_e4 <= p.price_e4 <= PRICE_SCALE - p.tick_e4
        if mode is RiskMode.HALT:
            assert places == []
        elif mode is not RiskMode.NORMAL:
            total = 0
            for p in places:
                delta = p.size_e6 if (p.token is Token.UP) == (p.side is Side.BUY) else -p.size_e6
                assert net != 0 and (delta > 0) != (net > 0), f"{mode} order increases exposure"
                total += p.size_e6
            assert total <= abs(net)
            self.reducing_decisions += bool(places)
        h.echo(actions, ack=ack)

    @rule(data=st.data())
    @precondition(lambda self: bool(self.h.state.open_orders))
    def fill(self, data: st.DataObject) -> None:
        order = data.draw(st.sampled_from(sorted(self.h.state.open_orders.values(), key=lambda o: o.order_id)))
        if order.remaining_e6 < 10_000:
            return
        size = data.draw(st.integers(1, order.remaining_e6 // 10_000)) * 10_000
        role = data.draw(st.sampled_from(TradeRole))
        status = data.draw(st.sampled_from((TradeStatus.MATCHED, TradeStatus.MINED, TradeStatus.CONFIRMED)))
        self.trade_n += 1
        f = TradeFill(trade_id=f"t{self.trade_n}", order_id=order.order_id, token=order.token, side=order.side,
                      price_e4=order.price_e4, size_e6=size, role=role)
        self._trade(f, status)
        if data.draw(st.booleans()):
            self.h.feed(UserOrderEvent(ts_local_ms=self.h.clock.now_ms(), order_id=order.order_id,
                                       kind=OrderEventKind.UPDATE, status=VenueOrderStatus.MATCHED, token=order.token,
                                       side=order.side, price_e4=order.price_e4, original_size_e6=order.size_e6,
                                       size_matched_e6=order.filled_e6 + size))

    @rule(token=st.sampled_from(Token), shares=st.integers(5, 60))
    def inventory_arrives(self, token: Token, shares: int) -> None:
        """An order of ours (placed earlier) fills completely: net exposure at any time of the hour."""
        self.trade_n += 1
        oid = f"0xinv{self.trade_n}"
        now = self.h.clock.now_ms()
        self.h.feed(OrderSubmitted(ts_local_ms=now, client_req_id=f"x:{self.trade_n}:inv", order_id=oid,
                                   terms=OrderTerms(token=token, side=Side.BUY, price_e4=5000, size_e6=e6(shares),
                                                    expiration_s=1)))
        self._trade(TradeFill(trade_id=f"t{self.trade_n}", order_id=oid, token=token, side=Side.BUY, price_e4=5000,
                              size_e6=e6(shares), role=TradeRole.MAKER), TradeStatus.MATCHED)

    @rule(data=st.data(), status=st.sampled_from(TradeStatus))
    @precondition(lambda self: bool(self.fills))
    def trade_update(self, data: st.DataObject, status: TradeStatus) -> None:
        key = data.draw(st.sampled_from(sorted(self.fills)))
        self._trade(self.fills[key][0], status)

    @rule()
    def user_ws_drops_and_returns(self) -> None:
        now = self.h.clock.now_ms()
        self.h.feed(WsDisconnected(ts_local_ms=now, channel=Channel.USER, reason="eof"),
                    WsConnected(ts_local_ms=now, channel=Channel.USER, reconnect=True))

    @rule()
    def executor_carries_out_cancel_alls(self) -> None:
        pending = self.h.state.flags.cancel_all_pending
        if pending is not None:
            self.h.echo([CancelAll(client_req_id=pending, condition_id=None, reason="test")])
        self.h.echo_effects(self.h.effects[-20:])

    @rule(data=st.data())
    @precondition(lambda self: bool(self.h.state.open_orders))
    def venue_cancels(self, data: st.DataObject) -> None:
        o = data.draw(st.sampled_from(sorted(self.h.state.open_orders.values(), key=lambda o: o.order_id)))
        self.h.feed(UserOrderEvent(ts_local_ms=self.h.clock.now_ms(), order_id=o.order_id,
                                   kind=OrderEventKind.CANCELLATION, status=VenueOrderStatus.CANCELED, token=o.token,
                                   side=o.side, price_e4=o.price_e4, original_size_e6=o.size_e6,
                                   size_matched_e6=o.venue_matched_e6))

    def _trade(self, f: TradeFill, status: TradeStatus) -> None:
        key = f"{f.trade_id}|{f.order_id}"
        if key not in self.fills:
            self.fills[key] = (f, status is not TradeStatus.FAILED)
        elif status is TradeStatus.FAILED:
            self.fills[key] = (f, False)
        self.h.feed(UserTradeEvent(ts_local_ms=self.h.clock.now_ms(), trade_id=f.trade_id, status=status,
                                   fills=(f,)))

    # Invariants ---------------------------------------------------------------------------------

    @invariant()
    def positions_are_the_sum_of_non_failed_fills(self) -> None:
        up = down = 0
        cash = CASH
        rate = self.h.state.active_market.fees.rate_bps  # type: ignore[union-attr]
        per_order: dict[str, int] = {}
        for f, counted in self.fills.values():
            if not counted:
                continue
            sgn = 1 if f.side is Side.BUY else -1
            if f.token is Token.UP:
                up += sgn * f.size_e6
            else:
                down += sgn * f.size_e6
            fee = oracle_fee(f.size_e6, f.price_e4, rate) if f.role is TradeRole.TAKER else 0
            cash += -sgn * (f.price_e4 * f.size_e6 // PRICE_SCALE) - fee
            per_order[f.order_id] = per_order.get(f.order_id, 0) + f.size_e6
        pos = self.h.state.positions
        assert (pos.up_e6, pos.down_e6, pos.usdc_e6) == (up, down, cash)
        for o in list(self.h.state.open_orders.values()) + list(self.h.state.closed_orders.values()):
            assert o.filled_e6 == per_order.get(o.order_id, 0)

    @invariant()
    def reserved_is_what_working_orders_need(self) -> None:
        usdc = up = down = 0
        for o in self.h.state.open_orders.values():
            assert o.status in WORKING
            left = max(0, o.size_e6 - max(o.filled_e6, o.venue_matched_e6))
            if o.side is Side.BUY:
                usdc += o.price_e4 * left // PRICE_SCALE
            elif o.token is Token.UP:
                up += left
            else:
                down += left
        pos = self.h.state.positions
        assert (pos.reserved_usdc_e6, pos.reserved_up_e6, pos.reserved_down_e6) == (usdc, up, down)
        assert not set(self.h.state.open_orders) & set(self.h.state.closed_orders)


TraderMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=40)
test_trader_invariants = TraderMachine.TestCase
