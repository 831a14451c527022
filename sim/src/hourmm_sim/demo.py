"""`hourmm demo` (`make demo`): the local venue, the pricer and the trader as three separate
processes over an accelerated hour, then a summary, an HTML report and the ledger check.

In: `--hours H --speed X [--scenario FILE] [--out DIR]`. Out: a progress line while it runs, the
per-hour summary table, the report's path, and one line `ledger: MATCH` (exit 0) or
`ledger: MISMATCH ...` (exit 1) comparing the trader's positions and collateral (its `/status`)
with the venue's ledger. Exit 2 when a process fails to start or dies.

The processes share scenario time through `HOURMM_CLOCK_*` (one wall anchor, one start, one
speed), so each computes the same "now" without talking. The run covers the warm-up before the
first hour, H full hours (wind-down, flatten, cutoff, settlement) and a few minutes of the next
hour, so the roll to the next market is seen. `Stack` owns the processes and is also what the
end-to-end tests drive; every exit path stops them (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from hourmm_common.clock import ScaledClock
from hourmm_common.hours import HOUR_MS, MINUTE_MS, hour_start_ms, iso_ms
from hourmm_common.paths import repo_root
from hourmm_sim.accounts import Accounts
from hourmm_sim.report import (
    DemoRecord,
    ModeChange,
    OrderCounts,
    Sample,
    hour_rows,
    our_fills,
    summary_table,
    write_report,
)
from hourmm_sim.scenarios import load_scenario
from polymarket_trader.core.events import (
    CancelAckEvent,
    CancelAllAckEvent,
    OrderEventKind,
    OrderSubmitted,
    RestOrderRejected,
    UserOrderEvent,
)
from polymarket_trader.journal_sqlite import EventJournalSQLite

DEFAULT_SCENARIO = Path("sim/scenarios/default.json")
# What a child process inherits from ours; everything else is set explicitly, so an operator's
# live settings (POLY_*, MODE=live, ...) can never leak into a paper run.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "HOURMM_SHARED_DIR", "SYSTEMROOT")
_START_TIMEOUT_S = 30.0
_STOP_GRACE_S = 8.0
_BOOT_S = 4.0  # wall seconds the three processes get to start before scenario time runs


class StartupError(Exception):
    """A child process did not come up (exited, or never became healthy)."""


def free_port() -> int:
    """A port the OS considers free now (children bind it a moment later; 127.0.0.1 only)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the child, before exec (Linux): SIGTERM when the parent dies, even by SIGKILL, so that a
    killed demo or test never leaves a venue, pricer or trader running (PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class Child:
    """One service process, its output in `<run dir>/<name>.log`."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv, env=self.env, stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
                cwd=str(repo_root()), start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        self.starts += 1

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.returncode is not None:
            raise StartupError(f"{self.name} exited with code {self.proc.returncode}; see {self.log_path}:\n"
                               + self.log_tail())

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def kill(self) -> None:
        """SIGKILL, as a crash would: no cleanup of any kind in the child."""
        if self.running:
            assert self.proc is not None
            self.proc.kill()
            await self.proc.wait()

    async def stop(self, grace_s: float = _STOP_GRACE_S) -> None:
        """SIGTERM, then SIGKILL after `grace_s`. Safe to call twice, or on a dead process."""
        if not self.running:
            return
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(grace_s):
                await self.proc.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


class VenueInfo(msgspec.Struct, frozen=True, kw_only=True):
    """Where the local venue listens (its port file); the admin API `/_sim/...` is on the CLOB port."""

    gamma_url: str
    clob_url: str
    ws_market_url: str
    ws_user_url: str
    binance_ws_base_url: str
    binance_rest_base_url: str
    users: list[dict[str, Any]] = []


def venue_at(gamma_port: int, clob_port: int, binance_port: int) -> VenueInfo:
    """The URLs the venue will serve on these ports (checked against its port file once up)."""
    clob = f"127.0.0.1:{clob_port}"
    return VenueInfo(gamma_url=f"http://127.0.0.1:{gamma_port}", clob_url=f"http://{clob}",
                     ws_market_url=f"ws://{clob}/ws/market", ws_user_url=f"ws://{clob}/ws/user",
                     binance_ws_base_url=f"ws://127.0.0.1:{binance_port}",
                     binance_rest_base_url=f"http://127.0.0.1:{binance_port}")


class TraderAccount(msgspec.Struct, frozen=True, kw_only=True):
    """The scenario user the trader signs as, with the API credentials the venue will accept."""

    private_key: str
    funder: str
    signature_type: int
    api_key: str
    api_secret: str
    api_passphrase: str


def trader_account(scenario_file: Path, name: str = "trader") -> TraderAccount:
    """The user called `name` (else the first one with a private key). Its API credentials are
    derived exactly as the venue derives them (seeded), so the trader can start with the venue."""
    scenario = load_scenario(scenario_file)
    users = [u for u in scenario.users if u.private_key]
    if not users:
        raise StartupError(f"{scenario_file} has no user with a private_key for the trader")
    user = next((u for u in users if u.name == name), users[0])
    creds = Accounts(f"{scenario.seed}").add_user(user)
    return TraderAccount(private_key=user.private_key, funder=user.funder_address(),
                         signature_type=user.signature_type, api_key=creds.api_key, api_secret=creds.secret,
                         api_passphrase=creds.passphrase)


def paced_env(speed: float) -> tuple[dict[str, str], dict[str, str]]:
    """Settings for the pricer and the trader (in that order) that keep an accelerated run honest.

    Every loop of both services runs on scenario time, so at `speed` x a 50 Hz loop would spin at
    50 * speed Hz of wall time and starve the other processes of CPU. The fixed-rate loops are
    slowed so that their wall-clock rate stays near the production one, and the trader long-polls
    the pricer (woken by each new snapshot) instead of polling at 20 Hz. The stand-in's tape has
    ~100 trades a minute where the real BTCUSDT has many a second, so a silence of 3 s is normal
    there: the staleness limits are raised to 10 s so that "stale" still means a dead feed.
    """
    hz = max(1, round(50 / max(speed, 1.0)))
    pricer = {"SNAPSHOT_PUBLISH_HZ": str(hz), "STALE_THRESHOLD_MS": "10000"}
    trader = {"HOURMM_DECISION_TICK_HZ": str(hz), "SNAPSHOT_LONG_POLL_MS": "1000",
              "HOURMM_REDUCER_SNAPSHOT_MAX_AGE_MS": "10000", "HOURMM_DECISION_SNAPSHOT_MAX_AGE_MS": "10000"}
    return pricer, trader


class Stack:
    """The venue, the pricer and the trader as processes sharing one scenario clock."""

    def __init__(self, *, run_dir: Path, scenario_file: Path, speed: float, sim_start_ms: int,
                 trader_env: Mapping[str, str] | None = None, wall_anchor_ms: int | None = None) -> None:
        self.run_dir = run_dir
        self.scenario_file = scenario_file
        self.speed = speed
        anchor = wall_anchor_ms if wall_anchor_ms is not None else time.time_ns() // 1_000_000
        self.clock = ScaledClock(wall_anchor_ms=anchor, sim_start_ms=sim_start_ms, speed=speed)
        self.control_token = secrets.token_urlsafe(24)
        self.paced_pricer_env, paced_trader_env = paced_env(speed)
        self.extra_trader_env = {**paced_trader_env, **dict(trader_env or {})}
        self.venue = venue_at(free_port(), free_port(), free_port())
        self.account = trader_account(scenario_file)
        self.pricer_port = free_port()
        self.control_port = free_port()
        self.children: dict[str, Child] = {}
        self.session: aiohttp.ClientSession | None = None

    # --- environment -------------------------------------------------------------------------
    def _base_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in _INHERITED}
        env.update({
            "HOURMM_CLOCK_SPEED": repr(self.speed),
            "HOURMM_CLOCK_SIM_START_MS": str(self.clock.sim_start_ms),
            "HOURMM_CLOCK_WALL_ANCHOR_MS": str(self.clock.wall_anchor_ms),
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def pricer_env(self) -> dict[str, str]:
        env = self._base_env()
        env.update({"BINANCE_WS_URL": self.venue.binance_ws_base_url,
                    "BINANCE_REST_URL": self.venue.binance_rest_base_url,
                    "SYMBOL": "BTCUSDT", "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(self.pricer_port)})
        env.update(self.paced_pricer_env)
        return env

    def trader_env(self) -> dict[str, str]:
        t = self.account
        env = self._base_env()
        env.update({
            "MODE": "paper",
            "SNAPSHOT_URL": f"http://127.0.0.1:{self.pricer_port}/snapshot/latest",
            "GAMMA_URL": self.venue.gamma_url, "CLOB_URL": self.venue.clob_url,
            "PM_WS_MARKET_URL": self.venue.ws_market_url, "PM_WS_USER_URL": self.venue.ws_user_url,
            "SQLITE_PATH": str(self.run_dir / "trader.sqlite"),
            "CONTROL_HOST": "127.0.0.1", "CONTROL_PORT": str(self.control_port),
            "CONTROL_TOKEN": self.control_token,
            "POLY_PRIVATE_KEY": t.private_key, "POLY_FUNDER": t.funder,
            "POLY_SIGNATURE_TYPE": str(t.signature_type), "POLY_API_KEY": t.api_key,
            "POLY_API_SECRET": t.api_secret, "POLY_API_PASSPHRASE": t.api_passphrase,
        })
        env.update(self.extra_trader_env)
        return env

    # --- lifecycle ---------------------------------------------------------------------------
    async def __aenter__(self) -> Stack:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """All three at once (the ports are chosen here), then wait until each one answers."""
        port_file = self.run_dir / "venue.port.json"
        port_file.unlink(missing_ok=True)
        gamma, clob, binance = (int(u.rsplit(":", 1)[1]) for u in (
            self.venue.gamma_url, self.venue.clob_url, self.venue.binance_rest_base_url))
        venue = Child("venue", [sys.executable, "-m", "hourmm_sim", "venue", "--scenario", str(self.scenario_file),
                                "--port-file", str(port_file), "--speed", repr(self.speed),
                                "--wall-anchor-ms", str(self.clock.wall_anchor_ms), "--gamma-port", str(gamma),
                                "--clob-port", str(clob), "--binance-port", str(binance)],
                      self._base_env(), self.run_dir / "venue.log")
        pricer = Child("pricer", [sys.executable, "-m", "binance_pricer"], self.pricer_env(), self.run_dir / "pricer.log")
        trader = Child("trader", [sys.executable, "-m", "polymarket_trader"], self.trader_env(),
                       self.run_dir / "trader.log")
        self.children = {"venue": venue, "pricer": pricer, "trader": trader}
        for child in self.children.values():
            await child.start()
        ready = msgspec.convert(await self._wait_for_file(venue, port_file), VenueInfo)
        if msgspec.structs.replace(ready, users=[]) != self.venue:
            raise StartupError(f"the venue listens elsewhere than asked: {ready}")
        await asyncio.gather(self._wait_http(pricer, f"http://127.0.0.1:{self.pricer_port}/snapshot/latest"),
                             self._wait_http(trader, f"http://127.0.0.1:{self.control_port}/health", any_status=True))

    async def start_trader(self) -> None:
        """Start the trader again (after `kill_trader`), on the same journal and ports."""
        trader = self.children["trader"]
        await trader.start()
        await self._wait_http(trader, f"http://127.0.0.1:{self.control_port}/health", any_status=True)

    async def kill_trader(self) -> None:
        await self.children["trader"].kill()

    async def stop(self) -> None:
        for name in ("trader", "pricer", "venue"):
            child = self.children.get(name)
            if child is not None:
                await child.stop()
        if self.session is not None:
            await self.session.close()
            self.session = None

    def check_alive(self) -> None:
        for child in self.children.values():
            child.check_alive()

    async def _wait_for_file(self, child: Child, path: Path) -> dict[str, Any]:
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            child.check_alive()
            if path.exists():
                with contextlib.suppress(ValueError):
                    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
                    return raw
            await asyncio.sleep(0.05)
        raise StartupError(f"{child.name} wrote no {path.name} within {_START_TIMEOUT_S:.0f} s:\n{child.log_tail()}")

    async def _wait_http(self, child: Child, url: str, *, any_status: bool = False) -> None:
        assert self.session is not None
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            child.check_alive()
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self.session.get(url) as resp:
                    if any_status or resp.status < 500:
                        return
            await asyncio.sleep(0.1)
        raise StartupError(f"{child.name} did not answer {url} within {_START_TIMEOUT_S:.0f} s:\n{child.log_tail()}")

    # --- queries -----------------------------------------------------------------------------
    async def trader_status(self) -> dict[str, Any]:
        assert self.session is not None
        async with self.session.get(f"http://127.0.0.1:{self.control_port}/status",
                                    headers={"Authorization": f"Bearer {self.control_token}"}) as resp:
            resp.raise_for_status()
            status: dict[str, Any] = await resp.json()
            return status

    async def venue_get(self, path: str, **params: str) -> Any:
        assert self.session is not None
        async with self.session.get(self.venue.clob_url + path, params=params) as resp:
            resp.raise_for_status()
            return await resp.json()


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


def status_brief(status: dict[str, Any]) -> str:
    """One terminal line out of the trader's `/status`."""
    fair = (status.get("fair") or {}).get("p_yes_fair")
    up = (status.get("bbo") or {}).get("UP") or {}
    pos = status.get("positions") or {}
    pnl = (status.get("pnl") or {}).get("hour_pnl_e6")

    def px(v: Any) -> str:
        return "-" if v is None else f"{v / 10_000:.2f}"

    return (f"{status.get('session', '?'):<9} {status.get('mode', '?'):<11} "
            f"fair {'-' if fair is None else f'{fair:.3f}'} book {px(up.get('bid_e4'))}/{px(up.get('ask_e4'))} "
            f"orders {len(status.get('working_orders') or [])} "
            f"Up {pos.get('up_e6', 0) / 1e6:.0f} Down {pos.get('down_e6', 0) / 1e6:.0f} "
            f"hour PnL {'-' if pnl is None else f'{pnl / 1e6:+.2f}'}")


class Collector:
    """Builds the `DemoRecord` from the trader's `/status` samples and, at the end, the venue."""

    def __init__(self, record: DemoRecord) -> None:
        self.record = record
        self._seen_changes: set[str] = set()
        self._seen_alerts: set[str] = set()
        self._first_equity: int | None = None

    def on_status(self, s: dict[str, Any]) -> None:
        fair = s.get("fair") or {}
        up = (s.get("bbo") or {}).get("UP") or {}
        pos = s.get("positions") or {}
        equity = (s.get("pnl") or {}).get("equity_e6")
        if equity is not None and self._first_equity is None:
            self._first_equity = equity
        bids: list[float] = []
        asks: list[float] = []
        for o in s.get("working_orders") or []:
            price = o["price_e4"] / 10_000
            if o["side"] == "BUY":
                (bids if o["token"] == "UP" else asks).append(price if o["token"] == "UP" else 1 - price)
            else:
                (asks if o["token"] == "UP" else bids).append(price if o["token"] == "UP" else 1 - price)
        self.record.samples.append(Sample(
            t_ms=int(s["ts_ms"]), fair=fair.get("p_yes_fair"), band_lo=fair.get("band_lo"), band_hi=fair.get("band_hi"),
            best_bid=None if up.get("bid_e4") is None else up["bid_e4"] / 10_000,
            best_ask=None if up.get("ask_e4") is None else up["ask_e4"] / 10_000,
            our_bid=max(bids) if bids else None, our_ask=min(asks) if asks else None,
            inventory_up=(pos.get("up_e6", 0) - pos.get("down_e6", 0)) / 1e6,
            pnl_usdc=None if equity is None or self._first_equity is None else (equity - self._first_equity) / 1e6,
            risk_mode=str(s.get("mode", "")), session=str(s.get("session", ""))))
        for change in s.get("recent_mode_changes") or []:
            key = json.dumps(change, sort_keys=True)
            if key in self._seen_changes:
                continue
            self._seen_changes.add(key)
            risk = "old" in change
            self.record.mode_changes.append(ModeChange(
                t_ms=int(change.get("ts_ms", 0)), what="risk" if risk else "session",
                old=str(change.get("old" if risk else "session_old", "")),
                new=str(change.get("new" if risk else "session_new", "")), reason=str(change.get("reason", ""))))
        for alert in s.get("recent_alerts") or []:
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


def journal_order_counts(sqlite_path: Path) -> dict[int, OrderCounts]:
    """Orders placed / cancelled (by us) / expired or cancelled by the venue / rejected, per hour,
    from the trader's journal. An order's hour is its GTD expiration's hour (every quote expires at
    its hour's cutoff + 60 s = the hour's end), else the hour it was submitted in."""
    journal = EventJournalSQLite(sqlite_path)
    try:
        events = [ev for _, ev in journal.load_events_since(0).events]
    finally:
        journal.close()
    hour_of: dict[str, int] = {}
    ours_cancelled: set[str] = set()
    venue_cancelled: set[str] = set()
    counts: dict[int, OrderCounts] = {}
    for ev in events:
        if isinstance(ev, OrderSubmitted):
            at = ev.expiration_s * 1000 - 1 if ev.expiration_s else ev.ts_local_ms
            hour_of[ev.order_id] = hour_start_ms(at)
            counts.setdefault(hour_of[ev.order_id], OrderCounts()).placed += 1
        elif isinstance(ev, RestOrderRejected) and ev.order_id in hour_of:
            counts[hour_of[ev.order_id]].rejected += 1
        elif isinstance(ev, CancelAckEvent | CancelAllAckEvent):
            ours_cancelled.update(ev.canceled)
        elif isinstance(ev, UserOrderEvent) and ev.kind is OrderEventKind.CANCELLATION:
            venue_cancelled.add(ev.order_id)
    for order_id in ours_cancelled & hour_of.keys():
        counts[hour_of[order_id]].cancelled += 1
    for order_id in (venue_cancelled - ours_cancelled) & hour_of.keys():
        counts[hour_of[order_id]].expired += 1
    return counts


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
        if (not status.get("working_orders") and not pending) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    pos = status["positions"]
    market = status.get("market") or {}
    venue_tokens = {asset: _e6(v.get("balance", 0)) + _e6(v.get("pending", 0)) for asset, v in ledger["tokens"].items()}
    checks = [("pUSD collateral", pos["usdc_e6"], _e6(ledger["pusd"]["balance"]) + _e6(ledger["pusd"].get("pending", 0))),
              ("pUSD reserved", pos["reserved_usdc_e6"], _e6(ledger["pusd"].get("reserved", 0)))]
    if market:
        checks.append(("Up shares", pos["up_e6"], venue_tokens.pop(market["up_token_id"], 0)))
        checks.append(("Down shares", pos["down_e6"], venue_tokens.pop(market["down_token_id"], 0)))
    checks += [(f"token {asset[:10]}... of another market", 0, amount) for asset, amount in venue_tokens.items() if amount]
    detail = [f"{name}: trader {ours / 1e6:.6f}, venue {theirs / 1e6:.6f}" for name, ours, theirs in checks]
    bad = [name for name, ours, theirs in checks if ours != theirs]
    if status.get("working_orders"):
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
          f"(about {(end_ms - sim_start) / speed / 1000 + _BOOT_S:.0f} s); logs in {out_dir}", flush=True)
    # Scenario time starts when the processes are up, not while they boot.
    anchor = time.time_ns() // 1_000_000 + int(_BOOT_S * 1000)
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
    record.wall_seconds = time.monotonic() - wall_start
    record.ledger_line, record.ledger_detail = line, detail
    record.faults = sorted(venue_faults(out_dir / "venue.log") + record.faults)  # each starts with HH:MM:SS
    record.mode_changes.sort(key=lambda change: change.t_ms)
    record.hours = hour_rows(fills, markets, journal_order_counts(out_dir / "trader.sqlite"))
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


