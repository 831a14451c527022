"""The local venue's admin API (`/_sim/...`): not Polymarket's, HourMM's own window on the venue.

In: unauthenticated requests on the CLOB port from tests, the demo harness and an operator (the
venue listens on 127.0.0.1). Out: the scenario clock and markets (`status`), any holder's ledger,
every fill, the scenario users with their API credentials, one owner's order outcomes per market,
and `POST /_sim/faults` (one fault or a list) to inject faults now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from aiohttp import web

from hourmm_sim.polymarket import messages
from hourmm_sim.polymarket.clob_http import error_response, json_response
from hourmm_sim.polymarket.faults import Fault

if TYPE_CHECKING:
    from hourmm_sim.polymarket.venue import PolymarketVenue

_decode_fault = msgspec.json.Decoder(Fault).decode
_decode_faults = msgspec.json.Decoder(list[Fault]).decode


class SimAdmin:
    """Route handlers; state lives in the venue."""

    def __init__(self, venue: PolymarketVenue) -> None:
        self.v = venue

    def routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get("/_sim/status", self.sim_status)
        r.add_get("/_sim/ledger", self.sim_ledger)
        r.add_get("/_sim/fills", self.sim_fills)
        r.add_get("/_sim/users", self.sim_users)
        r.add_get("/_sim/orders", self.sim_orders)
        r.add_post("/_sim/faults", self.sim_faults)

    async def sim_status(self, request: web.Request) -> web.Response:
        return json_response(self.v.status())

    async def sim_ledger(self, request: web.Request) -> web.Response:
        address = request.query.get("address", "").lower()
        if not address:  # every holder, the background participants and the fee account included
            holders = sorted({h for (h, _) in self.v.clob.ledger.balance} | {h for (h, _) in self.v.clob.ledger.pending})
            return json_response([self.v.ledger_view(h) for h in holders])
        return json_response(self.v.ledger_view(address))

    async def sim_fills(self, request: web.Request) -> web.Response:
        out = []
        for trade in self.v.clob.trades.values():
            spec = self.v.clob.markets[trade.record.market].spec
            out.append(messages.trade_rest_item(trade.record, spec, "TAKER"))
        return json_response(out)

    async def sim_orders(self, request: web.Request) -> web.Response:
        """`?owner=<api key>`: that owner's order outcomes per market (see `Clob.order_counts`)."""
        owner = request.query.get("owner", "")
        if not owner:
            return error_response("owner (an API key) is required")
        return json_response(self.v.clob.order_counts(owner))

    async def sim_users(self, request: web.Request) -> web.Response:
        return json_response(self.v.users_view())

    async def sim_faults(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            if raw.lstrip().startswith(b"["):
                faults = _decode_faults(raw)
            else:
                faults = [_decode_fault(raw)]
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as exc:
            self.v.count("admin_bad_faults")
            return error_response(f"invalid fault: {exc}")
        for fault in faults:
            await self.v.apply_fault(fault)
        return json_response({"applied": len(faults)})
