"""`Stack`: the local venue, the pricer and the trader as three processes on one scenario clock.

What the demo and the end-to-end tests both drive. The processes share scenario time through
`HOURMM_CLOCK_*` (one wall anchor, one start, one speed), so each computes the same "now" without
talking. Every exit path stops them (SIGTERM, then SIGKILL), and a child dies with its parent
(PR_SET_PDEATHSIG), so a killed demo or test never leaves a service running. The trader is read
only through its control plane (`status.TraderStatus`), the venue through its `/_sim` API.
"""

from __future__ import annotations

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
from pathlib import Path
from typing import Any

import aiohttp
import msgspec

from hourmm_common.clock import ScaledClock
from hourmm_common.paths import repo_root
from hourmm_harness.status import TraderStatus, decode_status
from hourmm_sim.polymarket.accounts import Accounts
from hourmm_sim.scenarios import load_scenario

# What a child process inherits from ours; everything else is set explicitly, so an operator's
# live settings (POLY_*, MODE=live, ...) can never leak into a paper run.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPATH", "HOURMM_SHARED_DIR", "SYSTEMROOT")
_START_TIMEOUT_S = 30.0
_STOP_GRACE_S = 8.0
BOOT_S = 4.0  # wall seconds the three processes get to start before scenario time runs


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
        venue = Child("venue", [sys.executable, "-m", "hourmm_sim", "--scenario", str(self.scenario_file),
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
    async def trader_status(self) -> TraderStatus:
        assert self.session is not None
        async with self.session.get(f"http://127.0.0.1:{self.control_port}/status",
                                    headers={"Authorization": f"Bearer {self.control_token}"}) as resp:
            resp.raise_for_status()
            return decode_status(await resp.read())

    async def venue_get(self, path: str, **params: str) -> Any:
        assert self.session is not None
        async with self.session.get(self.venue.clob_url + path, params=params) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def venue_order_counts(self) -> dict[str, dict[str, int]]:
        """Our orders' outcomes per market, as the venue saw them (`/_sim/orders`)."""
        counts: dict[str, dict[str, int]] = await self.venue_get("/_sim/orders", owner=self.account.api_key)
        return counts


