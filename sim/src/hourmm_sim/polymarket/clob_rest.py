"""CLOB REST at the real paths: every endpoint py-clob-client-v2 calls to build, post, list and
cancel orders, plus book, balances, heartbeats and the admin API (`/_sim/...`, not Polymarket).

In: HTTP requests with L1/L2 headers. Out: the venue's JSON bodies and error texts. Every
mutating call flushes the engine's events to the websockets. REST faults (5xx, 429, timeouts,
with the order placed or not behind them) are applied here.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from hourmm_sim.polymarket import auth, messages
from hourmm_sim.polymarket.accounts import ApiCreds
from hourmm_sim.polymarket.clob import OrderRequest, order_from_amounts
from hourmm_sim.polymarket.clob_events import TradeRecord
from hourmm_sim.polymarket.faults import Fault, RestFault
from hourmm_sim.polymarket.ledger import PUSD
from hourmm_sim.polymarket.units import ONE, fmt_tick, fmt_units

if TYPE_CHECKING:
    from hourmm_sim.polymarket.venue import PolymarketVenue

UNAUTHORIZED = {"error": "Unauthorized/Invalid api key"}
END_CURSOR = "LTE="
PAGE = 500
BIG_ALLOWANCE = "115792089237316195423570985008687907853269984665640564039457584007913129639935"


_decode_fault = msgspec.json.Decoder(Fault).decode
_decode_faults = msgspec.json.Decoder(list[Fault]).decode


def _involves(trade: TradeRecord, address: str) -> bool:
    wanted = address.lower()
    return trade.taker_address.lower() == wanted or any(m.maker_address.lower() == wanted for m in trade.makers)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(body, separators=(",", ":")), status=status, content_type="application/json")


def _error(message: str, status: int = 400) -> web.Response:
    return _json({"error": message}, status)


class ClobRest:
    """Route handlers; state lives in the venue."""

    def __init__(self, venue: PolymarketVenue) -> None:
        self.v = venue

    def routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/", self.ok)
        r.add_get("/ok", self.ok)
        r.add_get("/time", self.time)
        r.add_get("/version", self.version)
        r.add_post("/auth/api-key", self.create_api_key)
        r.add_get("/auth/derive-api-key", self.derive_api_key)
        r.add_get("/tick-size", self.tick_size)
        r.add_get("/neg-risk", self.neg_risk)
        r.add_get("/fee-rate", self.fee_rate)
        r.add_get("/markets/{cid}", self.market)
        r.add_get("/markets-by-token/{token}", self.market_by_token)
        r.add_get("/clob-markets/{cid}", self.clob_market_info)
        r.add_get("/book", self.book)
        r.add_post("/books", self.books)
        r.add_post("/order", self.post_order)
        r.add_post("/orders", self.post_orders)
        r.add_delete("/order", self.cancel_order)
        r.add_delete("/orders", self.cancel_orders)
        r.add_delete("/cancel-all", self.cancel_all)
        r.add_delete("/cancel-market-orders", self.cancel_market_orders)
        r.add_get("/data/orders", self.open_orders)
        r.add_get("/data/order/{oid}", self.get_order)
        r.add_get("/data/trades", self.trades)
        r.add_get("/balance-allowance", self.balance_allowance)
        r.add_get("/balance-allowance/update", self.balance_allowance)
        r.add_post("/v1/heartbeats", self.heartbeat)
        r.add_post("/heartbeats", self.legacy_heartbeat)
        r.add_get("/_sim/status", self.sim_status)
        r.add_get("/_sim/ledger", self.sim_ledger)
        r.add_get("/_sim/fills", self.sim_fills)
        r.add_get("/_sim/users", self.sim_users)
        r.add_get("/_sim/orders", self.sim_orders)
        r.add_post("/_sim/faults", self.sim_faults)

    # --- auth ----------------------------------------------------------------------------
    async def _l2(self, request: web.Request, body: str) -> ApiCreds | None:
        h = request.headers
        creds = self.v.accounts.by_key.get(h.get("POLY_API_KEY", ""))
        if creds is None or h.get("POLY_PASSPHRASE") != creds.passphrase:
            self.v.count("rest_auth_failures")
            return None
        if h.get("POLY_ADDRESS", "").lower() != creds.address.lower():
            self.v.count("rest_auth_failures")
            return None
        if not auth.hmac_matches(creds.secret, h.get("POLY_TIMESTAMP", ""), request.method, request.path, body,
                                 h.get("POLY_SIGNATURE", "")):
            self.v.count("rest_auth_failures")
            return None
        return creds

    def _l1(self, request: web.Request) -> str | None:
        h = request.headers
        try:
            address = h["POLY_ADDRESS"]
            signer = auth.clob_auth_signer(address, h["POLY_TIMESTAMP"], int(h.get("POLY_NONCE", "0")),
                                           h["POLY_SIGNATURE"], self.v.chain_id)
        except (KeyError, ValueError, auth.AuthError):
            return None
        return signer if signer.lower() == address.lower() else None

    async def create_api_key(self, request: web.Request) -> web.Response:
        address = self._l1(request)
        if address is None:
            return _error("Invalid L1 Request headers", 401)
        creds = self.v.accounts.creds_for(address, int(request.headers.get("POLY_NONCE", "0")))
        return _json({"apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase})

    derive_api_key = create_api_key

    # --- public --------------------------------------------------------------------------
    async def ok(self, request: web.Request) -> web.Response:
        return _json("OK")

    async def time(self, request: web.Request) -> web.Response:
        return _json(self.v.clock.now_ms() // 1000)

    async def version(self, request: web.Request) -> web.Response:
        return _json({"version": 2})

    def _token(self, request: web.Request) -> tuple[str, int] | None:
        return self.v.clob.token_market.get(request.query.get("token_id", ""))

    async def tick_size(self, request: web.Request) -> web.Response:
        where = self._token(request)
        if where is None:
            return _error("market not found", 404)
        return _json({"minimum_tick_size": float(fmt_tick(self.v.clob.markets[where[0]].tick_u))})

    async def neg_risk(self, request: web.Request) -> web.Response:
        if self._token(request) is None:
            return _error("market not found", 404)
        return _json({"neg_risk": False})

    async def fee_rate(self, request: web.Request) -> web.Response:
        where = self._token(request)
        if where is None:
            return _error("market not found", 404)
        return _json({"base_fee": str(self.v.clob.markets[where[0]].spec.fee_rate_e5 // 10)})

    async def market(self, request: web.Request) -> web.Response:
        state = self.v.clob.markets.get(request.match_info["cid"])
        if state is None:
            return _error("market not found", 404)
        return _json(messages.clob_market(self.v.clob, state.spec))

    async def market_by_token(self, request: web.Request) -> web.Response:
        where = self.v.clob.token_market.get(request.match_info["token"])
        if where is None:
            return _error("market not found", 404)
        spec = self.v.clob.markets[where[0]].spec
        return _json({"condition_id": spec.condition_id, "primary_token_id": spec.up_token,
                      "secondary_token_id": spec.down_token})

    async def clob_market_info(self, request: web.Request) -> web.Response:
        state = self.v.clob.markets.get(request.match_info["cid"])
        if state is None:
            return _error("market not found", 404)
        spec = state.spec
        return _json({"c": spec.condition_id, "t": [{"t": spec.up_token, "o": "Up"}, {"t": spec.down_token, "o": "Down"}],
                      "mts": float(fmt_tick(state.tick_u)), "mos": spec.min_size_u / ONE, "nr": False,
                      "fd": {"r": spec.fee_rate_e5 / 100_000, "e": spec.fee_exponent, "to": True}})

    async def book(self, request: web.Request) -> web.Response:
        where = self._token(request)
        if where is None:
            return _error("No orderbook exists for the requested token id", 404)
        spec = self.v.clob.markets[where[0]].spec
        return _json(messages.book_rest(self.v.clob, spec, where[1], self.v.clock.now_ms()))

    async def books(self, request: web.Request) -> web.Response:
        try:
            items = json.loads(await request.text())
            out = []
            for item in items:
                where = self.v.clob.token_market.get(str(item["token_id"]))
                if where is not None:
                    spec = self.v.clob.markets[where[0]].spec
                    out.append(messages.book_rest(self.v.clob, spec, where[1], self.v.clock.now_ms()))
        except (ValueError, TypeError, KeyError):
            return _error("Invalid payload")
        return _json(out)

    # --- orders --------------------------------------------------------------------------
    def _take_fault(self, request: web.Request) -> RestFault | None:
        fault = self.v.faults.rest_fault(request.method, request.path)
        if fault is not None:
            self.v.log_fault("rest_fault_applied", method=request.method, path=request.path,
                             status=fault.status, placed=fault.placed, timeout_ms=fault.timeout_ms)
        return fault

    async def _fault_answer(self, fault: RestFault) -> web.Response:
        """Hold the request for a timeout fault (scenario time), then answer the error."""
        if fault.timeout_ms:
            await self.v.clock.sleep_until(self.v.clock.now_ms() + fault.timeout_ms)
            return _error("context deadline exceeded", 504)
        if fault.status == 429:
            response = _error("Too Many Requests", 429)
            response.headers["Retry-After"] = "1"
            return response
        return _error("Internal server error", fault.status)

    def _one_order(self, creds: ApiCreds, item: Any) -> tuple[int, dict[str, Any]]:
        try:
            order = item["order"]
            side = messages.parse_side(str(order["side"]))
            price_u, size_u = order_from_amounts(side, int(order["makerAmount"]), int(order["takerAmount"]))
            sig_type = int(order["signatureType"])
            expiration = int(order.get("expiration") or 0)
            token_id = str(order["tokenId"])
            order_type = str(item.get("orderType", "GTC"))
            post_only = bool(item.get("postOnly", False))
            owner = str(item["owner"])
            maker, signer = str(order["maker"]), str(order["signer"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            self.v.count("rest_bad_orders")
            self.v.log.warning("order_payload_rejected", reason=repr(exc)[:100], sample=repr(item)[:200])
            return 400, {"error": "Invalid order payload"}
        if owner != creds.api_key:
            return 400, {"error": "the order owner has to be the owner of the API KEY"}
        problem = self.v.accounts.may_trade_for(creds.address, maker, signer, sig_type)
        if problem:
            return 400, {"error": problem}
        try:
            recovered = auth.recover_order_signer(order, self.v.domain, self.v.chain_id)
            oid = auth.order_id(order, self.v.domain)
        except (auth.AuthError, ValueError, TypeError, KeyError, OverflowError, AttributeError):
            self.v.count("rest_bad_signatures")
            return 400, {"error": "invalid signature"}
        if recovered.lower() != creds.address.lower():
            self.v.count("rest_bad_signatures")
            return 400, {"error": "invalid signature"}
        req = OrderRequest(order_id=oid, owner=creds.api_key, holder=maker.lower(), maker_address=maker, token_id=token_id, side=side, price_u=price_u,
                           size_u=size_u, order_type=order_type, expiration_s=expiration, post_only=post_only)
        result = self.v.clob.place(req, self.v.clock.now_ms())
        if not result.success:
            self.v.count("orders_rejected")
            return result.http_status, {"error": result.error}
        self.v.count("orders_accepted")
        return 200, {"success": True, "errorMsg": "", "orderID": result.order_id, "status": result.status,
                     "makingAmount": fmt_units(result.making_u) if result.making_u else "",
                     "takingAmount": fmt_units(result.taking_u) if result.taking_u else "",
                     "transactionsHashes": list(result.tx_hashes), "tradeIDs": list(result.trade_ids)}

    async def post_order(self, request: web.Request) -> web.Response:
        body = await request.text()
        creds = await self._l2(request, body)
        if creds is None:
            return _json(UNAUTHORIZED, 401)
        fault = self._take_fault(request)
        if fault is not None and not fault.placed:
            return await self._fault_answer(fault)
        status, answer = 400, {"error": "Invalid order payload"}
        try:
            status, answer = self._one_order(creds, json.loads(body))
        except ValueError:
            self.v.count("rest_bad_orders")
            self.v.log.warning("order_payload_rejected", reason="not JSON", sample=body[:200])
        await self.v.flush(user_first=self.v.faults.take_user_first())
        return await self._fault_answer(fault) if fault is not None else _json(answer, status)

    async def post_orders(self, request: web.Request) -> web.Response:
        body = await request.text()
        creds = await self._l2(request, body)
        if creds is None:
            return _json(UNAUTHORIZED, 401)
        try:
            items = json.loads(body)
            if not isinstance(items, list):
                raise ValueError
        except ValueError:
            return _error("Invalid order payload")
        if len(items) > 15:
            return _error(f"Too many orders in payload: {len(items)}, max allowed: 15")
        fault = self._take_fault(request)
        if fault is not None and not fault.placed:
            return await self._fault_answer(fault)
        out = []
        for item in items:
            status, answer = self._one_order(creds, item)
            if status != 200:
                answer = {"success": False, "errorMsg": answer["error"], "orderID": "", "status": "",
                          "makingAmount": "", "takingAmount": "", "transactionsHashes": [], "tradeIDs": []}
            out.append(answer)
        await self.v.flush(user_first=self.v.faults.take_user_first())
        return await self._fault_answer(fault) if fault is not None else _json(out)

    async def _cancel(self, request: web.Request, ids_of: Any) -> web.Response:
        body = await request.text()
        creds = await self._l2(request, body)
        if creds is None:
            return _json(UNAUTHORIZED, 401)
        fault = self._take_fault(request)
        if fault is not None and not fault.placed:
            return await self._fault_answer(fault)
        try:
            parsed = json.loads(body) if body else None
            canceled, not_canceled = ids_of(creds.api_key, parsed, self.v.clock.now_ms())
        except (ValueError, TypeError, KeyError):
            return _error("Invalid orderID")
        await self.v.flush()
        if fault is not None:
            return await self._fault_answer(fault)
        return _json({"canceled": canceled, "not_canceled": not_canceled})

    async def cancel_order(self, request: web.Request) -> web.Response:
        return await self._cancel(request, lambda key, b, now: self.v.clob.cancel(key, [str(b["orderID"])], now))

    async def cancel_orders(self, request: web.Request) -> web.Response:
        def ids(key: str, b: Any, now: int) -> tuple[list[str], dict[str, str]]:
            if not isinstance(b, list):
                raise ValueError("not a list")
            return self.v.clob.cancel(key, [str(x) for x in b], now)
        return await self._cancel(request, ids)

    async def cancel_all(self, request: web.Request) -> web.Response:
        return await self._cancel(request, lambda key, b, now: (self.v.clob.cancel_where(key, now), {}))

    async def cancel_market_orders(self, request: web.Request) -> web.Response:
        return await self._cancel(request, lambda key, b, now: (self.v.clob.cancel_where(
            key, now, market=(b or {}).get("market") or None, token_id=(b or {}).get("asset_id") or None), {}))

    # --- reads ---------------------------------------------------------------------------
    async def open_orders(self, request: web.Request) -> web.Response:
        creds = await self._l2(request, "")
        if creds is None:
            return _json(UNAUTHORIZED, 401)
        q = request.query
        orders = self.v.clob.live_orders(creds.api_key, q.get("market") or None, q.get("asset_id") or None)
        if q.get("id"):
            orders = [o for o in orders if o.order_id == q["id"]]
        try:
            start = int(base64.b64decode(q.get("next_cursor", "MA==")).decode() or 0)
        except ValueError:
            start = 0
        page = orders[start:start + PAGE]
        nxt = start + PAGE
        cursor = base64.b64encode(str(nxt).encode()).decode() if nxt < len(orders) else END_CURSOR
        data = [messages.open_order_item(self.v.clob.snapshot(o), self.v.clob.markets[o.market].spec) for o in page]
        return _json({"data": data, "next_cursor": cursor, "limit": PAGE, "count": len(data)})

    async def get_order(self, request: web.Request) -> web.Response:
        creds = await self._l2(request, "")
        if creds is None:
            return _json(UNAUTHORIZED, 401)
        order = self.v.clob.orders.get(request.match_info["oid"])
        if order is None or order.owner != creds.api_key or order.status != "LIVE":
            return _json(None)
        return _json(messages.open_order_item(self.v.clob.snapshot(order), self.v.clob.markets[order.market].spec))

    async def trades(self, request: web.Request) -> web.Response:
        creds = await self._l2(request, "")
        if creds is None:
            return _json(UNAUTHORIZED, 401)
        q = request.query
        out = []
        for trade in self.v.clob.trades.values():
            t = trade.record
            if q.get("id") and t.trade_id != q["id"]:
                continue
            if q.get("market") and t.market != q["market"]:
                continue
            if q.get("maker_address") and not _involves(t, q["maker_address"]):
                continue
            if q.get("before") and t.match_ms // 1000 >= int(q["before"]):
                continue
            if q.get("after") and t.match_ms // 1000 <= int(q["after"]):
                continue
            spec = self.v.clob.markets[t.market].spec
            if q.get("asset_id") and q["asset_id"] not in spec.token_ids():
                continue
            if t.taker_owner == creds.api_key:
                out.append(messages.trade_rest_item(t, spec, "TAKER"))
            elif any(m.owner == creds.api_key for m in t.makers):
                out.append(messages.trade_rest_item(t, spec, "MAKER"))
        return _json({"data": out, "next_cursor": END_CURSOR, "limit": len(out), "count": len(out)})

    async def balance_allowance(self, request: web.Request) -> web.Response:
        creds = await self._l2(request, "")
        if creds is None:
            return _json(UNAUTHORIZED, 401)
        holder = self.v.holder_of(creds)
        asset = PUSD if request.query.get("asset_type", "COLLATERAL") == "COLLATERAL" else request.query.get("token_id", "")
        balance = self.v.clob.ledger.balance.get((holder, asset), 0)
        limit = self.v.clob.ledger.allowance.get(holder) if asset == PUSD else None
        return _json({"balance": str(balance), "allowance": BIG_ALLOWANCE if limit is None else str(limit)})

    async def heartbeat(self, request: web.Request) -> web.Response:
        body = await request.text()
        creds = await self._l2(request, body)
        if creds is None:
            return _json(UNAUTHORIZED, 401)
        try:
            hb_id = str((json.loads(body) if body else {}).get("heartbeat_id") or "")
        except (ValueError, AttributeError):
            return _error("Invalid payload")
        ok, next_id = self.v.clob.heartbeat(creds.api_key, hb_id, self.v.clock.now_ms())
        if not ok:
            return _json({"error": "Invalid Heartbeat ID", "heartbeat_id": next_id}, 400)
        return _json({"heartbeat_id": next_id})

    async def legacy_heartbeat(self, request: web.Request) -> web.Response:
        creds = await self._l2(request, await request.text())
        if creds is None:
            return _json(UNAUTHORIZED, 401)
        return _json({"status": "ok"})

    # --- admin ---------------------------------------------------------------------------
    async def sim_status(self, request: web.Request) -> web.Response:
        return _json(self.v.status())

    async def sim_ledger(self, request: web.Request) -> web.Response:
        address = request.query.get("address", "").lower()
        if not address:  # every holder, the background participants and the fee account included
            holders = sorted({h for (h, _) in self.v.clob.ledger.balance} | {h for (h, _) in self.v.clob.ledger.pending})
            return _json([self.v.ledger_view(h) for h in holders])
        return _json(self.v.ledger_view(address))

    async def sim_fills(self, request: web.Request) -> web.Response:
        out = []
        for trade in self.v.clob.trades.values():
            spec = self.v.clob.markets[trade.record.market].spec
            out.append(messages.trade_rest_item(trade.record, spec, "TAKER"))
        return _json(out)

    async def sim_orders(self, request: web.Request) -> web.Response:
        """`?owner=<api key>`: that owner's order outcomes per market (see `Clob.order_counts`)."""
        owner = request.query.get("owner", "")
        if not owner:
            return _error("owner (an API key) is required")
        return _json(self.v.clob.order_counts(owner))

    async def sim_users(self, request: web.Request) -> web.Response:
        return _json(self.v.users_view())

    async def sim_faults(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            if raw.lstrip().startswith(b"["):
                faults = _decode_faults(raw)
            else:
                faults = [_decode_fault(raw)]
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
            self.v.count("admin_bad_faults")
            return _error(f"invalid fault: {exc}")
        for fault in faults:
            await self.v.apply_fault(fault)
        return _json({"applied": len(faults)})
