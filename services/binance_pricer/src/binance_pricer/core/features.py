"""Rolling features of the BTC price, O(1) per event (pure).

In: trade and bookTicker events (and, once at boot, recent 1-minute closes for a warm start).
Out: `snapshot() -> dict[str, float]` at publish time.

The price (BBO mid, else last trade) is sampled on a one-second grid of local receive time.
When a second closes, its log return enters a ring of running sums of squares (realised
volatility over several windows) and EWMA variances with several half-lives; seconds without
an update are zero returns, applied in O(1) for the EWMAs. Volatilities are per sqrt(second),
so the pricer uses `sigma * sqrt(tau_seconds)`. Unknown features are left out of the dict (JSON
has no NaN). Volatility state survives hour rollovers: the hour changes, the market does not.

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


class FeatureParams(msgspec.Struct, frozen=True, kw_only=True):
    rv_windows_s: tuple[int, ...] = (60, 300, 900)
    ewma_half_lives_s: tuple[int, ...] = (60, 300, 1800)
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


class _Ewma:
    """EWMA of squared one-second returns, with an effective sample count for the band."""

    __slots__ = ("alpha", "decay", "half_life_s", "n_eff_cap", "samples", "var")

    def __init__(self, half_life_s: int) -> None:
        self.half_life_s = half_life_s
        self.decay: float = math.exp(-math.log(2.0) / half_life_s)
        self.alpha = 1.0 - self.decay
        self.n_eff_cap = (2.0 - self.alpha) / self.alpha
        self.var: float | None = None
        self.samples = 0.0  # observations seen, weighted as independent samples

    def push(self, r2: float) -> None:
        self.var = r2 if self.var is None else self.var + self.alpha * (r2 - self.var)
        self.samples += 1.0

    def push_zeros(self, k: int) -> None:
        if self.var is not None:
            self.var *= math.exp(k * math.log(self.decay))
        self.samples += k

    def push_minute(self, r2_per_s: float) -> None:
        """One 1-minute return as 60 seconds of equal variance (one observation, not 60)."""
        d60 = math.exp(MINUTE_S * math.log(self.decay))
        self.var = r2_per_s if self.var is None else d60 * self.var + (1.0 - d60) * r2_per_s
        self.samples += 1.0

    @property
    def n_eff(self) -> float:
        return min(self.samples, self.n_eff_cap)


class _Ring:
    """Fixed-size ring of floats: `push` one, `fill` k copies (slice writes), `ago(j)` reads back."""

    __slots__ = ("count", "n", "values")

    def __init__(self, n: int) -> None:
        self.n = n
        self.values = [0.0] * n
        self.count = 0  # values ever pushed

    def push(self, v: float) -> None:
        self.values[self.count % self.n] = v
        self.count += 1

    def fill(self, v: float, k: int) -> None:
        n = self.n
        if k >= n:
            self.values[:] = [v] * n
        else:
            i = self.count % n
            first = min(k, n - i)
            self.values[i : i + first] = [v] * first
            if k > first:
                self.values[: k - first] = [v] * (k - first)
        self.count += k

    def ago(self, j: int) -> float:
        """The value pushed `j` pushes before the latest (0 = the latest); needs j < min(count, n)."""
        return self.values[(self.count - 1 - j) % self.n]


class DefaultFeatureEngine:
    """Realised vol over windows, EWMA vol over half-lives, returns over horizons, BBO shape."""

    name = "default"

    def __init__(self, params: FeatureParams | None = None) -> None:
        p = params or FeatureParams()
        self.params = p
        self._windows = tuple(sorted(set(p.rv_windows_s)))
        self._horizons = tuple(sorted(set(p.return_horizons_s)))
        # Running total of squared one-second returns, sampled after each second: a window's
        # sum is a difference of two samples, and a run of still seconds is one slice fill.
        self._r2_total = 0.0
        self._cum_r2 = _Ring(max(self._windows) + 1)
        self._lp = _Ring(max(self._horizons) + 1)  # log price at each second's close
        self._ewmas = tuple(_Ewma(h) for h in sorted(set(p.ewma_half_lives_s)))
        self._sec = -1  # current (open) second
        self._lp_last_close: float | None = None
        self._price = 0.0
        self._has_price = False
        self._has_book = False
        self._bid = self._ask = 0.0
        self._bid_qty = self._ask_qty = 0.0
        self._warm = False
        names = [f"rv_{w}s" for w in self._windows]
        for e in self._ewmas:
            names += [f"ewma_vol_{e.half_life_s}s", f"ewma_n_eff_{e.half_life_s}s"]
        names += [f"ret_{h}s" for h in self._horizons]
        names += ["spread_bps", "book_imbalance", "live_seconds", "warm_started"]
        self.feature_names = tuple(names)

    @property
    def ready(self) -> bool:
        return any(e.samples >= self.params.min_samples for e in self._ewmas)

    # -- hot path ---------------------------------------------------------------------------

    def update(self, event: BinanceEvent) -> None:
        if type(event) is BookTickerEvent:
            self._bid = event.bid_e8 / PRICE_SCALE
            self._ask = event.ask_e8 / PRICE_SCALE
            self._bid_qty = event.bid_qty
            self._ask_qty = event.ask_qty
            self._has_book = True
            price = 0.5 * (self._bid + self._ask)
        elif type(event) is TradeEvent:
            if self._has_book:
                # The mid drives the sampled price; a trade alone does not move it.
                self._tick(event.ts_local_ms)
                return
            price = event.price_e8 / PRICE_SCALE
        else:
            return
        self._tick(event.ts_local_ms)
        self._price = price
        self._has_price = True

    def _tick(self, ts_ms: int) -> None:
        sec = ts_ms // 1000
        if sec > self._sec:
            if self._has_price:
                self._close_seconds(sec - self._sec)
            self._sec = sec

    def _close_seconds(self, elapsed: int) -> None:
        """Close the current second (its return) and `elapsed - 1` empty seconds (zero returns)."""
        lp = math.log(self._price)
        prev = self._lp_last_close
        self._lp_last_close = lp
        gap = elapsed - 1
        if prev is not None:
            r = lp - prev
            r2 = r * r
            self._r2_total += r2
            self._cum_r2.push(self._r2_total)
            for e in self._ewmas:
                e.push(r2)
            if gap > 0:
                for e in self._ewmas:
                    e.push_zeros(gap)
                self._cum_r2.fill(self._r2_total, gap)
        self._lp.fill(lp, elapsed if prev is not None else 1)

    # -- boot -------------------------------------------------------------------------------

    def warm_start(self, minute_closes: Sequence[float]) -> None:
        """Seed the EWMA variances from recent 1-minute closes (oldest first)."""
        for a, b in zip(minute_closes, minute_closes[1:], strict=False):
            if a > 0 and b > 0:
                r = math.log(b / a)
                for e in self._ewmas:
                    e.push_minute(r * r / MINUTE_S)
        self._warm = self._warm or len(minute_closes) > 1

    # -- publish ----------------------------------------------------------------------------

    def snapshot(self, ctx: HourContext) -> dict[str, float]:
        out: dict[str, float] = {}
        cum = self._cum_r2
        seen = cum.count
        for w in self._windows:
            n = min(w, seen)
            if n > 0:
                before = cum.ago(w) if seen > w else 0.0
                out[f"rv_{w}s"] = math.sqrt(max(self._r2_total - before, 0.0) / n)
        for e in self._ewmas:
            if e.var is not None:
                out[f"ewma_vol_{e.half_life_s}s"] = math.sqrt(max(e.var, 0.0))
                out[f"ewma_n_eff_{e.half_life_s}s"] = e.n_eff
        if self._lp_last_close is not None and self._has_price:
            lp_now = math.log(self._price)
            for h in self._horizons:
                if self._lp.count > h:
                    out[f"ret_{h}s"] = lp_now - self._lp.ago(h)
        if self._has_book and self._ask > 0:
            mid = 0.5 * (self._bid + self._ask)
            out["spread_bps"] = (self._ask - self._bid) / mid * 1e4
            depth = self._bid_qty + self._ask_qty
            if depth > 0:
                out["book_imbalance"] = (self._bid_qty - self._ask_qty) / depth
        out["live_seconds"] = float(seen)
        out["warm_started"] = 1.0 if self._warm else 0.0
        return out

    def reset_for_new_hour(self, ctx: HourContext) -> None:
        """Nothing to forget: volatility and returns carry across the hour boundary."""


FEATURE_ENGINES: Mapping[str, Callable[[FeatureParams], FeatureEngine]] = {
    "default": DefaultFeatureEngine,
}
