"""One order book per binary market, Up and Down as complements, price-time priority.

Every order is placed in *Up-space*: a BUY of Up at p and a SELL of Down at 1 - p are both bids
at p; a SELL of Up at p and a BUY of Down at 1 - p are both asks at p. So one crossing test
covers the four real cases: BUY Up x SELL Up (transfer of Up), BUY Down x SELL Down (transfer of
Down), BUY Up x BUY Down (mint a complete set), SELL Up x SELL Down (merge one). The Down token's
book is the mirror image of this one, which is what the venue shows on its market channel.

Pure and allocation-light: a dict of FIFO levels per side, a sorted list of live prices
(bisect), running level totals for O(1) market-data updates. No IO, no clock: callers pass time.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from hourmm_sim.polymarket.units import ONE

UP, DOWN = 0, 1
BUY, SELL = 0, 1
ENDED_BY_OWNER = "owner"  # cancelled at the owner's request (cancel, cancel-all); else the venue's reason


@dataclass(slots=True)
class RestingOrder:
    """An order as the engine holds it (mutable: `matched_u` grows as it fills)."""

    order_id: str
    owner: str            # API key
    holder: str           # funder / maker address, lower case: whose balances move
    maker_address: str    # as signed (checksummed), for messages
    market: str
    token: int            # UP or DOWN
    side: int             # BUY or SELL, in its own token
    price_u: int          # in its own token
    size_u: int
    order_type: str
    expiration_s: int
    created_ms: int
    matched_u: int = 0
    reserved_u: int = 0   # what is still locked for it in the ledger
    status: str = "LIVE"
    ended_by: str = ""    # why it stopped working: ENDED_BY_OWNER or one of the venue's own reasons

    @property
    def remaining_u(self) -> int:
        return self.size_u - self.matched_u

    @property
    def up_price_u(self) -> int:
        return self.price_u if self.token == UP else ONE - self.price_u

    @property
    def is_bid(self) -> bool:
        """Bid in Up-space: wants the price of Up to be low (BUY Up or SELL Down)."""
        return (self.token == UP) == (self.side == BUY)


@dataclass(slots=True, frozen=True)
class LevelChange:
    """A Up-space level's new total (0 = gone)."""

    is_bid: bool
    up_price_u: int
    size_u: int


class _Side:
    __slots__ = ("levels", "prices", "totals", "is_bid")

    def __init__(self, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[int, deque[RestingOrder]] = {}
        self.prices: list[int] = []           # ascending
        self.totals: dict[int, int] = {}

    def best(self) -> int | None:
        if not self.prices:
            return None
        return self.prices[-1] if self.is_bid else self.prices[0]

    def add(self, order: RestingOrder) -> int:
        price = order.up_price_u
        level = self.levels.get(price)
        if level is None:
            level = self.levels[price] = deque()
            bisect.insort(self.prices, price)
            self.totals[price] = 0
        level.append(order)
        self.totals[price] += order.remaining_u
        return self.totals[price]

    def reduce(self, price: int, amount_u: int) -> int:
        self.totals[price] -= amount_u
        return self.totals[price]

    def drop(self, order: RestingOrder) -> int:
        """Remove a (possibly partly filled) order; returns the level's new total."""
        price = order.up_price_u
        level = self.levels[price]
        level.remove(order)
        self.totals[price] -= order.remaining_u
        total = self.totals[price]
        if not level:
            self._remove_level(price)
        return total

    def pop_filled(self, price: int) -> None:
        level = self.levels[price]
        level.popleft()
        if not level:
            self._remove_level(price)

    def _remove_level(self, price: int) -> None:
        del self.levels[price]
        del self.totals[price]
        self.prices.pop(bisect.bisect_left(self.prices, price))

    def depth(self) -> Iterator[tuple[int, int]]:
        """(price, total) from best to worst."""
        ordered = reversed(self.prices) if self.is_bid else iter(self.prices)
        for price in ordered:
            yield price, self.totals[price]


@dataclass(slots=True, frozen=True)
class Fill:
    """One maker order consumed (partly) by a taker, at the maker's Up-space price."""

    maker: RestingOrder
    up_price_u: int
    size_u: int  # shares, the same count on both tokens


class Book:
    """The unified Up-space book of one market."""

    __slots__ = ("bids", "asks")

    def __init__(self) -> None:
        self.bids = _Side(True)
        self.asks = _Side(False)

    def side_of(self, order: RestingOrder) -> _Side:
        return self.bids if order.is_bid else self.asks

    def best_bid(self) -> int | None:
        return self.bids.best()

    def best_ask(self) -> int | None:
        return self.asks.best()

    def crosses(self, order: RestingOrder) -> bool:
        opposite = self.asks.best() if order.is_bid else self.bids.best()
        if opposite is None:
            return False
        return order.up_price_u >= opposite if order.is_bid else order.up_price_u <= opposite

    def crossable_u(self, order: RestingOrder) -> int:
        """How much of the opposite side `order` could take at its limit (the FOK test)."""
        opposite = self.asks if order.is_bid else self.bids
        total = 0
        for price, size in opposite.depth():
            if (price > order.up_price_u) if order.is_bid else (price < order.up_price_u):
                break
            total += size
        return total

    def add(self, order: RestingOrder) -> LevelChange:
        total = self.side_of(order).add(order)
        return LevelChange(order.is_bid, order.up_price_u, total)

    def remove(self, order: RestingOrder) -> LevelChange:
        total = self.side_of(order).drop(order)
        return LevelChange(order.is_bid, order.up_price_u, total)

    def match(self, taker: RestingOrder, changes: list[LevelChange]) -> list[Fill]:
        """Consume makers against `taker` at price-time priority; makers that fill completely
        leave the book. Level changes are appended to `changes`. The taker is not rested here."""
        opposite = self.asks if taker.is_bid else self.bids
        fills: list[Fill] = []
        limit = taker.up_price_u
        while taker.remaining_u > 0:
            price = opposite.best()
            if price is None or (price > limit if taker.is_bid else price < limit):
                break
            level = opposite.levels[price]
            level_fill = 0
            while level and taker.remaining_u > 0:
                maker = level[0]
                size = min(maker.remaining_u, taker.remaining_u)
                maker.matched_u += size
                taker.matched_u += size
                level_fill += size
                fills.append(Fill(maker, price, size))
                if maker.remaining_u == 0:
                    opposite.pop_filled(price)
                    if price not in opposite.levels:
                        break
                    level = opposite.levels[price]
            total = opposite.reduce(price, level_fill) if price in opposite.totals else 0
            changes.append(LevelChange(opposite.is_bid, price, total))
        return fills

    def token_depth(self, token: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(bids, asks) of one token in its own prices, each best first."""
        if token == UP:
            return list(self.bids.depth()), list(self.asks.depth())
        bids = [(ONE - p, s) for p, s in self.asks.depth()]
        asks = [(ONE - p, s) for p, s in self.bids.depth()]
        return bids, asks

    def orders(self) -> Iterator[RestingOrder]:
        for side in (self.bids, self.asks):
            for level in side.levels.values():
                yield from level
