"""What a backtest measured: our fills, their markouts, PnL per hour, inventory, fees, modes.

In: the venue's trade events (our side of each is found by our API key), the book's mid sampled
at every step, the trader's mode at every step, each hour's winner. Out: `HourResult`s and a
`RunResult`, frozen and plain (the report and the sweep read them, a test compares two runs bit
for bit). Pure: no clock, no IO. Amounts are micro pUSD and micro shares, as in the venue.

Conventions: a fill's `up_delta_u` is its change of our net Up exposure (BUY Up or SELL Down: +,
SELL Up or BUY Down: -); `cash_u` is what it did to our pUSD (fees included). The hour's PnL is
cash plus 1 pUSD per winning share held at resolution. Adverse selection at horizon h is the
size-weighted mean of `sign * (mid(t + h) - mid(t-))`, the book's move after our fill in the
direction of our new exposure (negative = we were picked off); fills too close to the market's
close for the horizon are left out of that horizon.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import msgspec

from hourmm_sim.polymarket.clob_events import MarketSpec, TradeEvent, VenueEvent
from hourmm_sim.polymarket.clob_rules import taker_fee_u
from hourmm_sim.polymarket.matching import BUY, UP
from hourmm_sim.polymarket.units import ONE, mul_units

HORIZONS_MS: tuple[int, ...] = (1_000, 10_000, 60_000)


class FillRecord(msgspec.Struct, frozen=True, kw_only=True):
    trade_id: str
    order_id: str
    ts_ms: int
    market: str
    role: str  # maker | taker
    token: int
    side: int
    price_u: int
    size_u: int
    fee_u: int
    up_delta_u: int
    cash_u: int

    @property
    def up_price_u(self) -> int:
        return self.price_u if self.token == UP else ONE - self.price_u


class Sample(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    """Once a simulated minute: the pricer's fair value, the book's mid and our net Up exposure."""

    ts_ms: int
    fair: float | None
    mid_u: int | None
    net_up_u: int


class HourResult(msgspec.Struct, frozen=True, kw_only=True):
    hour_start_ms: int
    market: str
    winner: int | None
    fills: int
    maker_fills: int
    volume_u: int  # shares traded
    fees_u: int
    cash_u: int
    up_shares_u: int  # held at the close
    down_shares_u: int
    pnl_u: int  # cash + payout (payout 0 while unresolved)
    adverse_u: dict[int, float]  # horizon ms -> size-weighted signed mid move (micro pUSD / share)
    adverse_n: dict[int, int]
    mode_ms: dict[str, int]


class RunResult(msgspec.Struct, frozen=True, kw_only=True):
    hours: tuple[HourResult, ...]
    total_pnl_u: int
    total_fills: int
    total_fees_u: int
    adverse_u: dict[int, float]
    mode_ms: dict[str, int]
    decisions: int
    ledger_pnl_u: int = 0  # the venue's own books: our pUSD at the end minus the deposit (a cross-check)
    alerts: dict[str, int] = {}
    timeline: tuple[Sample, ...] = ()
    wall_s: float = 0.0  # filled in by the runner; these two are excluded from determinism checks
    cpu_s: float = 0.0  # process CPU time: "on one core", whatever else the machine is doing


def our_fills(ev: TradeEvent, api_key: str, spec: MarketSpec) -> list[FillRecord]:
    """Our legs of a trade (as taker, and/or as one or more makers)."""
    t = ev.trade
    out: list[FillRecord] = []
    if t.taker_owner == api_key:
        fee = taker_fee_u(t.size_u, t.price_u, spec.fee_rate_e5, spec.fee_exponent)
        out.append(_fill(t.trade_id, t.taker_order_id, ev.ts_ms, t.market, "taker", t.token, t.side,
                         t.price_u, t.size_u, fee))
    for m in t.makers:
        if m.owner == api_key:
            out.append(_fill(t.trade_id, m.order_id, ev.ts_ms, t.market, "maker", m.token, m.side,
                             m.price_u, m.matched_u, 0))
    return out


def _fill(trade_id: str, order_id: str, ts_ms: int, market: str, role: str, token: int, side: int,
          price_u: int, size_u: int, fee_u: int) -> FillRecord:
    notional = mul_units(size_u, price_u)
    up_delta = size_u if (token == UP) == (side == BUY) else -size_u
    cash = (-notional if side == BUY else notional) - fee_u
    return FillRecord(trade_id=trade_id, order_id=order_id, ts_ms=ts_ms, market=market, role=role, token=token,
                      side=side, price_u=price_u, size_u=size_u, fee_u=fee_u, up_delta_u=up_delta, cash_u=cash)


class MetricsRecorder:
    """Collects fills, mids and modes while the backtest runs; `result()` summarises."""

    def __init__(self, api_key: str, specs: Iterable[MarketSpec]) -> None:
        self.api_key = api_key
        self.specs = {s.condition_id: s for s in specs}
        self.fills: dict[tuple[str, str], FillRecord] = {}  # (trade id, order id): counted once
        self._mid_t: dict[str, list[int]] = {m: [] for m in self.specs}
        self._mid_v: dict[str, list[int]] = {m: [] for m in self.specs}
        self._mode_ms: dict[str, dict[str, int]] = {m: {} for m in self.specs}
        self.winners: dict[str, int] = {}
        self.decisions = 0
        self.timeline: list[Sample] = []

    def on_venue_events(self, events: Iterable[VenueEvent]) -> None:
        for ev in events:
            if type(ev) is TradeEvent:
                spec = self.specs.get(ev.trade.market)
                if spec is None:
                    continue
                if ev.trade.status == "FAILED":  # the trade never happened: take our legs back out
                    for key in [k for k in self.fills if k[0] == ev.trade.trade_id]:
                        del self.fills[key]
                    continue
                for f in our_fills(ev, self.api_key, spec):
                    self.fills.setdefault((f.trade_id, f.order_id), f)

    def on_step(self, now_ms: int, active_market: str | None, mid_u: int | None, mode: str, step_ms: int) -> None:
        """One step's sample: the book's mid, and the mode (counted only inside the market's hour)."""
        spec = self.specs.get(active_market) if active_market is not None else None
        if spec is None:
            return
        if mid_u is not None:
            self._mid_t[spec.condition_id].append(now_ms)
            self._mid_v[spec.condition_id].append(mid_u)
        if spec.start_ms <= now_ms < spec.end_ms:
            modes = self._mode_ms[spec.condition_id]
            modes[mode] = modes.get(mode, 0) + step_ms

    def on_minute(self, now_ms: int, fair: float | None, mid_u: int | None, net_up_u: int) -> None:
        self.timeline.append(Sample(ts_ms=now_ms, fair=fair, mid_u=mid_u, net_up_u=net_up_u))

    def on_resolved(self, market: str, winner: int) -> None:
        self.winners[market] = winner

    def mid_before(self, market: str, ts_ms: int) -> int | None:
        times = self._mid_t[market]
        i = bisect.bisect_left(times, ts_ms)
        return self._mid_v[market][i - 1] if i else None

    def mid_at(self, market: str, ts_ms: int) -> int | None:
        times = self._mid_t[market]
        i = bisect.bisect_right(times, ts_ms)
        return self._mid_v[market][i - 1] if i else None

    def _adverse(self, fills: list[FillRecord], end_ms: int) -> tuple[dict[int, float], dict[int, int], dict[int, int]]:
        sums: dict[int, float] = {h: 0.0 for h in HORIZONS_MS}
        sizes: dict[int, int] = {h: 0 for h in HORIZONS_MS}
        counts: dict[int, int] = {h: 0 for h in HORIZONS_MS}
        for f in fills:
            before = self.mid_before(f.market, f.ts_ms)
            if before is None:
                continue
            sign = 1 if f.up_delta_u > 0 else -1
            for h in HORIZONS_MS:
                if f.ts_ms + h >= end_ms:
                    continue
                after = self.mid_at(f.market, f.ts_ms + h)
                if after is None:
                    continue
                sums[h] += sign * (after - before) * f.size_u
                sizes[h] += f.size_u
                counts[h] += 1
        return sums, sizes, counts

    def _by_market(self) -> dict[str, list[FillRecord]]:
        out: dict[str, list[FillRecord]] = {m: [] for m in self.specs}
        for f in sorted(self.fills.values(), key=lambda f: (f.ts_ms, f.trade_id, f.order_id)):
            out[f.market].append(f)
        return out

    def hour_result(self, spec: MarketSpec, fills: list[FillRecord] | None = None) -> HourResult:
        if fills is None:
            fills = self._by_market()[spec.condition_id]
        up = sum(f.size_u for f in fills if f.token == UP and f.side == BUY) - \
            sum(f.size_u for f in fills if f.token == UP and f.side != BUY)
        down = sum(f.size_u for f in fills if f.token != UP and f.side == BUY) - \
            sum(f.size_u for f in fills if f.token != UP and f.side != BUY)
        cash = sum(f.cash_u for f in fills)
        winner = self.winners.get(spec.condition_id)
        payout = 0 if winner is None else (up if winner == UP else down)
        sums, sizes, counts = self._adverse(fills, spec.end_ms)
        return HourResult(
            hour_start_ms=spec.start_ms, market=spec.condition_id, winner=winner, fills=len(fills),
            maker_fills=sum(1 for f in fills if f.role == "maker"), volume_u=sum(f.size_u for f in fills),
            fees_u=sum(f.fee_u for f in fills), cash_u=cash, up_shares_u=up, down_shares_u=down,
            pnl_u=cash + payout, adverse_u={h: sums[h] / sizes[h] if sizes[h] else 0.0 for h in HORIZONS_MS},
            adverse_n=counts, mode_ms=dict(sorted(self._mode_ms[spec.condition_id].items())),
        )

    def result(self) -> RunResult:
        groups = self._by_market()
        specs = sorted(self.specs.values(), key=lambda s: s.start_ms)
        hours = tuple(self.hour_result(s, groups[s.condition_id]) for s in specs)
        sums: dict[int, float] = {h: 0.0 for h in HORIZONS_MS}
        sizes: dict[int, int] = {h: 0 for h in HORIZONS_MS}
        for spec in specs:
            s, z, _ = self._adverse(groups[spec.condition_id], spec.end_ms)
            for h in HORIZONS_MS:
                sums[h] += s[h]
                sizes[h] += z[h]
        modes: dict[str, int] = {}
        for hour in hours:
            for k, v in hour.mode_ms.items():
                modes[k] = modes.get(k, 0) + v
        return RunResult(
            hours=hours, total_pnl_u=sum(h.pnl_u for h in hours), total_fills=sum(h.fills for h in hours),
            total_fees_u=sum(h.fees_u for h in hours),
            adverse_u={h: sums[h] / sizes[h] if sizes[h] else 0.0 for h in HORIZONS_MS},
            mode_ms=dict(sorted(modes.items())), decisions=self.decisions, timeline=tuple(self.timeline),
        )
