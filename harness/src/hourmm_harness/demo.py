"""`hourmm demo` (`make demo`): the local venue, the pricer and the trader as three separate
processes over an accelerated hour, then a summary, an HTML report and the ledger check.

In: `--hours H --speed X [--scenario FILE] [--out DIR]`. Out: a progress line while it runs, the
per-hour summary table, the report's path, and one line `ledger: MATCH` (exit 0) or
`ledger: MISMATCH ...` (exit 1) comparing the trader's positions and collateral (its `/status`)
with the venue's ledger. Exit 2 when a process fails to start or dies.

The run covers the warm-up before the first hour, H full hours (wind-down, flatten, cutoff,
settlement) and a few minutes of the next hour, so the roll to the next market is seen. The
processes are `stack.Stack`'s; what is reported comes from the outside only: the trader's
`/status` and the venue's own records (fills, ledger, order outcomes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from hourmm_common.hours import HOUR_MS, MINUTE_MS, iso_ms, parse_iso_ms
from hourmm_common.paths import repo_root
from hourmm_harness.report import (
    DemoRecord,
    ModeChange,
    OrderCounts,
    Sample,
    hour_rows,
    our_fills,
    summary_table,
    write_report,
)
from hourmm_harness.stack import BOOT_S, Stack, StartupError
from hourmm_harness.status import TraderStatus
from hourmm_sim.scenarios import load_scenario

DEFAULT_SCENARIO = Path("sim/scenarios/default.json")


def derive_scenario(source: Path, out: Path, *, hours: int, speed: float) -> tuple[Path, int, int]:
    """Write the scenario with `hours` + 1 markets (the extra one is the roll target) and `speed`;
    return (file, scenario start ms, first hour start ms)."""
    raw = json.loads(source.read_text(encoding="utf-8"))
    raw["hours"] = hours + 1
    raw["speed"] = speed
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    scenario = load_scenario(out)
    first = scenario.start_ms()
    return out, first - scenario.warmup_s * 1000, first


def status_brief(status: TraderStatus) -> str:
    """One terminal line out of the trader's `/status`."""
    fair = status.fair.p_yes_fair
    up = status.up_bbo
    pos = status.positions
    pnl = status.pnl.hour_pnl_e6

    def px(v: int | None) -> str:
        return "-" if v is None else f"{v / 10_000:.2f}"

    return (f"{status.session:<9} {status.mode:<11} "
            f"fair {'-' if fair is None else f'{fair:.3f}'} book {px(up.bid_e4)}/{px(up.ask_e4)} "
            f"orders {len(status.working_orders)} "
            f"Up {pos.up_e6 / 1e6:.0f} Down {pos.down_e6 / 1e6:.0f} "
            f"hour PnL {'-' if pnl is None else f'{pnl / 1e6:+.2f}'}")


class Collector:
    """Builds the `DemoRecord` from the trader's `/status` samples and, at the end, the venue."""

    def __init__(self, record: DemoRecord) -> None:
        self.record = record
        self._seen_changes: set[str] = set()
        self._seen_alerts: set[str] = set()
        self._first_equity: int | None = None

    def on_status(self, s: TraderStatus) -> None:
        up = s.up_bbo
        pos = s.positions
        equity = s.pnl.equity_e6
        if equity is not None and self._first_equity is None:
            self._first_equity = equity
        bids: list[float] = []
        asks: list[float] = []
        for o in s.working_orders:
            up_price = o.price_e4 / 10_000 if o.token == "UP" else 1 - o.price_e4 / 10_000
            # In Up-space: buying Up or selling Down bids; selling Up or buying Down asks.
            (bids if (o.token == "UP") == (o.side == "BUY") else asks).append(up_price)
        self.record.samples.append(Sample(
            t_ms=s.ts_ms, fair=s.fair.p_yes_fair, band_lo=s.fair.band_lo, band_hi=s.fair.band_hi,
            best_bid=None if up.bid_e4 is None else up.bid_e4 / 10_000,
            best_ask=None if up.ask_e4 is None else up.ask_e4 / 10_000,
            our_bid=max(bids) if bids else None, our_ask=min(asks) if asks else None,
            inventory_up=(pos.up_e6 - pos.down_e6) / 1e6,
            pnl_usdc=None if equity is None or self._first_equity is None else (equity - self._first_equity) / 1e6,
            risk_mode=s.mode, session=s.session))
        for change in s.recent_mode_changes:
            key = json.dumps(change, sort_keys=True)
            if key in self._seen_changes:
                continue
            self._seen_changes.add(key)
            risk = "old" in change
            self.record.mode_changes.append(ModeChange(
                t_ms=int(change.get("ts_ms", 0)), what="risk" if risk else "session",
                old=str(change.get("old" if risk else "session_old", "")),
                new=str(change.get("new" if risk else "session_new", "")), reason=str(change.get("reason", ""))))
        for alert in s.recent_alerts:
            key = json.dumps(alert, sort_keys=True)
            if key not in self._seen_alerts:
                self._seen_alerts.add(key)
                self.record.faults.append(f"{iso_ms(int(alert.get('ts_ms', 0)))[11:19]} trader alert "
                                          f"[{alert.get('severity', '')}] {alert.get('code', '')}: {alert.get('detail', '')}")


def venue_faults(log_path: Path) -> list[str]:
    """The faults the venue injected (its `fault_injected` log lines), in scenario time."""
    out = []
    with contextlib.suppress(OSError):
        for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"fault_injected"' not in line:
                continue
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                detail = " ".join(f"{k}={v}" for k, v in entry.items()
                                  if k not in ("event", "scenario_time", "component", "service", "level", "ts")
                                  and v not in (None, "", 0, False))
                out.append(f"{str(entry.get('scenario_time', ''))[11:19]} venue injected {detail}")
    return out


def order_counts_by_hour(counts: dict[str, dict[str, int]],
                         markets: list[dict[str, Any]]) -> dict[int, OrderCounts]:
    """The venue's per-market order outcomes (`/_sim/orders`) keyed by each market's hour start."""
    start_of = {str(m["condition_id"]): parse_iso_ms(str(m["start"])) for m in markets}
    return {start_of[market]: msgspec.convert(c, OrderCounts) for market, c in counts.items() if market in start_of}


def _e6(text: Any) -> int:
    return int(Decimal(str(text)) * 1_000_000)


async def ledger_check(stack: Stack, settle_s: float = 20.0) -> tuple[bool, str, list[str]]:
    """Pause quoting, wait until no order works and no trade is pending, then compare the trader's
    positions and collateral (`/status`) with the venue's ledger for its funder address."""
    assert stack.session is not None and stack.account is not None
    async with stack.session.post(f"http://127.0.0.1:{stack.control_port}/pause_quoting",
                                  headers={"Authorization": f"Bearer {stack.control_token}"},
                                  json={"reason": "demo_end_ledger_check"}) as resp:
        resp.raise_for_status()
    funder = stack.account.funder.lower()
    deadline = time.monotonic() + settle_s
    while True:
        status = await stack.trader_status()
        ledger = await stack.venue_get("/_sim/ledger", address=funder)
        pending = [a for a, v in ledger["tokens"].items() if _e6(v.get("pending", 0))] + (
            ["pUSD"] if _e6(ledger["pusd"].get("pending", 0)) else [])
        if (not status.working_orders and not pending) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    pos = status.positions
    market = status.market
    venue_tokens = {asset: _e6(v.get("balance", 0)) + _e6(v.get("pending", 0)) for asset, v in ledger["tokens"].items()}
    checks = [("pUSD collateral", pos.usdc_e6, _e6(ledger["pusd"]["balance"]) + _e6(ledger["pusd"].get("pending", 0))),
              ("pUSD reserved", pos.reserved_usdc_e6, _e6(ledger["pusd"].get("reserved", 0)))]
    if market is not None:
        checks.append(("Up shares", pos.up_e6, venue_tokens.pop(market.up_token_id, 0)))
        checks.append(("Down shares", pos.down_e6, venue_tokens.pop(market.down_token_id, 0)))
    checks += [(f"token {asset[:10]}... of another market", 0, amount) for asset, amount in venue_tokens.items() if amount]
    detail = [f"{name}: trader {ours / 1e6:.6f}, venue {theirs / 1e6:.6f}" for name, ours, theirs in checks]
    bad = [name for name, ours, theirs in checks if ours != theirs]
    if status.working_orders:
        bad.append("orders still working after pause")
    if pending:
        bad.append("trades still pending at the venue")
    return (not bad), ("ledger: MATCH" if not bad else "ledger: MISMATCH " + "; ".join(bad)), detail


async def run_demo(*, scenario: Path, hours: int, speed: float, out_dir: Path, tail_ms: int = 3 * MINUTE_MS) -> int:
    # Ctrl-C or SIGTERM cancels the run, so that leaving `Stack` stops every child (they run in
    # their own sessions and do not get the terminal's signals). Set explicitly: a shell may have
    # started us with SIGINT ignored.
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    wall_start = time.monotonic()
    scenario_file, sim_start, first_hour = derive_scenario(scenario, out_dir / "scenario.json", hours=hours,
                                                           speed=speed)
    end_ms = first_hour + hours * HOUR_MS + tail_ms
    record = DemoRecord(scenario=str(scenario), speed=speed, start_ms=sim_start, end_ms=end_ms)
    collector = Collector(record)
    print(f"demo: {scenario.name}: scenario time {iso_ms(sim_start)} to {iso_ms(end_ms)} at {speed:g}x "
          f"(about {(end_ms - sim_start) / speed / 1000 + BOOT_S:.0f} s); logs in {out_dir}", flush=True)
    # Scenario time starts when the processes are up, not while they boot.
    anchor = time.time_ns() // 1_000_000 + int(BOOT_S * 1000)
    async with Stack(run_dir=out_dir, scenario_file=scenario_file, speed=speed, sim_start_ms=sim_start,
                     wall_anchor_ms=anchor) as stack:
        await stack.start()
        step_ms = int(speed * 1000)  # one progress line per wall second
        tty = sys.stdout.isatty()
        while stack.clock.now_ms() < end_ms:
            stack.check_alive()
            now = stack.clock.now_ms()
            try:
                status = await stack.trader_status()
            except (aiohttp.ClientError, TimeoutError) as exc:
                line = f"(trader not answering: {exc!r})"[:100]
            else:
                collector.on_status(status)
                line = status_brief(status)
            bar = "#" * int(30 * max(0, now - sim_start) / (end_ms - sim_start))
            text = f"[{bar:<30}] {iso_ms(now - now % 1000)[11:19]}Z {line}"
            print(("\r" + text[:150].ljust(150)) if tty else text, end="" if tty else "\n", flush=True)
            await stack.clock.sleep_until(now + step_ms)
        if tty:
            print()
        ok, line, detail = await ledger_check(stack)
        fills = our_fills(await stack.venue_get("/_sim/fills"), stack.account.funder)
        markets = (await stack.venue_get("/_sim/status"))["markets"]
        counts = order_counts_by_hour(await stack.venue_order_counts(), markets)
    record.wall_seconds = time.monotonic() - wall_start
    record.ledger_line, record.ledger_detail = line, detail
    record.faults = sorted(venue_faults(out_dir / "venue.log") + record.faults)  # each starts with HH:MM:SS
    record.mode_changes.sort(key=lambda change: change.t_ms)
    record.hours = hour_rows(fills, markets, counts)
    print_summary(record, out_dir / "report.html")
    return 0 if ok else 1


def print_summary(record: DemoRecord, report_path: Path) -> None:
    """The terminal's end of the demo: the table, changes, faults, the report's path, the verdict."""
    print()
    print(summary_table(record.hours))
    print(f"\nmode and session changes: {len(record.mode_changes)}; faults seen: {len(record.faults)}")
    for change in record.mode_changes:
        print(f"  {iso_ms(change.t_ms)[11:19]} {change.what} {change.old} -> {change.new} {change.reason}")
    for fault in record.faults:
        print(f"  {fault}")
    print(f"report: {write_report(record, report_path)}")
    for item in record.ledger_detail:
        print(f"  {item}")
    print(record.ledger_line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hourmm demo", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--hours", type=int, default=1, help="full hours to trade (default 1)")
    parser.add_argument("--speed", type=float, default=30.0, help="scenario seconds per wall second (default 30)")
    parser.add_argument("--scenario", type=Path, default=None, help=f"scenario file (default {DEFAULT_SCENARIO})")
    parser.add_argument("--out", type=Path, default=None, help="run directory (default reports/demo-<time>)")
    args = parser.parse_args(argv)
    if args.hours < 1 or args.speed <= 0:
        parser.error("--hours must be >= 1 and --speed > 0")
    scenario = args.scenario or repo_root() / DEFAULT_SCENARIO
    out_dir = args.out or repo_root() / "reports" / time.strftime("demo-%Y%m%d-%H%M%S", time.gmtime())
    try:
        return asyncio.run(run_demo(scenario=scenario, hours=args.hours, speed=args.speed, out_dir=out_dir))
    except StartupError as exc:
        print(f"\ndemo: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ndemo: interrupted; processes stopped", file=sys.stderr)
        return 130


