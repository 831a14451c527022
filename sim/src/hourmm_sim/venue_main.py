"""`hourmm venue --scenario FILE [--speed X] [--port-file PATH]`: the Binance stand-in and the
local Polymarket venue in one process, on one shared `ScaledClock`.

Both replay the scenario's Binance history: the stand-in streams it, the venue's participants
trade around it and its markets resolve from it. The URLs, the clock anchor and the users' API
credentials are printed as one JSON line and written to `--port-file` (mode 0600), which is how
the demo orchestrator finds them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from hourmm_common.clock import Clock, ScaledClock
from hourmm_common.errors import ConfigError
from hourmm_common.hours import HOUR_MS, iso_ms
from hourmm_common.logs import configure_logging, get_logger
from hourmm_sim.binance.main import TapeRequest, build_tape
from hourmm_sim.binance.server import BinanceStandIn
from hourmm_sim.polymarket.clob_events import MarketSpec
from hourmm_sim.polymarket.venue import PolymarketVenue
from hourmm_sim.scenarios import Scenario, load_scenario
from hourmm_sim.tape import Tape

WALL_STEP_MS = 20  # the venue steps at least every 250 scenario ms, at most every 20 wall ms


def tape_outcome(tape: Tape) -> Any:
    """The winner from the tape's 1h kline: close >= open -> Up. None while not final."""
    def outcome(spec: MarketSpec) -> int | None:
        kline = tape.kline(HOUR_MS, spec.start_ms)
        if kline is None or not kline.closed:
            return None
        return 0 if kline.close >= kline.open else 1
    return outcome


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hourmm venue", description=__doc__.split("\n")[0])
    p.add_argument("--scenario", required=True, help="scenario file (JSON or TOML), e.g. sim/scenarios/default.json")
    p.add_argument("--speed", type=float, help="scenario seconds per wall second (overrides the scenario)")
    p.add_argument("--port-file", help="write the URLs and clock anchor here as JSON")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--gamma-port", type=int, default=0)
    p.add_argument("--clob-port", type=int, default=0)
    p.add_argument("--binance-port", type=int, default=0)
    p.add_argument("--wall-anchor-ms", type=int, help="wall ms at which scenario time is the scenario start")
    p.add_argument("--log-level", default="INFO")
    return p


def build(scenario: Scenario, clock: Clock, args: argparse.Namespace) -> tuple[BinanceStandIn, PolymarketVenue, Tape]:
    tape, _ = build_tape(TapeRequest(data=str(scenario.data_path()), start_ms=scenario.start_ms(),
                                     hours=scenario.hours + 0.1, history_hours=3.0, seed=scenario.seed,
                                     trades_per_minute=100))
    standin = BinanceStandIn(tape, clock, host=args.host, port=args.binance_port)
    speed = getattr(clock, "speed", 1.0)
    venue = PolymarketVenue(scenario, clock, price_at=tape.price_at, outcome=tape_outcome(tape), host=args.host,
                            gamma_port=args.gamma_port, clob_port=args.clob_port,
                            step_ms=max(250, int(speed * WALL_STEP_MS)))
    return standin, venue, tape


def ready_info(scenario: Scenario, clock: ScaledClock, standin: BinanceStandIn, venue: PolymarketVenue) -> dict[str, Any]:
    return {
        "event": "venue_ready", "gamma_url": venue.gamma_url, "clob_url": venue.clob_url,
        "ws_market_url": venue.ws_market_url, "ws_user_url": venue.ws_user_url,
        "binance_ws_base_url": standin.ws_base_url, "binance_rest_base_url": standin.rest_base_url,
        "wall_anchor_ms": clock.wall_anchor_ms, "sim_start_ms": clock.sim_start_ms, "speed": clock.speed,
        "first_hour": iso_ms(scenario.start_ms()), "hours": scenario.hours,
        "markets": venue.status()["markets"], "users": venue.users_view(),
    }


async def serve(args: argparse.Namespace) -> int:
    log = get_logger("venue_main")
    try:
        scenario = load_scenario(args.scenario)
    except ConfigError as exc:
        print(f"hourmm venue: {exc}", file=sys.stderr)
        return 2
    speed = args.speed if args.speed is not None else scenario.speed
    anchor = args.wall_anchor_ms if args.wall_anchor_ms is not None else time.time_ns() // 1_000_000
    clock = ScaledClock(wall_anchor_ms=anchor, sim_start_ms=scenario.start_ms() - scenario.warmup_s * 1000, speed=speed)
    try:
        standin, venue, _ = build(scenario, clock, args)
    except (ValueError, OSError) as exc:
        print(f"hourmm venue: {exc}", file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await standin.start()
    await venue.start()
    info = ready_info(scenario, clock, standin, venue)
    if args.port_file:
        path = Path(args.port_file)
        path.write_bytes(msgspec.json.encode(info))
        os.chmod(path, 0o600)
    public = {k: v for k, v in info.items() if k != "users"}
    print(msgspec.json.encode(public).decode(), flush=True)
    log.info("venue_ready", scenario=args.scenario, speed=speed, scenario_time=iso_ms(clock.now_ms()))
    end_ms = scenario.start_ms() + scenario.hours * HOUR_MS + venue.clob.config.resolve_delay_ms + 5_000
    waiter = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set() and clock.now_ms() < end_ms:
            await asyncio.wait({waiter}, timeout=1.0)
        log.info("venue_finished", status=venue.status()["counters"], scenario_time=iso_ms(clock.now_ms()))
        if not stop.is_set():
            await stop.wait()
    finally:
        waiter.cancel()
        await venue.stop()
        await standin.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.log_level, service="venue")
    return asyncio.run(serve(args))


if __name__ == "__main__":
    raise SystemExit(main())
