"""Binance event -> trader decision latency, end to end over loopback websockets and HTTP.

What runs: the Binance stand-in (`BinanceStandIn`) in this process streams a tape; container A
(`python -m binance_pricer`, unchanged) runs in its own process, as in production, reads the
stand-in's websocket and serves `/snapshot/latest`; the trader side in this process is the real
`SnapshotPoller` feeding a queue, and on each snapshot it gets, the reducer folds it and the real
`DecisionLoop.step` (risk, strategy, clamp, reconcile) decides on a booted trader with quotes.

What is measured, per Binance trade: from the moment the stand-in's streaming loop reads the
time that makes the trade due (just before it queues the frame for the socket writer, so the
stand-in's own queue hop counts), to the end of the first decision step whose snapshot includes
it (its `last_trade_price` is at or past that trade: every bench trade prints a unique, rising
price). Stamps are `time.perf_counter_ns()` in one process; the pricer process is in the path,
not in the stamps. On a shared host the tail (p99) is mostly the OS scheduler: the host's load
average is printed beside the figures.

Configurations: the trader long-polls (`?after_seq=N&wait_ms=M`) or polls plainly at 50 Hz; the
pricer publishes at its fixed 50 Hz only, or also on each event (`SNAPSHOT_PUBLISH_ON_EVENT`).
Two decision triggers: "on snapshot" runs the step as each new snapshot arrives (the floor of the
transport); "50 Hz loop" is the trader's own fixed-rate `DecisionLoop.run`, which adds up to one
tick (20 ms) on top, whatever the transport. Trades arrive every 2 to 4 ms (seeded).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services" / "polymarket_trader" / "tests"))

import aiohttp  # noqa: E402
from trader_testkit.builders import a_bbo, a_market, boot_events  # noqa: E402
from trader_testkit.harness import CoreHarness  # noqa: E402

from hourmm_common.clock import Clock, ScaledClock  # noqa: E402
from hourmm_common.hours import MINUTE_MS  # noqa: E402
from hourmm_common.logs import configure_logging  # noqa: E402
from hourmm_common.snapshot import BinanceSnapshot  # noqa: E402
from hourmm_sim.binance.server import BinanceStandIn  # noqa: E402
from hourmm_sim.history import candles_between, data_path, load_candles  # noqa: E402
from hourmm_sim.tape import Tape, TapeTrade, tape_from_candles  # noqa: E402
from polymarket_trader.core.decision import DecisionContext  # noqa: E402
from polymarket_trader.core.effects import OrderAction  # noqa: E402
from polymarket_trader.core.events import BinanceSnapshotEvent, Event, Token  # noqa: E402
from polymarket_trader.decision_loop import DecisionLoop  # noqa: E402
from polymarket_trader.snapshot_poller import SnapshotPoller  # noqa: E402

H = 1_750_075_200_000  # 2025-06-16T12:00:00Z: real 1-minute candles exist around it
BOOT_MS = H + 10 * MINUTE_MS  # scenario time when the stand-in starts (mid-hour: the open comes from REST)
LEAD_MS = 4_000  # time for the pricer process to start, connect and warm before the first bench trade
N_TRADES = 2_000  # per configuration
GAP_MS = 700  # between two configurations' segments (the next poller connects in it)
TAIL_MS = 300  # after a segment's last trade, before its session is closed
LONG_POLL_WAIT_MS = 1_000
POLL_HZ = 50
TARGET = "< 2"


class StampingClock:
    """The stand-in's clock: records when each bench trade starts to leave.

    The streaming loop wakes, reads `now_ms()` and hands every event due by that time to the
    connections' writers. So each reading of the time stamps every bench trade that it makes due:
    a trade is stamped no later than the reading that releases it. A reading by another task (a
    keep-alive, REST) can only stamp earlier than the send, which counts against us, never for us.
    """

    def __init__(self, inner: Clock, trade_times: list[int]) -> None:
        self.inner = inner
        self.trade_times = sorted(trade_times)
        self._next = 0
        self.stamps: dict[int, int] = {}

    def now_ms(self) -> int:
        now = self.inner.now_ms()
        times = self.trade_times
        if self._next < len(times) and times[self._next] <= now:
            stamp = time.perf_counter_ns()
            while self._next < len(times) and times[self._next] <= now:
                self.stamps[times[self._next]] = stamp
                self._next += 1
        return now

    async def sleep_until(self, deadline_ms: int) -> None:
        await self.inner.sleep_until(deadline_ms)


class Attributor:
    """Turns "a decision ran on a snapshot with last trade k" into latencies for trades up to k."""

    def __init__(self, segment: list[TapeTrade], index_of_cents: dict[int, int], stamps: dict[int, int]) -> None:
        self.segment = segment
        self.first = index_of_cents[round(segment[0].price * 100)]
        self.index_of_cents = index_of_cents
        self.stamps = stamps
        self.seen = -1  # position in the segment of the last trade already attributed
        self.latencies_ns: list[int] = []
        self.unstamped = 0
        self.steps = 0
        self.acted = 0  # steps that sent order actions: the trader is quoting, not idling

    def on_decision(self, snap: BinanceSnapshot | None, done_ns: int) -> None:
        if snap is None or snap.last_trade_price is None:
            return
        k = self.index_of_cents.get(round(snap.last_trade_price * 100))
        if k is None:
            return
        pos = min(k - self.first, len(self.segment) - 1)
        while self.seen < pos:
            self.seen += 1
            sent = self.stamps.get(self.segment[self.seen].ts_ms)
            if sent is None:
                self.unstamped += 1
            else:
                self.latencies_ns.append(done_ns - sent)


class ArrivalQueue(asyncio.Queue[Event]):
    """The poller's out queue, stamping when each snapshot event is handed over (decoded, in the trader)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived_ns: dict[int, int] = {}

    async def put(self, item: Event) -> None:
        if isinstance(item, BinanceSnapshotEvent):
            self.arrived_ns[item.snapshot.seq] = time.perf_counter_ns()
        await super().put(item)


class StampedLoop(DecisionLoop):
    """The trader's fixed-rate `DecisionLoop`, reporting each finished step to an `Attributor`."""

    attributor: Attributor | None = None

    def step(self, ctx: DecisionContext) -> list[OrderAction]:
        actions = super().step(ctx)
        if self.attributor is not None:
            self.attributor.on_decision(ctx.snapshot, time.perf_counter_ns())
        return actions


def build_tape(seed: int) -> tuple[Tape, list[list[TapeTrade]]]:
    """History up to BOOT_MS (REST only: warm start and the open), then four bench segments."""
    candles = candles_between(load_candles(data_path("1m_2025")), H - 125 * MINUTE_MS, BOOT_MS)
    history = [e for e in tape_from_candles(candles, seed=seed, trades_per_minute=60).events if e.ts_ms <= BOOT_MS]
    last = [e for e in history if isinstance(e, TapeTrade)][-1]
    rng = random.Random(seed)
    cents = round(last.price * 100)
    trade_id = last.trade_id
    t = BOOT_MS + LEAD_MS
    segments: list[list[TapeTrade]] = []
    for _ in range(2):  # one segment per trader transport
        seg = []
        for _ in range(N_TRADES):
            t += rng.randint(2, 4)
            cents += 1
            trade_id += 1
            seg.append(TapeTrade(ts_ms=t, trade_id=trade_id, price=cents / 100, qty=0.001,
                                 is_buyer_maker=bool(trade_id & 1)))
        segments.append(seg)
        t += GAP_MS
    return Tape([*history, *(tr for seg in segments for tr in seg)]), segments


class PricerProcess:
    """`python -m binance_pricer` on port 0; its port is read from its `started` log line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.port: asyncio.Future[int] | None = None
        self._drain: asyncio.Task[None] | None = None

    async def start(self) -> int:
        self.port = asyncio.get_running_loop().create_future()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "binance_pricer", env=self.env, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, preexec_fn=_die_with_parent)
        self._drain = asyncio.create_task(self._read_log())
        return await asyncio.wait_for(self.port, timeout=LEAD_MS / 1000)

    async def _read_log(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None and self.port is not None
        async for line in self.proc.stderr:  # read to the end, so the pipe never fills
            if not self.port.done():
                with contextlib.suppress(ValueError):
                    rec = json.loads(line)
                    if rec.get("event") == "started":
                        self.port.set_result(int(rec["http_port"]))

    def cpu_s(self) -> float | None:
        """User + system CPU seconds the process has used (Linux `/proc`; None elsewhere)."""
        assert self.proc is not None
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=5)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self._drain is not None:
            self._drain.cancel()
            await asyncio.gather(self._drain, return_exceptions=True)


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, SIGTERM it if this benchmark dies (say, a runner timeout)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def booted_trader(now_ms: int) -> CoreHarness:
    h = CoreHarness(now_ms=now_ms)
    h.feed_all(boot_events(a_market(H), ts=now_ms))
    h.feed(a_bbo(Token.UP, 0.45, 0.65, ts=now_ms), a_bbo(Token.DOWN, 0.35, 0.55, ts=now_ms))
    return h


async def run_session(clock: Clock, port: int, segment: list[TapeTrade], index_of_cents: dict[int, int],
                      stamps: dict[int, int], *, long_poll: bool) -> tuple[Attributor, Attributor, list[int]]:
    """One trader transport over one tape segment.

    Returns the on-snapshot and the 50 Hz attributions, and the trader's own share of the first:
    per snapshot, from its decoded hand-over by the poller to the end of the decision step.
    """
    on_snapshot = Attributor(segment, index_of_cents, stamps)
    on_tick = Attributor(segment, index_of_cents, stamps)
    trader_side_ns: list[int] = []
    h = booted_trader(clock.now_ms())
    h_tick = booted_trader(clock.now_ms())
    inbox = ArrivalQueue()
    async with aiohttp.ClientSession() as http:
        poller = SnapshotPoller(url=f"http://127.0.0.1:{port}/snapshot/latest", session=http, out=inbox, clock=clock,
                                poll_hz=POLL_HZ, long_poll_wait_ms=LONG_POLL_WAIT_MS if long_poll else 0)
        loop50 = StampedLoop(
            state_provider=lambda: h_tick.state, snapshot_provider=lambda: poller.latest, risk=h_tick.loop.risk,
            strategy=h_tick.loop.strategy, order_manager=h_tick.loop.order_manager, executor=h_tick.loop.executor,
            clock=clock, params=h_tick.params)
        loop50.attributor = on_tick

        async def decide_on_each_snapshot() -> None:
            while True:
                ev = await inbox.get()
                if not isinstance(ev, BinanceSnapshotEvent):
                    continue
                h.clock.set(max(h.clock.now_ms(), clock.now_ms()))
                h.feed(ev)  # the reducer folds the snapshot, then the decision step runs on it
                actions = h.loop.step(h.loop.build_context(h.state, ev.snapshot))
                done = time.perf_counter_ns()
                on_snapshot.on_decision(ev.snapshot, done)
                on_snapshot.steps += 1
                on_snapshot.acted += bool(actions)
                trader_side_ns.append(done - inbox.arrived_ns.pop(ev.snapshot.seq, done))
                h_tick.feed(ev)
                if actions:
                    h.echo(actions)

        tasks = [asyncio.create_task(poller.run()), asyncio.create_task(decide_on_each_snapshot()),
                 asyncio.create_task(loop50.run())]
        try:
            await clock.sleep_until(segment[-1].ts_ms + TAIL_MS)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return on_snapshot, on_tick, trader_side_ns


class ModeResult:
    """One pricer mode: both transports' attributions, and what the pricer spent on them."""

    def __init__(self) -> None:
        self.sessions: dict[str, tuple[Attributor, Attributor, list[int]]] = {}
        self.pricer_cpu_pct: float | None = None
        self.publishes_per_s = 0.0


async def _seq(port: int) -> int:
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/snapshot/latest") as resp:
        body = await resp.json()
    return int(body["seq"])


async def run_pricer_mode(on_event: bool, seed: int) -> ModeResult:
    tape, segments = build_tape(seed)
    clock = ScaledClock(wall_anchor_ms=time.time_ns() // 1_000_000, sim_start_ms=BOOT_MS, speed=1.0)
    index_of_cents = {round(t.price * 100): i for i, t in enumerate(tr for seg in segments for tr in seg)}
    stamping = StampingClock(clock, [t.ts_ms for seg in segments for t in seg])
    standin = BinanceStandIn(tape, stamping)
    await standin.start()
    env = dict(os.environ) | {
        "BINANCE_WS_URL": standin.ws_base_url, "BINANCE_REST_URL": standin.rest_base_url, "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": "0", "STALE_THRESHOLD_MS": "60000", "LOG_LEVEL": "INFO", "SNAPSHOT_PUBLISH_HZ": "50",
        "SNAPSHOT_PUBLISH_ON_EVENT": "true" if on_event else "false", "SNAPSHOT_MIN_PUBLISH_INTERVAL_MS": "1",
        "HOURMM_CLOCK_SPEED": "1", "HOURMM_CLOCK_SIM_START_MS": str(clock.sim_start_ms),
        "HOURMM_CLOCK_WALL_ANCHOR_MS": str(clock.wall_anchor_ms)}
    pricer = PricerProcess(env)
    out = ModeResult()
    try:
        port = await pricer.start()
        await clock.sleep_until(segments[0][0].ts_ms - GAP_MS)
        cpu0, seq0, wall0 = pricer.cpu_s(), await _seq(port), time.perf_counter()
        for name, seg in zip(("long-poll", "poll 50 Hz"), segments, strict=True):
            await clock.sleep_until(seg[0].ts_ms - GAP_MS // 2)  # connect the poller just before the segment
            out.sessions[name] = await run_session(clock, port, seg, index_of_cents, stamping.stamps,
                                                   long_poll=name == "long-poll")
        cpu1, seq1, wall = pricer.cpu_s(), await _seq(port), time.perf_counter() - wall0
        if cpu0 is not None and cpu1 is not None:
            out.pricer_cpu_pct = 100 * (cpu1 - cpu0) / wall
        out.publishes_per_s = (seq1 - seq0) / wall
    finally:
        await pricer.stop()
        await standin.stop()
    return out


def _pct(xs: list[int], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(q * len(s)))] / 1e6 if s else float("nan")


def _row(name: str, value: float, unit: str, target: str, **extra: Any) -> dict[str, Any]:
    peer = f" | {extra['peer']}: {extra['peer_value']:,.3f}" if "peer" in extra else ""
    print(f"{name} | {value:,.3f} {unit} | {target}{peer}")
    return {"name": name, "value": round(value, 3), "unit": unit, "target": target, **extra}


def main() -> list[dict[str, Any]]:
    configure_logging("WARNING", service="bench_event_to_decision")
    rows: list[dict[str, Any]] = []
    for on_event in (True, False):
        result = asyncio.run(run_pricer_mode(on_event, seed=11))
        pub = "publish on event" if on_event else "fixed 50 Hz publish"
        lp_snap, lp_tick, lp_trader = result.sessions["long-poll"]
        pl_snap, pl_tick, _ = result.sessions["poll 50 Hz"]
        for label, a, b in (("on snapshot", lp_snap, pl_snap), ("50 Hz decision loop", lp_tick, pl_tick)):
            judged = on_event and label == "on snapshot"
            quantiles = ((0.5, "p50"), (0.9, "p90"), (0.99, "p99")) if judged else ((0.5, "p50"), (0.99, "p99"))
            for q, qn in quantiles:
                target = (TARGET if qn == "p99" else f"({qn})") if judged else "(context)"
                rows.append(_row(f"event->decision {qn}, long-poll, {pub}, {label}", _pct(a.latencies_ns, q), "ms",
                                 target, peer="plain poll 50 Hz", peer_value=round(_pct(b.latencies_ns, q), 3)))
        if on_event:
            for q, qn in ((0.5, "p50"), (0.99, "p99")):
                rows.append(_row(f"  of which trader side (snapshot handed over -> decision done) {qn}, long-poll",
                                 _pct(lp_trader, q), "ms", "(context)"))
            rows.append(_row("  decision steps on snapshot that changed orders (long-poll; the rest keep 2 quotes)",
                             100 * lp_snap.acted / max(1, lp_snap.steps), "%", "(context)"))
        missing = sum(N_TRADES - len(a.latencies_ns) for a in (lp_snap, pl_snap, lp_tick, pl_tick))
        rows.append(_row(f"trades not measured ({pub}; of {4 * N_TRADES})", missing, "trades", "0"))
        rows.append(_row(f"pricer publishes ({pub}; {1000 // 3} trades/s in)", result.publishes_per_s, "/s",
                         "(context)"))
        if result.pricer_cpu_pct is not None:
            rows.append(_row(f"pricer process CPU ({pub})", result.pricer_cpu_pct, "% of a core", "(context)"))
    rows.append(_row("host load average over the last minute (other work competes for the 2 cores)",
                     os.getloadavg()[0], "runnable", "(context)"))
    return rows


if __name__ == "__main__":
    main()
