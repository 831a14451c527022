"""The conformance harness: the trader's real Polymarket clients against the real local venue.

Two independent implementations of the Polymarket protocol meet here: the trader's edges
(`polymarket_trader`: signing, REST, Gamma, both websockets, executor, reconciler, heartbeat) and
the local venue (`hourmm_sim.polymarket.venue.PolymarketVenue`), in-process on 127.0.0.1:0, on one `ManualClock`.
Neither side is mocked. Builders take keyword overrides; every wait is on the venue's own
delivery or on the manual clock, with short wall-time safety nets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import aiohttp
import msgspec
from eth_account import Account

from hourmm_common.clock import ManualClock, settle
from hourmm_common.hours import parse_iso_ms
from hourmm_sim.polymarket.accounts import ApiCreds, UserSpec
from hourmm_sim.polymarket.participants import ParticipantsConfig
from hourmm_sim.polymarket.venue import PolymarketVenue
from hourmm_sim.scenarios import FeeConfig, Scenario
from polymarket_trader.core.events import Event, MarketInfo, OrderTerms, OrderType, Side, Token
from polymarket_trader.rest_client import PolymarketRestClient
from polymarket_trader.signing import L2Auth, OrderSigner, OrderSpec, SignedOrder

START = "2025-06-02T14:00:00Z"
START_MS = parse_iso_ms(START)
NOW_MS = START_MS + 5 * 60_000  # five minutes into the first hour: its market trades
# Test keys only (never funded anywhere): the market maker signs for a deposit wallet (type 3),
# a plain EOA account (type 0), an independent counterparty (type 0) who takes our quotes, and a
# browser-wallet account (type 2, a Gnosis safe as funder).
PK_MM = "0x" + "4d" * 32
DEPOSIT_WALLET = "0x" + "d3" * 20
PK_EOA = "0x" + "5e" * 32
PK_TAKER = "0x" + "7a" * 32
PK_SAFE = "0x" + "6b" * 32
SAFE_WALLET = "0x" + "5a" * 20
T = TypeVar("T")


def a_scenario(**kw: Any) -> Scenario:
    users = (
        UserSpec(name="mm", private_key=PK_MM, signature_type=3, funder=DEPOSIT_WALLET, initial_pusd=1000.0),
        UserSpec(name="eoa", private_key=PK_EOA, signature_type=0, initial_pusd=1000.0),
        UserSpec(name="taker", private_key=PK_TAKER, signature_type=0, initial_pusd=1000.0),
        UserSpec(name="safe", private_key=PK_SAFE, signature_type=2, funder=SAFE_WALLET, initial_pusd=1000.0),
    )
    defaults: dict[str, Any] = {"start_hour": START, "hours": 2, "seed": 11, "users": users,
                                "participants": ParticipantsConfig(enabled=False), "fees": FeeConfig(rate=0.0)}
    defaults.update(kw)
    return Scenario(**defaults)


class TraderAccount(msgspec.Struct, kw_only=True):
    """One venue user as the trader's own code sees it: signer, L2 auth, REST client."""

    name: str
    creds: ApiCreds
    signer: OrderSigner
    auth: L2Auth
    rest: PolymarketRestClient

    @property
    def funder(self) -> str:
        return self.signer.funder

    def order(self, market: MarketInfo, *, token: Token = Token.UP, side: Side = Side.BUY, price_e4: int = 4000,
              size_e6: int = 10_000_000, expiration_s: int | None = None, tick_e4: int | None = None,
              post_only: bool = True, order_type: OrderType = OrderType.GTD, now_ms: int = NOW_MS) -> SignedOrder:
        """A signed order built exactly as the executor builds it."""
        if expiration_s is None:
            expiration_s = (market.hour_end_ms + 60_000) // 1000 if order_type is OrderType.GTD else 0
        terms = OrderTerms(token=token, side=side, price_e4=price_e4, size_e6=size_e6, expiration_s=expiration_s,
                           order_type=order_type, post_only=post_only)
        spec = OrderSpec(token_id=market.token_id(token), terms=terms,
                         tick_e4=market.tick_e4 if tick_e4 is None else tick_e4, neg_risk=market.neg_risk)
        return self.signer.sign(spec, timestamp_ms=now_ms)


def an_account(venue: PolymarketVenue, http: aiohttp.ClientSession, clock: ManualClock, name: str,
               *, timeout_s: float = 5.0) -> TraderAccount:
    user = next(u for u in venue.scenario.users if u.name == name)
    eoa = Account.from_key(user.private_key).address
    creds = venue.accounts.creds_for(eoa)
    signer = OrderSigner(private_key=user.private_key, signature_type=user.signature_type,
                         funder=user.funder or None, owner=creds.api_key)
    auth = L2Auth(address_signer=signer, api_key=creds.api_key, api_secret=creds.secret,
                  api_passphrase=creds.passphrase)
    rest = PolymarketRestClient(base_url=venue.clob_url, session=http, auth=auth, clock=clock,
                                signature_type=user.signature_type, timeout_s=timeout_s, read_retries=0)
    return TraderAccount(name=name, creds=creds, signer=signer, auth=auth, rest=rest)


async def subscribed(venue: PolymarketVenue, api_key: str) -> None:
    """User-channel auth success is not acknowledged (reference C): wait until the venue has
    registered the subscription (no scenario time passes)."""
    for _ in range(500):
        if any(s.api_key == api_key for s in venue.user_hub.subscribers):
            return
        await settle()
        await asyncio.to_thread(lambda: None)
    raise AssertionError("the venue never registered the user subscription")


class Inbox:
    """The events a trader edge put on its queue, taken by kind: an event not asked for stays
    available (in order) for a later `take`, so tests never lose one by looking for another."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.unread: list[Event] = []
        self.seen: list[Event] = []

    def _pull(self) -> None:
        while not self.queue.empty():
            ev = self.queue.get_nowait()
            self.unread.append(ev)
            self.seen.append(ev)

    def _find(self, kind: type[T], where: Callable[[T], bool]) -> T | None:
        self._pull()
        for i, ev in enumerate(self.unread):
            if isinstance(ev, kind) and where(ev):
                del self.unread[i]
                return ev
        return None

    async def take(self, kind: type[T], where: Callable[[T], bool] = lambda _: True, *,
                   clock: ManualClock | None = None, step_ms: int = 250, max_ms: int = 60_000) -> T:
        """The first unread event of `kind` matching `where`. With a clock, scenario time moves
        on in `step_ms` steps (autojump) while nothing matches, up to `max_ms`; without, it waits
        for the queue (a wall-time safety net only)."""
        deadline = clock.now_ms() + max_ms if clock is not None else 0
        while True:
            found = self._find(kind, where)
            if found is not None:
                return found
            if clock is not None:
                if clock.now_ms() >= deadline:
                    break
                await clock.run_until(clock.now_ms() + step_ms)
                continue
            try:
                ev = await asyncio.wait_for(self.queue.get(), 2.0)  # safety net only
            except TimeoutError:
                break
            self.unread.append(ev)
            self.seen.append(ev)
        raise AssertionError(f"no {kind.__name__} arrived; unread: {self.unread[:10]}")

    def all(self, kind: type[T]) -> list[T]:
        self._pull()
        return [ev for ev in self.seen if isinstance(ev, kind)]
