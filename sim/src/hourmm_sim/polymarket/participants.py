"""Background participants: the rest of the market, driven by the scenario's true price path.

- `PassiveMaker`: quotes a ladder of bids (BUY Up) and offers (BUY Down at 1 - ask, so it needs
  no inventory) around a lagged, noisy fair value, re-quoting every `requote_ms`.
- Takers arrive at random (Poisson, `taker_rate_per_min`): informed ones compare the *true*
  fair value with the book and pick off stale quotes; noise ones cross at random.
- Volatility is not a constant: each participant estimates it the way a desk (and our pricer)
  would, from the tape's own past 1-minute returns (`TapeVol`, an EWMA seeded with the scenario's
  `sigma_per_sqrt_hour` as the prior and floored at `sigma_floor_per_sqrt_hour`). The maker reads
  the tape `maker_lag_ms` late, the informed takers read it now; neither ever looks past its own
  reading time, so the hour's outcome is known only through the path.

They trade through the same `Clob` as everyone else, as ordinary users with their own funder
addresses, so every fill is in the ledger. Seeded: the same scenario gives the same flow.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable

import msgspec

from hourmm_sim.polymarket.clob import Clob
from hourmm_sim.polymarket.clob_events import MarketSpec
from hourmm_sim.polymarket.clob_rules import OrderRequest
from hourmm_sim.polymarket.matching import BUY, DOWN, UP
from hourmm_sim.polymarket.units import ONE

MINUTE_MS = 60_000
PriceAt = Callable[[int], float | None]


class ParticipantsConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    enabled: bool = True
    maker_levels: int = 3
    maker_size: float = 50.0
    maker_half_spread: float = 0.02
    maker_level_step: float = 0.01
    maker_lag_ms: int = 3_000
    maker_noise: float = 0.01
    requote_ms: int = 5_000
    taker_rate_per_min: float = 2.0
    informed_share: float = 0.4
    informed_edge: float = 0.02
    taker_size_min: float = 5.0
    taker_size_max: float = 60.0
    sigma_per_sqrt_hour: float = 0.004  # prior and fallback of the tape-driven estimate
    sigma_halflife_min: float = 30.0  # EWMA half-life of squared 1-minute returns
    sigma_warm_min: int = 120  # history read back at the first quote (the pricer warms on 120 too)
    sigma_floor_per_sqrt_hour: float = 0.001  # a dead tape must not make the market price certainty
    bankroll_pusd: float = 10_000_000.0


def fair_up(price: float, open_price: float, tau_ms: int, sigma_per_sqrt_hour: float) -> float:
    """Driftless lognormal digital: P(close >= open)."""
    if tau_ms <= 0:
        return 1.0 if price >= open_price else 0.0
    z = math.log(price / open_price) / (sigma_per_sqrt_hour * math.sqrt(tau_ms / 3_600_000))
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


class TapeVol:
    """Hourly volatility from the tape's past 1-minute returns, read `lag_ms` behind the clock.

    Incremental: each call folds in only the minute closes that have become visible since the last
    one (O(1) per minute). The EWMA starts at the prior's variance, so a short tape (or a tape
    without history before the first hour) prices with the scenario's value and drifts to the
    data as minutes arrive. Only `price_at(t)` with `t <= now - lag_ms` is ever read.
    """

    def __init__(self, price_at: PriceAt, config: ParticipantsConfig, lag_ms: int) -> None:
        self.price_at = price_at
        self.lag_ms = lag_ms
        self.floor = config.sigma_floor_per_sqrt_hour
        self.warm_ms = config.sigma_warm_min * MINUTE_MS
        self.decay = math.exp(-math.log(2.0) / max(config.sigma_halflife_min, 1e-9))
        self.var_hour = config.sigma_per_sqrt_hour ** 2
        self.samples = 0
        self._last_ms: int | None = None
        self._last_price: float | None = None

    def sigma(self, now_ms: int) -> float:
        visible = (now_ms - self.lag_ms) // MINUTE_MS * MINUTE_MS
        if self._last_ms is None:
            self._last_ms = visible - self.warm_ms - MINUTE_MS
        while self._last_ms < visible:
            self._last_ms += MINUTE_MS
            price = self.price_at(self._last_ms)
            if price is None or price <= 0:
                continue
            if self._last_price is not None:
                r = math.log(price / self._last_price)
                self.var_hour = self.decay * self.var_hour + (1.0 - self.decay) * 60.0 * r * r
                self.samples += 1
            self._last_price = price
        return max(math.sqrt(self.var_hour), self.floor)


def _grid(p: float, tick_u: int, up: bool) -> int:
    """A probability rounded onto the tick grid, inside [tick, 1 - tick]; floor for bids."""
    raw = int(p * ONE)
    snapped = (raw // tick_u) * tick_u if up else -(-raw // tick_u) * tick_u
    return min(max(snapped, tick_u), ONE - tick_u)


class Participants:
    """One maker and a stream of takers per market, stepped by the venue's clock."""

    MAKER = "0x000000000000000000000000000000000000aa01"
    TAKER = "0x000000000000000000000000000000000000aa02"
    MAKER_KEY = "sim-maker-0000-0000-000000000001"
    TAKER_KEY = "sim-taker-0000-0000-000000000002"

    def __init__(self, clob: Clob, price_at: PriceAt, config: ParticipantsConfig, seed: int) -> None:
        self.clob = clob
        self.price_at = price_at
        self.config = config
        self.rng = random.Random(seed)
        self._next_quote_ms = 0
        self._next_taker_ms: int | None = None
        self._quotes: list[str] = []
        self._n = 0
        self.maker_vol = TapeVol(price_at, config, config.maker_lag_ms)
        self.taker_vol = TapeVol(price_at, config, 0)
        bank = int(config.bankroll_pusd * ONE)
        clob.ledger.deposit(self.MAKER, bank)
        clob.ledger.deposit(self.TAKER, bank)

    def _id(self) -> str:
        self._n += 1
        return "0x" + hashlib.sha256(f"participant:{self.rng.random()}:{self._n}".encode()).hexdigest()

    def _fair(self, spec: MarketSpec, at_ms: int, now_ms: int, sigma: float) -> float | None:
        """P(Up) as seen from the tape at `at_ms` (<= now): the open and the price are both past."""
        price, open_price = self.price_at(at_ms), self.price_at(min(spec.start_ms, at_ms))
        if price is None or open_price is None or open_price <= 0:
            return None
        return fair_up(price, open_price, spec.end_ms - now_ms, sigma)

    def step(self, now_ms: int) -> None:
        if not self.config.enabled:
            return
        for state in self.clob.trading_markets(now_ms):
            spec = state.spec
            if now_ms >= self._next_quote_ms:
                self._requote(spec, now_ms)
            self._takers(spec, now_ms)
        if now_ms >= self._next_quote_ms:
            self._next_quote_ms = now_ms + self.config.requote_ms

    def _requote(self, spec: MarketSpec, now_ms: int) -> None:
        cfg = self.config
        self.clob.cancel(self.MAKER_KEY, self._quotes, now_ms)
        self._quotes = []
        fair = self._fair(spec, now_ms - cfg.maker_lag_ms, now_ms, self.maker_vol.sigma(now_ms))
        if fair is None:
            return
        fair = min(max(fair + self.rng.gauss(0.0, cfg.maker_noise), 0.0), 1.0)
        tick = self.clob.markets[spec.condition_id].tick_u
        size = int(cfg.maker_size * 100) * 10_000
        for level in range(cfg.maker_levels):
            offset = cfg.maker_half_spread + level * cfg.maker_level_step
            bid = _grid(fair - offset, tick, up=True)
            ask = _grid(fair + offset, tick, up=False)
            for token, price in ((UP, bid), (DOWN, ONE - ask)):
                req = OrderRequest(order_id=self._id(), owner=self.MAKER_KEY, holder=self.MAKER,
                                   maker_address=self.MAKER, token_id=spec.token_ids()[token], side=BUY,
                                   price_u=price, size_u=size, post_only=True)
                if self.clob.place(req, now_ms).success:
                    self._quotes.append(req.order_id)

    def _takers(self, spec: MarketSpec, now_ms: int) -> None:
        cfg = self.config
        if cfg.taker_rate_per_min <= 0:
            return
        if self._next_taker_ms is None:
            self._next_taker_ms = now_ms + int(self.rng.expovariate(cfg.taker_rate_per_min) * 60_000)
        while self._next_taker_ms <= now_ms:
            self._next_taker_ms += max(1, int(self.rng.expovariate(cfg.taker_rate_per_min) * 60_000))
            self._take(spec, now_ms)

    def _take(self, spec: MarketSpec, now_ms: int) -> None:
        cfg = self.config
        book = self.clob.markets[spec.condition_id].book
        bid, ask = book.best_bid(), book.best_ask()
        size_f = self.rng.uniform(cfg.taker_size_min, cfg.taker_size_max)
        size = max(int(size_f * 100), 500) * 10_000
        if self.rng.random() < cfg.informed_share:
            fair = self._fair(spec, now_ms, now_ms, self.taker_vol.sigma(now_ms))
            if fair is None:
                return
            edge = int(cfg.informed_edge * ONE)
            if ask is not None and fair * ONE > ask + edge:
                token, price = UP, ask
            elif bid is not None and fair * ONE < bid - edge:
                token, price = DOWN, ONE - bid
            else:
                return
        else:
            if self.rng.random() < 0.5:
                if ask is None:
                    return
                token, price = UP, ask
            else:
                if bid is None:
                    return
                token, price = DOWN, ONE - bid
        req = OrderRequest(order_id=self._id(), owner=self.TAKER_KEY, holder=self.TAKER, maker_address=self.TAKER,
                           token_id=spec.token_ids()[token], side=BUY, price_u=price, size_u=size, order_type="FAK")
        self.clob.place(req, now_ms)
