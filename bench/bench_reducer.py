"""Trader reducer + journal benchmarks. Plain script: prints `name | value unit | target` lines.

- reduce: pure fold throughput and per-event latency (p50 / p99) over a realistic random stream
  (market data, submits, acks, fills with status changes and failures, cancels, reconnects);
- durable events/s: journal + fold through `StateReducer.fold` with group commit (one transaction
  per batch of 512) beside one commit per event, in WAL mode with synchronous=NORMAL;
- replay: rebuild the state from a journal of 1M events (`restore`: load, crc-check, decode, fold);
- journal growth at production rates: one simulated hour of the pricer's 50 Hz snapshots (the
  fair value of a BTC path with 1-minute volatility 0.05 %, through the poller's journaling rule),
  10 book updates/s, 4 reducer ticks/s and an order event a second, written to a real journal:
  its bytes per hour, next to journaling every snapshot; and the file bound under retention.
"""

from __future__ import annotations

import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services" / "polymarket_trader" / "tests"))

from trader_testkit.builders import a_snapshot, at  # noqa: E402
from trader_testkit.fakes import RecordingSink  # noqa: E402
from trader_testkit.random_events import random_events  # noqa: E402

import polymarket_trader.core.events as E  # noqa: E402
from hourmm_common.clock import ManualClock  # noqa: E402
from hourmm_common.logs import configure_logging  # noqa: E402
from polymarket_trader.core.reducer import reduce  # noqa: E402
from polymarket_trader.core.state import CanonicalState  # noqa: E402
from polymarket_trader.journal_sqlite import EventJournalSQLite  # noqa: E402
from polymarket_trader.snapshot_poller import worth_journaling  # noqa: E402
from polymarket_trader.state_reducer import StateReducer, restore  # noqa: E402

# A real hour is mostly market data: 50 Hz snapshots and book updates; orders, acks, fills and
# cancels are about one event in ten (the random stream's order events include duplicates,
# out-of-order trade reports and FAILED trades).
ORDER_SHARE = 0.10


def _row(name: str, value: float, unit: str, target: str) -> dict[str, Any]:
    print(f"{name} | {value:,.2f} {unit} | {target}")
    return {"name": name, "value": round(value, 3), "unit": unit, "target": target}


def bench_reduce(n: int = 200_000) -> list[dict[str, Any]]:
    events = list(random_events(n, seed=1, order_share=ORDER_SHARE))
    state = CanonicalState()
    lat = []
    clock = time.thread_time_ns  # CPU time of this thread: the host may be shared; preemption is not ours
    t0, c0 = time.perf_counter(), time.process_time()
    for ev in events:
        a = clock()
        state, _ = reduce(state, ev)
        lat.append(clock() - a)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    lat.sort()
    return [_row("reduce throughput", n / dt, "events/s", ">= 100000"),
            _row("  same, per CPU second", n / cpu, "events/s", ">= 100000"),
            _row("reduce p50 latency (thread CPU time)", lat[n // 2] / 1000, "us", "< 20"),
            _row("reduce p99 latency (thread CPU time)", lat[int(n * 0.99)] / 1000, "us", "< 50")]


def bench_durable(tmp: Path, n: int = 100_000, single: int = 5_000) -> list[dict[str, Any]]:
    events = list(random_events(n, seed=2, order_share=ORDER_SHARE))
    r = StateReducer(EventJournalSQLite(tmp / "group.db"), CanonicalState(), RecordingSink(), ManualClock(0),
                     snapshot_every=10_000)
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, n, 512):
        r.fold(events[i:i + 512])
    group, group_cpu = n / (time.perf_counter() - t0), n / (time.process_time() - c0)
    r1 = StateReducer(EventJournalSQLite(tmp / "single.db"), CanonicalState(), RecordingSink(), ManualClock(0),
                      snapshot_every=10_000)
    t0 = time.perf_counter()
    for ev in events[:single]:
        r1.fold([ev])
    one = single / (time.perf_counter() - t0)
    return [_row("durable journal+reduce, group commit (512/txn)", group, "events/s", ">= 100000"),
            _row("  same, per CPU second (process time; the host may be shared)", group_cpu, "events/s", ">= 100000"),
            _row("durable journal+reduce, one commit per event", one, "events/s", "(baseline)")]


def bench_replay(tmp: Path, n: int = 1_000_000) -> list[dict[str, Any]]:
    j = EventJournalSQLite(tmp / "replay.db")
    batch: list[Any] = []
    for ev in random_events(n, seed=3, order_share=ORDER_SHARE):
        batch.append(ev)
        if len(batch) == 10_000:
            j.append_batch(batch)
            batch = []
    if batch:
        j.append_batch(batch)
    t0, c0 = time.perf_counter(), time.process_time()
    state, report = restore(j, CanonicalState())
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert report.replayed == n and state.seq == n
    return [_row("journal replay of 1M events (no snapshot)", dt, "s", "< 10"),
            _row("  same, CPU seconds (process time)", cpu, "s", "< 10")]


def bench_order_heavy(n: int = 50_000) -> list[dict[str, Any]]:
    """Only order/fill traffic: the expensive events on their own."""
    events = list(random_events(n, seed=4, order_share=1.0))
    state = CanonicalState()
    lat = []
    for ev in events:
        a = time.thread_time_ns()
        state, _ = reduce(state, ev)
        lat.append(time.thread_time_ns() - a)
    lat.sort()
    return [_row("reduce p99 latency, order/fill events only", lat[int(n * 0.99)] / 1000, "us", "< 50")]


def _production_hour(thin: bool, seconds: int = 3_600) -> list[Any]:
    """One hour of journal input at production rates (see the module docstring)."""
    rng = random.Random(11)
    h0 = at(0)
    events: list[Any] = []
    log_s, sigma_min = 0.0, 0.0005
    sent: Any = None
    sent_ms = 0
    others = (e for e in random_events(seconds * 4, seed=12, order_share=1.0)
              if not isinstance(e, E.BinanceSnapshotEvent | E.MarketBboEvent))  # orders, acks, fills, cancels
    for k in range(seconds * 50):
        now = h0 + 20 * k
        log_s += rng.gauss(0.0, sigma_min * math.sqrt(20 / 60_000))
        left_min = max(1e-3, (3_600_000 - 20 * k) / 60_000)
        p = 0.5 * math.erfc(-log_s / (sigma_min * math.sqrt(left_min)) / math.sqrt(2))
        snap = a_snapshot(min(max(p, 0.001), 0.999), now_ms=now, seq=k + 1, hour_start_ms=h0)
        if not thin or worth_journaling(snap, sent, now - sent_ms, keepalive_ms=500, fair_step=0.005):
            sent, sent_ms = snap, now
            events.append(E.BinanceSnapshotEvent(ts_local_ms=now, snapshot=snap))
        if k % 5 == 0:  # 10/s book updates
            events.append(E.MarketBboEvent(ts_local_ms=now, token=E.Token.UP, best_bid_e4=4_900, best_ask_e4=5_000,
                                           bid_size_e6=1_000_000, ask_size_e6=2_000_000))
        if k % 12 == 0:  # ~4/s ticks
            events.append(E.ReducerTickEvent(ts_local_ms=now, now_ms=now))
        if k % 50 == 0:  # an order event a second
            events.append(next(others))
    return events


def bench_journal_growth(tmp: Path) -> list[dict[str, Any]]:
    rows = []
    sizes = {}
    for thin in (True, False):
        events = _production_hour(thin)
        path = tmp / f"growth-{thin}.db"
        j = EventJournalSQLite(path)
        for i in range(0, len(events), 512):
            j.append_batch(events[i:i + 512])
        j.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sizes[thin] = path.stat().st_size
        snaps = sum(isinstance(e, E.BinanceSnapshotEvent) for e in events)
        label = "journaling rule" if thin else "every snapshot (before)"
        rows.append(_row(f"journal growth per production hour, {label}", sizes[thin] / 1e6, "MB/h",
                         "< 20" if thin else "(baseline)"))
        rows.append(_row(f"  snapshots journaled, {label}", snaps / 3_600, "per s", "< 10" if thin else "50"))
        j.close()
    rows.append(_row("  ratio, every snapshot / journaling rule", sizes[False] / sizes[True], "x", ">= 3"))
    per_event = sizes[True] / len(_production_hour(True, seconds=60)) / 60
    bound = (100_000 + 2 * 1_000) * per_event  # 100k retained before the older of two snapshots 1k apart
    rows.append(_row("  file bound under retention (JOURNAL_RETAIN_EVENTS=100000)", bound / 1e6, "MB", "< 200"))
    return rows


def main() -> list[dict[str, Any]]:
    configure_logging("ERROR", service="bench")
    rows = bench_reduce() + bench_order_heavy()
    with tempfile.TemporaryDirectory() as d:
        rows += bench_durable(Path(d))
        rows += bench_replay(Path(d))
        rows += bench_journal_growth(Path(d))
    return rows


if __name__ == "__main__":
    main()
