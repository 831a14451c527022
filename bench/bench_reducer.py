"""Trader reducer + journal benchmarks. Plain script: prints `name | value unit | target` lines.

- reduce: pure fold throughput and per-event latency (p50 / p99) over a realistic random stream
  (market data, submits, acks, fills with status changes and failures, cancels, reconnects);
- durable events/s: journal + fold through `StateReducer.fold` with group commit (one transaction
  per batch of 512) beside one commit per event, in WAL mode with synchronous=NORMAL;
- replay: rebuild the state from a journal of 1M events (`restore`: load, crc-check, decode, fold).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services" / "polymarket_trader" / "tests"))

from trader_testkit.fakes import RecordingSink  # noqa: E402
from trader_testkit.random_events import random_events  # noqa: E402

from hourmm_common.clock import ManualClock  # noqa: E402
from hourmm_common.logs import configure_logging  # noqa: E402
from polymarket_trader.core.reducer import reduce  # noqa: E402
from polymarket_trader.core.state import CanonicalState  # noqa: E402
from polymarket_trader.journal_sqlite import EventJournalSQLite  # noqa: E402
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


def main() -> list[dict[str, Any]]:
    configure_logging("ERROR", service="bench")
    rows = bench_reduce() + bench_order_heavy()
    with tempfile.TemporaryDirectory() as d:
        rows += bench_durable(Path(d))
        rows += bench_replay(Path(d))
    return rows


if __name__ == "__main__":
    main()
