"""Builders shared by the edge tests: recorded fixtures and a market around given token ids."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from typing import Any

from aiohttp import WSMsgType, web
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from hourmm_common.clock import ManualClock
from hourmm_common.paths import fixtures_dir
from polymarket_trader.core.events import FeeSchedule, MarketInfo

PM = fixtures_dir() / "polymarket"

# Token and condition ids used by the recorded fixtures (see shared/fixtures/polymarket/README.md).
TRUMP_CID = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
TRUMP_YES = "21742633143463906290569050155826241533067272736897614950488156847949938836455"
TRUMP_NO = "48331043336612883890938759509493159234755048973500640148014422747788308965732"
OUR_FUNDER = "0xa3D82Ed56F4c68d2328Fb8c29e568Ba2cAF7d7c8"
OUR_API_KEY = "3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"


def fixture_text(rel: str) -> str:
    return (PM / rel).read_text(encoding="utf-8")


def a_market(*, up: str = TRUMP_YES, down: str = TRUMP_NO, cid: str = TRUMP_CID, hour_start_ms: int = 0,
             tick_e4: int = 100, slug: str = "bitcoin-up-or-down-test") -> MarketInfo:
    return MarketInfo(condition_id=cid, question="Bitcoin Up or Down - test", slug=slug,
                      hour_start_ms=hour_start_ms, hour_end_ms=hour_start_ms + 3_600_000,
                      up_token_id=up, down_token_id=down, tick_e4=tick_e4, min_size_e6=5_000_000,
                      neg_risk=False, fees=FeeSchedule(enabled=False, rate_bps=0))




async def start_server(app: web.Application) -> tuple[str, web.AppRunner]:
    """Serve `app` on 127.0.0.1 on a free port; returns (base url, runner to clean up)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}", runner


def hourly_event(hour_start_ms: int, *, up_first: bool = True, tokens_as_list: bool = False, closed: bool = False,
                 accepting: bool = True, source: str = "https://www.binance.com/en/trade/BTC_USDT",
                 cid: str | None = None) -> dict[str, Any]:
    """A Gamma hourly event built from the recorded 5-minute market (the README's recipe)."""
    from hourmm_common.hours import et_slugs, iso_ms

    market = json.loads(fixture_text("gamma/market_btc_updown_5m_2026-03.json"))
    event = market.pop("events")[0]
    up, down = "1" + str(hour_start_ms), "2" + str(hour_start_ms)
    outcomes, ids = (["Up", "Down"], [up, down]) if up_first else (["Down", "Up"], [down, up])
    slug = et_slugs(hour_start_ms)[0]
    market |= {"slug": slug, "conditionId": cid or f"0x{hour_start_ms:064x}", "eventStartTime": iso_ms(hour_start_ms),
               "endDate": iso_ms(hour_start_ms + 3_600_000), "resolutionSource": source,
               "outcomes": outcomes if tokens_as_list else json.dumps(outcomes),
               "clobTokenIds": ids if tokens_as_list else json.dumps(ids), "closed": closed,
               "acceptingOrders": accepting, "feeSchedule": {"exponent": 1, "rate": 0.07, "takerOnly": True}}
    event |= {"slug": slug, "startTime": iso_ms(hour_start_ms), "endDate": iso_ms(hour_start_ms + 3_600_000),
              "resolutionSource": source, "markets": [market],
              "series": [{"id": "10114", "slug": "btc-up-or-down-hourly", "recurrence": "hourly"}]}
    return event


# --- clocks ------------------------------------------------------------------------------------


class JumpClock(ManualClock):
    """A ManualClock whose sleepers jump time to their deadline at once (for REST retry paths
    that also do real socket IO): no real waiting, time still ordered and observable."""

    async def sleep_until(self, deadline_ms: int) -> None:
        if deadline_ms > self.now_ms():
            self.set(deadline_ms)
        await asyncio.sleep(0)


async def next_event(q: asyncio.Queue[Any], timeout_s: float = 5.0) -> Any:
    """The next item of `q` (the timeout is only a safety net for a broken test)."""
    return await asyncio.wait_for(q.get(), timeout_s)


def drain(q: asyncio.Queue[Any]) -> list[Any]:
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out


# --- a scriptable CLOB that checks L2 auth and computes order hashes itself ------------------------

TEST_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # hardhat #0, public
TEST_SECRET = base64.urlsafe_b64encode(b"k" * 32).decode()
TEST_API_KEY = "00000000-0000-4000-8000-000000000001"
TEST_PASSPHRASE = "pass-phrase"
EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
_ORDER_FIELDS = [("salt", "uint256"), ("maker", "address"), ("signer", "address"), ("tokenId", "uint256"),
                 ("makerAmount", "uint256"), ("takerAmount", "uint256"), ("side", "uint8"),
                 ("signatureType", "uint8"), ("timestamp", "uint256"), ("metadata", "bytes32"),
                 ("builder", "bytes32")]


def order_hash(order: dict[str, Any]) -> str:
    """EIP-712 hash of a posted V2 order, computed independently of the client's code."""
    msg = {"salt": int(order["salt"]), "maker": order["maker"], "signer": order["signer"],
           "tokenId": int(order["tokenId"]), "makerAmount": int(order["makerAmount"]),
           "takerAmount": int(order["takerAmount"]), "side": 0 if order["side"] == "BUY" else 1,
           "signatureType": int(order["signatureType"]), "timestamp": int(order["timestamp"]),
           "metadata": bytes.fromhex(order["metadata"][2:]), "builder": bytes.fromhex(order["builder"][2:])}
    typed = {"primaryType": "Order",
             "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                        {"name": "chainId", "type": "uint256"},
                                        {"name": "verifyingContract", "type": "address"}],
                       "Order": [{"name": n, "type": t} for n, t in _ORDER_FIELDS]},
             "domain": {"name": "Polymarket CTF Exchange", "version": "2", "chainId": 137,
                        "verifyingContract": EXCHANGE_V2},
             "message": msg}
    encoded = encode_typed_data(full_message=typed)
    return "0x" + keccak(b"\x19" + encoded.version + encoded.header + encoded.body).hex()


class Reply:
    """One scripted answer: a status and JSON body, or `hang=True` (never answers)."""

    def __init__(self, status: int = 200, body: Any = None, *, hang: bool = False,
                 headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.hang, self.headers = status, body, hang, headers or {}


class FakeClob:
    """A CLOB stand-in: verifies L2 headers on every authenticated call, answers from `script`
    (per "METHOD /path" route, first in first out) or with a sensible default, records calls."""

    def __init__(self) -> None:
        self.script: dict[str, list[Reply]] = {}
        self.calls: list[tuple[str, str, Any]] = []
        self.open: dict[str, dict[str, Any]] = {}  # order id -> order item as /data/orders lists it
        self.heartbeat_id = "hb-0"
        self.release = asyncio.Event()  # set at teardown: hanging answers end (504) instead of blocking
        self.app = web.Application()
        for method, path in (("POST", "/order"), ("POST", "/orders"), ("DELETE", "/order"), ("DELETE", "/orders"),
                             ("DELETE", "/cancel-all"), ("DELETE", "/cancel-market-orders"), ("GET", "/data/orders"),
                             ("GET", "/data/trades"), ("GET", "/balance-allowance"), ("POST", "/v1/heartbeats")):
            self.app.router.add_route(method, path, self.handle)

    def count(self, route: str) -> int:
        return sum(1 for m, p, _ in self.calls if f"{m} {p}" == route)

    def _auth_ok(self, request: web.Request, body: str) -> bool:
        ts = request.headers.get("POLY_TIMESTAMP", "")
        msg = f"{ts}{request.method}{request.path}{body}"
        want = base64.urlsafe_b64encode(hmac.new(base64.urlsafe_b64decode(TEST_SECRET), msg.encode(),
                                                 hashlib.sha256).digest()).decode()
        return (request.headers.get("POLY_SIGNATURE") == want and request.headers.get("POLY_API_KEY") == TEST_API_KEY
                and request.headers.get("POLY_PASSPHRASE") == TEST_PASSPHRASE)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw = (await request.read()).decode()
        route = f"{request.method} {request.path}"
        payload = json.loads(raw) if raw else None
        self.calls.append((request.method, request.path, payload))
        if not self._auth_ok(request, raw):
            return web.json_response({"error": "Unauthorized/Invalid api key"}, status=401)
        queue = self.script.get(route)
        if queue:
            reply = queue.pop(0)
            if reply.hang:
                await self.release.wait()
                return web.json_response({"error": "released"}, status=504)
            return web.json_response(reply.body, status=reply.status, headers=reply.headers)
        return web.json_response(self.default(route, payload, request))

    def default(self, route: str, payload: Any, request: web.Request) -> Any:
        if route in ("POST /order", "POST /orders"):
            items = payload if isinstance(payload, list) else [payload]
            answers = []
            for item in items:
                oid = order_hash(item["order"])
                o = item["order"]
                self.open[oid] = {"id": oid, "status": "LIVE", "market": "m", "asset_id": o["tokenId"],
                                  "side": o["side"], "price": "0.5", "original_size": "5", "size_matched": "0",
                                  "expiration": o["expiration"], "created_at": 1}
                answers.append({"success": True, "errorMsg": "", "orderID": oid, "status": "live"})
            return answers if isinstance(payload, list) else answers[0]
        if route in ("DELETE /order", "DELETE /orders"):
            ids = [payload["orderID"]] if isinstance(payload, dict) else payload
            gone = [i for i in ids if self.open.pop(i, None) is not None]
            return {"canceled": gone, "not_canceled": {i: "already canceled or matched" for i in ids if i not in gone}}
        if route in ("DELETE /cancel-all", "DELETE /cancel-market-orders"):
            gone = list(self.open)
            self.open.clear()
            return {"canceled": gone, "not_canceled": {}}
        if route == "GET /data/orders":
            return {"data": list(self.open.values()), "next_cursor": "LTE="}
        if route == "GET /data/trades":
            return {"data": [], "next_cursor": "LTE="}
        if route == "GET /balance-allowance":
            collateral = request.query.get("asset_type") == "COLLATERAL"
            return {"balance": "1000000000" if collateral else "0", "allowance": "0"}
        if route == "POST /v1/heartbeats":
            n = int(self.heartbeat_id.split("-")[1]) + 1
            if payload.get("heartbeat_id") not in ("", self.heartbeat_id):
                raise web.HTTPBadRequest(text=json.dumps({"error": "Invalid Heartbeat ID",
                                                          "heartbeat_id": self.heartbeat_id}),
                                         content_type="application/json")
            self.heartbeat_id = f"hb-{n}"
            return {"heartbeat_id": self.heartbeat_id}
        raise web.HTTPNotFound()


def a_signer(**kw: Any) -> Any:
    from polymarket_trader.signing import OrderSigner

    return OrderSigner(private_key=TEST_KEY, owner=TEST_API_KEY, **kw)


def an_auth(signer: Any) -> Any:
    from polymarket_trader.signing import L2Auth

    return L2Auth(address_signer=signer, api_key=TEST_API_KEY, api_secret=TEST_SECRET, api_passphrase=TEST_PASSPHRASE)


class FakeWs:
    """Market and user websocket stand-in: records subscriptions, answers PING (unless `mute`),
    pushes frames on demand, and can drop every connection from the server side."""

    def __init__(self) -> None:
        self.sockets: list[web.WebSocketResponse] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.pings = 0
        self.mute = False
        self.on_subscribe: list[str] = []  # frames sent right after each subscription
        self.subscribed = asyncio.Event()
        self.app = web.Application()
        self.app.router.add_get("/ws/market", self.handle)
        self.app.router.add_get("/ws/user", self.handle)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            if msg.data == "PING":
                self.pings += 1
                if not self.mute:
                    await ws.send_str("PONG")
                continue
            self.subscriptions.append(json.loads(msg.data) | {"_path": request.path})
            self.subscribed.set()
            for frame in self.on_subscribe:
                await ws.send_str(frame)
        return ws

    async def push(self, frame: str) -> None:
        for ws in self.sockets:
            if not ws.closed:
                await ws.send_str(frame)

    async def drop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        self.sockets.clear()
