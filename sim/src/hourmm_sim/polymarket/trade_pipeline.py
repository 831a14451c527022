"""The trade pipeline: from the fills of one match to trades that end CONFIRMED or FAILED.

In: the fills `Book.match` produced for a taker, and scenario time. The fills of each price level
become one trade (`TradeRecord`), settled at once into the ledger as pending credits; then, on
the configured delays, the trade moves MATCHED -> MINED (the credits become spendable) ->
CONFIRMED. Injected faults make the next trades of chosen owners end FAILED (the ledger undoes
them) or pass through RETRYING first, as the real venue's failed settlements do. Out: the
records and the `TradeEvent` of every status change, returned for the engine to deliver. Called
by `clob.Clob` only; deterministic (ids from `VenueIds`, no clock, no IO).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import msgspec

from hourmm_sim.polymarket.clob_events import MarketSpec, TradeEvent, TradeRecord
from hourmm_sim.polymarket.clob_rules import ClobConfig
from hourmm_sim.polymarket.ids import VenueIds
from hourmm_sim.polymarket.ledger import Ledger
from hourmm_sim.polymarket.matching import Fill, RestingOrder
from hourmm_sim.polymarket.settlement import settle_level

PENDING = ("MATCHED", "RETRYING")  # not yet on chain: may still be mined, retried or fail


@dataclass(slots=True)
class _TradeFault:
    kind: str
    owners: frozenset[str] | None
    remaining: int


@dataclass(slots=True)
class Trade:
    """A trade's latest record and what its settlement will do when it is due."""

    record: TradeRecord
    fail: bool = False
    retry: bool = False


class TradePipeline:
    """Every trade of the venue, by id, and the queues of those waiting to be mined or confirmed."""

    def __init__(self, config: ClobConfig, ledger: Ledger, ids: VenueIds) -> None:
        self._config = config
        self._ledger = ledger
        self._ids = ids
        self.trades: dict[str, Trade] = {}
        self._order_trades: dict[str, list[str]] = {}
        self._faults: list[_TradeFault] = []
        self._matched: deque[tuple[int, str]] = deque()  # (due to be mined, trade id), in time order
        self._mined: deque[tuple[int, str]] = deque()  # (due to be confirmed, trade id)

    def trade_ids_of(self, order_id: str) -> tuple[str, ...]:
        return tuple(self._order_trades.get(order_id, ()))

    def settle(self, spec: MarketSpec, taker: RestingOrder, fills: list[Fill], now_ms: int) -> list[TradeRecord]:
        """One MATCHED trade per price level of `fills` (they come best price first)."""
        trades: list[TradeRecord] = []
        i = 0
        while i < len(fills):
            j = i
            while j < len(fills) and fills[j].up_price_u == fills[i].up_price_u:
                j += 1
            trades.append(self._settle_level(spec, taker, fills[i:j], now_ms))
            i = j
        return trades

    def _settle_level(self, spec: MarketSpec, taker: RestingOrder, fills: list[Fill], now_ms: int) -> TradeRecord:
        level = settle_level(self._ledger, spec, taker, fills)
        trade_id = self._ids.uuid("trade")
        tx_hash = "0x" + self._ids.digest("tx").hex()
        self._ledger.settle_match(trade_id, level.settlement)
        record = TradeRecord(
            trade_id=trade_id, market=spec.condition_id, taker_order_id=taker.order_id, taker_owner=taker.owner,
            taker_address=taker.maker_address, token=taker.token, side=taker.side, size_u=level.size_u,
            price_u=level.taker_price_u, fee_rate_bps=spec.fee_rate_e5 // 10, makers=level.makers,
            status="MATCHED", match_ms=now_ms, last_update_ms=now_ms, tx_hash=tx_hash,
        )
        fail = self._take_fault("fail", record)
        retry = not fail and self._take_fault("retry", record)
        self.trades[trade_id] = Trade(record, fail=fail, retry=retry)
        self._matched.append((now_ms + self._config.mined_delay_ms, trade_id))
        for fill in fills:
            self._order_trades.setdefault(fill.maker.order_id, []).append(trade_id)
        self._order_trades.setdefault(taker.order_id, []).append(trade_id)
        return record

    def advance(self, now_ms: int) -> list[TradeEvent]:
        """Mine and confirm the trades due at `now_ms`."""
        events: list[TradeEvent] = []
        while self._matched and self._matched[0][0] <= now_ms:
            _, trade_id = self._matched.popleft()
            self._progress(trade_id, now_ms, events)
        while self._mined and self._mined[0][0] <= now_ms:
            _, trade_id = self._mined.popleft()
            trade = self.trades[trade_id]
            if trade.record.status == "MINED":
                self._set_status(trade, "CONFIRMED", now_ms, events)
        return events

    def settle_market(self, market_id: str, now_ms: int) -> list[TradeEvent]:
        """Before a market resolves: every pending trade of it is mined (or fails) now, no retry."""
        events: list[TradeEvent] = []
        for trade_id, trade in self.trades.items():
            if trade.record.market == market_id and trade.record.status in PENDING:
                trade.retry = False
                self._progress(trade_id, now_ms, events)
        return events

    def _progress(self, trade_id: str, now_ms: int, events: list[TradeEvent]) -> None:
        trade = self.trades[trade_id]
        if trade.record.status not in PENDING:
            return
        if trade.retry:  # the first settlement attempt failed on chain; the operator retries it
            trade.retry = False
            self._set_status(trade, "RETRYING", now_ms, events)
            self._matched.append((now_ms + self._config.mined_delay_ms, trade_id))
            return
        if trade.fail:
            self._ledger.fail(trade_id)
            self._set_status(trade, "FAILED", now_ms, events)
            return
        self._ledger.mine(trade_id)
        self._set_status(trade, "MINED", now_ms, events)
        self._mined.append((now_ms + self._config.confirmed_delay_ms - self._config.mined_delay_ms, trade_id))

    @staticmethod
    def _set_status(trade: Trade, status: str, now_ms: int, events: list[TradeEvent]) -> None:
        trade.record = msgspec.structs.replace(trade.record, status=status, last_update_ms=now_ms)
        events.append(TradeEvent(trade=trade.record, ts_ms=now_ms))

    def add_fault(self, kind: str, count: int, owners: frozenset[str] | None = None) -> None:
        """The next `count` trades involving one of `owners` (any trade: None) end FAILED
        (`kind` "fail") or pass through RETRYING (`kind` "retry")."""
        if kind not in ("fail", "retry"):
            raise ValueError(f"unknown trade fault {kind!r}")
        self._faults.append(_TradeFault(kind=kind, owners=owners, remaining=count))

    def _take_fault(self, kind: str, record: TradeRecord) -> bool:
        for fault in self._faults:
            if fault.kind != kind or fault.remaining <= 0:
                continue
            if fault.owners is None or record.taker_owner in fault.owners or \
                    any(m.owner in fault.owners for m in record.makers):
                fault.remaining -= 1
                return True
        return False
