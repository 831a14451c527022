"""The market tape: a time-ordered list of BTCUSDT trades and top-of-book quotes.

In: real candles (`history.Candle`) expanded deterministically into trades and quotes, or the real
46 s trade file with its recorded quotes. Out: a `Tape` that the Binance stand-in streams, the
Polymarket venue's background participants follow (the same price path the pricer sees), and the
backtest replays. Klines are always re-aggregated from the tape's own trades (`klines`), so what
the stand-in streams and what its REST klines answer can never disagree.

Expansion (`tape_from_candles`): each candle becomes a few dozen to a few hundred trades whose
first trade is at or after the candle's open time and prints the open, which touch the high and
the low, and whose last trade prints the close; in between, a seeded Brownian bridge through the
ordered extremes, clamped to [low, high]. Volumes are split in integer units of 1e-8 BTC so the
re-aggregated volume equals the candle's exactly. Each candle draws from its own seeded generator,
so the same minute expands the same way whatever range it is part of; same seed, same tape.
"""

from __future__ import annotations

import bisect
import heapq
import math
import operator
import random
from array import array
from collections.abc import Iterable, Sequence

import msgspec

from hourmm_sim.history import Candle, RecordedQuote, RecordedTrade, load_quotes, load_trades
from hourmm_sim.klines import (
    CENTS_PER_USDT,
    QTY_UNITS_PER_BTC,
    Kline,
    KlineAccumulator,
    TradeRun,
    to_cents,
    to_qty_units,
)

MINUTE_MS = 60_000


class TapeTrade(msgspec.Struct, frozen=True, kw_only=True):
    """A spot trade: `is_buyer_maker` true means the seller took liquidity (a down-tick)."""

    ts_ms: int
    trade_id: int
    price: float
    qty: float
    is_buyer_maker: bool


class TapeQuote(msgspec.Struct, frozen=True, kw_only=True):
    """A top-of-book update (Binance spot `bookTicker`: keyed by `update_id`, no event time)."""

    ts_ms: int
    update_id: int
    bid: float
    bid_qty: float
    ask: float
    ask_qty: float


TapeEvent = TapeTrade | TapeQuote


class Tape:
    """Immutable time-ordered events with binary-search access by time.

    `index_at(ts)` is the number of events at or before `ts`: the position of the first event a
    streamer has not yet sent when the clock reads `ts`.
    """

    def __init__(self, events: Iterable[TapeEvent]) -> None:
        self.events: tuple[TapeEvent, ...] = tuple(events)
        self._ts = [e.ts_ms for e in self.events]
        if any(b < a for a, b in zip(self._ts, self._ts[1:], strict=False)):
            raise ValueError("tape events must be in non-decreasing time order")
        self.trades: tuple[TapeTrade, ...] = tuple(e for e in self.events if isinstance(e, TapeTrade))
        self._trade_ts = [t.ts_ms for t in self.trades]
        self.quotes: tuple[TapeQuote, ...] = tuple(e for e in self.events if isinstance(e, TapeQuote))
        self._quote_ts = [q.ts_ms for q in self.quotes]
        # Integer columns of the trades (cents, 1e-8 BTC units, taker-buy units; 24 bytes a trade)
        # so that a kline over many trades sums in C, exactly.
        self._cents = array("q", (to_cents(t.price) for t in self.trades))
        self._units = array("q", (to_qty_units(t.qty) for t in self.trades))
        self._taker_units = array("q", (0 if t.is_buyer_maker else u for t, u in zip(self.trades, self._units, strict=True)))

    def __len__(self) -> int:
        return len(self.events)

    @property
    def start_ms(self) -> int:
        return self._ts[0] if self._ts else 0

    @property
    def end_ms(self) -> int:
        return self._ts[-1] if self._ts else 0

    def index_at(self, ts_ms: int) -> int:
        return bisect.bisect_right(self._ts, ts_ms)

    def events_between(self, start_ms: int, end_ms: int) -> Sequence[TapeEvent]:
        """Events with `start_ms <= ts_ms < end_ms`."""
        return self.events[bisect.bisect_left(self._ts, start_ms) : bisect.bisect_left(self._ts, end_ms)]

    def trades_between(self, start_ms: int, end_ms: int) -> Sequence[TapeTrade]:
        """Trades with `start_ms <= ts_ms < end_ms`."""
        lo = bisect.bisect_left(self._trade_ts, start_ms)
        return self.trades[lo : bisect.bisect_left(self._trade_ts, end_ms)]

    def price_at(self, ts_ms: int) -> float | None:
        """Last trade price at or before `ts_ms`; None before the first trade."""
        i = bisect.bisect_right(self._trade_ts, ts_ms)
        return self.trades[i - 1].price if i else None

    def quote_at(self, ts_ms: int) -> TapeQuote | None:
        """The top of book at `ts_ms`: the last quote at or before it; None before the first."""
        i = bisect.bisect_right(self._quote_ts, ts_ms)
        return self.quotes[i - 1] if i else None

    def trade_index_at(self, ts_ms: int) -> int:
        """The number of trades at or before `ts_ms`."""
        return bisect.bisect_right(self._trade_ts, ts_ms)

    def trade_run(self, lo: int, hi: int) -> TradeRun:
        """Exact totals of `trades[lo:hi]` (non-empty)."""
        prices, units, taker = self._cents[lo:hi], self._units[lo:hi], self._taker_units[lo:hi]
        return TradeRun(
            count=hi - lo, first_id=self.trades[lo].trade_id, last_id=self.trades[hi - 1].trade_id,
            open_cents=prices[0], high_cents=max(prices), low_cents=min(prices), close_cents=prices[-1],
            units=sum(units), quote=sum(map(operator.mul, prices, units)),
            taker_units=sum(taker), taker_quote=sum(map(operator.mul, prices, taker)),
        )

    def kline(self, interval_ms: int, open_time_ms: int, *, up_to_ms: int | None = None) -> Kline | None:
        """The kline of [open_time_ms, open_time_ms + interval_ms) from the tape's trades.

        With `up_to_ms` inside the interval the kline is partial (trades at or before `up_to_ms`,
        `closed=False`). An interval without trades carries the previous close with zero volume,
        as Binance does; None if it opens after `up_to_ms` or there is no price at all yet.
        """
        close_time_ms = open_time_ms + interval_ms - 1
        if up_to_ms is not None and up_to_ms < open_time_ms:
            return None
        last_ms = close_time_ms if up_to_ms is None else min(close_time_ms, up_to_ms)
        acc = KlineAccumulator(interval_ms, open_time_ms, prev_close=self.price_at(open_time_ms - 1))
        lo = bisect.bisect_left(self._trade_ts, open_time_ms)
        hi = bisect.bisect_left(self._trade_ts, last_ms + 1)
        if hi > lo:
            acc.add_range(self.trade_run(lo, hi))
        if not acc.has_price():
            return None
        return acc.snapshot(closed=last_ms == close_time_ms)


class _Sides(msgspec.Struct, kw_only=True):
    """Mutable carry-over between candles: ids and the last printed price and side."""

    trade_id: int
    update_id: int
    last_cents: int | None = None
    last_buyer_maker: bool = False


def minute_path(o: int, h: int, low: int, c: int, n: int, rng: random.Random) -> list[int]:
    """`n` (>= 4) integer prices: first `o`, last `c`, touching `h` and `low`, inside [low, h].

    The two extremes are pinned at random interior positions in an order drawn with a bias from
    the candle's direction (an up candle more often dips first); a Brownian bridge joins the pins.
    """
    if n < 4:
        raise ValueError("a candle path needs at least 4 trades")
    if not low <= min(o, c) <= max(o, c) <= h:
        raise ValueError(f"inconsistent candle o={o} h={h} l={low} c={c} (cents)")
    p_low_first = 0.5 + 0.25 * ((c > o) - (c < o))
    first, second = (low, h) if rng.random() < p_low_first else (h, low)
    i1, i2 = sorted(rng.sample(range(1, n - 1), 2))
    pins = ((0, o), (i1, first), (i2, second), (n - 1, c))
    sigma = max(1.0, (h - low) / math.sqrt(n))
    path = [0] * n
    for (a, va), (b, vb) in zip(pins, pins[1:], strict=False):
        path[a] = va
        steps = b - a
        walk = 0.0
        drift = (vb - va) / steps
        walks = []
        for _ in range(steps):
            walk += rng.gauss(0.0, sigma)
            walks.append(walk)
        end_walk = walks[-1]
        for k in range(1, steps):
            x = va + drift * k + walks[k - 1] - end_walk * k / steps
            path[a + k] = min(h, max(low, round(x)))
    path[n - 1] = c
    return path


def _split_units(total: int, n: int, rng: random.Random) -> list[int]:
    """`n` positive integer sizes summing to `total` (zeros only if `total < n`), heavy-tailed."""
    if total < n:
        return [1] * total + [0] * (n - total)
    pareto = rng.paretovariate
    weights = [pareto(1.6) for _ in range(n)]  # trade sizes are power-law distributed
    scale = (total - n) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    sizes[max(range(n), key=weights.__getitem__)] += total - sum(sizes)
    return sizes


def _expand_candle(
    candle: Candle, interval_ms: int, n: int, rng: random.Random, carry: _Sides, out: list[TapeEvent]
) -> None:
    o, h, low, c = (to_cents(x) for x in (candle.open, candle.high, candle.low, candle.close))
    prices = minute_path(o, h, low, c, n, rng)
    uniform = rng.random
    offsets = sorted(int(uniform() * interval_ms) for _ in range(n))
    sizes = _split_units(to_qty_units(candle.volume), n, rng)
    for cents, offset, units in zip(prices, offsets, sizes, strict=True):
        ts = candle.open_time_ms + offset
        last = carry.last_cents
        if last is None or cents == last:
            maker = carry.last_buyer_maker if last is not None else uniform() < 0.5
        else:
            maker = cents < last
        price = cents / CENTS_PER_USDT
        out.append(TapeTrade(
            ts_ms=ts, trade_id=carry.trade_id, price=price, qty=units / QTY_UNITS_PER_BTC, is_buyer_maker=maker,
        ))
        carry.trade_id += 1
        carry.last_cents, carry.last_buyer_maker = cents, maker
        spread = 1 if uniform() < 0.85 else 2 + int(rng.expovariate(0.25))
        # The trade's side of the book is the trade price (the same float object: a month is big).
        bid, ask = (price, (cents + spread) / CENTS_PER_USDT) if maker else ((cents - spread) / CENTS_PER_USDT, price)
        out.append(TapeQuote(
            ts_ms=ts, update_id=carry.update_id, bid=bid, bid_qty=round(0.02 * rng.paretovariate(1.3), 5),
            ask=ask, ask_qty=round(0.02 * rng.paretovariate(1.3), 5),
        ))
        carry.update_id += 1


def tape_from_candles(
    candles: Sequence[Candle],
    *,
    seed: int,
    trades_per_minute: int = 100,
    interval_ms: int = MINUTE_MS,
    first_trade_id: int = 4_000_000_000,
    first_update_id: int = 50_000_000_000,
) -> Tape:
    """Expand candles (1m by default; 1h with `interval_ms=HOUR_MS`) into trades and quotes.

    Each candle gets between half and one and a half times `trades_per_minute` trades per minute
    of its interval (at least 4). Every trade is followed, at the same millisecond, by a quote
    with the trade on the touch: a 0.01 spread most of the time, now and then a wider one.
    """
    if trades_per_minute < 4:
        raise ValueError("trades_per_minute must be at least 4")
    per_candle = trades_per_minute * interval_ms / MINUTE_MS
    carry = _Sides(trade_id=first_trade_id, update_id=first_update_id)
    out: list[TapeEvent] = []
    previous_open = None
    for candle in candles:
        if previous_open is not None and candle.open_time_ms <= previous_open:
            raise ValueError("candles must be sorted by open time without duplicates")
        previous_open = candle.open_time_ms
        rng = random.Random(f"{seed}:{candle.open_time_ms}")
        n = max(4, int(per_candle * (0.5 + rng.random())))
        _expand_candle(candle, interval_ms, n, rng, carry, out)
    return Tape(out)


def tape_from_recorded(
    trades: Sequence[RecordedTrade] | None = None,
    quotes: Sequence[RecordedQuote] | None = None,
    *,
    first_update_id: int = 7_000_000_000,
) -> Tape:
    """The real 46 s tape: the trades file merged with the recorded top of book (trades first at ties)."""
    trades = load_trades() if trades is None else trades
    quotes = load_quotes() if quotes is None else quotes
    tape_trades = [
        TapeTrade(ts_ms=t.ts_ms, trade_id=t.trade_id, price=t.price, qty=t.qty, is_buyer_maker=t.is_buyer_maker)
        for t in trades
    ]
    tape_quotes = [
        TapeQuote(ts_ms=q.ts_ms, update_id=first_update_id + i, bid=q.bid, bid_qty=q.bid_qty, ask=q.ask,
                  ask_qty=q.ask_qty)
        for i, q in enumerate(quotes)
    ]
    merged: Iterable[TapeEvent] = heapq.merge(tape_trades, tape_quotes, key=lambda e: e.ts_ms)
    return Tape(merged)
