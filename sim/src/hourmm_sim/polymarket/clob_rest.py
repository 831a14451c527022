"""The CLOB's authenticated REST routes, at the real paths: API keys (L1), and with L2 auth every
call py-clob-client-v2 makes to post, list and cancel orders, read trades and balances, and keep
the dead-man switch alive with heartbeats. Public market data is `clob_market_data`, the venue's
own admin API `sim_admin`.

In: HTTP requests with L1/L2 headers. Out: the venue's JSON bodies and error texts. Every
mutating call flushes the engine's events to the websockets. REST faults (5xx, 429, timeouts,
with the order placed or not behind them) are applied here.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hourmm_sim.polymarket import auth, messages
from hourmm_sim.polymarket.accounts import ApiCreds
from hourmm_sim.polymarket.clob_events import TradeRecord
from hourmm_sim.polymarket.clob_http import error_response, json_response
from hourmm_sim.polymarket.clob_rules import OrderRequest, order_from_amounts
from hourmm_sim.polymarket.faults import RestFault
from hourmm_sim.polymarket.ledger import PUSD
from hourmm_sim.polymarket.units import fmt_units

if TYPE_CHECKING:
    from hourmm_sim.polymarket.venue import PolymarketVenue

UNAUTHORIZED = {"error": "Unauthorized/Invalid api key"}
END_CURSOR = "LTE="
PAGE = 500
BIG_ALLOWANCE = "115792089237316195423570985008687907853269984665640564039457584007913129639935"


def _involves(trade: TradeRecord, address: str) -> bool:
    wanted = address.lower()
    return trade.taker_address.lower() == wanted or any(m.maker_address.lower() == wanted for m in trade.makers)


class ClobRest:
    """Route handlers; state lives in the venue."""

    def __init__(self, venue: PolymarketVenue) -> None:
        self.v = venue

    def routes(self, app: web.Application) -> None:
        r = app.router
        r.add_post("/auth/api-key", self.create_api_key)
        r.add_get("/auth/derive-api-key", self.derive_api_key)
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
            return error_response("Invalid L1 Request headers", 401)
        creds = self.v.accounts.creds_for(address, int(request.headers.get("POLY_NONCE", "0")))
        return json_response({"apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase})

    derive_api_key = create_api_key

    # --- public --------------------------------------------------------------------------
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
            return error_response("context deadline exceeded", 504)
        if fault.status == 429:
            response = error_response("Too Many Requests", 429)
            response.headers["Retry-After"] = "1"
            return response
        return error_response("Internal server error", fault.status)

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
            return json_response(UNAUTHORIZED, 401)
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
        return await self._fault_answer(fault) if fault is not None else json_response(answer, status)

    async def post_orders(self, request: web.Request) -> web.Response:
        body = await request.text()
        creds = await self._l2(request, body)
        if creds is None:
            return json_response(UNAUTHORIZED, 401)
        try:
            items = json.loads(body)
            if not isinstance(items, list):
                raise ValueError
        except ValueError:
            return error_response("Invalid order payload")
        if len(items) > 15:
            return error_response(f"Too many orders in payload: {len(items)}, max allowed: 15")
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
        return await self._fault_answer(fault) if fault is not None else json_response(out)

    async def _cancel(self, request: web.Request, ids_of: Any) -> web.Response:
        body = await request.text()
        creds = await self._l2(request, body)
        if creds is None:
            return json_response(UNAUTHORIZED, 401)
        fault = self._take_fault(request)
        if fault is not None and not fault.placed:
            return await self._fault_answer(fault)
        try:
            parsed = json.loads(body) if body else None
            canceled, not_canceled = ids_of(creds.api_key, parsed, self.v.clock.now_ms())
        except (ValueError, TypeError, KeyError):
            return error_response("Invalid orderID")
        await self.v.flush()
        if fault is not None:
            return await self._fault_answer(fault)
        return json_response({"canceled": canceled, "not_canceled": not_canceled})

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
            return json_response(UNAUTHORIZED, 401)
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
        return json_response({"data": data, "next_cursor": cursor, "limit": PAGE, "count": len(data)})

    async def get_order(self, request: web.Request) -> web.Response:
        creds = await self._l2(request, "")
        if creds is None:
            return json_response(UNAUTHORIZED, 401)
        order = self.v.clob.orders.get(request.match_info["oid"])
        if order is None or order.owner != creds.api_key or order.status != "LIVE":
            return json_response(None)
        return json_response(messages.open_order_item(self.v.clob.snapshot(order), self.v.clob.markets[order.market].spec))

    async def trades(self, request: web.Request) -> web.Response:
        creds = await self._l2(request, "")
        if creds is None:
            return json_response(UNAUTHORIZED, 401)
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
        return json_response({"data": out, "next_cursor": END_CURSOR, "limit": len(out), "count": len(out)})

    async def balance_allowance(self, request: web.Request) -> web.Response:
        creds = await self._l2(request, "")
        if creds is None:
            return json_response(UNAUTHORIZED, 401)
        holder = self.v.holder_of(creds)
        asset = PUSD if request.query.get("asset_type", "COLLATERAL") == "COLLATERAL" else request.query.get("token_id", "")
        balance = self.v.clob.ledger.balance.get((holder, asset), 0)
        limit = self.v.clob.ledger.allowance.get(holder) if asset == PUSD else None
        return json_response({"balance": str(balance), "allowance": BIG_ALLOWANCE if limit is None else str(limit)})

    async def heartbeat(self, request: web.Request) -> web.Response:
        body = await request.text()
        creds = await self._l2(request, body)
        if creds is None:
            return json_response(UNAUTHORIZED, 401)
        try:
            hb_id = str((json.loads(body) if body else {}).get("heartbeat_id") or "")
        except (ValueError, AttributeError):
            return error_response("Invalid payload")
        ok, next_id = self.v.clob.deadlines.heartbeat(creds.api_key, hb_id, self.v.clock.now_ms())
        if not ok:
            return json_response({"error": "Invalid Heartbeat ID", "heartbeat_id": next_id}, 400)
        return json_response({"heartbeat_id": next_id})

    async def legacy_heartbeat(self, request: web.Request) -> web.Response:
        creds = await self._l2(request, await request.text())
        if creds is None:
            return json_response(UNAUTHORIZED, 401)
        return json_response({"status": "ok"})
