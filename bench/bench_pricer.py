"""Container A ingest benchmark: decode + hour context + features (+ pricer), one core.

Messages: the real recorded BTCUSDT spot trades (2,001, 2021-01-08) merged with the recorded top
of book (451 quotes); one real hour of 1-minute candles (2025-06-16 12:00) replayed as a
trade/quote tape by the local stand-in's expander (sparse: ~2 messages/s, so nearly every message
closes a one-second sample); and ten of those minutes at Binance-like density (~50 messages/s).
All are encoded as Binance combined-stream frames.
Figures: ingest messages/s with msgspec (the service's path) and with stdlib `json` (same
translation, for the ratio), the full path with a fair value priced after every message, and
the time to build (and encode) one snapshot.
"""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from binance_pricer.core.events import BinanceEvent, BookTickerEvent, KlineEvent, TradeEvent
from binance_pricer.core.features import DefaultFeatureEngine
from binance_pricer.core.health import FeedStatus, HealthTracker
from binance_pricer.core.hour_context import HourContextBuilder
from binance_pricer.core.pricer import BaselinePricer
from binance_pricer.core.snapshot_builder import Ingest, SnapshotBuilder
from binance_pricer.wire import decimal_to_e8, decode_frame
from hourmm_common.hours import HOUR_MS, MINUTE_MS
from hourmm_common.snapshot import encode_snapshot
from hourmm_sim.history import candles_between, data_path, load_candles
from hourmm_sim.tape import TapeQuote, TapeTrade, tape_from_candles, tape_from_recorded

_ENC = msgspec.json.Encoder()
REPLAY_HOUR_MS = 1_750_075_200_000  # 2025-06-16T12:00:00Z


def _price(p: float) -> str:
    return f"{p:.8f}"


def frames_from_tape(events: Sequence[TapeTrade | TapeQuote]) -> list[tuple[bytes, int]]:
    """(combined-stream frame, local receive ms) in tape order, as Binance would send them."""
    out = []
    for e in events:
        if isinstance(e, TapeTrade):
            data = {"e": "trade", "E": e.ts_ms + 1, "s": "BTCUSDT", "t": e.trade_id, "p": _price(e.price),
                    "q": f"{e.qty:.8f}", "T": e.ts_ms, "m": e.is_buyer_maker, "M": True}
            out.append((_ENC.encode({"stream": "btcusdt@trade", "data": data}), e.ts_ms + 3))
        else:
            data = {"u": e.update_id, "s": "BTCUSDT", "b": _price(e.bid), "B": f"{e.bid_qty:.8f}",
                    "a": _price(e.ask), "A": f"{e.ask_qty:.8f}"}
            out.append((_ENC.encode({"stream": "btcusdt@bookTicker", "data": data}), e.ts_ms + 3))
    return out


def decode_frame_stdlib(raw: bytes, ts_local_ms: int) -> BinanceEvent | None:
    """The same translation as `wire.decode_frame`, decoding with stdlib json (the comparison)."""
    env = json.loads(raw)
    d = env["data"]
    kind = env["stream"].rpartition("@")[2]
    if kind == "trade":
        return TradeEvent(trade_id=d["t"], price_e8=decimal_to_e8(d["p"]), qty=float(d["q"]),
                          is_buyer_maker=d["m"], ts_exchange_ms=d["T"], ts_local_ms=ts_local_ms)
    if kind == "bookTicker":
        return BookTickerEvent(update_id=d["u"], bid_e8=decimal_to_e8(d["b"]), bid_qty=float(d["B"]),
                               ask_e8=decimal_to_e8(d["a"]), ask_qty=float(d["A"]), ts_exchange_ms=d.get("T"),
                               ts_local_ms=ts_local_ms)
    k = d["k"]
    return KlineEvent(interval=k["i"], open_time_ms=k["t"], close_time_ms=k["T"], open_e8=decimal_to_e8(k["o"]),
                      close_e8=decimal_to_e8(k["c"]), is_closed=k["x"], ts_exchange_ms=d["E"],
                      ts_local_ms=ts_local_ms)


def _pipeline(start_ms: int) -> tuple[Ingest, SnapshotBuilder]:
    hours = HourContextBuilder(start_ms)
    feats = DefaultFeatureEngine()
    feats.warm_start([100_000.0 * (1 + 0.0004 * ((i * 7919) % 13 - 6) / 6) for i in range(121)])
    health = HealthTracker(3_000, started_ms=start_ms)
    return Ingest(hours, feats, health), SnapshotBuilder(hours, feats, BaselinePricer(), health)


def _best_rate(frames: list[tuple[bytes, int]], step: Callable[[Ingest, SnapshotBuilder, bytes, int], None],
               repeats: int = 5) -> float:
    """Best of `repeats` full passes (fresh state each), messages per second."""
    best = 0.0
    for _ in range(repeats):
        ingest, builder = _pipeline(frames[0][1])
        gc.collect()
        t0 = time.perf_counter()
        for raw, local in frames:
            step(ingest, builder, raw, local)
        dt = time.perf_counter() - t0
        best = max(best, len(frames) / dt)
    return best


def _ingest_msgspec(ingest: Ingest, _: SnapshotBuilder, raw: bytes, local: int) -> None:
    ev = decode_frame(raw, local)
    if ev is not None:
        ingest.on_event(ev)


def _ingest_stdlib(ingest: Ingest, _: SnapshotBuilder, raw: bytes, local: int) -> None:
    ev = decode_frame_stdlib(raw, local)
    if ev is not None:
        ingest.on_event(ev)


def _ingest_and_price(ingest: Ingest, builder: SnapshotBuilder, raw: bytes, local: int) -> None:
    ev = decode_frame(raw, local)
    if ev is not None:
        ingest.on_event(ev)
        ctx = builder.hours.get_context(local)
        builder.pricer.price(ctx, builder.features.snapshot(ctx))


def _snapshot_us(frames: list[tuple[bytes, int]], *, encode: bool) -> float:
    ingest, builder = _pipeline(frames[0][1])
    for raw, local in frames:
        _ingest_msgspec(ingest, builder, raw, local)
    now = frames[-1][1] + 10
    feed = FeedStatus(connected=True)
    for i in range(2_000):  # warm-up: caches, allocator
        builder.build(i + 1, now, feed)
    gc.collect()
    samples = []
    for _ in range(30):
        n = 2_000
        t0 = time.perf_counter()
        if encode:
            for i in range(n):
                encode_snapshot(builder.build(i + 1, now, feed))
        else:
            for i in range(n):
                builder.build(i + 1, now, feed)
        samples.append((time.perf_counter() - t0) / n * 1e6)
    return statistics.median(samples)


def load_frames() -> dict[str, list[tuple[bytes, int]]]:
    recorded = tape_from_recorded()
    candles = candles_between(load_candles(data_path("1m_2025")), REPLAY_HOUR_MS, REPLAY_HOUR_MS + HOUR_MS)
    replay = tape_from_candles(candles, seed=1, trades_per_minute=100)
    dense = tape_from_candles(candles[:10], seed=1, trades_per_minute=1_500)  # ~25 trades/s, like Binance
    assert len(candles) == HOUR_MS // MINUTE_MS
    return {"recorded": frames_from_tape(recorded.events), "replayed": frames_from_tape(replay.events),
            "replayed dense": frames_from_tape(dense.events)}


def main() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    sets = load_frames()
    for name, frames in sets.items():
        fast = _best_rate(frames, _ingest_msgspec)
        slow = _best_rate(frames, _ingest_stdlib)
        rows.append({"name": f"ingest {name} ({len(frames)} msgs): decode+hour+features", "value": round(fast),
                     "unit": "msgs/s", "target": ">= 300000", "peer": "stdlib json", "peer_value": round(slow)})
    priced = _best_rate(sets["replayed"], _ingest_and_price, repeats=3)
    rows.append({"name": "ingest replayed + fair value after every message", "value": round(priced),
                 "unit": "msgs/s", "target": "(worst case; service prices at 50 Hz)"})
    med = _snapshot_us(sets["replayed"], encode=False)
    rows.append({"name": "snapshot build (context+features+pricer), median", "value": round(med, 2), "unit": "us",
                 "target": "< 50"})
    med_enc = _snapshot_us(sets["replayed"], encode=True)
    rows.append({"name": "snapshot build + JSON encode, median", "value": round(med_enc, 2), "unit": "us",
                 "target": "< 50"})
    for r in rows:
        extra = f" | {r['peer']}: {r['peer_value']} ({r['value'] / r['peer_value']:.1f}x)" if "peer" in r else ""
        print(f"{r['name']} | {r['value']} {r['unit']} | {r['target']}{extra}")
    return rows


if __name__ == "__main__":
    main()
