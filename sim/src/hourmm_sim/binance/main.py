"""`python -m hourmm_sim.binance`: run the Binance stand-in as its own process (the demo does).

    python -m hourmm_sim.binance --data 1m_2025 --start 2025-06-16T10:00:00Z --speed 30 --port 9443

`--data` is a short name of `history.DATA_FILES`, a path to a candle file, or `recorded` (the
real 46 s trade tape). The tape covers `--history-hours` before the start (served by REST klines,
for warm-up) and `--hours` after it (streamed). The clock is scenario time running `--speed`
times the wall clock from `--start`; processes that must agree on "now" pass the same
`--wall-anchor-ms`, or run with the demo's `HOURMM_CLOCK_*` variables and no `--start`. One JSON
line on stdout says where it listens (and the clock it runs on), once it does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import msgspec

from hourmm_common.clock import ScaledClock
from hourmm_common.config import EnvReader
from hourmm_common.errors import ConfigError
from hourmm_common.hours import HOUR_MS, MINUTE_MS, iso_ms, parse_iso_ms
from hourmm_common.logs import configure_logging
from hourmm_sim.binance.server import BinanceStandIn
from hourmm_sim.history import DATA_FILES, candle_interval_ms, candles_between, data_path, load_candles
from hourmm_sim.tape import Tape, tape_from_candles, tape_from_recorded


class TapeRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Which history, where in it, and how densely to expand it."""

    data: str
    start_ms: int | None
    hours: float
    history_hours: float
    seed: int
    trades_per_minute: int


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m hourmm_sim.binance", description=__doc__.split("\n")[0])
    p.add_argument("--data", default="1m_2025", help=f"one of {sorted(DATA_FILES)}, 'recorded', or a file path")
    p.add_argument("--start", help="scenario start, ISO 8601 UTC (default: the data's first usable hour)")
    p.add_argument("--speed", type=float, help="scenario seconds per wall second (default 1)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    p.add_argument("--hours", type=float, default=2.0, help="hours of tape after the start")
    p.add_argument("--history-hours", type=float, default=3.0, help="hours of tape before the start (REST only)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--trades-per-minute", type=int, default=100)
    p.add_argument("--wall-anchor-ms", type=int, help="wall-clock ms at which scenario time equals --start")
    p.add_argument("--log-level", default="INFO")
    return p


def build_tape(request: TapeRequest) -> tuple[Tape, int]:
    """The tape and the scenario start (ms) for a request; ValueError with a clear reason if impossible."""
    if request.data == "recorded":
        tape = tape_from_recorded()
        start = request.start_ms if request.start_ms is not None else tape.start_ms - tape.start_ms % MINUTE_MS
        return tape, start
    path = data_path(request.data) if request.data in DATA_FILES else Path(request.data)
    candles = load_candles(path)
    interval_ms = candle_interval_ms(candles)
    first_usable = candles[0].open_time_ms + int(request.history_hours * HOUR_MS)
    start = request.start_ms if request.start_ms is not None else first_usable - first_usable % HOUR_MS + HOUR_MS
    window = candles_between(candles, start - int(request.history_hours * HOUR_MS), start + int(request.hours * HOUR_MS))
    if not window or window[0].open_time_ms > start or window[-1].open_time_ms < start:
        raise ValueError(
            f"{path.name} has no candles around {iso_ms(start)} "
            f"(it covers {iso_ms(candles[0].open_time_ms)} .. {iso_ms(candles[-1].open_time_ms)})"
        )
    tape = tape_from_candles(window, seed=request.seed, trades_per_minute=request.trades_per_minute,
                             interval_ms=interval_ms)
    return tape, start


def shared_clock(environ: Mapping[str, str]) -> ScaledClock | None:
    """The demo's shared scenario clock from `HOURMM_CLOCK_*`, when it is set (else None)."""
    reader = EnvReader(environ)
    clock = reader.clock()
    reader.finish()
    return clock if isinstance(clock, ScaledClock) else None


async def serve(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Command-line values win; otherwise a shared `HOURMM_CLOCK_*` clock sets start, speed and anchor."""
    try:
        env_clock = None if args.start else shared_clock(environ)
    except ConfigError as exc:
        print(f"binance stand-in: {exc}", file=sys.stderr)
        return 2
    start_arg = parse_iso_ms(args.start) if args.start else (env_clock.sim_start_ms if env_clock else None)
    request = TapeRequest(
        data=args.data, start_ms=start_arg, hours=args.hours, history_hours=args.history_hours, seed=args.seed,
        trades_per_minute=args.trades_per_minute,
    )
    try:
        tape, start_ms = build_tape(request)
    except (ValueError, KeyError, OSError) as exc:
        print(f"binance stand-in: {exc}", file=sys.stderr)
        return 2
    if env_clock is not None and args.wall_anchor_ms is None and args.speed is None:
        clock = env_clock
    else:
        anchor = args.wall_anchor_ms if args.wall_anchor_ms is not None else time.time_ns() // 1_000_000
        clock = ScaledClock(wall_anchor_ms=anchor, sim_start_ms=start_ms, speed=args.speed or 1.0)
    standin = BinanceStandIn(tape, clock, host=args.host, port=args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await standin.start()
    ready = {
        "event": "binance_standin_ready", "ws_base_url": standin.ws_base_url,
        "rest_base_url": standin.rest_base_url, "port": standin.port, "start": iso_ms(clock.sim_start_ms),
        "tape_start": iso_ms(tape.start_ms), "tape_end": iso_ms(tape.end_ms), "speed": clock.speed, "wall_anchor_ms": clock.wall_anchor_ms,
    }
    print(msgspec.json.encode(ready).decode(), flush=True)
    try:
        await stop.wait()
    finally:
        await standin.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    configure_logging(args.log_level, service="binance_standin")
    return asyncio.run(serve(args, os.environ))
