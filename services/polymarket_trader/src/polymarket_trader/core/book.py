"""A pure L2 order book per token, kept by the market websocket edge to derive the top of book.

In: `book` snapshots (replace everything), `price_change` levels (`size` is the level's new
total, 0 deletes it), tick-size changes (start a new epoch). Out: the best bid and ask with their
sizes. The edge emits a `MarketBboEvent` only when `top()` differs from the last one it emitted.

A tick-size change invalidates the ladder (levels on the old grid), so the book is dropped and
every price change is ignored until the next snapshot arrives (Nautilus' "book epoch"); until then
`top()` reports an empty book, which the reducer treats as no market.

Updates are O(1) except when the best level itself is removed, which rescans one side.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec


class Top(msgspec.Struct, frozen=True, kw_only=True):
    best_bid_e4: int | None
    best_ask_e4: int | None
    bid_size_e6: int = 0
    ask_size_e6: int = 0


EMPTY_TOP = Top(best_bid_e4=None, best_ask_e4=None)


class _Side:
    """One ladder: price -> size, with the best price cached."""

    __slots__ = ("best", "is_bid", "levels")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[int, int] = {}
        self.best: int | None = None

    def clear(self) -> None:
        self.levels.clear()
        self.best = None

    def set(self, price_e4: int, size_e6: int) -> None:
        if size_e6 <= 0:
            if self.levels.pop(price_e4, None) is not None and price_e4 == self.best:
                self._rescan()
            return
        self.levels[price_e4] = size_e6
        if self.best is None or (price_e4 > self.best if self.is_bid else price_e4 < self.best):
            self.best = price_e4

    def _rescan(self) -> None:
        if not self.levels:
            self.best = None
        else:
            self.best = max(self.levels) if self.is_bid else min(self.levels)

    def best_size(self) -> int:
        return 0 if self.best is None else self.levels[self.best]


class L2Book:
    """The book of one token. Mutable, but only through these pure methods (no IO, no clock)."""

    __slots__ = ("_asks", "_bids", "awaiting_snapshot", "epoch")

    def __init__(self) -> None:
        self._bids = _Side(is_bid=True)
        self._asks = _Side(is_bid=False)
        self.epoch = 0
        self.awaiting_snapshot = True

    def apply_snapshot(self, bids: Iterable[tuple[int, int]], asks: Iterable[tuple[int, int]]) -> None:
        """Replace the whole book (the venue lists best levels last; order does not matter here)."""
        self._bids.clear()
        self._asks.clear()
        for price, size in bids:
            self._bids.set(price, size)
        for price, size in asks:
            self._asks.set(price, size)
        self.awaiting_snapshot = False

    def apply_level(self, is_bid: bool, price_e4: int, size_e6: int) -> bool:
        """Set one level's total size (0 deletes). False when ignored (waiting for a snapshot)."""
        if self.awaiting_snapshot:
            return False
        (self._bids if is_bid else self._asks).set(price_e4, size_e6)
        return True

    def start_epoch(self) -> None:
        """A tick-size change: drop the ladder and ignore deltas until the next snapshot."""
        self._bids.clear()
        self._asks.clear()
        self.epoch += 1
        self.awaiting_snapshot = True

    def top(self) -> Top:
        if self._bids.best is None and self._asks.best is None:
            return EMPTY_TOP
        return Top(
            best_bid_e4=self._bids.best,
            best_ask_e4=self._asks.best,
            bid_size_e6=self._bids.best_size(),
            ask_size_e6=self._asks.best_size(),
        )

    def depth(self) -> tuple[int, int]:
        """Number of bid and ask levels (for health and tests)."""
        return len(self._bids.levels), len(self._asks.levels)
