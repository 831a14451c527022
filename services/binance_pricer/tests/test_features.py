"""DefaultFeatureEngine: realised and EWMA volatility, returns, BBO shape, warm start."""

from __future__ import annotations

import math
import random

import pytest
from pricer_testkit.builders import H0, a_book, a_trade

from binance_pricer.core.features import DefaultFeatureEngine, FeatureParams
from binance_pricer.core.hour_context import HourContextBuilder

CTX = HourContextBuilder(H0).get_context(H0)


def feed_mid_path(engine: DefaultFeatureEngine, mids: list[float], *, start: int = H0, step_ms: int = 1_000) -> None:
    for i, m in enumerate(mids):
        engine.update(a_book(bid=m - 0.01, ask=m + 0.01, local=start + i * step_ms))


def test_a_flat_price_has_zero_volatility_and_zero_returns() -> None:
    eng = DefaultFeatureEngine()
    feed_mid_path(eng, [98_000.0] * 100)
    f = eng.snapshot(CTX)
    assert f["rv_60s"] == 0.0 and f["ewma_vol_60s"] == 0.0
    assert f["ret_10s"] == 0.0 and f["ret_60s"] == 0.0


def test_realised_vol_matches_the_direct_computation_over_each_window() -> None:
    rng = random.Random(7)
    mids = [98_000.0]
    for _ in range(1_200):
        mids.append(mids[-1] * math.exp(rng.gauss(0, 1e-4)))
    eng = DefaultFeatureEngine()
    feed_mid_path(eng, mids + [mids[-1]])  # the extra event closes the last second
    f = eng.snapshot(CTX)
    rets = [math.log(b / a) for a, b in zip(mids, mids[1:], strict=False)]
    for w in (60, 300, 900):
        expected = math.sqrt(sum(r * r for r in rets[-w:]) / w)
        assert f[f"rv_{w}s"] == pytest.approx(expected, rel=1e-6)  # prices are rounded to 1e-8
    assert f["ewma_vol_300s"] == pytest.approx(1e-4, rel=0.2)
    assert f["ret_60s"] == pytest.approx(math.log(mids[-1] / mids[-61]), abs=1e-12)


def test_seconds_without_updates_count_as_zero_returns() -> None:
    eng = DefaultFeatureEngine(FeatureParams(rv_windows_s=(10,), ewma_half_lives_s=(10,), return_horizons_s=(5,)))
    eng.update(a_book(bid=99.99, ask=100.01, local=H0))
    eng.update(a_book(bid=100.99, ask=101.01, local=H0 + 1_000))
    eng.update(a_book(bid=100.99, ask=101.01, local=H0 + 5_000))  # 3 silent seconds
    f = eng.snapshot(CTX)
    r = math.log(101 / 100)
    assert f["rv_10s"] == pytest.approx(math.sqrt(r * r / 4))  # 1 move + 3 still seconds
    assert f["live_seconds"] == 4.0
    assert f["ewma_vol_10s"] < abs(r)


def test_a_gap_longer_than_every_window_empties_the_windows() -> None:
    eng = DefaultFeatureEngine(FeatureParams(rv_windows_s=(10,), ewma_half_lives_s=(10,), return_horizons_s=(5,)))
    feed_mid_path(eng, [100.0, 101.0, 100.0, 101.0])
    eng.update(a_book(bid=100.99, ask=101.01, local=H0 + 100_000))
    assert eng.snapshot(CTX)["rv_10s"] == 0.0


def test_trades_drive_the_sampled_price_only_until_a_bbo_exists() -> None:
    eng = DefaultFeatureEngine()
    eng.update(a_trade(trade_id=1, price=100.0, ts=H0, local=H0))
    eng.update(a_trade(trade_id=2, price=101.0, ts=H0 + 1_000, local=H0 + 1_000))
    eng.update(a_trade(trade_id=3, price=101.0, ts=H0 + 2_000, local=H0 + 2_000))
    assert eng.snapshot(CTX)["rv_60s"] > 0
    eng2 = DefaultFeatureEngine()
    eng2.update(a_book(bid=99.99, ask=100.01, local=H0))
    eng2.update(a_trade(trade_id=2, price=150.0, ts=H0 + 1_000, local=H0 + 1_000))
    eng2.update(a_trade(trade_id=3, price=50.0, ts=H0 + 2_000, local=H0 + 2_000))
    assert eng2.snapshot(CTX)["rv_60s"] == 0.0


def test_book_imbalance_and_spread() -> None:
    eng = DefaultFeatureEngine()
    eng.update(a_book(bid=99.99, ask=100.01, bid_qty=3.0, ask_qty=1.0, local=H0))
    f = eng.snapshot(CTX)
    assert f["book_imbalance"] == pytest.approx(0.5)
    assert f["spread_bps"] == pytest.approx(2.0)


def test_unknown_features_are_left_out_not_nan() -> None:
    f = DefaultFeatureEngine().snapshot(CTX)
    assert "rv_60s" not in f and "ewma_vol_300s" not in f and "ret_10s" not in f
    assert all(math.isfinite(v) for v in f.values())


def test_warm_start_from_minute_closes_makes_the_engine_ready_with_the_right_scale() -> None:
    rng = random.Random(3)
    closes = [98_000.0]
    per_minute = 6e-4  # 6e-4 per minute == 7.75e-5 per sqrt(second)
    for _ in range(120):
        closes.append(closes[-1] * math.exp(rng.gauss(0, per_minute)))
    eng = DefaultFeatureEngine()
    assert not eng.ready
    eng.warm_start(closes)
    assert eng.ready
    f = eng.snapshot(CTX)
    assert f["ewma_vol_1800s"] == pytest.approx(per_minute / math.sqrt(60), rel=0.25)
    assert f["warm_started"] == 1.0
    assert f["ewma_n_eff_300s"] == pytest.approx(120.0)


def test_live_seconds_make_the_engine_ready_without_a_warm_start() -> None:
    eng = DefaultFeatureEngine(FeatureParams(min_samples=30))
    feed_mid_path(eng, [100.0 + (i % 2) for i in range(30)])
    assert not eng.ready
    feed_mid_path(eng, [100.0, 101.0], start=H0 + 30_000)
    assert eng.ready


def test_running_sums_do_not_drift_over_many_ring_turns() -> None:
    rng = random.Random(11)
    eng = DefaultFeatureEngine(FeatureParams(rv_windows_s=(60,), ewma_half_lives_s=(60,), return_horizons_s=(10,)))
    mids = [100.0]
    for _ in range(5_000):
        mids.append(mids[-1] * math.exp(rng.gauss(0, 1e-3)))
    feed_mid_path(eng, mids + [mids[-1]])
    rets = [math.log(b / a) for a, b in zip(mids, mids[1:], strict=False)]
    assert eng.snapshot(CTX)["rv_60s"] == pytest.approx(math.sqrt(sum(r * r for r in rets[-60:]) / 60), rel=1e-6)  # prices are rounded to 1e-8
