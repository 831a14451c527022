"""Fill attribution, PnL, inventory and adverse selection from venue records (no loop needed)."""

from __future__ import annotations

from hourmm_lab.backtest.metrics import MetricsRecorder, our_fills
from hourmm_sim.polymarket.clob_events import MakerFill, MarketSpec, TradeEvent, TradeRecord
from hourmm_sim.polymarket.markets import hourly_market
from hourmm_sim.polymarket.matching import BUY, DOWN, SELL, UP

ME, OTHER = "me-key", "other-key"
H0 = 1_733_428_800_000
SPEC: MarketSpec = hourly_market("t", H0, fee_rate_e5=7_000)


def a_trade(*, trade_id: str = "t1", taker: str = OTHER, token: int = UP, side: int = BUY, price_u: int = 600_000,
            size_u: int = 10_000_000, makers: tuple[MakerFill, ...] = (), status: str = "MATCHED",
            ts_ms: int = H0 + 60_000) -> TradeEvent:
    rec = TradeRecord(trade_id=trade_id, market=SPEC.condition_id, taker_order_id=f"o-{trade_id}", taker_owner=taker,
                      taker_address="0xt", token=token, side=side, size_u=size_u, price_u=price_u, fee_rate_bps=700,
                      makers=makers, status=status, match_ms=ts_ms, last_update_ms=ts_ms, tx_hash="0x1")
    return TradeEvent(trade=rec, ts_ms=ts_ms)


def a_maker(*, owner: str = ME, order_id: str = "m1", token: int = DOWN, side: int = BUY, price_u: int = 400_000,
            size_u: int = 10_000_000) -> MakerFill:
    return MakerFill(order_id=order_id, owner=owner, maker_address="0xm", matched_u=size_u, price_u=price_u,
                     token=token, side=side)


def test_our_taker_leg_pays_the_fee_and_our_maker_leg_does_not() -> None:
    taker = our_fills(a_trade(taker=ME), ME, SPEC)
    assert len(taker) == 1 and taker[0].role == "taker"
    assert taker[0].fee_u == 168_000  # 10 shares x 0.07 x 0.6 x 0.4
    assert taker[0].cash_u == -6_000_000 - taker[0].fee_u
    assert taker[0].up_delta_u == 10_000_000
    maker = our_fills(a_trade(makers=(a_maker(), a_maker(owner=OTHER, order_id="m2"))), ME, SPEC)
    assert [(f.role, f.order_id, f.fee_u, f.up_delta_u, f.cash_u) for f in maker] == [
        ("maker", "m1", 0, -10_000_000, -4_000_000)]  # BUY Down = short Up exposure


def test_hour_pnl_is_cash_plus_the_winning_shares_and_inventory_is_what_is_left() -> None:
    rec = MetricsRecorder(ME, [SPEC])
    rec.on_venue_events([
        a_trade(trade_id="a", taker=ME, token=UP, side=BUY, price_u=500_000, size_u=10_000_000),
        a_trade(trade_id="b", makers=(a_maker(order_id="x", token=UP, side=SELL, price_u=550_000, size_u=4_000_000),)),
        a_trade(trade_id="a", taker=ME, token=UP, side=BUY, price_u=500_000, size_u=10_000_000, status="MINED"),
    ])
    rec.on_resolved(SPEC.condition_id, UP)
    hour = rec.hour_result(SPEC)
    fee = 175_000  # 10 x 0.07 x 0.5 x 0.5
    assert hour.fills == 2  # the MINED report of trade a is not a second fill
    assert (hour.up_shares_u, hour.down_shares_u) == (6_000_000, 0)
    assert hour.cash_u == -5_000_000 - fee + 2_200_000
    assert hour.pnl_u == hour.cash_u + 6_000_000
    assert hour.fees_u == fee


def test_a_failed_trade_takes_our_fill_back_out() -> None:
    rec = MetricsRecorder(ME, [SPEC])
    rec.on_venue_events([a_trade(taker=ME), a_trade(taker=ME, status="FAILED")])
    assert rec.hour_result(SPEC).fills == 0


def test_adverse_selection_is_the_signed_mid_move_after_the_fill() -> None:
    rec = MetricsRecorder(ME, [SPEC])
    t = H0 + 60_000
    for dt, mid in ((-500, 500_000), (0, 500_000), (1_000, 490_000), (10_000, 470_000), (60_000, 520_000)):
        rec.on_step(t + dt, SPEC.condition_id, mid, "NORMAL", 500)
    rec.on_venue_events([a_trade(taker=ME, token=UP, side=BUY, ts_ms=t)])  # long Up at t
    hour = rec.hour_result(SPEC)
    assert hour.adverse_u == {1_000: -10_000.0, 10_000: -30_000.0, 60_000: 20_000.0}
    assert hour.adverse_n == {1_000: 1, 10_000: 1, 60_000: 1}
    short = MetricsRecorder(ME, [SPEC])
    for dt, mid in ((-500, 500_000), (1_000, 490_000)):
        short.on_step(t + dt, SPEC.condition_id, mid, "NORMAL", 500)
    short.on_venue_events([a_trade(taker=ME, token=DOWN, side=BUY, price_u=500_000, ts_ms=t)])
    assert short.hour_result(SPEC).adverse_u[1_000] == 10_000.0  # short Up, mid fell: in our favour


def test_modes_count_only_inside_the_hour_and_fills_too_late_for_a_horizon_are_left_out() -> None:
    rec = MetricsRecorder(ME, [SPEC])
    rec.on_step(H0 - 1_000, SPEC.condition_id, 500_000, "HALT", 1_000)
    rec.on_step(H0, SPEC.condition_id, 500_000, "NORMAL", 1_000)
    rec.on_step(SPEC.end_ms - 5_000, SPEC.condition_id, 500_000, "NORMAL", 1_000)
    rec.on_step(SPEC.end_ms - 4_000, SPEC.condition_id, 500_000, "NORMAL", 1_000)
    rec.on_venue_events([a_trade(taker=ME, ts_ms=SPEC.end_ms - 4_500)])
    hour = rec.hour_result(SPEC)
    assert hour.mode_ms == {"NORMAL": 3_000}
    assert hour.adverse_n == {1_000: 1, 10_000: 0, 60_000: 0}
