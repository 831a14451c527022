"""`PolymarketVenue`: the local Polymarket, in-process, on 127.0.0.1.

Wires the pure engine (`clob.Clob`, its `Ledger`, the `Participants`) to the edges: Gamma on one
port, the CLOB's REST rooms (public market data, the authenticated trading API, the `/_sim`
admin API) and both websockets on another (as the real hosts are separate). One ticker task
steps scenario time on the injected `Clock`: scheduled faults, trade status progression, GTD
expiry, the dead-man switch, market close and resolution, background participants; then it
flushes the engine's events to the sockets. Tests: `await venue.start()` (port 0) and read
`gamma_url`, `clob_url`, `ws_market_url`, `ws_user_url`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any, assert_never

import msgspec
from aiohttp import web

from hourmm_common.clock import Clock
from hourmm_common.hours import iso_ms
from hourmm_common.logs import get_logger
from hourmm_sim.polymarket import auth, messages
from hourmm_sim.polymarket.accounts import Accounts, ApiCreds
from hourmm_sim.polymarket.clob import Clob
from hourmm_sim.polymarket.clob_events import (
    BookEvent,
    LastTradeEvent,
    MarketSpec,
    OrderEvent,
    ResolvedEvent,
    TickEvent,
    TradeEvent,
    VenueEvent,
)
from hourmm_sim.polymarket.clob_market_data import ClobMarketData
from hourmm_sim.polymarket.clob_rest import ClobRest
from hourmm_sim.polymarket.clob_ws import Hub
from hourmm_sim.polymarket.faults import Fault, FaultState
from hourmm_sim.polymarket.gamma import Gamma
from hourmm_sim.polymarket.ledger import FEES_ADDRESS, PUSD, Ledger
from hourmm_sim.polymarket.markets import hourly_market
from hourmm_sim.polymarket.participants import Participants, PriceAt
from hourmm_sim.polymarket.sim_admin import SimAdmin
from hourmm_sim.polymarket.units import TICKS, fmt_units, parse_units
from hourmm_sim.scenarios import Scenario

Outcome = Callable[[MarketSpec], int | None]


def outcome_from_prices(price_at: PriceAt) -> Outcome:
    """Up wins when the hour's close >= its open (ties resolve Up)."""
    def outcome(spec: MarketSpec) -> int | None:
        open_price, close = price_at(spec.start_ms), price_at(spec.end_ms - 1)
        if open_price is None or close is None:
            return None
        return 0 if close >= open_price else 1
    return outcome


class PolymarketVenue:
    def __init__(self, scenario: Scenario, clock: Clock, *, price_at: PriceAt | None = None,
                 outcome: Outcome | None = None, host: str = "127.0.0.1", gamma_port: int = 0,
                 clob_port: int = 0, step_ms: int = 250) -> None:
        self.scenario = scenario
        self.clock = clock
        self.host = host
        self._ports = (gamma_port, clob_port)
        self.step_ms = step_ms
        self.chain_id = auth.CHAIN_ID
        self.domain = auth.domain_separator(self.chain_id)
        seed = f"{scenario.seed}"
        self.clob = Clob(msgspec.structs.replace(scenario.clob, seed=seed), Ledger())
        fee_e5 = round(scenario.fees.rate * 100_000)
        for start in scenario.hour_starts():
            self.clob.add_market(hourly_market(seed, start, tick_u=TICKS[scenario.tick],
                                               min_size_u=parse_units(scenario.min_size), fee_rate_e5=fee_e5,
                                               fee_exponent=scenario.fees.exponent))
        self.accounts = Accounts(seed)
        self.funder_of: dict[str, str] = {}
        for user in scenario.users:
            self.accounts.add_user(user)
            self.funder_of[user.eoa().lower()] = user.funder_address().lower()
            self.clob.ledger.deposit(user.funder_address().lower(), parse_units(user.initial_pusd))
            if user.allowance_pusd is not None:
                self.clob.ledger.allowance[user.funder_address().lower()] = parse_units(user.allowance_pusd)
        self.outcome = outcome or (outcome_from_prices(price_at) if price_at else None)
        self.participants = (Participants(self.clob, price_at, scenario.participants, scenario.seed)
                             if price_at is not None and scenario.participants.enabled else None)
        self.faults = FaultState()
        first = scenario.start_ms()
        self._scheduled = sorted(((first + int((f.at_s or 0) * 1000), i, f) for i, f in enumerate(scenario.faults)),
                                 key=lambda x: (x[0], x[1]))
        self.counters: Counter[str] = Counter()
        self._bbo: dict[str, tuple[int | None, int | None]] = {}
        self._traded: set[str] = set()
        self.log = get_logger("venue")
        self.market_hub = Hub(self, "market")
        self.user_hub = Hub(self, "user")
        self._runners: list[web.AppRunner] = []
        self._ticker: asyncio.Task[None] | None = None
        self.gamma_url = self.clob_url = self.ws_market_url = self.ws_user_url = ""

    # --- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        gamma_app = web.Application()
        Gamma(self).routes(gamma_app)
        clob_app = web.Application()
        for room in (ClobMarketData(self), ClobRest(self), SimAdmin(self)):
            room.routes(clob_app)
        clob_app.router.add_get("/ws/market", self.market_hub.handle)
        clob_app.router.add_get("/ws/user", self.user_hub.handle)
        ports = []
        for app, port in ((gamma_app, self._ports[0]), (clob_app, self._ports[1])):
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
            await runner.setup()
            site = web.TCPSite(runner, self.host, port)
            await site.start()
            self._runners.append(runner)
            ports.append(runner.addresses[0][1])
        self.gamma_url = f"http://{self.host}:{ports[0]}"
        self.clob_url = f"http://{self.host}:{ports[1]}"
        self.ws_market_url = f"ws://{self.host}:{ports[1]}/ws/market"
        self.ws_user_url = f"ws://{self.host}:{ports[1]}/ws/user"
        self._ticker = asyncio.create_task(self._run(), name="venue-ticker")
        self.log.info("venue_started", gamma_url=self.gamma_url, clob_url=self.clob_url,
                      markets=len(self.clob.markets), scenario_time=iso_ms(self.clock.now_ms()))

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        await self.market_hub.drop_all()
        await self.user_hub.drop_all()
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()

    async def _run(self) -> None:
        while True:
            now = self.clock.now_ms()
            await self.step(now)
            await self.clock.sleep_until(now + self.step_ms)

    async def step(self, now_ms: int) -> None:
        """Everything time-driven, at scenario time `now_ms`."""
        while self._scheduled and self._scheduled[0][0] <= now_ms:
            _, _, fault = self._scheduled.pop(0)
            await self.apply_fault(fault)
        self.clob.advance(now_ms, self.outcome)
        if self.participants is not None:
            self.participants.step(now_ms)
        if self.user_hub.held and now_ms >= self.faults.reorder_until:
            self.user_hub.release_held()
        await self.flush()

    # --- events out ----------------------------------------------------------------------
    async def flush(self, user_first: bool = False) -> None:
        """Deliver the engine's events: one frame per subscriber per flush (a batch)."""
        for ev in self.clob.drain():
            self._route(ev)
        if self._traded:
            # the venue sends a full `book` when a trade changed it (after the price changes)
            now = self.clock.now_ms()
            for market in self._traded:
                spec = self.clob.markets[market].spec
                for token, asset in enumerate(spec.token_ids()):
                    self.market_hub.to_assets((asset,), messages.book_message(self.clob, spec, token, now))
            self._traded.clear()
        self.market_hub.flush_pending()
        self.user_hub.flush_pending()
        if user_first:
            await self.user_hub.drained()

    def _route(self, ev: VenueEvent) -> None:
        """Order and trade events to their owners' user channels, the rest to the market channel."""
        match ev:
            case OrderEvent():
                spec = self.clob.markets[ev.order.market].spec
                self.user_hub.to_owner(ev.order.owner, spec.condition_id,
                                       messages.order_message(ev.order, spec, ev.kind, ev.ts_ms))
            case TradeEvent():
                t = ev.trade
                spec = self.clob.markets[t.market].spec
                self.user_hub.to_owner(t.taker_owner, t.market, messages.trade_message(t, spec, "TAKER", ev.ts_ms))
                for owner in dict.fromkeys(m.owner for m in t.makers):
                    self.user_hub.to_owner(owner, t.market, messages.trade_message(t, spec, "MAKER", ev.ts_ms))
                if t.status == "MATCHED":
                    self.count("trades_matched")
                elif t.status == "FAILED":
                    self.count("trades_failed")
            case BookEvent():
                spec = self.clob.markets[ev.market].spec
                self.market_hub.to_assets(spec.token_ids(), messages.price_change_message(ev, spec))
                if self._bbo.get(ev.market) != (ev.best_bid_u, ev.best_ask_u):
                    self._bbo[ev.market] = (ev.best_bid_u, ev.best_ask_u)
                    for i, msg in enumerate(messages.best_bid_ask_messages(ev, spec)):
                        self.market_hub.to_assets((spec.token_ids()[i],), msg, custom_only=True)
            case LastTradeEvent():
                spec = self.clob.markets[ev.market].spec
                self.market_hub.to_assets((spec.token_ids()[ev.token],), messages.last_trade_message(ev, spec))
                self._traded.add(ev.market)
            case TickEvent():
                spec = self.clob.markets[ev.market].spec
                for i, msg in enumerate(messages.tick_messages(ev, spec)):
                    self.market_hub.to_assets((spec.token_ids()[i],), msg)
                self.log.info("tick_size_changed", market=ev.market, new_tick=msg["new_tick_size"],
                              scenario_time=iso_ms(ev.ts_ms))
            case ResolvedEvent():
                spec = self.clob.markets[ev.market].spec
                self.market_hub.to_assets(spec.token_ids(), messages.resolved_message(spec, ev.winner, ev.ts_ms),
                                          custom_only=True)
                self.log.info("market_resolved", market=ev.market, winner=messages.OUTCOMES[ev.winner],
                              scenario_time=iso_ms(ev.ts_ms))
            case _:
                assert_never(ev)

    def book_snapshot(self, asset_id: str, now_ms: int) -> dict[str, Any] | None:
        where = self.clob.token_market.get(asset_id)
        if where is None:
            return None
        return messages.book_message(self.clob, self.clob.markets[where[0]].spec, where[1], now_ms)

    # --- faults --------------------------------------------------------------------------
    def current_market(self) -> str | None:
        now = self.clock.now_ms()
        for state in self.clob.markets.values():
            if state.spec.start_ms <= now < state.spec.end_ms:
                return state.spec.condition_id
        return None

    def log_fault(self, event: str, **fields: Any) -> None:
        self.count("faults_applied")
        self.log.warning(event, scenario_time=iso_ms(self.clock.now_ms()), **fields)

    async def apply_fault(self, fault: Fault) -> None:
        now = self.clock.now_ms()
        defaults = Fault(kind=fault.kind)
        self.log_fault("fault_injected", **{k: v for k, v in msgspec.structs.asdict(fault).items()
                                            if k == "kind" or v != getattr(defaults, k)})
        market = self.current_market() if fault.market == "current" else fault.market
        if fault.kind == "ws_drop":
            await (self.market_hub if fault.channel == "market" else self.user_hub).drop_all()
        elif fault.kind in ("fail_trades", "retry_trades"):
            self.clob.pipeline.add_fault(fault.kind.removesuffix("_trades"), fault.count, self._owners(fault.user))
        elif fault.kind == "set_tick":
            if market in self.clob.markets:
                self.clob.set_tick(market, TICKS[fault.tick], now)
        elif fault.kind == "close_market":
            if market in self.clob.markets:
                self.clob.close_market(market, now)
        elif fault.kind == "cancel_only":
            self.clob.cancel_only = fault.enabled
        else:
            self.faults.arm(fault, now)
        await self.flush()

    def _owners(self, user: str) -> frozenset[str] | None:
        """API keys a trade fault aims at: "" every scenario user, "*" anyone, else one user."""
        if user == "*":
            return None
        users = [u for u in self.scenario.users if user in ("", u.name)]
        return frozenset(self.accounts.creds_for(u.eoa()).api_key for u in users)

    # --- views ---------------------------------------------------------------------------
    def count(self, name: str, n: int = 1) -> None:
        self.counters[name] += n

    def holder_of(self, creds: ApiCreds) -> str:
        eoa = creds.address.lower()
        return self.funder_of.get(eoa, eoa)

    def ledger_view(self, address: str) -> dict[str, Any]:
        ledger = self.clob.ledger
        assets: dict[str, dict[str, str]] = {}
        for store, name in ((ledger.balance, "balance"), (ledger.reserved, "reserved"), (ledger.pending, "pending")):
            for (holder, asset), value in store.items():
                if holder == address and value:
                    assets.setdefault(asset, {"balance": "0", "reserved": "0", "pending": "0"})[name] = fmt_units(value)
        pusd = assets.pop(PUSD, {"balance": "0", "reserved": "0", "pending": "0"})
        return {"address": address, "pusd": pusd, "tokens": assets}

    def users_view(self) -> list[dict[str, Any]]:
        out = []
        for user in self.scenario.users:
            creds = self.accounts.creds_for(user.eoa())
            out.append({"name": user.name, "address": user.eoa(), "funder": user.funder_address(),
                        "signature_type": user.signature_type, "api_key": creds.api_key,
                        "api_secret": creds.secret, "api_passphrase": creds.passphrase})
        return out

    def status(self) -> dict[str, Any]:
        now = self.clock.now_ms()
        return {
            "scenario_time_ms": now, "scenario_time": iso_ms(now), "cancel_only": self.clob.cancel_only,
            "markets": [{"condition_id": s.spec.condition_id, "slug": s.spec.slug, "start": iso_ms(s.spec.start_ms),
                         "closed": s.closed, "accepting_orders": s.accepting, "tick_size": fmt_units(s.tick_u),
                         "winner": messages.OUTCOMES[s.winner] if s.winner is not None else None,
                         "up_token": s.spec.up_token, "down_token": s.spec.down_token}
                        for s in self.clob.markets.values()],
            "counters": dict(self.counters), "trades": len(self.clob.trades),
            "fees_collected": fmt_units(self.clob.ledger.total(FEES_ADDRESS, PUSD)),
        }
