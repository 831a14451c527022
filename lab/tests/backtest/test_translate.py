"""Venue records become the core events our trader would receive, in core units, and only ours."""

from __future__ import annotations

from hourmm_lab.backtest.translate import market_info, to_core_events
from hourmm_sim.polymarket.clob import Clob
from hourmm_sim.polymarket.clob_events import OrderEvent, ResolvedEvent, TradeEvent
from hourmm_sim.polymarket.clob_rules import OrderRequest
from hourmm_sim.polymarket.markets import hourly_market
from hourmm_sim.polymarket.matching import BUY, DOWN, UP
from polymarket_trader.core.events import (
    MarketBboEvent,
    MarketStatus,
    MarketStatusEvent,
    OrderEventKind,
    Side,
    Token,
    TradeRole,
    TradeStatus,
    UserOrderEvent,
    UserTradeEvent,
    VenueOrderStatus,
)

H0 = 1_733_428_800_000
ME, OTHER = "me-key", "other-key"


def _venue() -> tuple[Clob, str]:
    clob = Clob()
    spec = hourly_market("t", H0, fee_rate_e5=7_000)
    clob.add_market(spec)
    clob.ledger.deposit("0xme", 1_000_000_000)
    clob.ledger.deposit("0xother", 1_000_000_000)
    return clob, spec.condition_id


def _order(clob: Clob, cid: str, *, owner: str, holder: str, oid: str, token: int, price_u: int,
           order_type: str = "GTC") -> None:
    spec = clob.markets[cid].spec
    req = OrderRequest(order_id=oid, owner=owner, holder=holder, maker_address=holder, token_id=spec.token_ids()[token],
                       side=BUY, price_u=price_u, size_u=10_000_000, order_type=order_type)
    assert clob.place(req, H0 + 1_000).success


def test_market_info_carries_ids_units_and_fees() -> None:
    spec = hourly_market("t", H0, fee_rate_e5=7_000)
    info = market_info(spec, 10_000)
    assert (info.up_token_id, info.down_token_id, info.hour_start_ms, info.hour_end_ms) == (
        spec.up_token, spec.down_token, H0, H0 + 3_600_000)
    assert (info.tick_e4, info.min_size_e6, info.fees.enabled, info.fees.rate_bps) == (100, 5_000_000, True, 700)


def test_our_order_and_our_maker_leg_of_a_mint_are_reported_and_nothing_of_theirs() -> None:
    clob, cid = _venue()
    _order(clob, cid, owner=ME, holder="0xme", oid="mine", token=UP, price_u=550_000)
    _order(clob, cid, owner=OTHER, holder="0xother", oid="theirs", token=DOWN, price_u=450_000, order_type="FAK")
    events = [e for rec in clob.drain() for e in to_core_events(rec, clob, ME, cid, H0 + 1_000)]
    orders = [e for e in events if isinstance(e, UserOrderEvent)]
    assert {(o.order_id, o.kind) for o in orders} == {("mine", OrderEventKind.PLACEMENT), ("mine", OrderEventKind.UPDATE)}
    assert orders[0].price_e4 == 5_500 and orders[0].original_size_e6 == 10_000_000
    assert orders[-1].status is VenueOrderStatus.MATCHED and orders[-1].size_matched_e6 == 10_000_000
    (trade,) = [e for e in events if isinstance(e, UserTradeEvent)]
    assert trade.status is TradeStatus.MATCHED
    (fill,) = trade.fills
    assert (fill.order_id, fill.token, fill.side, fill.price_e4, fill.size_e6, fill.role) == (
        "mine", Token.UP, Side.BUY, 5_500, 10_000_000, TradeRole.MAKER)
    bbo = [e for e in events if isinstance(e, MarketBboEvent)]
    assert {e.token for e in bbo} == {Token.UP, Token.DOWN}


def test_book_changes_of_another_market_are_not_ours_and_resolution_always_is() -> None:
    clob, cid = _venue()
    _order(clob, cid, owner=OTHER, holder="0xother", oid="theirs", token=UP, price_u=300_000)
    (book,) = clob.drain()[1:2]
    assert to_core_events(book, clob, ME, "another-market", H0) == []
    up = [e for e in to_core_events(book, clob, ME, cid, H0) if isinstance(e, MarketBboEvent) and e.token is Token.UP]
    assert up[0].best_bid_e4 == 3_000 and up[0].best_ask_e4 is None
    (resolved,) = to_core_events(ResolvedEvent(market=cid, winner=DOWN, ts_ms=H0), clob, ME, None, H0)
    assert isinstance(resolved, MarketStatusEvent)
    assert (resolved.status, resolved.winning_token) == (MarketStatus.RESOLVED, Token.DOWN)


def test_a_cancel_is_reported_as_a_cancellation_with_the_plain_status() -> None:
    clob, cid = _venue()
    _order(clob, cid, owner=ME, holder="0xme", oid="mine", token=UP, price_u=300_000)
    clob.cancel(ME, ["mine"], H0 + 2_000)
    recs = [r for r in clob.drain() if isinstance(r, OrderEvent)]
    last = to_core_events(recs[-1], clob, ME, cid, H0)[0]
    assert isinstance(last, UserOrderEvent)
    assert (last.kind, last.status) == (OrderEventKind.CANCELLATION, VenueOrderStatus.CANCELED)
    assert not [r for r in recs if isinstance(r, TradeEvent)]
