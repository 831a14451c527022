"""The CLOB engine: order admission with the venue's real rules and error texts, matching,
cancels, tick changes, market close and resolution; the room every edge calls into.

In: typed requests and the current scenario time (`now_ms`) from the edges. Out: results, and
`VenueEvent`s appended to `self.events` for the edges to deliver. Two rooms of its own keep what
happens later: `trade_pipeline` (a match's trades, MATCHED -> MINED -> CONFIRMED, failures and
retries) and `deadlines` (GTD expiry, the dead-man switch, close and resolution times);
`advance` runs what they say is due. Deterministic: ids derive from a seed and counters
(`ids.VenueIds`); no clock, no IO, no randomness of its own.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

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
from hourmm_sim.polymarket.clob_rules import (
    ALREADY_DONE,
    CANCEL_ONLY_MSG,
    FAK_EMPTY,
    FOK_KILLED,
    NOT_ENOUGH,
    NOT_READY,
    POST_ONLY_CROSS,
    ClobConfig,
    OrderRequest,
    PlaceResult,
    limit_price_u,
    request_error,
    size_error,
    taker_fee_u,
)
from hourmm_sim.polymarket.deadlines import Deadlines
from hourmm_sim.polymarket.ids import VenueIds
from hourmm_sim.polymarket.ledger import PUSD, InsufficientFunds, Ledger
from hourmm_sim.polymarket.matching import (
    BUY,
    DOWN,
    ENDED_BY_OWNER,
    SELL,
    UP,
    Book,
    LevelChange,
    RestingOrder,
)
from hourmm_sim.polymarket.trade_pipeline import Trade, TradePipeline
from hourmm_sim.polymarket.units import ONE, mul_units


@dataclass(slots=True)
class MarketState:
    spec: MarketSpec
    book: Book = field(default_factory=Book)
    tick_u: int = 10_000
    accepting: bool = True
    closed: bool = False
    winner: int | None = None
    last_trade_u: int | None = None  # Up-space


class Clob:
    """All markets of the scenario, their books, the ledger, the trade pipeline and the deadlines."""

    def __init__(self, config: ClobConfig | None = None, ledger: Ledger | None = None) -> None:
        self.config = config or ClobConfig()
        self.ledger = ledger or Ledger()
        ids = VenueIds(self.config.seed)
        self.pipeline = TradePipeline(self.config, self.ledger, ids)
        self.deadlines = Deadlines(self.config, ids)
        self.markets: dict[str, MarketState] = {}
        self.token_market: dict[str, tuple[str, int]] = {}
        self.orders: dict[str, RestingOrder] = {}
        self.events: list[VenueEvent] = []
        self.cancel_only = False
        self.rejected: Counter[tuple[str, str]] = Counter()  # (owner, market) -> orders refused
        self._windows: list[tuple[int, int, str]] = []  # (start, end, market), by start

    @property
    def trades(self) -> dict[str, Trade]:
        """Every trade so far, by id, with its latest record."""
        return self.pipeline.trades

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

    # --- markets -------------------------------------------------------------------------
    def add_market(self, spec: MarketSpec) -> None:
        self.markets[spec.condition_id] = MarketState(spec=spec, tick_u=spec.tick_u)
        self.deadlines.watch_market(spec)
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
            return self._reject(req, *err)
        market_id, token = self.token_market[req.token_id]
        market = self.markets[market_id]
        order = RestingOrder(
            order_id=req.order_id, owner=req.owner, holder=req.holder, maker_address=req.maker_address,
            market=market_id, token=token, side=req.side, price_u=limit_price_u(req, market.tick_u),
            size_u=req.size_u,
            order_type=req.order_type, expiration_s=req.expiration_s, created_ms=now_ms,
        )
        book = market.book
        crosses = book.crosses(order)
        too_small = size_error(order, market.spec.min_size_u, crosses)
        if too_small:
            return self._reject(req, 400, too_small)
        if req.post_only and crosses:
            return self._reject(req, 400, POST_ONLY_CROSS)
        if req.order_type == "FOK" and book.crossable_u(order) < order.size_u:
            return self._reject(req, 400, FOK_KILLED)
        if req.order_type == "FAK" and not crosses:
            return self._reject(req, 400, FAK_EMPTY)
        fee_bound = taker_fee_u(order.size_u, ONE // 2, market.spec.fee_rate_e5, market.spec.fee_exponent) if crosses else 0
        try:
            self._reserve(order, extra_u=fee_bound if order.side == BUY else 0)
        except InsufficientFunds:
            return self._reject(req, 400, NOT_ENOUGH)
        if order.side == BUY and fee_bound:
            order.reserved_u -= fee_bound
            self.ledger.release(order.holder, PUSD, fee_bound)  # fees are debited from free funds
        return self._execute(market, order, crosses, now_ms)

    def _execute(self, market: MarketState, order: RestingOrder, crosses: bool, now_ms: int) -> PlaceResult:
        """An admitted order: match what crosses, rest (GTC/GTD) or kill (FOK/FAK) the rest."""
        book = market.book
        self.orders[order.order_id] = order
        self._emit_order("PLACEMENT", order, now_ms)
        changes: list[LevelChange] = []
        fills = book.match(order, changes) if crosses else []
        trades = self.pipeline.settle(market.spec, order, fills, now_ms)
        if order.remaining_u > 0 and order.order_type in ("GTC", "GTD"):
            changes.append(book.add(order))
            if order.order_type == "GTD":
                self.deadlines.watch_gtd(order)
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

    def _reject(self, req: OrderRequest, http_status: int, msg: str) -> PlaceResult:
        where = self.token_market.get(req.token_id)
        self.rejected[(req.owner, where[0] if where else "")] += 1
        return PlaceResult(success=False, order_id=req.order_id, error=msg, http_status=http_status)

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
        err = request_error(req, market.tick_u, now_ms, self.config.gtd_margin_ms)
        return None if err is None else (400, err)

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
                     by: str = ENDED_BY_OWNER) -> list[str]:
        """Cancel the owner's live orders, of one market or token if given; the ids cancelled."""
        ids = [o.order_id for o in self.live_orders(owner, market, token_id)]
        return self.cancel(owner, ids, now_ms, by)[0]

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
        self.events.extend(self.pipeline.advance(now_ms))
        for oid in self.deadlines.expired_orders(now_ms):
            order = self.orders[oid]
            if order.status == "LIVE":
                self.cancel(order.owner, [oid], now_ms, "gtd_expired")
        for owner in self.deadlines.lapsed_owners(now_ms):
            self.cancel_where(owner, now_ms, by="deadman")
        for market_id in self.deadlines.markets_to_close(now_ms):
            if not self.markets[market_id].closed:
                self.close_market(market_id, now_ms)
        if outcome is not None:
            while (due := self.deadlines.next_to_resolve(now_ms)) is not None:
                state = self.markets[due]
                if state.winner is None:
                    winner = outcome(state.spec)
                    if winner is None:
                        break  # the candle is not final yet: try again on the next step
                    self.resolve(due, winner, now_ms)
                self.deadlines.resolved()

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
        self.events.extend(self.pipeline.settle_market(market_id, now_ms))
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
            trade_ids=self.pipeline.trade_ids_of(order.order_id),
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

