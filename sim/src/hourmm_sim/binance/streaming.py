"""The stand-in's streaming loop: walks the tape as the clock passes, fans out to subscribers.

In: the tape, the injected clock, subscriptions from connections. Out: encoded payloads queued on
each subscribed `ClientConnection` (trade, aggTrade, bookTicker, kline_<interval>). One task, one
cursor: it sleeps until the next event or the next kline push slot, then publishes everything at
or before "now". Kline state is kept per subscribed interval with the same `KlineAccumulator` that
REST uses, initialised from the tape when first wanted, so the stream and REST agree exactly.
Payloads are built once per event and only when someone listens; nothing is logged per message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from hourmm_common.clock import Clock
from hourmm_sim.binance import messages
from hourmm_sim.binance.connection import ClientConnection, StandInLimits
from hourmm_sim.klines import Kline, KlineAccumulator
from hourmm_sim.tape import Tape, TapeTrade


class _KlineState:
    """The running kline of one interval and whether it changed since the last push."""

    __slots__ = ("acc", "dirty", "interval", "name")

    def __init__(self, interval: str, name: str, acc: KlineAccumulator) -> None:
        self.interval = interval
        self.name = name
        self.acc = acc
        self.dirty = True


class StreamPublisher:
    """Owns the cursor into the tape and the subscriber sets; `run()` is the streaming task."""

    def __init__(
        self,
        tape: Tape,
        clock: Clock,
        *,
        symbol: str,
        limits: StandInLimits,
        counters: Counter[str],
        is_silent: Callable[[], bool],
    ) -> None:
        self._tape = tape
        self._clock = clock
        self._symbol = symbol
        self._limits = limits
        self._counters = counters
        self._is_silent = is_silent
        self._subscribers: dict[str, set[ClientConnection]] = {}
        self._klines: dict[str, _KlineState] = {}
        self._wanted_intervals: set[str] = set()
        lower = symbol.lower()
        self._trade_name = f"{lower}@trade"
        self._agg_name = f"{lower}@aggTrade"
        self._book_name = f"{lower}@bookTicker"
        self._cursor = 0
        self._processed_ms = 0
        self._next_push_ms = 0

    def start_at(self, now_ms: int) -> None:
        """Events at or before `now_ms` are history (REST only); streaming starts after them."""
        self._cursor = self._tape.index_at(now_ms)
        self._processed_ms = now_ms
        self._next_push_ms = self._next_slot(now_ms)

    # --- subscriptions --------------------------------------------------------------------

    def subscribe(self, client: ClientConnection, stream: messages.StreamName) -> None:
        name = stream.name
        self._subscribers.setdefault(name, set()).add(client)
        client.streams.add(name)
        if stream.interval is not None:
            self._wanted_intervals.add(stream.interval)

    def unsubscribe(self, client: ClientConnection, stream: messages.StreamName) -> None:
        self._subscribers.get(stream.name, set()).discard(client)
        client.streams.discard(stream.name)

    def unsubscribe_all(self, client: ClientConnection) -> None:
        for name in client.streams:
            self._subscribers.get(name, set()).discard(client)
        client.streams.clear()

    # --- the loop -------------------------------------------------------------------------

    async def run(self) -> None:
        events = self._tape.events
        while True:
            deadline = self._next_push_ms
            if self._cursor < len(events):
                deadline = min(deadline, events[self._cursor].ts_ms)
            await self._clock.sleep_until(deadline)
            self.advance(self._clock.now_ms())

    def advance(self, now_ms: int) -> None:
        """Publish every event at or before `now_ms`, close finished klines, push changed ones."""
        self._start_wanted_klines()
        events = self._tape.events
        symbol = self._symbol
        while self._cursor < len(events) and events[self._cursor].ts_ms <= now_ms:
            event = events[self._cursor]
            self._cursor += 1
            if isinstance(event, TapeTrade):
                self._on_trade(event, now_ms)
            else:
                listeners = self._listeners(self._book_name)
                if listeners:
                    self._fan_out(self._book_name, listeners, messages.book_ticker_payload(event, symbol))
        for state in self._klines.values():
            self._roll(state, now_ms, now_ms)
        if now_ms >= self._next_push_ms:
            self._push_changed_klines(now_ms)
            self._next_push_ms = self._next_slot(now_ms)
        self._processed_ms = now_ms

    def _next_slot(self, now_ms: int) -> int:
        push = self._limits.kline_push_ms
        return (now_ms // push + 1) * push

    def _on_trade(self, trade: TapeTrade, now_ms: int) -> None:
        for state in self._klines.values():
            self._roll(state, trade.ts_ms, now_ms)
            state.acc.add(trade)
            state.dirty = True
        listeners = self._listeners(self._trade_name)
        if listeners:
            self._fan_out(self._trade_name, listeners, messages.trade_payload(trade, self._symbol, now_ms))
        listeners = self._listeners(self._agg_name)
        if listeners:
            self._fan_out(self._agg_name, listeners, messages.agg_trade_payload(trade, self._symbol, now_ms))

    # --- klines ---------------------------------------------------------------------------

    def _start_wanted_klines(self) -> None:
        for interval in self._wanted_intervals - self._klines.keys():
            interval_ms = messages.INTERVALS_MS[interval]
            at = self._processed_ms
            open_ms = at - at % interval_ms
            acc = KlineAccumulator(interval_ms, open_ms, prev_close=self._tape.price_at(open_ms - 1))
            lo, hi = self._tape.trade_index_at(open_ms - 1), self._tape.trade_index_at(at)
            if hi > lo:
                acc.add_range(self._tape.trade_run(lo, hi))
            name = f"{self._symbol.lower()}@kline_{interval}"
            self._klines[interval] = _KlineState(interval, name, acc)

    def _roll(self, state: _KlineState, ts_ms: int, now_ms: int) -> None:
        """When `ts_ms` is past the running kline, publish it closed and open the one holding `ts_ms`."""
        acc = state.acc
        if ts_ms <= acc.close_time_ms:
            return
        if acc.has_price():
            closed = acc.snapshot(closed=True)
            self._publish_kline(state, closed, now_ms)
            prev_close: float | None = closed.close
        else:
            prev_close = None
        open_ms = ts_ms - ts_ms % acc.interval_ms
        state.acc = KlineAccumulator(acc.interval_ms, open_ms, prev_close=prev_close)
        state.dirty = False

    def _push_changed_klines(self, now_ms: int) -> None:
        for state in self._klines.values():
            if state.dirty and state.acc.has_price():
                self._publish_kline(state, state.acc.snapshot(closed=False), now_ms)
            state.dirty = False

    def _publish_kline(self, state: _KlineState, kline: Kline, now_ms: int) -> None:
        listeners = self._listeners(state.name)
        if listeners:
            self._fan_out(state.name, listeners, messages.kline_payload(kline, self._symbol, state.interval, now_ms))

    # --- fan-out --------------------------------------------------------------------------

    def _listeners(self, name: str) -> set[ClientConnection] | None:
        """Who gets stream `name` now: None when nobody listens or the server is silent."""
        subscribers = self._subscribers.get(name)
        if not subscribers:
            return None
        if self._is_silent():
            self._counters["ws_messages_suppressed"] += len(subscribers)
            return None
        return subscribers

    @staticmethod
    def _fan_out(name: str, listeners: set[ClientConnection], payload: bytes) -> None:
        """Queue one payload on every listener; the combined wrapper is built once, if needed."""
        wrapped = b""
        for client in listeners:
            if client.combined:
                wrapped = wrapped or messages.combined(name, payload)
                client.enqueue(wrapped)
            else:
                client.enqueue(payload)
