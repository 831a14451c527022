"""The hour being priced, its open, and the latest market state (pure; time is an argument).

In: trade, bookTicker and kline events, REST-backfilled opens, and `now_ms` at snapshot time.
Out: a frozen `HourContext` per snapshot, and `OpenNotice`s (open set, corrected, mismatched)
for the edge to log.

The open rule (spec amendments): the open of hour H is the price of the first trade whose
exchange time is at or after H. Trade ids on Binance spot are contiguous and increase with time,
so the first trade of H is the trade whose predecessor (id - 1) is the last trade before H. The
builder only takes a trade as the open when it has *seen* that predecessor: then the open is
proven even if trades arrive late or out of order around the boundary. Otherwise (start
mid-hour, or a reconnect gap that may hide the first trade) the open stays unknown until the
REST backfill (`rest_kline`) or the kline stream (`ws_kline`) supplies it. The kline stream is
the cross-check: on a mismatch the kline value wins.

Hour boundaries follow exchange time: a trade stamped in a later hour rolls the context at once;
the local clock rolls it too when no event says so (a silent feed still reaches the next hour).
"""

from __future__ import annotations

import msgspec

from binance_pricer.core.events import PRICE_SCALE, BookTickerEvent, KlineEvent, TradeEvent
from hourmm_common.enums import OpenSource
from hourmm_common.hours import HOUR_MS, hour_id, hour_start_ms

HOUR_INTERVAL = "1h"


class HourContext(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A consistent view of the hour at `now_ms`: everything the pricer and snapshot need."""

    now_ms: int
    hour_id: str
    hour_start_ms: int
    hour_end_ms: int
    t_remaining_ms: int
    open_e8: int | None
    open_source: OpenSource | None
    last_trade_e8: int | None
    last_trade_ts_exchange_ms: int | None
    bid_e8: int | None
    bid_qty: float | None
    ask_e8: int | None
    ask_qty: float | None
    ts_exchange_ms: int  # latest exchange time of any event seen; 0 = none yet

    @property
    def open_price(self) -> float | None:
        return None if self.open_e8 is None else self.open_e8 / PRICE_SCALE

    @property
    def mid(self) -> float | None:
        if self.bid_e8 is None or self.ask_e8 is None:
            return None
        return (self.bid_e8 + self.ask_e8) / (2 * PRICE_SCALE)

    @property
    def reference_price(self) -> float | None:
        """S of the pricer: the BBO mid, else the last trade."""
        mid = self.mid
        if mid is not None:
            return mid
        return None if self.last_trade_e8 is None else self.last_trade_e8 / PRICE_SCALE


class OpenNotice(msgspec.Struct, frozen=True, kw_only=True):
    """Something the operator should see about an open: `kind` is set, corrected or mismatch."""

    kind: str
    hour_start_ms: int
    open_e8: int
    source: OpenSource
    previous_e8: int | None = None


class HourContextBuilder:
    """Owns the current hour's open and the latest trade/BBO; one instance per process."""

    # Slots: the hot path reads and writes these on every event (no instance dict).
    __slots__ = ("_candidate_e8", "_candidate_id", "_max_id_before_hour", "_max_trade_id", "ask_e8", "ask_qty",
        "bid_e8", "bid_qty", "hour_end_ms", "hour_id", "hour_start_ms", "hours_rolled", "last_trade_e8",
        "last_trade_ts_exchange_ms", "notices", "open_e8", "open_source", "ts_exchange_ms")

    def __init__(self, now_ms: int) -> None:
        self.hour_start_ms = hour_start_ms(now_ms)
        self.hour_end_ms = self.hour_start_ms + HOUR_MS
        self.hour_id = hour_id(self.hour_start_ms)
        self.open_e8: int | None = None
        self.open_source: OpenSource | None = None
        self.last_trade_e8: int | None = None
        self.last_trade_ts_exchange_ms: int | None = None
        self._max_trade_id = -1
        self._max_id_before_hour: int | None = None  # highest trade id seen stamped before the hour
        self._candidate_id: int | None = None  # lowest trade id seen stamped in the hour
        self._candidate_e8 = 0
        self.bid_e8: int | None = None
        self.ask_e8: int | None = None
        self.bid_qty: float | None = None
        self.ask_qty: float | None = None
        self.ts_exchange_ms = 0
        self.hours_rolled = 0
        self.notices: list[OpenNotice] = []

    # -- events -----------------------------------------------------------------------------

    def update_from_trade(self, ev: TradeEvent) -> None:
        ts = ev.ts_exchange_ms
        if ts >= self.hour_end_ms:
            self.reset_for_new_hour(hour_start_ms(ts))
        if ts > self.ts_exchange_ms:
            self.ts_exchange_ms = ts
        tid = ev.trade_id
        if tid > self._max_trade_id:
            self._max_trade_id = tid
            self.last_trade_e8 = ev.price_e8
            self.last_trade_ts_exchange_ms = ts
        if self.open_e8 is None:
            # Only an unknown open needs the proof; once known, nothing in this hour reads it.
            self._seek_open(tid, ts, ev.price_e8)

    def _seek_open(self, tid: int, ts: int, price_e8: int) -> None:
        if ts < self.hour_start_ms:
            # A late trade of an earlier hour: it may be the predecessor that proves the open.
            if self._max_id_before_hour is None or tid > self._max_id_before_hour:
                self._max_id_before_hour = tid
        elif self._candidate_id is None or tid < self._candidate_id:
            self._candidate_id = tid
            self._candidate_e8 = price_e8
        if self._candidate_id is not None:
            before = self._max_id_before_hour
            if before is not None and self._candidate_id == before + 1:
                self._set_open(self._candidate_e8, OpenSource.TRADE)

    def update_from_book(self, ev: BookTickerEvent) -> None:
        self.bid_e8 = ev.bid_e8
        self.ask_e8 = ev.ask_e8
        self.bid_qty = ev.bid_qty
        self.ask_qty = ev.ask_qty
        if ev.ts_exchange_ms is not None and ev.ts_exchange_ms > self.ts_exchange_ms:
            self.ts_exchange_ms = ev.ts_exchange_ms

    def update_from_kline(self, ev: KlineEvent) -> None:
        """The kline stream's `k.o` for this hour is the exchange's own open: it wins."""
        if ev.ts_exchange_ms > self.ts_exchange_ms:
            self.ts_exchange_ms = ev.ts_exchange_ms
        if ev.interval != HOUR_INTERVAL or ev.open_time_ms % HOUR_MS:
            return
        if ev.open_time_ms > self.hour_start_ms:
            self.reset_for_new_hour(ev.open_time_ms)
        if ev.open_time_ms != self.hour_start_ms:
            return
        if self.open_e8 is None:
            self._set_open(ev.open_e8, OpenSource.WS_KLINE)
        elif self.open_e8 != ev.open_e8:
            previous = self.open_e8
            self.open_e8 = ev.open_e8
            self.open_source = OpenSource.WS_KLINE
            self.notices.append(
                OpenNotice(kind="corrected", hour_start_ms=self.hour_start_ms, open_e8=ev.open_e8,
                           source=OpenSource.WS_KLINE, previous_e8=previous)
            )

    def update_from_rest_open(self, start_ms: int, open_e8: int) -> bool:
        """A REST-backfilled open for the hour starting at `start_ms`; True when it was used."""
        if start_ms != self.hour_start_ms:
            return False
        if self.open_e8 is None:
            self._set_open(open_e8, OpenSource.REST_KLINE)
            return True
        if self.open_e8 != open_e8:
            self.notices.append(
                OpenNotice(kind="mismatch", hour_start_ms=start_ms, open_e8=open_e8,
                           source=OpenSource.REST_KLINE, previous_e8=self.open_e8)
            )
        return False

    # -- time -------------------------------------------------------------------------------

    def update_clock(self, now_ms: int) -> None:
        """Roll to the hour containing `now_ms` when no event has done it yet."""
        if now_ms >= self.hour_end_ms:
            self.reset_for_new_hour(hour_start_ms(now_ms))

    def reset_for_new_hour(self, start_ms: int) -> None:
        """Forget the open; remember the last trade id before the new hour (the proof anchor)."""
        if start_ms <= self.hour_start_ms:
            return
        self.hour_start_ms = start_ms
        self.hour_end_ms = start_ms + HOUR_MS
        self.hour_id = hour_id(start_ms)
        self.open_e8 = None
        self.open_source = None
        # Every trade seen so far is stamped before the new hour (a later one would have rolled).
        self._max_id_before_hour = self._max_trade_id if self._max_trade_id >= 0 else None
        self._candidate_id = None
        self._candidate_e8 = 0
        self.hours_rolled += 1

    def backfill_due_ms(self, grace_ms: int) -> int | None:
        """When the REST backfill for the current hour should run, or None if not needed."""
        if self.open_e8 is not None:
            return None
        return self.hour_start_ms + grace_ms

    def get_context(self, now_ms: int) -> HourContext:
        self.update_clock(now_ms)
        remaining = self.hour_end_ms - now_ms
        return HourContext(
            now_ms=now_ms,
            hour_id=self.hour_id,
            hour_start_ms=self.hour_start_ms,
            hour_end_ms=self.hour_end_ms,
            t_remaining_ms=min(HOUR_MS, max(0, remaining)),
            open_e8=self.open_e8,
            open_source=self.open_source,
            last_trade_e8=self.last_trade_e8,
            last_trade_ts_exchange_ms=self.last_trade_ts_exchange_ms,
            bid_e8=self.bid_e8,
            bid_qty=self.bid_qty,
            ask_e8=self.ask_e8,
            ask_qty=self.ask_qty,
            ts_exchange_ms=self.ts_exchange_ms,
        )

    def drain_notices(self) -> list[OpenNotice]:
        out, self.notices = self.notices, []
        return out

    def _set_open(self, open_e8: int, source: OpenSource) -> None:
        self.open_e8 = open_e8
        self.open_source = source
        self.notices.append(
            OpenNotice(kind="set", hour_start_ms=self.hour_start_ms, open_e8=open_e8, source=source)
        )
