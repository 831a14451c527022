"""Shared harness of the end-to-end tests: the three real processes (`hourmm_harness.stack.Stack`) on a
fast shared clock, a recorder of the trader's `/status`, and what is read back after the run (the
trader's journal, the venue's fills, markets and ledger).

Waiting is on the scenario clock (`stack.clock.sleep_until`), the same injected clock the
processes run on; the tests never sleep for wall time. Timeouts are safety nets.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from hourmm_common.hours import HOUR_MS
from hourmm_common.paths import repo_root
from hourmm_harness.demo import ledger_check
from hourmm_harness.report import OurFill, our_fills
from hourmm_harness.stack import Stack
from hourmm_harness.status import TraderStatus
from hourmm_sim.scenarios import load_scenario
from polymarket_trader.config import BConfig
from polymarket_trader.core.events import Event
from polymarket_trader.core.reducer import reduce
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.journal_sqlite import EventJournalSQLite
from polymarket_trader.state_reducer import restore

SPEED = 90.0  # scenario seconds per wall second: one hour in 40 s (margin for a loaded 2-core CI box)
SAMPLE_EVERY_MS = 10_000  # scenario time between two /status samples
BOOT_MS = 6_000  # wall time the three processes get to start (in parallel) before scenario time runs


def a_scenario(tmp_path: Path, **overrides: Any) -> Path:
    """The demo's scenario without its faults, with `overrides` (top-level keys; dicts merge)."""
    raw = json.loads((repo_root() / "sim" / "scenarios" / "default.json").read_text(encoding="utf-8"))
    raw["faults"] = []
    raw["hours"] = 2  # the hour under test and the one the trader rolls to
    raw["warmup_s"] = 600  # about 7 s at 90x, after BOOT_MS: the trader is ACTIVE before the hour starts
    for key, value in overrides.items():
        raw[key] = {**raw[key], **value} if isinstance(value, dict) and isinstance(raw.get(key), dict) else value
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    return path


class Run:
    """One end-to-end run: the stack while it is up, then everything read back from it."""

    def __init__(self, stack: Stack, first_hour_ms: int) -> None:
        self.stack = stack
        self.first_hour_ms = first_hour_ms
        self.samples: list[TraderStatus] = []
        self.ledger_ok = False
        self.ledger_line = ""
        self.ledger_detail: list[str] = []
        self.final_status: TraderStatus | None = None
        self.fills: list[OurFill] = []
        self.markets: list[dict[str, Any]] = []
        self.events: list[Event] = []
        self.decisions = 0
        self.initial_state = CanonicalState()

    @property
    def hour_end_ms(self) -> int:
        return self.first_hour_ms + HOUR_MS

    async def sample_until(self, scenario_ms: int) -> None:
        """Record `/status` every `SAMPLE_EVERY_MS` of scenario time until `scenario_ms`."""
        clock = self.stack.clock
        while clock.now_ms() < scenario_ms:
            self.stack.check_alive()
            now = clock.now_ms()
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):  # the trader may be restarting
                self.samples.append(await self.stack.trader_status())
            await clock.sleep_until(min(scenario_ms, now + SAMPLE_EVERY_MS))

    async def finish(self) -> None:
        """Quiet the trader, compare it with the venue's ledger, read the venue's records."""
        self.ledger_ok, self.ledger_line, self.ledger_detail = await ledger_check(self.stack)
        self.final_status = await self.stack.trader_status()
        assert self.stack.account is not None
        self.fills = our_fills(await self.stack.venue_get("/_sim/fills"), self.stack.account.funder)
        self.markets = (await self.stack.venue_get("/_sim/status"))["markets"]

    def read_journal(self) -> None:
        """After the trader stopped: every journaled event, and the state they fold into."""
        config, _ = BConfig.from_env(self.stack.trader_env())
        self.initial_state = CanonicalState(limits=config.limits, params=config.reducer)
        journal = EventJournalSQLite(self.stack.run_dir / "trader.sqlite")
        try:
            read = journal.load_events_since(0)
            assert read.problem is None, read.problem
            self.events = [ev for _, ev in read.events]
            self.decisions = len(journal.load_decisions())
        finally:
            journal.close()

    def replayed(self) -> CanonicalState:
        """A fold of the whole journal from the initial state (no snapshot)."""
        state = self.initial_state
        for ev in self.events:
            state, _ = reduce(state, ev)
        return state

    def restored(self) -> CanonicalState:
        """The boot path: latest snapshot plus the events after it."""
        journal = EventJournalSQLite(self.stack.run_dir / "trader.sqlite")
        try:
            state, _ = restore(journal, self.initial_state)
        finally:
            journal.close()
        return state

    def of(self, kind: type[Any]) -> list[Any]:
        return [ev for ev in self.events if isinstance(ev, kind)]

    def market(self, index: int) -> dict[str, Any]:
        return sorted(self.markets, key=lambda m: str(m["start"]))[index]


@asynccontextmanager
async def e2e_run(tmp_path: Path, scenario: Path, *, trader_env: dict[str, str] | None = None,
                  speed: float = SPEED) -> AsyncIterator[Run]:
    """Start venue, pricer and trader; yield the `Run`; stop them all and read the journal back."""
    parsed = load_scenario(scenario)
    first = parsed.start_ms()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    stack = Stack(run_dir=run_dir, scenario_file=scenario, speed=speed,
                  sim_start_ms=first - parsed.warmup_s * 1000, trader_env=trader_env,
                  wall_anchor_ms=time.time_ns() // 1_000_000 + BOOT_MS)
    async with stack:
        await stack.start()
        run = Run(stack, first)
        yield run
    run.read_journal()


def summary(run: Run) -> str:
    """What to print when an assertion fails: the ledger verdict and the trader's log tail."""
    trader = run.stack.children.get("trader")
    tail = trader.log_tail(30) if trader else ""
    return f"{run.ledger_line}\n" + "\n".join(run.ledger_detail) + f"\n--- trader log tail ---\n{tail}"
