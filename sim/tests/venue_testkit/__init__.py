"""Builders and helpers for the local venue's tests: users with known keys, scenarios with
defaults and keyword overrides, a started venue on 127.0.0.1:0, and py-clob-client-v2 clients
pointed at it (run in a worker thread: the SDK is synchronous)."""

from __future__ import annotations

from typing import Any

import msgspec

from hourmm_common.hours import parse_iso_ms
from hourmm_sim.polymarket.accounts import UserSpec
from hourmm_sim.polymarket.clob import Clob
from hourmm_sim.polymarket.clob_rules import ClobConfig, OrderRequest
from hourmm_sim.polymarket.ledger import Ledger
from hourmm_sim.polymarket.markets import hourly_market
from hourmm_sim.polymarket.participants import ParticipantsConfig
from hourmm_sim.scenarios import Scenario

START = "2025-06-02T14:00:00Z"
START_MS = parse_iso_ms(START)
PK_EOA = "0x" + "a1" * 32
PK_SAFE = "0x" + "b2" * 32
PK_DEPOSIT = "0x" + "c3" * 32
SAFE = "0x" + "5a" * 20
DEPOSIT_WALLET = "0x" + "de" * 20


def a_user(name: str = "alice", **kw: Any) -> UserSpec:
    defaults: dict[str, Any] = {"private_key": PK_EOA, "signature_type": 0, "initial_pusd": 1000.0}
    defaults.update(kw)
    return UserSpec(name=name, **defaults)


def default_users() -> tuple[UserSpec, ...]:
    return (
        a_user("alice"),
        a_user("bob", private_key=PK_SAFE, signature_type=2, funder=SAFE),
        a_user("carol", private_key=PK_DEPOSIT, signature_type=3, funder=DEPOSIT_WALLET),
    )


def a_scenario(**kw: Any) -> Scenario:
    defaults: dict[str, Any] = {"start_hour": START, "hours": 1, "seed": 7, "users": default_users(),
                                "participants": ParticipantsConfig(enabled=False)}
    defaults.update(kw)
    return Scenario(**defaults)


def a_clob(config: ClobConfig | None = None, fee_rate_e5: int = 0, tick_u: int = 10_000) -> Clob:
    clob = Clob(config or ClobConfig(), Ledger())
    clob.add_market(hourly_market("t", START_MS, tick_u=tick_u, fee_rate_e5=fee_rate_e5))
    return clob


def market_of(clob: Clob) -> Any:
    return next(iter(clob.markets.values())).spec


_n = 0


def an_order(clob: Clob, *, who: str = "u1", token: int = 0, side: int = 0, price: float = 0.5,
             size: float = 10.0, **kw: Any) -> OrderRequest:
    global _n
    _n += 1
    spec = market_of(clob)
    fields: dict[str, Any] = {
        "order_id": f"0x{_n:064x}", "owner": f"key-{who}", "holder": who, "maker_address": who,
        "token_id": spec.token_ids()[token], "side": side, "price_u": round(price * 1_000_000),
        "size_u": round(size * 1_000_000),
    }
    fields.update(kw)
    return OrderRequest(**fields)


def replace(obj: Any, **kw: Any) -> Any:
    return msgspec.structs.replace(obj, **kw)


def sdk_client(venue: Any, pk: str = PK_EOA, signature_type: int = 0, funder: str | None = None) -> Any:
    """A py-clob-client-v2 client with L2 creds from the venue (call it in a worker thread)."""
    from py_clob_client_v2 import ClobClient

    client = ClobClient(venue.clob_url, 137, key=pk, signature_type=signature_type, funder=funder)
    client.set_api_creds(client.create_or_derive_api_key())
    return client


def sdk_limit(client: Any, token_id: str, price: float, size: float, side: str = "BUY", *,
              post_only: bool = True, order_type: str = "GTC", expiration: int = 0) -> Any:
    """Build, sign and post one limit order through the SDK (call it in a worker thread)."""
    from py_clob_client_v2 import OrderArgs, PartialCreateOrderOptions

    order = client.create_order(OrderArgs(token_id=token_id, price=price, size=size, side=side, expiration=expiration),
                                PartialCreateOrderOptions(tick_size="0.01", neg_risk=False))
    return client.post_order(order, order_type, post_only=post_only)


async def recv(ws: Any) -> Any:
    """The next frame: parsed JSON, the text PONG, or the close message type."""
    import asyncio
    import json

    import aiohttp

    msg = await asyncio.wait_for(ws.receive(), 5)  # safety net only
    if msg.type != aiohttp.WSMsgType.TEXT:
        return msg.type
    return msg.data if msg.data == "PONG" else json.loads(msg.data)


def flat(frame: Any) -> list[dict[str, Any]]:
    """A frame is one object or an array of them."""
    return frame if isinstance(frame, list) else [frame]


async def collect(ws: Any, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while len(out) < n:
        out += flat(await recv(ws))
    return out


async def user_socket(http: Any, venue: Any, name: str) -> Any:
    """A user-channel socket subscribed (with the real auth handshake) to the venue's first market."""
    import json

    from hourmm_common.clock import settle

    creds = venue.accounts.creds_for(next(u for u in venue.scenario.users if u.name == name).eoa())
    market = next(iter(venue.clob.markets))
    ws = await http.ws_connect(venue.ws_user_url)
    await ws.send_str(json.dumps({"auth": {"apiKey": creds.api_key, "secret": creds.secret,
                                           "passphrase": creds.passphrase}, "markets": [market], "type": "user"}))
    await settle()
    return ws


async def until(condition: Any, rounds: int = 2_000) -> None:
    """Yield to the loop (and to worker threads) until `condition()` holds; no time passes."""
    import asyncio

    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)
        await asyncio.to_thread(lambda: None)
    raise AssertionError("condition never held")
