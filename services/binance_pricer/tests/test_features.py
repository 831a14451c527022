"""DefaultFeatureEngine: realised and EWMA volatility, returns, BBO shape, warm start."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pricer_testkit.builders import H0, a_book, a_kline, a_trade

from binance_pricer.core.events import BookTickerEvent, TradeEvent
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


class ReferenceEngine:
    """The features computed the slow, obvious way: every closed second kept in plain lists.

    Each EWMA steps through every second one by one (a still second is a zero return), and every
    window sum is summed afresh; the minute EWMAs likewise step through every exchange minute.
    The engine under test must agree on every event stream.
    """

    def __init__(self, p: FeatureParams) -> None:
        self.p = p
        self.r2: list[float] = []  # squared return of every closed second
        self.lps: list[float] = []  # log price at each second's close
        self.var: dict[int, float] = {}
        self.samples = 0.0
        self.sec = -1
        self.price: float | None = None
        self.book: tuple[float, float, float, float] | None = None
        self.warm = False
        self.minute = -1
        self.offset = 0  # receive minus exchange time of the last trade
        self.m_lp: float | None = None  # log price at the last minute close
        self.m_var: dict[int, float] = {}
        self.m_samples = 0.0

    def warm_start(self, closes: list[float]) -> None:
        for a, b in zip(closes, closes[1:], strict=False):
            if a > 0 and b > 0:
                r2 = math.log(b / a) ** 2 / 60
                for h in self.p.ewma_half_lives_s:
                    d60 = 0.5 ** (60 / h)
                    self.var[h] = r2 if h not in self.var else d60 * self.var[h] + (1 - d60) * r2
                self.samples += 1
                self._minute_return(r2)
        if self.m_lp is None and closes and closes[-1] > 0:
            self.m_lp = math.log(closes[-1])
        self.warm = self.warm or len(closes) > 1

    def _minute_return(self, r2: float) -> None:
        for h in self.p.ewma_m1_half_lives_s:
            d = 0.5 ** (60 / h)
            self.m_var[h] = r2 if h not in self.m_var else d * self.m_var[h] + (1 - d) * r2
        self.m_samples += 1

    def update(self, ev: object) -> None:
        if not isinstance(ev, BookTickerEvent | TradeEvent):
            return
        sec = ev.ts_local_ms // 1000
        if sec > self.sec:
            if self.price is not None:
                self._close(sec - self.sec)
            self.sec = sec
        if isinstance(ev, TradeEvent):
            self.offset = ev.ts_local_ms - ev.ts_exchange_ms
            exchange_ms = ev.ts_exchange_ms
        else:
            exchange_ms = ev.ts_local_ms - self.offset if ev.ts_exchange_ms is None else ev.ts_exchange_ms
        minute = exchange_ms // 60_000
        if minute > self.minute:
            if self.price is not None:
                self._close_minutes(minute - self.minute)
            self.minute = minute
        if isinstance(ev, BookTickerEvent):
            bid, ask = ev.bid_e8 / 1e8, ev.ask_e8 / 1e8
            self.book = (bid, ask, ev.bid_qty, ev.ask_qty)
            self.price = (bid + ask) / 2
        elif self.book is None:
            self.price = ev.price_e8 / 1e8

    def _close_minutes(self, elapsed: int) -> None:
        assert self.price is not None
        lp = math.log(self.price)
        if self.m_lp is not None:
            for r2 in [(lp - self.m_lp) ** 2 / 60] + [0.0] * (elapsed - 1):
                self._minute_return(r2)
        self.m_lp = lp

    def _close(self, elapsed: int) -> None:
        assert self.price is not None
        lp = math.log(self.price)
        if not self.lps:
            self.lps.append(lp)
            return
        for r2 in [(lp - self.lps[-1]) ** 2] + [0.0] * (elapsed - 1):
            self.r2.append(r2)
            for h in self.p.ewma_half_lives_s:
                alpha = 1 - 0.5 ** (1 / h)
                self.var[h] = r2 if h not in self.var else self.var[h] + alpha * (r2 - self.var[h])
            self.samples += 1
        self.lps += [lp] * elapsed

    def snapshot(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for w in sorted(set(self.p.rv_windows_s)):
            if self.r2:
                out[f"rv_{w}s"] = math.sqrt(sum(self.r2[-w:]) / min(w, len(self.r2)))
        for h in sorted(set(self.p.ewma_half_lives_s)):
            if h in self.var:
                alpha = 1 - 0.5 ** (1 / h)
                out[f"ewma_vol_{h}s"] = math.sqrt(self.var[h])
                out[f"ewma_n_eff_{h}s"] = min(self.samples, (2 - alpha) / alpha)
        for h in sorted(set(self.p.ewma_m1_half_lives_s)):
            if h in self.m_var:
                alpha = 1 - 0.5 ** (60 / h)
                out[f"ewma_vol_m1_{h}s"] = math.sqrt(self.m_var[h])
                out[f"ewma_n_eff_m1_{h}s"] = min(self.m_samples, (2 - alpha) / alpha)
        if self.lps and self.price is not None:
            for h in sorted(set(self.p.return_horizons_s)):
                if len(self.lps) > h:
                    out[f"ret_{h}s"] = math.log(self.price) - self.lps[-1 - h]
        if self.book is not None:
            bid, ask, bq, aq = self.book
            out["spread_bps"] = (ask - bid) / ((bid + ask) / 2) * 1e4
            if bq + aq > 0:
                out["book_imbalance"] = (bq - aq) / (bq + aq)
        out["live_seconds"] = float(len(self.r2))
        out["warm_started"] = 1.0 if self.warm else 0.0
        return out


# One step of a stream: (kind, local-time step in ms, log-price move, bid qty, ask qty).
steps = st.tuples(
    st.sampled_from(["book", "trade", "kline"]),
    st.sampled_from([0, 1, 250, 999, 1_000, 1_001, 2_000, 3_500, 17_000, 61_000, 400_000]),
    st.floats(min_value=-2e-3, max_value=2e-3),
    st.floats(min_value=0.0, max_value=5.0),
    st.floats(min_value=0.0, max_value=5.0),
)


@settings(max_examples=150)
@given(
    rv=st.sets(st.sampled_from([1, 3, 10, 60]), min_size=1, max_size=3),
    half_lives=st.sets(st.sampled_from([1, 5, 60, 300]), min_size=1, max_size=3),
    horizons=st.sets(st.sampled_from([1, 2, 10, 30]), min_size=1, max_size=3),
    m1_half_lives=st.sets(st.sampled_from([60, 300, 1800]), max_size=2),
    trade_lag_ms=st.sampled_from([0, 40, 1_500, 59_999]),
    warm=st.lists(st.floats(min_value=90.0, max_value=110.0), max_size=5),
    stream=st.lists(steps, max_size=120),
    start_ms=st.integers(min_value=0, max_value=999),
)
def test_the_engine_equals_a_straightforward_reference_on_random_streams(
    rv: set[int], half_lives: set[int], horizons: set[int], m1_half_lives: set[int], trade_lag_ms: int,
    warm: list[float], stream: list[tuple[str, int, float, float, float]], start_ms: int,
) -> None:
    params = FeatureParams(rv_windows_s=tuple(rv), ewma_half_lives_s=tuple(half_lives),
                           return_horizons_s=tuple(horizons), ewma_m1_half_lives_s=tuple(m1_half_lives),
                           min_samples=5)
    eng, ref = DefaultFeatureEngine(params), ReferenceEngine(params)
    eng.warm_start(warm)
    ref.warm_start(warm)
    t, log_price = H0 + start_ms, math.log(100.0)
    for i, (kind, dt, move, bid_qty, ask_qty) in enumerate(stream):
        t += dt
        log_price += move
        price = math.exp(log_price)
        ev: object
        if kind == "book":
            ev = a_book(bid=price - 0.01, ask=price + 0.01, bid_qty=bid_qty, ask_qty=ask_qty, local=t)
        elif kind == "trade":
            # Exchange time lags receive time by a varying amount: spot BBOs borrow the offset.
            ev = a_trade(trade_id=i, price=price, ts=t - trade_lag_ms * (i % 3), local=t)
        else:
            ev = a_kline(open_time=H0, ts=t)
        eng.update(ev)  # type: ignore[arg-type]
        ref.update(ev)
        got, want = eng.snapshot(CTX), ref.snapshot()
        assert list(got) == list(want)  # same features, in the same order
        for key, value in want.items():
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        assert eng.ready == (ref.samples >= 5)


def test_minutes_are_exchange_minutes_and_spot_bbos_borrow_the_last_trade_offset() -> None:
    eng = DefaultFeatureEngine(FeatureParams(ewma_m1_half_lives_s=(300,)))
    # The trade's exchange time lags its receipt by 2 s: a BBO received at 61.0 s is at 59.0 s.
    eng.update(a_trade(price=100.0, ts=H0 + 1_000, local=H0 + 3_000))
    eng.update(a_book(bid=100.99, ask=101.01, local=H0 + 61_000))
    eng.update(a_book(bid=101.99, ask=102.01, local=H0 + 62_500))  # 60.5 s: minute 0 closes at 101
    assert "ewma_vol_m1_300s" not in eng.snapshot(CTX)  # one close, no return yet
    eng.update(a_book(bid=102.99, ask=103.01, local=H0 + 122_500))  # minute 1 closes at 102
    f = eng.snapshot(CTX)
    assert f["ewma_vol_m1_300s"] == pytest.approx(abs(math.log(102 / 101)) / math.sqrt(60), rel=1e-9)
    assert f["ewma_n_eff_m1_300s"] == 1.0
    # Two quiet minutes, then a close: two zero returns decay the variance before the next one.
    v = f["ewma_vol_m1_300s"] ** 2
    eng.update(a_book(bid=102.99, ask=103.01, local=H0 + 302_500))  # minute 2 closes at 103; 3, 4 quiet
    d = 0.5 ** (60 / 300)
    r2 = math.log(103 / 102) ** 2 / 60
    f = eng.snapshot(CTX)
    assert f["ewma_vol_m1_300s"] == pytest.approx(math.sqrt((d * v + (1 - d) * r2) * d * d), rel=1e-9)
    assert f["ewma_n_eff_m1_300s"] == 4.0


def test_warm_start_fills_the_minute_ewmas_and_anchors_the_first_live_minute() -> None:
    rng = random.Random(5)
    closes = [98_000.0]
    per_minute = 6e-4
    for _ in range(120):
        closes.append(closes[-1] * math.exp(rng.gauss(0, per_minute)))
    eng = DefaultFeatureEngine()
    eng.warm_start(closes)
    f = eng.snapshot(CTX)
    assert f["ewma_vol_m1_1800s"] == pytest.approx(per_minute / math.sqrt(60), rel=0.25)
    d300, d1800 = 0.5 ** (60 / 300), 0.5 ** (60 / 1800)
    assert f["ewma_n_eff_m1_300s"] == pytest.approx((1 + d300) / (1 - d300))  # 120 returns: at the cap
    assert f["ewma_n_eff_m1_1800s"] == pytest.approx((1 + d1800) / (1 - d1800))
    # Live: the first minute's return is measured from the last kline close (this minute's open).
    v = f["ewma_vol_m1_300s"] ** 2
    mid = closes[-1] * math.exp(1e-3)
    eng.update(a_book(bid=mid - 0.01, ask=mid + 0.01, local=H0 + 10_000))
    eng.update(a_book(bid=mid - 0.01, ask=mid + 0.01, local=H0 + 60_000))
    want = d300 * v + (1 - d300) * math.log(mid / closes[-1]) ** 2 / 60
    assert eng.snapshot(CTX)["ewma_vol_m1_300s"] == pytest.approx(math.sqrt(want), rel=1e-6)  # mids are e8-rounded
