"""One backtest: real candles -> tape -> pricer core -> trader core <-> venue, on a simulated clock.

Time advances in fixed steps (`step_ms`). At each step, in this order: the scheduler's events
(market selected ahead of its hour, roll-over at the hour, close at its end), the venue's
background participants and timers, the venue's records to the trader, a fresh pricer snapshot
(its event also advances the reducer's clock, as a tick would), one decision (its orders go straight to the venue), the venue's answers to
those, and the metrics sample. Nothing reads the wall clock except the progress line, so the same
inputs and seed give the same `RunResult` bit for bit.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence

import msgspec

from hourmm_common.hours import HOUR_MS, MINUTE_MS
from hourmm_lab.backtest.metrics import MetricsRecorder, RunResult
from hourmm_lab.backtest.pricer_feed import PricerReplay
from hourmm_lab.backtest.trader_loop import BacktestTrader, TraderParams
from hourmm_lab.backtest.translate import market_info, to_core_events
from hourmm_lab.backtest.venue import TRADER_ADDRESS, TRADER_KEY, VenueParams, VenueSim, sigma_per_sqrt_hour
from hourmm_sim.history import Candle, candles_between
from hourmm_sim.polymarket.clob_events import ResolvedEvent, VenueEvent
from hourmm_sim.polymarket.ledger import PUSD
from hourmm_sim.polymarket.units import ONE
from hourmm_sim.tape import tape_from_candles
from polymarket_trader.core.events import (
    BinanceSnapshotEvent,
    Event,
    MarketSelected,
    MarketStatus,
    MarketStatusEvent,
    SessionRolloverEvent,
)

Progress = Callable[[int, int, float], None]  # (hours done, hours total, wall seconds)


class BacktestConfig(msgspec.Struct, frozen=True, kw_only=True):
    start_ms: int  # first hour (inclusive), on the hour
    end_ms: int  # last hour's end (exclusive), on the hour
    seed: int = 7
    step_ms: int = 250
    # Dense enough that a silent gap over the pricer's stale threshold (3 s) is rare, as on Binance.
    trades_per_minute: int = 200
    warmup_min: int = 240  # minute closes before the start that warm the pricer's volatility
    select_ahead_ms: int = 5 * MINUTE_MS  # the next hour's market is known this long before it starts
    trader: TraderParams = TraderParams()
    venue: VenueParams = VenueParams()

    def hour_starts(self) -> list[int]:
        return list(range(self.start_ms, self.end_ms, HOUR_MS))


def check_config(cfg: BacktestConfig, candles: Sequence[Candle]) -> list[str]:
    problems = []
    if cfg.start_ms % HOUR_MS or cfg.end_ms % HOUR_MS:
        problems.append("--from and --to must be whole hours")
    if cfg.end_ms <= cfg.start_ms:
        problems.append("--to must be after --from")
    if not 10 <= cfg.step_ms <= 5_000:
        problems.append("step must be within 10..5000 ms")
    if candles and (cfg.start_ms - MINUTE_MS < candles[0].open_time_ms or cfg.end_ms > candles[-1].open_time_ms + MINUTE_MS):
        problems.append("the data file does not cover --from - 1 min .. --to")
    return problems


def run_backtest(cfg: BacktestConfig, candles: Sequence[Candle], progress: Progress | None = None) -> RunResult:
    t0, c0 = time.perf_counter(), time.process_time()
    lead_ms = MINUTE_MS  # the run starts one candle early: the first hour's open is then proven by trades
    tape = tape_from_candles(candles_between(candles, cfg.start_ms - lead_ms, cfg.end_ms), seed=cfg.seed,
                             trades_per_minute=cfg.trades_per_minute)
    warm = [c.close for c in candles_between(candles, cfg.start_ms - lead_ms - cfg.warmup_min * MINUTE_MS,
                                             cfg.start_ms - lead_ms)]
    venue_params = cfg.venue
    sigma = sigma_per_sqrt_hour(warm)
    if sigma is not None:  # the rest of the market prices with the vol of the days before
        venue_params = msgspec.structs.replace(venue_params, participants=msgspec.structs.replace(
            venue_params.participants, sigma_per_sqrt_hour=sigma))
    hours = cfg.hour_starts()
    venue = VenueSim(tape, hours, cfg.seed, venue_params)
    pricer = PricerReplay(tape, cfg.start_ms - lead_ms, warm)
    metrics = MetricsRecorder(TRADER_KEY, venue.specs.values())
    now = cfg.start_ms - lead_ms

    def translate(records: list[VenueEvent]) -> list[Event]:
        """Record what the venue did, and turn it into what our websockets would deliver."""
        metrics.on_venue_events(records)
        active = trader.state.active_market
        cid = None if active is None else active.condition_id
        events: list[Event] = []
        for rec in records:
            if type(rec) is ResolvedEvent:
                metrics.on_resolved(rec.market, rec.winner)
            events += to_core_events(rec, venue.clob, TRADER_KEY, cid, now)
        return events

    trader = BacktestTrader(venue.clob, cfg.trader, address=TRADER_ADDRESS, api_key=TRADER_KEY, seed=cfg.seed,
                            venue_sink=translate)
    schedule = _schedule(cfg, venue)
    stop = cfg.end_ms + venue_params.clob.resolve_delay_ms + cfg.step_ms
    done = 0

    while now < stop:
        while schedule and schedule[0][0] <= now:
            trader.apply([schedule.pop(0)[1]])
        trader.apply(translate(venue.step(now)))
        snapshot = pricer.snapshot(now)
        trader.apply([BinanceSnapshotEvent(ts_local_ms=now, snapshot=snapshot)])  # also the reducer's tick
        trader.decide(now, snapshot)  # its requests' venue records are delivered as they happen
        active = trader.state.active_market
        cid = None if active is None else active.condition_id
        mid = None if cid is None else venue.mid_u(cid)
        metrics.on_step(now, cid, mid, trader.state.risk_mode.value, cfg.step_ms)
        if now % MINUTE_MS == 0:
            metrics.on_minute(now, snapshot.p_yes_fair, mid, trader.state.positions.net_up_e6)
        now += cfg.step_ms
        finished = min(len(hours), max(0, (now - cfg.start_ms) // HOUR_MS))
        if progress is not None and finished != done:
            done = finished
            progress(done, len(hours), time.perf_counter() - t0)
    metrics.decisions = trader.decisions
    deposit = round(venue_params.trader_funds_pusd * ONE)
    ledger_pnl = venue.clob.ledger.total(TRADER_ADDRESS, PUSD) - deposit
    return msgspec.structs.replace(metrics.result(), ledger_pnl_u=ledger_pnl, alerts=dict(sorted(trader.alerts.items())),
                                   wall_s=time.perf_counter() - t0, cpu_s=time.process_time() - c0)


def _schedule(cfg: BacktestConfig, venue: VenueSim) -> list[tuple[int, Event]]:
    """What the market scheduler would tell the trader, and when."""
    out: list[tuple[int, Event]] = []
    first = True
    for start, spec in sorted(venue.specs.items()):
        info = market_info(spec, venue.clob.markets[spec.condition_id].tick_u)
        at = cfg.start_ms - MINUTE_MS if first else start - cfg.select_ahead_ms
        out.append((at, MarketSelected(ts_local_ms=at, market=info)))
        if not first:
            out.append((start, SessionRolloverEvent(ts_local_ms=start, hour_start_ms=start)))
        out.append((spec.end_ms, MarketStatusEvent(ts_local_ms=spec.end_ms, condition_id=spec.condition_id,
                                                   status=MarketStatus.CLOSED)))
        first = False
    out.sort(key=lambda item: item[0])
    return out


def progress_bar(done: int, total: int, wall_s: float) -> None:
    """A one-line progress bar on stderr with the simulated-hours-per-second rate."""
    width = 30
    filled = width * done // max(1, total)
    rate = done / wall_s if wall_s > 0 else 0.0
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} hours  {rate:.2f} h/s  "
                     f"{wall_s:.1f} s")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()
