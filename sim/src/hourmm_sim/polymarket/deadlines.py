"""The venue's clocks: when a GTD order expires, when an owner's dead-man switch fires, when a
market closes and when it may resolve.

In: what to watch (a market's hour, a GTD order, a heartbeat) and scenario time. Out: what is
due at `now_ms` (order ids, owners, markets), for `clob.Clob.advance` to act on: this room only
keeps time, the engine does the cancelling, closing and paying. Heartbeats follow the real
venue's chain: each answer names the id the next heartbeat must send; an owner that misses the
deadline loses its orders, and a heartbeat after that starts a new chain.
"""

from __future__ import annotations

import heapq

from hourmm_sim.polymarket.clob_events import MarketSpec
from hourmm_sim.polymarket.clob_rules import ClobConfig
from hourmm_sim.polymarket.ids import VenueIds
from hourmm_sim.polymarket.matching import RestingOrder


class Deadlines:
    """Min-heaps of (due time, id) per kind, and each owner's heartbeat chain."""

    def __init__(self, config: ClobConfig, ids: VenueIds) -> None:
        self._config = config
        self._ids = ids
        self._expiries: list[tuple[int, str]] = []
        self._heartbeats: dict[str, tuple[str, int]] = {}  # owner -> (expected id, deadline)
        self._closing: list[tuple[int, str]] = []
        self._resolving: list[tuple[int, str]] = []

    def watch_market(self, spec: MarketSpec) -> None:
        """The market closes at its hour's end and may resolve `resolve_delay_ms` later."""
        heapq.heappush(self._closing, (spec.end_ms, spec.condition_id))
        heapq.heappush(self._resolving, (spec.end_ms + self._config.resolve_delay_ms, spec.condition_id))

    def watch_gtd(self, order: RestingOrder) -> None:
        """A resting GTD order is cancelled `gtd_margin_ms` before its expiration, as the venue does."""
        heapq.heappush(self._expiries, (order.expiration_s * 1000 - self._config.gtd_margin_ms, order.order_id))

    def heartbeat(self, owner: str, heartbeat_id: str, now_ms: int) -> tuple[bool, str]:
        """(accepted, id): the next id to send, or the expected one on a mismatch."""
        current = self._heartbeats.get(owner)
        if current is not None and heartbeat_id != current[0]:
            return False, current[0]
        # No chain and an id sent: a stale chain after expiry. A new chain starts, but the real
        # venue answers 400 with its id.
        accepted = current is not None or heartbeat_id == ""
        new_id = self._ids.uuid("hb")
        self._heartbeats[owner] = (new_id, now_ms + self._config.deadman_ms)
        return accepted, new_id

    def expired_orders(self, now_ms: int) -> list[str]:
        """GTD orders due to expire (whatever their status now: the caller checks)."""
        return _pop_due(self._expiries, now_ms)

    def lapsed_owners(self, now_ms: int) -> list[str]:
        """Owners whose heartbeat deadline passed; their chains end here."""
        lapsed = [owner for owner, (_, deadline) in self._heartbeats.items() if now_ms > deadline]
        for owner in lapsed:
            del self._heartbeats[owner]
        return lapsed

    def markets_to_close(self, now_ms: int) -> list[str]:
        return _pop_due(self._closing, now_ms)

    def next_to_resolve(self, now_ms: int) -> str | None:
        """The first market due to resolve, left in place until `resolved()`: a market whose
        candle is not final yet stays first, and is asked again on the next step."""
        return self._resolving[0][1] if self._resolving and self._resolving[0][0] <= now_ms else None

    def resolved(self) -> None:
        heapq.heappop(self._resolving)


def _pop_due(heap: list[tuple[int, str]], now_ms: int) -> list[str]:
    due = []
    while heap and heap[0][0] <= now_ms:
        due.append(heapq.heappop(heap)[1])
    return due
