"""Gamma at the real paths: the hourly BTC Up/Down events and markets of the scenario, in the
real field layout (camelCase; `clobTokenIds`, `outcomes`, `outcomePrices` as JSON-encoded
strings), listed from `listed_ms`, with live state (active, closed, acceptingOrders, prices).

In: `GET /events?series_id=&closed=&slug=&limit=&offset=`, `/events/slug/{slug}`, `/events/{id}`,
`GET /markets?slug=&condition_ids=&clob_token_ids=`. Out: JSON lists/objects.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hourmm_sim.polymarket.clob import MarketState
from hourmm_sim.polymarket.markets import DESCRIPTION, RESOLUTION_SOURCE, SERIES, iso
from hourmm_sim.polymarket.units import ONE, fmt_tick, json_number

if TYPE_CHECKING:
    from hourmm_sim.polymarket.venue import PolymarketVenue

ICON = "https://polymarket-upload.s3.us-east-2.amazonaws.com/BTC+fullsize.png"


def gamma_market(state: MarketState, now_ms: int) -> dict[str, Any]:
    spec = state.spec
    book = state.book
    bid, ask = book.best_bid(), book.best_ask()
    last = state.last_trade_u if state.last_trade_u is not None else ONE // 2
    if state.winner is not None:
        prices = ["1", "0"] if state.winner == 0 else ["0", "1"]
    else:
        prices = [str(last / ONE), str((ONE - last) / ONE)]
    accepting = state.accepting and not state.closed
    fee_rate = spec.fee_rate_e5 / 100_000
    return {
        "id": spec.market_id, "question": spec.title, "conditionId": spec.condition_id, "slug": spec.slug,
        "resolutionSource": RESOLUTION_SOURCE, "endDate": iso(spec.end_ms), "liquidity": "0",
        "startDate": iso(spec.listed_ms), "image": ICON, "icon": ICON, "description": DESCRIPTION,
        "outcomes": json.dumps(["Up", "Down"]), "outcomePrices": json.dumps(prices), "volume": "0",
        "active": True, "closed": state.closed, "marketMakerAddress": "", "createdAt": iso(spec.listed_ms),
        "updatedAt": iso(now_ms), "new": False, "featured": False, "archived": False, "restricted": True,
        "groupItemThreshold": "0", "questionID": spec.question_id, "enableOrderBook": True,
        "orderPriceMinTickSize": float(fmt_tick(state.tick_u)), "orderMinSize": json_number(spec.min_size_u),
        "volumeNum": 0.0, "liquidityNum": 0.0, "endDateIso": iso(spec.end_ms)[:10], "startDateIso": iso(spec.listed_ms)[:10],
        "hasReviewedDates": True, "volume24hr": 0.0, "volume1wk": 0.0, "volume1mo": 0.0, "volume1yr": 0.0,
        "clobTokenIds": json.dumps([spec.up_token, spec.down_token]),
        "volume24hrClob": 0.0, "volume1wkClob": 0.0, "volume1moClob": 0.0, "volume1yrClob": 0.0, "volumeClob": 0.0,
        "liquidityClob": 0.0, "makerBaseFee": 1000 if fee_rate else 0, "takerBaseFee": 1000 if fee_rate else 0,
        "acceptingOrders": accepting, "negRisk": False, "ready": False, "funded": False,
        "acceptingOrdersTimestamp": iso(spec.listed_ms), "cyom": False, "competitive": 0.0,
        "pagerDutyNotificationEnabled": False, "approved": True, "rewardsMinSize": 50, "rewardsMaxSpread": 4.5,
        "spread": ((ask - bid) / ONE) if bid is not None and ask is not None else 1.0,
        "lastTradePrice": last / ONE, "bestBid": (bid or 0) / ONE, "bestAsk": (ask if ask is not None else ONE) / ONE,
        "automaticallyActive": True, "clearBookOnStart": False, "showGmpSeries": False, "showGmpOutcome": False,
        "manualActivation": False, "negRiskOther": False,
        "umaResolutionStatuses": json.dumps(["resolved"] if state.winner is not None else []),
        "pendingDeployment": False, "deploying": False, "rfqEnabled": False, "eventStartTime": iso(spec.start_ms),
        "holdingRewardsEnabled": False, "feesEnabled": bool(fee_rate), "requiresTranslation": False,
        "makerRebatesFeeShareBps": 10000, "feeType": "crypto_fees_v2" if fee_rate else None,
        "feeSchedule": {"exponent": spec.fee_exponent, "rate": fee_rate, "takerOnly": True, "rebateRate": 0.2},
    }


def gamma_event(state: MarketState, now_ms: int) -> dict[str, Any]:
    spec = state.spec
    return {
        "id": spec.event_id, "ticker": spec.slug, "slug": spec.slug, "title": spec.title, "description": DESCRIPTION,
        "resolutionSource": RESOLUTION_SOURCE, "startDate": iso(spec.listed_ms), "creationDate": iso(spec.listed_ms),
        "endDate": iso(spec.end_ms), "image": ICON, "icon": ICON, "active": True, "closed": state.closed,
        "archived": False, "new": False, "featured": False, "restricted": True, "liquidity": 0.0, "volume": 0.0,
        "openInterest": 0, "createdAt": iso(spec.listed_ms), "updatedAt": iso(now_ms), "competitive": 0.0,
        "volume24hr": 0.0, "volume1wk": 0.0, "volume1mo": 0.0, "volume1yr": 0.0, "enableOrderBook": True,
        "liquidityClob": 0.0, "negRisk": False, "commentCount": 0,
        "series": [{**SERIES, "image": "", "icon": "", "active": True, "closed": False, "archived": False,
                    "featured": False, "restricted": True, "createdAt": "2025-01-01T00:00:00Z",
                    "updatedAt": iso(now_ms), "volume24hr": 0.0, "volume": 0.0, "liquidity": 0.0, "commentCount": 0,
                    "requiresTranslation": False}],
        "cyom": False, "showAllOutcomes": True, "showMarketImages": True, "enableNegRisk": False,
        "automaticallyActive": True, "startTime": iso(spec.start_ms), "seriesSlug": SERIES["slug"],
        "negRiskAugmented": False, "pendingDeployment": False, "deploying": False, "requiresTranslation": False,
        "markets": [gamma_market(state, now_ms)],
    }


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.lower() == "true"


class Gamma:
    def __init__(self, venue: PolymarketVenue) -> None:
        self.v = venue

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/events", self.events)
        app.router.add_get("/events/slug/{slug}", self.event_by_slug)
        app.router.add_get("/events/{id}", self.event_by_id)
        app.router.add_get("/markets", self.markets)

    def _listed(self) -> list[MarketState]:
        now = self.v.clock.now_ms()
        states = [s for s in self.v.clob.markets.values() if s.spec.listed_ms <= now]
        return sorted(states, key=lambda s: s.spec.start_ms)

    def _page(self, request: web.Request, items: list[Any]) -> list[Any]:
        try:
            limit = min(int(request.query.get("limit", "100")), 100)
            offset = int(request.query.get("offset", "0"))
        except ValueError:
            limit, offset = 100, 0
        return items[offset:offset + limit]

    async def events(self, request: web.Request) -> web.Response:
        q = request.query
        now = self.v.clock.now_ms()
        states = self._listed()
        if "series_id" in q and q["series_id"] != SERIES["id"]:
            states = []
        if "series_slug" in q and q["series_slug"] != SERIES["slug"]:
            states = []
        if "slug" in q:
            states = [s for s in states if s.spec.slug == q["slug"]]
        closed = _flag(q.get("closed"))
        if closed is not None:
            states = [s for s in states if s.closed == closed]
        self.v.count("gamma_requests")
        return web.json_response(self._page(request, [gamma_event(s, now) for s in states]))

    async def event_by_slug(self, request: web.Request) -> web.Response:
        for s in self._listed():
            if s.spec.slug == request.match_info["slug"]:
                return web.json_response(gamma_event(s, self.v.clock.now_ms()))
        return web.json_response({"type": "not found error", "error": "event not found"}, status=404)

    async def event_by_id(self, request: web.Request) -> web.Response:
        for s in self._listed():
            if s.spec.event_id == request.match_info["id"]:
                return web.json_response(gamma_event(s, self.v.clock.now_ms()))
        return web.json_response({"type": "not found error", "error": "event not found"}, status=404)

    async def markets(self, request: web.Request) -> web.Response:
        q = request.query
        states = self._listed()
        if "slug" in q:
            states = [s for s in states if s.spec.slug in q.getall("slug")]
        if "condition_ids" in q:
            wanted = {c for v in q.getall("condition_ids") for c in v.split(",")}
            states = [s for s in states if s.spec.condition_id in wanted]
        if "clob_token_ids" in q:
            wanted = {c for v in q.getall("clob_token_ids") for c in v.split(",")}
            states = [s for s in states if wanted & set(s.spec.token_ids())]
        closed = _flag(q.get("closed"))
        if closed is not None:
            states = [s for s in states if s.closed == closed]
        now = self.v.clock.now_ms()
        return web.json_response(self._page(request, [gamma_market(s, now) for s in states]))
