"""Decision step benchmark: context build + risk + strategy + clamp + reconcile, per step.

Plain script: prints `name | value unit | target` lines. The state is a booted trader with two
working quotes and some inventory; the fair value wanders so some steps re-quote (cancel + place)
and most keep the quotes (the common case at 50 Hz).
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services" / "polymarket_trader" / "tests"))

from trader_testkit.builders import a_bbo, a_fill, a_submit, a_user_trade, an_ack, at, boot_events  # noqa: E402
from trader_testkit.harness import CoreHarness  # noqa: E402

from polymarket_trader.core.events import Token  # noqa: E402


def _row(name: str, value: float, unit: str, target: str) -> dict[str, Any]:
    print(f"{name} | {value:,.2f} {unit} | {target}")
    return {"name": name, "value": round(value, 3), "unit": unit, "target": target}


def bench_step(n: int = 20_000) -> list[dict[str, Any]]:
    h = CoreHarness(now_ms=at(1))
    h.feed_all(boot_events(ts=at(1)))
    h.feed(a_submit("0xinv", size=12, ts=at(1)), an_ack("0xinv", ts=at(1)),
           a_user_trade(a_fill("0xinv", size=12), ts=at(1)))
    h.fresh_snapshot(0.55)
    h.feed(a_bbo(Token.UP, 0.45, 0.65, ts=at(1)), a_bbo(Token.DOWN, 0.35, 0.55, ts=at(1)))
    rng = random.Random(5)
    p = 0.55
    lat = []
    cpu = []
    acted = 0
    for _ in range(n):
        h.clock.advance(20)
        p = min(0.8, max(0.3, p + rng.gauss(0, 0.002)))
        h.fresh_snapshot(p)
        t0, c0 = time.perf_counter_ns(), time.thread_time_ns()
        actions = h.loop.step(h.loop.build_context(h.state, h.snapshot))
        lat.append(time.perf_counter_ns() - t0)
        cpu.append(time.thread_time_ns() - c0)
        if actions:
            acted += 1
            h.echo(actions)
    lat.sort()
    cpu.sort()
    return [_row("decision step p50", lat[n // 2] / 1000, "us", "< 200"),
            _row("decision step p99 (wall; includes the OS preempting us on a busy host)", lat[int(n * 0.99)] / 1000,
                 "us", "< 200"),
            _row("decision step p99 (thread CPU time)", cpu[int(n * 0.99)] / 1000, "us", "< 200"),
            _row("steps that sent actions", 100 * acted / n, "%", "(churn; replace_min_ticks/age)")]


def main() -> list[dict[str, Any]]:
    return bench_step()


if __name__ == "__main__":
    main()
