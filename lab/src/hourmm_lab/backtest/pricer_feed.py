"""The pricer service's pure core replayed over a tape, in process: events in, snapshots out.

The same `Ingest` -> `HourContextBuilder` / `FeatureEngine` -> `Pricer` -> `SnapshotBuilder` chain
as `binance_pricer.app`, minus the sockets: tape trades and quotes become the service's own
`TradeEvent` / `BookTickerEvent` (received `latency_ms` after exchange time), and a snapshot is
built whenever the backtest asks. The feature engine is warm-started from the minute closes
before the first tape event, as the service does at boot from REST klines.
"""

from __future__ import annotations

from collections.abc import Sequence

from binance_pricer.core.events import PRICE_SCALE, BookTickerEvent, TradeEvent
from binance_pricer.core.features import DefaultFeatureEngine, FeatureParams
from binance_pricer.core.health import DEFAULT_STALE_THRESHOLD_MS, FeedStatus, HealthTracker
from binance_pricer.core.hour_context import HourContextBuilder
from binance_pricer.core.pricer import BaselinePricer, PricerParams
from binance_pricer.core.snapshot_builder import Ingest, SnapshotBuilder
from hourmm_common.snapshot import BinanceSnapshot
from hourmm_sim.tape import Tape, TapeTrade

_CONNECTED = FeedStatus(connected=True)


class PricerReplay:
    """Feeds tape events up to `now - latency` into the pricer core; builds snapshots on demand."""

    def __init__(self, tape: Tape, start_ms: int, warm_closes: Sequence[float], *, latency_ms: int = 0,
                 features: FeatureParams | None = None, pricer: PricerParams | None = None) -> None:
        self.tape = tape
        self.latency_ms = latency_ms
        hours = HourContextBuilder(start_ms)
        engine = DefaultFeatureEngine(features)
        engine.warm_start(warm_closes)
        health = HealthTracker(stale_threshold_ms=DEFAULT_STALE_THRESHOLD_MS, started_ms=start_ms)
        self.ingest = Ingest(hours, engine, health)
        self.builder = SnapshotBuilder(hours, engine, BaselinePricer(pricer), health)
        self._next = tape.index_at(start_ms - 1)  # events at or before start were history
        self._seq = 0

    def advance(self, now_ms: int) -> int:
        """Deliver every event received by `now_ms`; returns how many were delivered."""
        events = self.tape.events
        until = self.tape.index_at(now_ms - self.latency_ms)
        lat = self.latency_ms
        on_event = self.ingest.on_event
        for i in range(self._next, until):
            ev = events[i]
            if isinstance(ev, TapeTrade):
                on_event(TradeEvent(trade_id=ev.trade_id, price_e8=round(ev.price * PRICE_SCALE), qty=ev.qty,
                                    is_buyer_maker=ev.is_buyer_maker, ts_exchange_ms=ev.ts_ms,
                                    ts_local_ms=ev.ts_ms + lat))
            else:
                on_event(BookTickerEvent(update_id=ev.update_id, bid_e8=round(ev.bid * PRICE_SCALE),
                                         bid_qty=ev.bid_qty, ask_e8=round(ev.ask * PRICE_SCALE), ask_qty=ev.ask_qty,
                                         ts_exchange_ms=None, ts_local_ms=ev.ts_ms + lat))
        delivered = max(0, until - self._next)
        self._next = max(self._next, until)
        return delivered

    def snapshot(self, now_ms: int) -> BinanceSnapshot:
        self.advance(now_ms)
        self._seq += 1
        return self.builder.build(self._seq, now_ms, _CONNECTED)
