"""Rolling features of the BTC price, O(1) per event (pure).

In: trade and bookTicker events (and, once at boot, recent 1-minute closes for a warm start).
Out: `snapshot() -> dict[str, float]` at publish time.

The price (BBO mid, else last trade) is sampled on a one-second grid of local receive time.
When a second closes, its log return enters a ring of running sums of squares (realised
volatility over several windows) and EWMA variances with several half-lives; seconds without
an update are zero returns, applied in O(1) for the EWMAs. Volatilities are per sqrt(second),
so the pricer uses `sigma * sqrt(tau_seconds)`. Unknown features are left out of the dict (JSON
has no NaN). Volatility state survives hour rollovers: the hour changes, the market does not.

The same price is also sampled at exchange-time minute boundaries (`ewma_vol_m1_<h>s`): the
calibration study validated the pricer's blend on 1-minute returns, and 1-second returns carry
in-minute noise that inflates sigma (pulling fair values toward 0.5). Minute EWMAs only work
when a minute closes; the warm start's 1-minute klines feed them directly, and the last kline
close is the first live minute's reference price.

`FeatureEngine` is the plug-in Protocol; `FEATURE_ENGINES` maps config names to factories.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import msgspec

from binance_pricer.core.events import PRICE_SCALE, BinanceEvent, BookTickerEvent, TradeEvent
from binance_pricer.core.hour_context import HourContext

MINUTE_S = 60
_MINUTE_MS = 60_000


class FeatureParams(msgspec.Struct, frozen=True, kw_only=True):
    rv_windows_s: tuple[int, ...] = (60, 300, 900)
    ewma_half_lives_s: tuple[int, ...] = (60, 300, 1800)
    # EWMAs of 1-minute returns (half-lives in seconds, volatilities per sqrt(second)).
    ewma_m1_half_lives_s: tuple[int, ...] = (300, 1800)
    return_horizons_s: tuple[int, ...] = (10, 60, 300)
    # Samples (live seconds, or warm-start minutes) before the engine calls itself ready.
    min_samples: int = 30


class FeatureEngine(Protocol):
    """Computes rolling features; `update` is on the hot path and must be O(1)."""

    name: str
    feature_names: tuple[str, ...]

    @property
    def ready(self) -> bool: ...

    def update(self, event: BinanceEvent) -> None: ...

    def warm_start(self, minute_closes: Sequence[float]) -> None: ...

    def snapshot(self, ctx: HourContext) -> dict[str, float]: ...

    def reset_for_new_hour(self, ctx: HourContext) -> None: ...


_MAX_CACHED_GAP_S = 3_600  # zero-return runs up to an hour reuse their decay factors


class DefaultFeatureEngine:
    """Realised vol over windows, EWMA vol over half-lives, returns over horizons, BBO shape.

    The state is flat on purpose: an update stores its event and, when it opens a new second,
    closing the old one is a log, a few float ops and ring writes (no containers built, no
    helper calls in the common case of consecutive seconds). Two rings of floats, indexed by a
    running count of closed seconds (slot = count % size): the running total of squared
    one-second returns after each second (a window's sum is a difference of two slots) and the
    log price at each second's close. A run of still seconds is one slice fill. All EWMAs see
    the same observations, so they share one sample count and one "seen a return" flag; the
    decay over a run of k still seconds is `exp(k * log(decay))`, memoised per k.

    Minute EWMAs sit beside them with their own sample count: the minute is the exchange's
    (trade time `T`, or a futures BBO's `T`; a spot BBO carries none, so its receive time is
    shifted by the last trade's receive-minus-exchange offset). An event opening a new minute
    closes the old one at the sampled price; quiet minutes are zero returns, as for seconds.
    """

    name = "default"

    # Slots: the hot path reads and writes these on every event (no instance dict).
    __slots__ = ("_alphas", "_book", "_cum", "_cum_count", "_cum_size", "_ewma_index", "_ewma_keys",
        "_gap_decays", "_half_lives", "_has_price", "_has_var", "_horizons", "_log_decays", "_lp_count",
        "_lp_last_close", "_lp_size", "_lps", "_m_decays", "_m_has_var", "_m_keys", "_m_log_decays", "_m_lp_last",
        "_m_n_eff_caps", "_m_next_ms", "_m_samples", "_m_vars", "_min", "_minute_decays", "_n_eff_caps", "_r2_total", "_ret_keys",
        "_rv_keys", "_samples", "_sec", "_trade_e8", "_vars", "_warm", "_windows", "_x_off", "feature_names", "params")

    def __init__(self, params: FeatureParams | None = None) -> None:
        p = params or FeatureParams()
        self.params = p
        self._windows = tuple(sorted(set(p.rv_windows_s)))
        self._horizons = tuple(sorted(set(p.return_horizons_s)))
        self._half_lives = tuple(sorted(set(p.ewma_half_lives_s)))
        self._r2_total = 0.0
        self._cum_size = max(self._windows) + 1
        self._cum = [0.0] * self._cum_size
        self._cum_count = 0  # seconds ever closed with a return
        self._lp_size = max(self._horizons) + 1
        self._lps = [0.0] * self._lp_size
        self._lp_count = 0
        decays = [math.exp(-math.log(2.0) / h) for h in self._half_lives]
        self._log_decays = tuple(math.log(d) for d in decays)
        self._alphas = tuple(1.0 - d for d in decays)
        self._n_eff_caps = tuple((2.0 - a) / a for a in self._alphas)
        self._minute_decays = tuple(math.exp(MINUTE_S * ld) for ld in self._log_decays)
        self._gap_decays: dict[int, tuple[float, ...]] = {}
        self._vars = [0.0] * len(self._half_lives)
        self._has_var = False
        self._samples = 0.0  # observations seen, weighted as independent samples
        self._ewma_index = tuple(range(len(self._half_lives)))
        self._sec = -1  # current (open) second
        m_half_lives = tuple(sorted(set(p.ewma_m1_half_lives_s)))
        self._m_log_decays = tuple(-math.log(2.0) * MINUTE_S / h for h in m_half_lives)
        self._m_decays = tuple(math.exp(ld) for ld in self._m_log_decays)
        self._m_n_eff_caps = tuple((1.0 + d) / (1.0 - d) for d in self._m_decays)
        self._m_vars = [0.0] * len(m_half_lives)
        self._m_has_var = False
        self._m_samples = 0.0  # minute returns seen (warm-start and live)
        self._min = -1  # current (open) exchange minute
        self._m_next_ms = -(2**62)  # exchange time at which the next minute opens (any, at first)
        self._m_lp_last: float | None = None  # log price at the last minute close
        self._x_off = 0  # receive minus exchange time, from the last trade (for spot BBOs)
        self._lp_last_close: float | None = None
        # The sampled price is read only when a second closes: an update just keeps its source,
        # the latest BBO (its mid) or, before any BBO, the latest trade price.
        self._book: BookTickerEvent | None = None
        self._trade_e8 = 0
        self._has_price = False
        self._warm = False
        self._rv_keys = tuple((w, f"rv_{w}s") for w in self._windows)
        self._ewma_keys = tuple((i, f"ewma_vol_{h}s", f"ewma_n_eff_{h}s") for i, h in enumerate(self._half_lives))
        self._m_keys = tuple((i, f"ewma_vol_m1_{h}s", f"ewma_n_eff_m1_{h}s") for i, h in enumerate(m_half_lives))
        self._ret_keys = tuple((h, f"ret_{h}s") for h in self._horizons)
        names = [k for _, k in self._rv_keys]
        for _, vol_key, n_key in self._ewma_keys + self._m_keys:
            names += [vol_key, n_key]
        names += [k for _, k in self._ret_keys]
        names += ["spread_bps", "book_imbalance", "live_seconds", "warm_started"]
        self.feature_names = tuple(names)

    @property
    def ready(self) -> bool:
        return bool(self._half_lives) and self._samples >= self.params.min_samples

    # -- hot path ---------------------------------------------------------------------------

    def update(self, event: BinanceEvent) -> None:
        if type(event) is BookTickerEvent:
            local = event.ts_local_ms
            sec = local // 1000
            if sec > self._sec:
                if self._has_price:
                    self._close_seconds(sec - self._sec)
                self._sec = sec
            ex = event.ts_exchange_ms
            if ex is None:
                ex = local - self._x_off
            if ex >= self._m_next_ms:
                self._roll_minute(ex)
            self._book = event
            self._has_price = True
        elif type(event) is TradeEvent:
            local = event.ts_local_ms
            sec = local // 1000
            if sec > self._sec:
                if self._has_price:
                    self._close_seconds(sec - self._sec)
                self._sec = sec
            ex = event.ts_exchange_ms
            self._x_off = local - ex
            if ex >= self._m_next_ms:
                self._roll_minute(ex)
            if self._book is None:
                # Until a BBO exists the last trade is the sampled price; after, the mid is.
                self._trade_e8 = event.price_e8
                self._has_price = True

    def _current_price(self) -> float:
        """The sampled price now: the BBO mid, else the last trade (as in `_close_seconds`)."""
        book = self._book
        if book is None:
            return self._trade_e8 / PRICE_SCALE
        return 0.5 * (book.bid_e8 / PRICE_SCALE + book.ask_e8 / PRICE_SCALE)

    def _close_seconds(self, elapsed: int) -> None:
        """Close the current second (its return) and `elapsed - 1` empty seconds (zero returns)."""
        book = self._book
        if book is None:
            lp = math.log(self._trade_e8 / PRICE_SCALE)
        else:
            lp = math.log(0.5 * (book.bid_e8 / PRICE_SCALE + book.ask_e8 / PRICE_SCALE))
        prev = self._lp_last_close
        self._lp_last_close = lp
        if prev is not None:
            r = lp - prev
            r2 = r * r
            total = self._r2_total = self._r2_total + r2
            if elapsed == 1:
                self._cum[self._cum_count % self._cum_size] = total
            else:
                _ring_fill(self._cum, self._cum_count, total, elapsed)
            self._cum_count += elapsed
            vs = self._vars
            if self._has_var:
                alphas = self._alphas
                for i in self._ewma_index:
                    v = vs[i]
                    vs[i] = v + alphas[i] * (r2 - v)
            else:
                vs[:] = [r2] * len(vs)
                self._has_var = True
            self._samples += 1.0
            if elapsed > 1:
                gap = elapsed - 1
                factors = self._gap_decays.get(gap) or self._gap_decay(gap)
                for i in self._ewma_index:
                    vs[i] *= factors[i]
                self._samples += gap
        else:
            elapsed = 1
        if elapsed == 1:
            self._lps[self._lp_count % self._lp_size] = lp
        else:
            _ring_fill(self._lps, self._lp_count, lp, elapsed)
        self._lp_count += elapsed

    def _roll_minute(self, ex_ms: int) -> None:
        """An event at exchange time `ex_ms` opened a new minute: close the ones before it."""
        minute = ex_ms // _MINUTE_MS
        if self._has_price:
            self._close_minutes(minute - self._min)
        self._min = minute
        self._m_next_ms = (minute + 1) * _MINUTE_MS

    def _close_minutes(self, elapsed: int) -> None:
        """Close the current minute (its return) and `elapsed - 1` quiet minutes (zero returns)."""
        lp = math.log(self._current_price())
        prev = self._m_lp_last
        self._m_lp_last = lp
        if prev is not None:
            r = lp - prev
            self._observe_minute(r * r / MINUTE_S)
            if elapsed > 1:
                gap = elapsed - 1
                vs = self._m_vars
                for i, ld in enumerate(self._m_log_decays):
                    vs[i] *= math.exp(gap * ld)
                self._m_samples += gap

    def _observe_minute(self, r2_per_s: float) -> None:
        """One 1-minute return (squared, per second) into every minute EWMA."""
        vs = self._m_vars
        if self._m_has_var:
            for i, d in enumerate(self._m_decays):
                vs[i] = d * vs[i] + (1.0 - d) * r2_per_s
        else:
            vs[:] = [r2_per_s] * len(vs)
            self._m_has_var = True
        self._m_samples += 1.0

    def _gap_decay(self, gap: int) -> tuple[float, ...]:
        """Each EWMA's decay over `gap` zero returns (memoised for gaps up to an hour)."""
        factors = tuple(math.exp(gap * ld) for ld in self._log_decays)
        if gap <= _MAX_CACHED_GAP_S:
            self._gap_decays[gap] = factors
        return factors

    # -- boot -------------------------------------------------------------------------------

    def warm_start(self, minute_closes: Sequence[float]) -> None:
        """Seed the EWMA variances from recent closed 1-minute klines' closes (oldest first).

        The minute EWMAs take each return as is. The one-second EWMAs take it as 60 seconds of
        equal variance. If no live minute has closed yet, the last close (the open of the current
        minute) is the reference price of the first live minute return.
        """
        vs = self._vars
        for a, b in zip(minute_closes, minute_closes[1:], strict=False):
            if a > 0 and b > 0:
                r = math.log(b / a)
                r2_per_s = r * r / MINUTE_S
                # One 1-minute return as 60 seconds of equal variance (one observation, not 60).
                if self._has_var:
                    for i, d60 in enumerate(self._minute_decays):
                        vs[i] = d60 * vs[i] + (1.0 - d60) * r2_per_s
                else:
                    vs[:] = [r2_per_s] * len(vs)
                    self._has_var = True
                self._samples += 1.0
                self._observe_minute(r2_per_s)
        if self._m_lp_last is None and minute_closes and minute_closes[-1] > 0:
            self._m_lp_last = math.log(minute_closes[-1])
        self._warm = self._warm or len(minute_closes) > 1

    # -- publish ----------------------------------------------------------------------------

    def snapshot(self, ctx: HourContext) -> dict[str, float]:
        out: dict[str, float] = {}
        seen = self._cum_count
        cum = self._cum
        size = self._cum_size
        total = self._r2_total
        for w, key in self._rv_keys:
            n = min(w, seen)
            if n > 0:
                before = cum[(seen - 1 - w) % size] if seen > w else 0.0
                out[key] = math.sqrt(max(total - before, 0.0) / n)
        if self._has_var:
            samples = self._samples
            for i, vol_key, n_key in self._ewma_keys:
                out[vol_key] = math.sqrt(max(self._vars[i], 0.0))
                out[n_key] = min(samples, self._n_eff_caps[i])
        if self._m_has_var:
            m_samples = self._m_samples
            for i, vol_key, n_key in self._m_keys:
                out[vol_key] = math.sqrt(max(self._m_vars[i], 0.0))
                out[n_key] = min(m_samples, self._m_n_eff_caps[i])
        if self._lp_last_close is not None and self._has_price:
            lp_now = math.log(self._current_price())
            count = self._lp_count
            for h, key in self._ret_keys:
                if count > h:
                    out[key] = lp_now - self._lps[(count - 1 - h) % self._lp_size]
        book = self._book
        if book is not None and book.ask_e8 > 0:
            bid = book.bid_e8 / PRICE_SCALE
            ask = book.ask_e8 / PRICE_SCALE
            mid = 0.5 * (bid + ask)
            out["spread_bps"] = (ask - bid) / mid * 1e4
            depth = book.bid_qty + book.ask_qty
            if depth > 0:
                out["book_imbalance"] = (book.bid_qty - book.ask_qty) / depth
        out["live_seconds"] = float(seen)
        out["warm_started"] = 1.0 if self._warm else 0.0
        return out

    def reset_for_new_hour(self, ctx: HourContext) -> None:
        """Nothing to forget: volatility and returns carry across the hour boundary."""


def _ring_fill(values: list[float], count: int, v: float, k: int) -> None:
    """Write `k` copies of `v` into the ring `values` from slot `count % len(values)` on."""
    n = len(values)
    i = count % n
    if k == 1:
        values[i] = v
    elif k >= n:
        values[:] = [v] * n
    else:
        first = min(k, n - i)
        values[i : i + first] = [v] * first
        if k > first:
            values[: k - first] = [v] * (k - first)


FEATURE_ENGINES: Mapping[str, Callable[[FeatureParams], FeatureEngine]] = {
    "default": DefaultFeatureEngine,
}
