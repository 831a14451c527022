"""The operator's control plane: a small HTTP server on 127.0.0.1 with a bearer token.

In: `POST /pause_quoting`, `/resume_quoting`, `/set_mode`, `/flatten_now`, `/set_limits` (JSON
bodies, validated: a bad one gets a 4xx with the reason), `GET /status` (the `StatusView` below,
which the dashboard reads too). Out: one `ControlCommandEvent` per valid command into the
reducer's inbox; the reducer decides what it means, so state changes only there. `GET /health`
and `GET /metrics` need no token (Docker's healthcheck and a local scraper use them; they carry no
secrets), nor does `GET /dashboard`: a static page that holds no data and asks for the token to
read `/status` itself.
"""

from __future__ import annotations

import asyncio
import hmac
import itertools
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from aiohttp import web

from hourmm_common.clock import Clock
from hourmm_common.enums import RiskMode
from hourmm_common.hours import hour_id
from hourmm_common.logs import get_logger
from polymarket_trader.core.events import ControlCommandEvent, ControlKind, Event, LimitsUpdate
from polymarket_trader.core.state import CanonicalState
from polymarket_trader.dashboard import handle_dashboard

MAX_BODY = 16_384
_ENC = msgspec.json.Encoder()


# /status -------------------------------------------------------------------------------------------


class MarketStatusView(msgspec.Struct, frozen=True, kw_only=True):
    condition_id: str
    slug: str
    question: str
    up_token_id: str
    down_token_id: str
    hour_start_ms: int
    hour_end_ms: int
    tick_e4: int
    min_size_e6: int


class FairView(msgspec.Struct, frozen=True, kw_only=True):
    p_yes_fair: float | None
    band_lo: float | None
    band_hi: float | None
    snapshot_seq: int
    snapshot_age_ms: int
    stale: bool
    problem: str


class BboView(msgspec.Struct, frozen=True, kw_only=True):
    bid_e4: int | None
    ask_e4: int | None
    bid_size_e6: int
    ask_size_e6: int


class OrderView(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    token: str
    side: str
    price_e4: int
    size_e6: int
    matched_e6: int
    status: str
    expiration_s: int


class PositionsView(msgspec.Struct, frozen=True, kw_only=True):
    up_e6: int
    down_e6: int
    usdc_e6: int
    reserved_usdc_e6: int
    reserved_up_e6: int
    reserved_down_e6: int
    fees_paid_e6: int


class PnlView(msgspec.Struct, frozen=True, kw_only=True):
    equity_e6: int | None
    hour_start_equity_e6: int | None
    hour_pnl_e6: int | None


class FillView(msgspec.Struct, frozen=True, kw_only=True):
    trade_id: str
    order_id: str
    token: str
    side: str
    price_e4: int
    size_e6: int
    status: str
    ts_ms: int


class StatusView(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /status`: everything an operator (or the dashboard) needs on one page."""

    ts_ms: int
    run_mode: str
    mode: str
    mode_reason: str
    session: str
    hour: str | None
    market: MarketStatusView | None
    unavailable_reason: str
    fair: FairView
    bbo: dict[str, BboView]
    working_orders: list[OrderView]
    positions: PositionsView
    pnl: PnlView
    recent_fills: list[FillView]
    recent_mode_changes: list[dict[str, Any]]
    recent_alerts: list[dict[str, Any]]
    limits: dict[str, Any]
    health: dict[str, Any]


def build_status(state: CanonicalState, *, now_ms: int, run_mode: str, extras: Mapping[str, Any]) -> StatusView:
    """The status page from the reducer's view and the edges' health (`extras`)."""
    m = state.active_market
    mv = state.market_view
    h = state.health
    pos = state.positions
    fills = sorted(state.fills.values(), key=lambda f: f.ts_ms)[-20:]
    return StatusView(
        ts_ms=now_ms, run_mode=run_mode, mode=state.risk_mode.value, mode_reason=state.mode_reason,
        session=state.session_state.value, hour=hour_id(m.hour_start_ms) if m else None,
        market=None if m is None else MarketStatusView(
            condition_id=m.condition_id, slug=m.slug, question=m.question, up_token_id=m.up_token_id,
            down_token_id=m.down_token_id, hour_start_ms=m.hour_start_ms, hour_end_ms=m.hour_end_ms,
            tick_e4=mv.tick_e4, min_size_e6=m.min_size_e6),
        unavailable_reason=state.unavailable_reason,
        fair=FairView(p_yes_fair=h.p_yes_fair, band_lo=h.p_yes_band_lo, band_hi=h.p_yes_band_hi,
                      snapshot_seq=h.snapshot_seq,
                      snapshot_age_ms=(now_ms - h.last_snapshot_local_ms + h.snapshot_age_ms
                                       if h.last_snapshot_local_ms is not None else -1),
                      stale=h.binance_stale, problem=h.snapshot_problem),
        bbo={"UP": BboView(bid_e4=mv.up_bid_e4, ask_e4=mv.up_ask_e4, bid_size_e6=mv.up_bid_size_e6,
                           ask_size_e6=mv.up_ask_size_e6),
             "DOWN": BboView(bid_e4=mv.down_bid_e4, ask_e4=mv.down_ask_e4, bid_size_e6=mv.down_bid_size_e6,
                             ask_size_e6=mv.down_ask_size_e6)},
        working_orders=[OrderView(order_id=o.order_id, token=o.token.value, side=o.side.value, price_e4=o.price_e4,
                                  size_e6=o.size_e6, matched_e6=o.matched_e6, status=str(o.status),
                                  expiration_s=o.expiration_s) for o in state.open_orders.values()],
        positions=PositionsView(up_e6=pos.up_e6, down_e6=pos.down_e6, usdc_e6=pos.usdc_e6,
                                reserved_usdc_e6=pos.reserved_usdc_e6, reserved_up_e6=pos.reserved_up_e6,
                                reserved_down_e6=pos.reserved_down_e6, fees_paid_e6=pos.fees_paid_e6),
        pnl=PnlView(equity_e6=state.equity_e6, hour_start_equity_e6=state.hour_start_equity_e6,
                    hour_pnl_e6=(state.equity_e6 - state.hour_start_equity_e6
                                 if state.equity_e6 is not None and state.hour_start_equity_e6 is not None else None)),
        recent_fills=[FillView(trade_id=f.trade_id, order_id=f.order_id, token=f.token.value, side=f.side.value,
                               price_e4=f.price_e4, size_e6=f.size_e6, status=f.status.value, ts_ms=f.ts_ms)
                      for f in fills],
        recent_mode_changes=list(extras.get("recent_mode_changes", ())),
        recent_alerts=list(extras.get("recent_alerts", ())),
        limits=msgspec.structs.asdict(state.limits),
        health={"market_ws_connected": h.market_ws_connected, "user_ws_connected": h.user_ws_connected,
                "heartbeat_ok": h.heartbeat_ok, "rest_errors_total": h.rest_errors_total,
                "halt_reason": state.flags.halt_reason, "anomalies": dict(state.anomalies),
                **dict(extras.get("health", {}))},
    )


# Commands ------------------------------------------------------------------------------------------


class BadCommand(Exception):
    """A command that fails validation: answered 400 with this message."""


_LIMIT_FIELDS = {f for f in LimitsUpdate.__struct_fields__}
_MAX_LIMIT = 10**15


def _body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise BadCommand(f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadCommand("body must be a JSON object")
    return body


def _reason(body: dict[str, Any]) -> str:
    reason = body.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 200:
        raise BadCommand("reason must be a string of at most 200 characters")
    return reason


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadCommand(f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def parse_command(path: str, raw: bytes) -> tuple[ControlKind, RiskMode | None, LimitsUpdate | None, str]:
    """Validate one command body (pure): (kind, mode, limits, reason) or `BadCommand`."""
    body = _body(raw)
    if path == "/pause_quoting":
        _only(body, {"reason", "paused"})
        paused = body.get("paused", True)
        if not isinstance(paused, bool):
            raise BadCommand("paused must be true or false")
        return (ControlKind.PAUSE_QUOTING if paused else ControlKind.RESUME_QUOTING), None, None, _reason(body)
    if path == "/resume_quoting":
        _only(body, {"reason"})
        return ControlKind.RESUME_QUOTING, None, None, _reason(body)
    if path == "/flatten_now":
        _only(body, {"reason"})
        return ControlKind.FLATTEN_NOW, None, None, _reason(body)
    if path == "/set_mode":
        _only(body, {"reason", "mode"})
        mode = body.get("mode")
        if not isinstance(mode, str) or mode.upper() not in RiskMode.__members__:
            raise BadCommand(f"mode must be one of {', '.join(RiskMode.__members__)}, not {mode!r}")
        return ControlKind.SET_MODE, RiskMode(mode.upper()), None, _reason(body)
    if path == "/set_limits":
        _only(body, _LIMIT_FIELDS | {"reason"})
        values: dict[str, int] = {}
        for name in _LIMIT_FIELDS & set(body):
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_LIMIT:
                raise BadCommand(f"{name} must be a positive integer (1e-6 units; counts for max_open_orders)")
            values[name] = value
        if not values:
            raise BadCommand(f"give at least one of {', '.join(sorted(_LIMIT_FIELDS))}")
        return ControlKind.SET_LIMITS, None, LimitsUpdate(**values), _reason(body)
    raise BadCommand(f"unknown command {path}")


class ControlPlaneServer:
    def __init__(self, *, bind_host: str, port: int, token: str, out: asyncio.Queue[Event], clock: Clock,
                 status: Callable[[], StatusView], health: Callable[[], tuple[bool, dict[str, Any]]],
                 metrics: Callable[[], bytes]) -> None:
        if len(token) < 16:
            raise ValueError("the control token must be at least 16 characters")
        self.bind_host = bind_host
        self.port = port
        self._token = token.encode()
        self._out = out
        self._clock = clock
        self._status = status
        self._health = health
        self._metrics = metrics
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.app = web.Application(client_max_size=MAX_BODY)
        for path in ("/pause_quoting", "/resume_quoting", "/set_mode", "/flatten_now", "/set_limits"):
            self.app.router.add_post(path, self._command)
        self.app.router.add_get("/status", self._get_status)
        self.app.router.add_get("/health", self._get_health)
        self.app.router.add_get("/metrics", self._get_metrics)
        self.app.router.add_get("/dashboard", handle_dashboard)
        self.counts: dict[str, int] = {"accepted": 0, "rejected": 0, "unauthorized": 0}
        self._log = get_logger("control_plane")

    @property
    def bound_port(self) -> int:
        assert self._runner is not None
        return int(self._runner.addresses[0][1])

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.bind_host, self.port).start()
        self._log.info("control_plane_started", host=self.bind_host, port=self.bound_port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, given = header.partition(" ")
        ok = scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self._token)
        if not ok:
            self.counts["unauthorized"] += 1
        return ok

    async def _command(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _json({"error": "missing or wrong bearer token"}, 401)
        try:
            kind, mode, limits, reason = parse_command(request.path, await request.read())
        except BadCommand as exc:
            self.counts["rejected"] += 1
            return _json({"error": str(exc)}, 400)
        request_id = f"ctl-{self._clock.now_ms()}-{next(self._ids)}"
        await self._out.put(ControlCommandEvent(ts_local_ms=self._clock.now_ms(), kind=kind, mode=mode, limits=limits,
                                                reason=reason, request_id=request_id))
        self.counts["accepted"] += 1
        self._log.warning("control_command_accepted", kind=kind.value, mode=mode.value if mode else None,
                          reason=reason, request_id=request_id)
        return _json({"accepted": True, "request_id": request_id, "kind": kind.value}, 202)

    async def _get_status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _json({"error": "missing or wrong bearer token"}, 401)
        return web.Response(body=_ENC.encode(self._status()), content_type="application/json")

    async def _get_health(self, request: web.Request) -> web.Response:
        ok, detail = self._health()
        return _json({"ok": ok, **detail}, 200 if ok else 503)

    async def _get_metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self._metrics(), headers={"Content-Type": "text/plain; version=0.0.4"})


def _json(payload: dict[str, Any], status: int) -> web.Response:
    return web.Response(body=_ENC.encode(payload), status=status, content_type="application/json")
