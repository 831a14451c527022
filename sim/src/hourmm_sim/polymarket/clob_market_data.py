"""The CLOB's public REST routes, at the real paths: health, server time, version, a token's tick
size, neg-risk flag and fee rate, the market by condition id or token, and order books.

In: unauthenticated GETs (and `POST /books`) with the real query parameters. Out: the venue's
JSON bodies and its "not found" texts, read from the engine's live market state. Mutates nothing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from aiohttp import web

from hourmm_sim.polymarket import messages
from hourmm_sim.polymarket.clob_http import error_response, json_response
from hourmm_sim.polymarket.units import ONE, fmt_tick

if TYPE_CHECKING:
    from hourmm_sim.polymarket.venue import PolymarketVenue


class ClobMarketData:
    """Route handlers; state lives in the venue."""

    def __init__(self, venue: PolymarketVenue) -> None:
        self.v = venue

    def routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/", self.ok)
        r.add_get("/ok", self.ok)
        r.add_get("/time", self.time)
        r.add_get("/version", self.version)
        r.add_get("/tick-size", self.tick_size)
        r.add_get("/neg-risk", self.neg_risk)
        r.add_get("/fee-rate", self.fee_rate)
        r.add_get("/markets/{cid}", self.market)
        r.add_get("/markets-by-token/{token}", self.market_by_token)
        r.add_get("/clob-markets/{cid}", self.clob_market_info)
        r.add_get("/book", self.book)
        r.add_post("/books", self.books)

    async def ok(self, request: web.Request) -> web.Response:
        return json_response("OK")

    async def time(self, request: web.Request) -> web.Response:
        return json_response(self.v.clock.now_ms() // 1000)

    async def version(self, request: web.Request) -> web.Response:
        return json_response({"version": 2})

    def _token(self, request: web.Request) -> tuple[str, int] | None:
        return self.v.clob.token_market.get(request.query.get("token_id", ""))

    async def tick_size(self, request: web.Request) -> web.Response:
        where = self._token(request)
        if where is None:
            return error_response("market not found", 404)
        return json_response({"minimum_tick_size": float(fmt_tick(self.v.clob.markets[where[0]].tick_u))})

    async def neg_risk(self, request: web.Request) -> web.Response:
        if self._token(request) is None:
            return error_response("market not found", 404)
        return json_response({"neg_risk": False})

    async def fee_rate(self, request: web.Request) -> web.Response:
        where = self._token(request)
        if where is None:
            return error_response("market not found", 404)
        return json_response({"base_fee": str(self.v.clob.markets[where[0]].spec.fee_rate_e5 // 10)})

    async def market(self, request: web.Request) -> web.Response:
        state = self.v.clob.markets.get(request.match_info["cid"])
        if state is None:
            return error_response("market not found", 404)
        return json_response(messages.clob_market(self.v.clob, state.spec))

    async def market_by_token(self, request: web.Request) -> web.Response:
        where = self.v.clob.token_market.get(request.match_info["token"])
        if where is None:
            return error_response("market not found", 404)
        spec = self.v.clob.markets[where[0]].spec
        return json_response({"condition_id": spec.condition_id, "primary_token_id": spec.up_token,
                      "secondary_token_id": spec.down_token})

    async def clob_market_info(self, request: web.Request) -> web.Response:
        state = self.v.clob.markets.get(request.match_info["cid"])
        if state is None:
            return error_response("market not found", 404)
        spec = state.spec
        return json_response({"c": spec.condition_id, "t": [{"t": spec.up_token, "o": "Up"}, {"t": spec.down_token, "o": "Down"}],
                      "mts": float(fmt_tick(state.tick_u)), "mos": spec.min_size_u / ONE, "nr": False,
                      "fd": {"r": spec.fee_rate_e5 / 100_000, "e": spec.fee_exponent, "to": True}})

    async def book(self, request: web.Request) -> web.Response:
        where = self._token(request)
        if where is None:
            return error_response("No orderbook exists for the requested token id", 404)
        spec = self.v.clob.markets[where[0]].spec
        return json_response(messages.book_rest(self.v.clob, spec, where[1], self.v.clock.now_ms()))

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
            return error_response("Invalid payload")
        return json_response(out)
