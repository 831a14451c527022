"""The CLOB engine: order admission with the venue's real rules and error texts, matching,
settlement into the ledger, trade status lifecycle, GTD expiry, dead-man switch, tick changes,
market close and resolution.

In: typed requests and the current scenario time (`now_ms`) from the edges. Out: results, and
`VenueEvent`s appended to `self.events` for the edges to deliver. Deterministic: ids derive from
a seed and counters; no clock, no IO, no randomness of its own.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from hourmm_sim.polymarket.clob_events import (
    BookEvent,
    LastTradeEvent,
    MarketSpec,
    OrderEvent,
    OrderSnapshot,
    ResolvedEvent,
    TickEvent,
    TradeEvent,
    TradeRecord,
    VenueEvent,
)
from hourmm_sim.polymarket.clob_rules import ALREADY_DONE as ALREADY_DONE
from hourmm_sim.polymarket.clob_rules import CANCEL_ONLY_MSG as CANCEL_ONLY_MSG
from hourmm_sim.polymarket.clob_rules import FAK_EMPTY as FAK_EMPTY
from hourmm_sim.polymarket.clob_rules import FOK_KILLED as FOK_KILLED
from hourmm_sim.polymarket.clob_rules import NOT_ENOUGH as NOT_ENOUGH
from hourmm_sim.polymarket.clob_rules import NOT_READY as NOT_READY
from hourmm_sim.polymarket.clob_rules import POST_ONLY_CROSS as POST_ONLY_CROSS
from hourmm_sim.polymarket.clob_rules import ClobConfig as ClobConfig
from hourmm_sim.polymarket.clob_rules import OrderRequest as OrderRequest
from hourmm_sim.polymarket.clob_rules import PlaceResult as PlaceResult
from hourmm_sim.polymarket.clob_rules import order_from_amounts as order_from_amounts
from hourmm_sim.polymarket.clob_rules import taker_fee_u as taker_fee_u
from hourmm_sim.polymarket.ledger import PUSD, InsufficientFunds, Ledger
from hourmm_sim.polymarket.matching import (
    BUY,
    DOWN,
    ENDED_BY_OWNER,
    SELL,
    UP,
    Book,
    Fill,
    LevelChange,
    RestingOrder,
)
from hourmm_sim.polymarket.settlement import settle_level
from hourmm_sim.polymarket.units import ONE, fmt_tick, fmt_units, mul_units


@dataclass(slots=True)
class MarketState:
    spec: MarketSpec
    book: Book = field(default_factory=Book)
    tick_u: int = 10_000
    accepting: bool = True
    closed: bool = False
    winner: int | None = None
    last_trade_u: int | None = None  # Up-space


@dataclass(slots=True)
class _TradeFault:
    kind: str
    owners: frozenset[str] | None
    remaining: int


@dataclass(slots=True)
class _Trade:
    record: TradeRecord
    fail: bool = False
    retry: bool = False


class Clob:
    """All markets of the scenario, their books, the ledger and the trade pipeline."""

    def __init__(self, config: ClobConfig | None = None, ledger: Ledger | None = None) -> None:
        self.config = config or ClobConfig()
        self.ledger = ledger or Ledger()
        self.markets: dict[str, MarketState] = {}
        self.token_market: dict[str, tuple[str, int]] = {}
        self.orders: dict[str, RestingOrder] = {}
        self.order_trades: dict[str, list[str]] = {}
        self.trades: dict[str, _Trade] = {}
        self.events: list[VenueEvent] = []
        self.cancel_only = False
        self.rejected: Counter[tuple[str, str]] = Counter()  # (owner, market) -> orders refused
        self._trade_faults: list[_TradeFault] = []
        self._matched: deque[tuple[int, str]] = deque()
        self._mined: deque[tuple[int, str]] = deque()
        self._expiries: list[tuple[int, str]] = []
        self._heartbeats: dict[str, tuple[str, int]] = {}  # owner -> (expected id, deadline)
        self._counter = 0
        self._closing: list[tuple[int, str]] = []
        self._resolving: list[tuple[int, str]] = []
        self._windows: list[tuple[int, int, str]] = []  # (start, end, market), by start

    def trading_markets(self, now_ms: int) -> list[MarketState]:
        """Markets whose window contains `now_ms` and that still trade (O(log n))."""
        i = bisect.bisect_right(self._windows, (now_ms, 2**63, ""))
        out = []
        while i > 0:
            i -= 1
            start, end, market_id = self._windows[i]
            if end <= now_ms:
                break
            state = self.markets[market_id]
            if not state.closed:
                out.append(state)
        return out

    # --- ids -----------------------------------------------------------------------------
    def _digest(self, kind: str) -> bytes:
        self._counter += 1
        return hashlib.sha256(f"{self.config.seed}:{kind}:{self._counter}".encode()).digest()

    def new_uuid(self, kind: str) -> str:
        h = self._digest(kind).hex()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    # --- markets -------------------------------------------------------------------------
    def add_market(self, spec: MarketSpec) -> None:
        self.markets[spec.condition_id] = MarketState(spec=spec, tick_u=spec.tick_u)
        heapq.heappush(self._closing, (spec.end_ms, spec.condition_id))
        heapq.heappush(self._resolving, (spec.end_ms + self.config.resolve_delay_ms, spec.condition_id))
        bisect.insort(self._windows, (spec.start_ms, spec.end_ms, spec.condition_id))
        self.token_market[spec.up_token] = (spec.condition_id, UP)
        self.token_market[spec.down_token] = (spec.condition_id, DOWN)
        self.ledger.register_market(spec.condition_id, spec.up_token, spec.down_token)

    def token_id(self, market: str, token: int) -> str:
        return self.markets[market].spec.token_ids()[token]

    # --- admission -----------------------------------------------------------------------
    def place(self, req: OrderRequest, now_ms: int) -> PlaceResult:
        err = self._admission_error(req, now_ms)
        if err is not None:
            status, msg = err
            where = self.token_market.get(req.token_id)
            self.rejected[(req.owner, where[0] if where else "")] += 1
            return PlaceResult(success=False, order_id=req.order_id, error=msg, http_status=status)
        market_id, token = self.token_market[req.token_id]
        market = self.markets[market_id]
        order = RestingOrder(
            order_id=req.order_id, owner=req.owner, holder=req.holder, maker_address=req.maker_address,
            market=market_id, token=token, side=req.side, price_u=_limit_price_u(req, market.tick_u),
            size_u=req.size_u,
            order_type=req.order_type, expiration_s=req.expiration_s, created_ms=now_ms,
        )
        book = market.book
        crosses = book.crosses(order)
        size_error = self._size_error(order, market, crosses)
        if size_error:
            return self._reject(req, size_error)
        if req.post_only and crosses:
            return self._reject(req, POST_ONLY_CROSS)
        if req.order_type == "FOK" and self._crossable_u(book, order) < order.size_u:
            return self._reject(req, FOK_KILLED)
        if req.order_type == "FAK" and not crosses:
            return self._reject(req, FAK_EMPTY)
        fee_bound = taker_fee_u(order.size_u, ONE // 2, market.spec.fee_rate_e5, market.spec.fee_exponent) if crosses else 0
        try:
            self._reserve(order, extra_u=fee_bound if order.side == BUY else 0)
        except InsufficientFunds:
            return self._reject(req, NOT_ENOUGH)
        if order.side == BUY and fee_bound:
            order.reserved_u -= fee_bound
            self.ledger.release(order.holder, PUSD, fee_bound)  # fees are debited from free funds
        return self._execute(market, order, crosses, now_ms)

    def _execute(self, market: MarketState, order: RestingOrder, crosses: bool, now_ms: int) -> PlaceResult:
        """An admitted order: match what crosses, rest (GTC/GTD) or kill (FOK/FAK) the rest."""
        book = market.book
        self.orders[order.order_id] = order
        self.order_trades[order.order_id] = []
        self._emit_order("PLACEMENT", order, now_ms)
        changes: list[LevelChange] = []
        fills = book.match(order, changes) if crosses else []
        trades = self._settle_fills(market, order, fills, now_ms)
        if order.remaining_u > 0 and order.order_type in ("GTC", "GTD"):
            changes.append(book.add(order))
            if order.order_type == "GTD":
                heapq.heappush(self._expiries, (order.expiration_s * 1000 - self.config.gtd_margin_ms, order.order_id))
        elif order.remaining_u > 0:
            self._finish(order, "CANCELED", now_ms, "unfilled_remainder")
        else:
            self._release_rest(order)
            order.status = "MATCHED"
        self._emit_book(market, changes, now_ms)
        for trade in trades:
            self._after_trade(market, trade, now_ms)
        making = sum(t.size_u if order.side == SELL else mul_units(t.size_u, t.price_u) for t in trades)
        taking = sum(mul_units(t.size_u, t.price_u) if order.side == SELL else t.size_u for t in trades)
        return PlaceResult(
            success=True, order_id=order.order_id, status="matched" if trades else "live",
            making_u=making, taking_u=taking, trade_ids=tuple(t.trade_id for t in trades),
            tx_hashes=tuple(t.tx_hash for t in trades),
        )

    def _reject(self, req: OrderRequest, msg: str) -> PlaceResult:
        self.rejected[(req.owner, self.token_market[req.token_id][0])] += 1
        return PlaceResult(success=False, order_id=req.order_id, error=msg, http_status=400)

    def _admission_error(self, req: OrderRequest, now_ms: int) -> tuple[int, str] | None:
        if self.cancel_only:
            return 503, CANCEL_ONLY_MSG
        where = self.token_market.get(req.token_id)
        if where is None:
            return 400, "Invalid order payload"
        market = self.markets[where[0]]
        if market.closed or not market.accepting or now_ms < market.spec.listed_ms:
            return 400, NOT_READY
        if req.order_id in self.orders:
            return 400, f"order {req.order_id} is invalid. Duplicated."
        tick = market.tick_u
        if req.order_type in ("FAK", "FOK"):
            # Market orders follow market-order precision (pUSD to cents, shares to the tick's amount
            # decimals), so their implied price is a worst price near, not on, the grid.
            bad_price = not 0 < req.price_u < ONE
        else:
            bad_price = req.price_u % tick != 0 or not tick <= req.price_u <= ONE - tick
        if bad_price:
            return 400, (f"order {req.order_id} is invalid. Price ({fmt_units(req.price_u)}) breaks minimum "
                         f"tick size rule: {fmt_tick(tick)}")
        if req.order_type == "GTD" and req.expiration_s * 1000 < now_ms + self.config.gtd_margin_ms:
            return 400, "invalid expiration"
        if req.order_type != "GTD" and req.expiration_s != 0:
            return 400, "invalid expiration"
        if req.post_only and req.order_type not in ("GTC", "GTD"):
            return 400, "Invalid order payload"
        if req.order_type not in ("GTC", "GTD", "FOK", "FAK"):
            return 400, "Invalid order payload"
        return None

    def _size_error(self, order: RestingOrder, market: MarketState, crosses: bool) -> str | None:
        """Resting orders need the minimum size (5 shares); a marketable BUY needs $1 notional."""
        if crosses and order.side == BUY:
            notional = mul_units(order.size_u, order.price_u)
            if notional < ONE:
                return f"invalid amount for a marketable BUY order (${fmt_units(notional)}), min size: $1"
            return None
        if crosses or order.order_type in ("FOK", "FAK"):
            return None
        if order.size_u < market.spec.min_size_u:
            return (f"order {order.order_id} is invalid. Size ({fmt_units(order.size_u)}) lower than the "
                    f"minimum: {fmt_units(market.spec.min_size_u)}")
        return None

    def _crossable_u(self, book: Book, order: RestingOrder) -> int:
        side = book.asks if order.is_bid else book.bids
        total = 0
        for price, size in side.depth():
            if (price > order.up_price_u) if order.is_bid else (price < order.up_price_u):
                break
            total += size
        return total

    def _reserve(self, order: RestingOrder, extra_u: int = 0) -> None:
        if order.side == BUY:
            amount = -(-order.remaining_u * order.price_u // ONE)
            self.ledger.reserve(order.holder, PUSD, amount + extra_u)
            order.reserved_u = amount + extra_u
        else:
            asset = self.token_id(order.market, order.token)
            self.ledger.reserve(order.holder, asset, order.remaining_u)
            order.reserved_u = order.remaining_u

    def _release_rest(self, order: RestingOrder) -> None:
        if order.reserved_u:
            asset = PUSD if order.side == BUY else self.token_id(order.market, order.token)
            self.ledger.release(order.holder, asset, order.reserved_u)
            order.reserved_u = 0

    # --- settlement ----------------------------------------------------------------------
    def _settle_fills(self, market: MarketState, taker: RestingOrder, fills: list[Fill], now_ms: int) -> list[TradeRecord]:
        trades: list[TradeRecord] = []
        i = 0
        while i < len(fills):
            j = i
            while j < len(fills) and fills[j].up_price_u == fills[i].up_price_u:
                j += 1
            trades.append(self._settle_level(market, taker, fills[i:j], now_ms))
            i = j
        return trades

    def _settle_level(self, market: MarketState, taker: RestingOrder, fills: list[Fill], now_ms: int) -> TradeRecord:
        spec = market.spec
        level = settle_level(self.ledger, spec, taker, fills)
        settlement, total, taker_price = level.settlement, level.size_u, level.taker_price_u
        makers = level.makers
        trade_id = self.new_uuid("trade")
        tx_hash = "0x" + self._digest("tx").hex()
        self.ledger.settle_match(trade_id, settlement)
        record = TradeRecord(
            trade_id=trade_id, market=spec.condition_id, taker_order_id=taker.order_id, taker_owner=taker.owner,
            taker_address=taker.maker_address, token=taker.token, side=taker.side, size_u=total,
            price_u=taker_price, fee_rate_bps=spec.fee_rate_e5 // 10, makers=makers, status="MATCHED",
            match_ms=now_ms, last_update_ms=now_ms, tx_hash=tx_hash,
        )
        fail = self._take_trade_fault("fail", record)
        retry = not fail and self._take_trade_fault("retry", record)
        self.trades[trade_id] = _Trade(record, fail=fail, retry=retry)
        self._matched.append((now_ms + self.config.mined_delay_ms, trade_id))
        for fill in fills:
            self.order_trades[fill.maker.order_id].append(trade_id)
        self.order_trades[taker.order_id].append(trade_id)
        return record

    def _after_trade(self, market: MarketState, trade: TradeRecord, now_ms: int) -> None:
        self.events.append(TradeEvent(trade=trade, ts_ms=now_ms))
        seen: set[str] = set()
        for maker in trade.makers:
            order = self.orders[maker.order_id]
            if order.order_id in seen:
                continue
            seen.add(order.order_id)
            if order.remaining_u == 0:
                self._release_rest(order)
                order.status = "MATCHED"
            self._emit_order("UPDATE", order, now_ms)
        taker = self.orders[trade.taker_order_id]
        self._emit_order("UPDATE", taker, now_ms)
        self.events.append(LastTradeEvent(
            market=market.spec.condition_id, token=trade.token, price_u=trade.price_u, size_u=trade.size_u,
            side=trade.side, fee_rate_bps=trade.fee_rate_bps, tx_hash=trade.tx_hash, ts_ms=now_ms))
        up_price = trade.price_u if trade.token == UP else ONE - trade.price_u
        market.last_trade_u = up_price
        band = self.config.tight_tick_below_u
        if market.tick_u > self.config.tight_tick_u and not band <= up_price <= ONE - band:
            self.set_tick(market.spec.condition_id, self.config.tight_tick_u, now_ms)

    # --- cancels -------------------------------------------------------------------------
    def cancel(self, owner: str, order_ids: list[str], now_ms: int,
               by: str = ENDED_BY_OWNER) -> tuple[list[str], dict[str, str]]:
        canceled: list[str] = []
        not_canceled: dict[str, str] = {}
        touched: dict[str, list[LevelChange]] = {}
        for oid in order_ids:
            order = self.orders.get(oid)
            if order is None or order.owner != owner:
                not_canceled[oid] = "order not found" if order is None else "order not owned by this api key"
                continue
            if order.status != "LIVE":
                not_canceled[oid] = ALREADY_DONE
                continue
            touched.setdefault(order.market, []).append(self.markets[order.market].book.remove(order))
            self._finish(order, "CANCELED", now_ms, by)
            canceled.append(oid)
        for market_id, changes in touched.items():
            self._emit_book(self.markets[market_id], changes, now_ms)
        return canceled, not_canceled

    def live_orders(self, owner: str | None = None, market: str | None = None, token_id: str | None = None) -> list[RestingOrder]:
        out = []
        for state in self.markets.values():
            if market and state.spec.condition_id != market:
                continue
            for order in state.book.orders():
                if owner is not None and order.owner != owner:
                    continue
                if token_id and self.token_id(order.market, order.token) != token_id:
                    continue
                out.append(order)
        out.sort(key=lambda o: (o.created_ms, o.order_id))
        return out

    def cancel_where(self, owner: str, now_ms: int, market: str | None = None, token_id: str | None = None,
                     status: str = "CANCELED", by: str = ENDED_BY_OWNER) -> list[str]:
        ids = [o.order_id for o in self.live_orders(owner, market, token_id)]
        if status == "CANCELED":
            return self.cancel(owner, ids, now_ms, by)[0]
        for oid in ids:
            order = self.orders[oid]
            self._emit_book(self.markets[order.market], [self.markets[order.market].book.remove(order)], now_ms)
            self._finish(order, status, now_ms, by)
        return ids

    def _finish(self, order: RestingOrder, status: str, now_ms: int, by: str) -> None:
        self._release_rest(order)
        order.status = status
        order.ended_by = by
        self._emit_order("CANCELLATION", order, now_ms)

    def order_counts(self, owner: str) -> dict[str, dict[str, int]]:
        """Per market: the owner's orders placed (admitted or refused by the engine), cancelled at
        the owner's request, ended by the venue (GTD expiry, dead-man switch, market close, a
        market order's unfilled rest) and refused. What the venue saw, whatever the trader thinks."""
        out: dict[str, dict[str, int]] = {}

        def row(market: str) -> dict[str, int]:
            return out.setdefault(market, {"placed": 0, "cancelled": 0, "expired": 0, "rejected": 0})

        for order in self.orders.values():
            if order.owner != owner:
                continue
            counts = row(order.market)
            counts["placed"] += 1
            if order.ended_by == ENDED_BY_OWNER:
                counts["cancelled"] += 1
            elif order.ended_by:
                counts["expired"] += 1
        for (who, market), n in self.rejected.items():
            if who == owner:
                row(market)["placed"] += n
                row(market)["rejected"] += n
        return out

    # --- time ----------------------------------------------------------------------------
    def advance(self, now_ms: int, outcome: Callable[[MarketSpec], int | None] | None = None) -> None:
        """Run everything due at `now_ms`: trade statuses, GTD expiry, dead-man cancels,
        market close at the hour's end and resolution once `outcome` knows the winner."""
        while self._matched and self._matched[0][0] <= now_ms:
            _, tid = self._matched.popleft()
            self._progress(tid, now_ms)
        while self._mined and self._mined[0][0] <= now_ms:
            _, tid = self._mined.popleft()
            self._confirm(tid, now_ms)
        while self._expiries and self._expiries[0][0] <= now_ms:
            _, oid = heapq.heappop(self._expiries)
            order = self.orders[oid]
            if order.status == "LIVE":
                self.cancel(order.owner, [oid], now_ms, "gtd_expired")
        for owner, (_, deadline) in list(self._heartbeats.items()):
            if now_ms > deadline:
                del self._heartbeats[owner]
                self.cancel_where(owner, now_ms, by="deadman")
        while self._closing and self._closing[0][0] <= now_ms:
            _, market_id = heapq.heappop(self._closing)
            if not self.markets[market_id].closed:
                self.close_market(market_id, now_ms)
        if outcome is not None:
            while self._resolving and self._resolving[0][0] <= now_ms:
                state = self.markets[self._resolving[0][1]]
                if state.winner is None:
                    winner = outcome(state.spec)
                    if winner is None:
                        break  # the candle is not final yet: try again on the next step
                    self.resolve(state.spec.condition_id, winner, now_ms)
                heapq.heappop(self._resolving)

    def _progress(self, trade_id: str, now_ms: int) -> None:
        trade = self.trades[trade_id]
        if trade.record.status not in ("MATCHED", "RETRYING"):
            return
        if trade.retry:  # the first settlement attempt failed on chain; the operator retries it
            trade.retry = False
            self._set_status(trade, "RETRYING", now_ms)
            self._matched.append((now_ms + self.config.mined_delay_ms, trade_id))
            return
        if trade.fail:
            self.ledger.fail(trade_id)
            self._set_status(trade, "FAILED", now_ms)
            return
        self.ledger.mine(trade_id)
        self._set_status(trade, "MINED", now_ms)
        self._mined.append((now_ms + self.config.confirmed_delay_ms - self.config.mined_delay_ms, trade_id))

    def _confirm(self, trade_id: str, now_ms: int) -> None:
        trade = self.trades[trade_id]
        if trade.record.status == "MINED":
            self._set_status(trade, "CONFIRMED", now_ms)

    def _set_status(self, trade: _Trade, status: str, now_ms: int) -> None:
        trade.record = msgspec.structs.replace(trade.record, status=status, last_update_ms=now_ms)
        self.events.append(TradeEvent(trade=trade.record, ts_ms=now_ms))

    def add_trade_fault(self, kind: str, count: int, owners: frozenset[str] | None = None) -> None:
        """The next `count` trades involving one of `owners` (any trade: None) end FAILED
        (`kind` "fail") or pass through RETRYING (`kind` "retry")."""
        if kind not in ("fail", "retry"):
            raise ValueError(f"unknown trade fault {kind!r}")
        self._trade_faults.append(_TradeFault(kind=kind, owners=owners, remaining=count))

    def _take_trade_fault(self, kind: str, record: TradeRecord) -> bool:
        for fault in self._trade_faults:
            if fault.kind != kind or fault.remaining <= 0:
                continue
            if fault.owners is None or record.taker_owner in fault.owners or \
                    any(m.owner in fault.owners for m in record.makers):
                fault.remaining -= 1
                return True
        return False

    def fail_trade(self, trade_id: str) -> bool:
        """Make a still-MATCHED trade FAILED when it would have been mined (a fault)."""
        trade = self.trades.get(trade_id)
        if trade is None or trade.record.status not in ("MATCHED", "RETRYING"):
            return False
        trade.fail = True
        return True

    # --- dead-man switch -----------------------------------------------------------------
    def heartbeat(self, owner: str, heartbeat_id: str, now_ms: int) -> tuple[bool, str]:
        """(accepted, id): the next id to send, or the expected one on a mismatch."""
        current = self._heartbeats.get(owner)
        if current is not None and heartbeat_id != current[0]:
            return False, current[0]
        if current is None and heartbeat_id not in ("", None):
            # a stale chain after expiry: start a new chain (the real venue answers 400 with an id)
            new_id = self.new_uuid("hb")
            self._heartbeats[owner] = (new_id, now_ms + self.config.deadman_ms)
            return False, new_id
        new_id = self.new_uuid("hb")
        self._heartbeats[owner] = (new_id, now_ms + self.config.deadman_ms)
        return True, new_id

    # --- market state --------------------------------------------------------------------
    def set_tick(self, market_id: str, tick_u: int, now_ms: int) -> None:
        state = self.markets[market_id]
        if tick_u == state.tick_u:
            return
        old, state.tick_u = state.tick_u, tick_u
        self.events.append(TickEvent(market=market_id, old_tick_u=old, new_tick_u=tick_u, ts_ms=now_ms))

    def close_market(self, market_id: str, now_ms: int) -> None:
        """Stop accepting orders and cancel every resting order of the market."""
        state = self.markets[market_id]
        state.accepting = False
        state.closed = True
        changes = []
        for order in list(state.book.orders()):
            changes.append(state.book.remove(order))
            self._finish(order, "CANCELED_MARKET_RESOLVED", now_ms, "market_closed")
        self._emit_book(state, changes, now_ms)

    def resolve(self, market_id: str, winner: int, now_ms: int) -> dict[str, int]:
        """Settle every pending trade of the market, then pay 1 pUSD per winning share."""
        state = self.markets[market_id]
        if not state.closed:
            self.close_market(market_id, now_ms)
        for tid, trade in self.trades.items():
            if trade.record.market == market_id and trade.record.status in ("MATCHED", "RETRYING"):
                trade.retry = False
                self._progress(tid, now_ms)
        state.winner = winner
        payouts = self.ledger.resolve(market_id, winner)
        self.events.append(ResolvedEvent(market=market_id, winner=winner, ts_ms=now_ms))
        return payouts

    # --- events --------------------------------------------------------------------------
    def snapshot(self, order: RestingOrder) -> OrderSnapshot:
        return OrderSnapshot(
            order_id=order.order_id, owner=order.owner, maker_address=order.maker_address, market=order.market,
            token=order.token, side=order.side, price_u=order.price_u, size_u=order.size_u,
            matched_u=order.matched_u, order_type=order.order_type, status=order.status,
            expiration_s=order.expiration_s, created_ms=order.created_ms,
            trade_ids=tuple(self.order_trades.get(order.order_id, ())),
        )

    def _emit_order(self, kind: str, order: RestingOrder, now_ms: int) -> None:
        self.events.append(OrderEvent(kind=kind, order=self.snapshot(order), ts_ms=now_ms))

    def _emit_book(self, market: MarketState, changes: list[LevelChange], now_ms: int) -> None:
        if not changes:
            return
        merged: dict[tuple[bool, int], int] = {}
        for ch in changes:
            merged[(ch.is_bid, ch.up_price_u)] = ch.size_u
        self.events.append(BookEvent(
            market=market.spec.condition_id,
            changes=tuple((is_bid, price, size) for (is_bid, price), size in merged.items()),
            best_bid_u=market.book.best_bid(), best_ask_u=market.book.best_ask(), ts_ms=now_ms,
        ))

    def drain(self) -> list[VenueEvent]:
        out, self.events = self.events, []
        return out


def _limit_price_u(req: OrderRequest, tick_u: int) -> int:
    """The order's limit on the tick grid: a market order's off-grid implied price rounds to the
    nearest tick (inside [tick, 1 - tick]), as the venue reports it on the user channel."""
    if req.order_type not in ("FAK", "FOK") or req.price_u % tick_u == 0:
        return req.price_u
    nearest = (req.price_u + tick_u // 2) // tick_u * tick_u
    return min(max(nearest, tick_u), ONE - tick_u)
