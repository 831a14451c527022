"""The CLOB REST client: every authenticated call with L2 headers, typed results, no blocking.

In: signed orders (from `signing`), order ids, condition ids. Out: `Ok(value)`, `Rejected(reason)`
when the venue's answer proves a refusal, or `Failed(RestFailure, detail)` when there is no proven
answer (timeout, network, 5xx, 429, 401, undecodable 2xx). Callers never grep strings.

Rules: every call sits in `asyncio.timeout`; idempotent reads and cancels are retried a few times
with jittered backoff; a POST of orders is never retried (its outcome is UNKNOWN instead, and the
reconciler asks the open-orders query). A 429 starts a cooldown (`Retry-After`, else backoff) that
every later call waits out, so we back off instead of hammering. The body bytes signed are the
bytes sent (compact JSON). Waiting uses the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import Counter
from collections.abc import Sequence
from typing import Generic, TypeVar

import aiohttp
import msgspec

from hourmm_common.backoff import backoff_ms
from hourmm_common.clock import Clock
from hourmm_common.logs import get_logger
from polymarket_trader import wire
from polymarket_trader.core.events import RestFailure, VenueOrderStatus
from polymarket_trader.signing import L2Auth, SignedOrder

T = TypeVar("T")
MAX_BATCH = 15  # POST /orders and DELETE /orders accept at most 15 per request
_ENC = msgspec.json.Encoder()
_POST_RESPONSE = msgspec.json.Decoder(wire.PostOrderResponse)
_POST_RESPONSES = msgspec.json.Decoder(list[wire.PostOrderResponse])
_CANCEL = msgspec.json.Decoder(wire.CancelResponse)
_ORDERS_PAGE = msgspec.json.Decoder(wire.OrdersPage)
_BALANCE = msgspec.json.Decoder(wire.BalanceAllowance)
_HEARTBEAT = msgspec.json.Decoder(wire.HeartbeatResponse)
_ERROR = msgspec.json.Decoder(wire.ErrorBody)
_TICK = msgspec.json.Decoder(wire.TickSizeResponse)
_FEE = msgspec.json.Decoder(wire.FeeRateResponse)
_CLOB_MARKET = msgspec.json.Decoder(wire.ClobMarket)
_END_CURSOR = "LTE="
_ACCEPTED = {"live": VenueOrderStatus.LIVE, "matched": VenueOrderStatus.MATCHED,
             "delayed": VenueOrderStatus.DELAYED, "unmatched": VenueOrderStatus.UNMATCHED}


class Ok(msgspec.Struct, Generic[T], frozen=True):
    value: T


class Rejected(msgspec.Struct, frozen=True):
    """The venue answered and refused. `data` carries a detail the caller may need (heartbeat id)."""

    reason: str
    status: int = 0
    data: str = ""

    @property
    def post_only_cross(self) -> bool:
        return "post-only" in self.reason.lower() and "cross" in self.reason.lower()


class Failed(msgspec.Struct, frozen=True):
    failure: RestFailure
    detail: str


Result = Ok[T] | Rejected | Failed


class PlaceAck(msgspec.Struct, frozen=True):
    order_id: str
    status: VenueOrderStatus


class CancelResult(msgspec.Struct, frozen=True):
    canceled: tuple[str, ...]
    not_canceled: tuple[tuple[str, str], ...]


class PolymarketRestClient:
    def __init__(self, *, base_url: str, session: aiohttp.ClientSession, auth: L2Auth | None, clock: Clock,
                 signature_type: int = 0, timeout_s: float = 5.0, read_retries: int = 2,
                 rng: random.Random | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._auth = auth
        self._clock = clock
        self._signature_type = signature_type
        self.timeout_s = timeout_s
        self.read_retries = read_retries
        self._rng = rng or random.Random()
        self._cooldown_until_ms = 0
        self.counts: Counter[str] = Counter()
        self.last_error: str = ""
        self._log = get_logger("rest")

    # Transport ----------------------------------------------------------------------------------

    async def request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                      body: bytes | None = None, auth: bool = True, retry: bool = False) -> Result[bytes]:
        attempts = 1 + (self.read_retries if retry else 0)
        outcome: Result[bytes] = Failed(RestFailure.NETWORK, "not attempted")
        for attempt in range(attempts):
            await self._wait_cooldown()
            outcome = await self._once(method, path, params, body, auth)
            self.counts[f"{method} {path.split('/')[1] if '/' in path else path} {type(outcome).__name__}"] += 1
            if not isinstance(outcome, Failed) or outcome.failure in (RestFailure.UNAUTHORIZED,
                                                                      RestFailure.BAD_RESPONSE):
                return outcome
            self.last_error = f"{method} {path}: {outcome.failure.value} {outcome.detail}"[:300]
            if attempt + 1 < attempts and outcome.failure is not RestFailure.RATE_LIMITED:
                await self._clock.sleep_until(self._clock.now_ms() + backoff_ms(attempt, base_ms=200, cap_ms=2_000,
                                                                                rng=self._rng))
        return outcome

    async def _wait_cooldown(self) -> None:
        if self._clock.now_ms() < self._cooldown_until_ms:
            self.counts["waited_rate_limit"] += 1
            await self._clock.sleep_until(self._cooldown_until_ms)

    async def _once(self, method: str, path: str, params: dict[str, str] | None, body: bytes | None,
                    auth: bool) -> Result[bytes]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if auth:
            if self._auth is None:
                return Failed(RestFailure.UNAUTHORIZED, "no API credentials configured")
            headers |= self._auth.headers(method, path, body.decode() if body is not None else None,
                                          self._clock.now_ms() // 1000)
        try:
            async with asyncio.timeout(self.timeout_s):
                async with self._session.request(method, self.base_url + path, params=params, data=body,
                                                 headers=headers) as resp:
                    status, payload = resp.status, await resp.read()
                    retry_after = resp.headers.get("Retry-After")
        except TimeoutError:
            return Failed(RestFailure.TIMEOUT, f"no answer within {self.timeout_s} s")
        except (aiohttp.ClientError, OSError) as exc:
            return Failed(RestFailure.NETWORK, repr(exc)[:200])
        if 200 <= status < 300:
            return Ok(payload)
        reason = _error_text(payload)
        if status == 429:
            self._start_cooldown(retry_after)
            return Failed(RestFailure.RATE_LIMITED, reason)
        if status == 401:
            return Failed(RestFailure.UNAUTHORIZED, reason)
        if status == 503 and "cancel-only" in reason.lower():
            return Failed(RestFailure.CANCEL_ONLY, reason)
        if status == 503 and "disabled" in reason.lower():
            return Failed(RestFailure.TRADING_DISABLED, reason)
        if status >= 500:
            return Failed(RestFailure.SERVER_ERROR, f"{status} {reason}")
        return Rejected(reason=reason, status=status, data=_error_data(payload))

    def _start_cooldown(self, retry_after: str | None) -> None:
        delay_ms = backoff_ms(self.counts["rate_limited"], base_ms=1_000, cap_ms=30_000, rng=self._rng)
        if retry_after:
            with contextlib.suppress(ValueError):
                delay_ms = max(0, int(float(retry_after) * 1000))
        self.counts["rate_limited"] += 1
        self._cooldown_until_ms = max(self._cooldown_until_ms, self._clock.now_ms() + delay_ms)
        self._log.warning("rate_limited", cooldown_ms=delay_ms)

    # Orders -------------------------------------------------------------------------------------

    async def place_orders(self, orders: Sequence[SignedOrder]) -> list[Result[PlaceAck]]:
        """Post up to 15 signed orders in one request; one result per order, in order."""
        if not 1 <= len(orders) <= MAX_BATCH:
            raise ValueError(f"a batch holds 1..{MAX_BATCH} orders, not {len(orders)}")
        if len(orders) == 1:
            raw = await self.request("POST", "/order", body=_ENC.encode(orders[0].body))
        else:
            raw = await self.request("POST", "/orders", body=_ENC.encode([o.body for o in orders]))
        if not isinstance(raw, Ok):
            return [raw] * len(orders)
        try:
            answers = ([_POST_RESPONSE.decode(raw.value)] if len(orders) == 1
                       else _POST_RESPONSES.decode(raw.value))
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return [Failed(RestFailure.BAD_RESPONSE, str(exc)[:200])] * len(orders)
        if len(answers) != len(orders):
            return [Failed(RestFailure.BAD_RESPONSE, f"{len(answers)} answers for {len(orders)} orders")] * len(orders)
        return [_place_result(order, answer) for order, answer in zip(orders, answers, strict=True)]

    async def cancel(self, order_ids: Sequence[str]) -> Result[CancelResult]:
        if len(order_ids) == 1:
            raw = await self.request("DELETE", "/order", body=_ENC.encode({"orderID": order_ids[0]}), retry=True)
        else:
            raw = await self.request("DELETE", "/orders", body=_ENC.encode(list(order_ids)), retry=True)
        return _cancel_result(raw)

    async def cancel_all(self) -> Result[CancelResult]:
        return _cancel_result(await self.request("DELETE", "/cancel-all", retry=True))

    async def cancel_market(self, condition_id: str, asset_id: str | None = None) -> Result[CancelResult]:
        body: dict[str, str] = {"market": condition_id}
        if asset_id:
            body["asset_id"] = asset_id
        return _cancel_result(await self.request("DELETE", "/cancel-market-orders", body=_ENC.encode(body), retry=True))

    # Reads --------------------------------------------------------------------------------------

    async def _pages(self, path: str, params: dict[str, str]) -> Result[list[wire.UserWsMsg]]:
        items: list[wire.UserWsMsg] = []
        cursor = "MA=="
        for _ in range(100):  # a bound on pagination (100 pages of 500 is far beyond one market)
            raw = await self.request("GET", path, params=params | {"next_cursor": cursor}, retry=True)
            if not isinstance(raw, Ok):
                return raw
            try:
                page = _ORDERS_PAGE.decode(raw.value)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                return Failed(RestFailure.BAD_RESPONSE, str(exc)[:200])
            items.extend(page.data)
            if not page.next_cursor or page.next_cursor == _END_CURSOR or page.next_cursor == cursor:
                return Ok(items)
            cursor = page.next_cursor
        return Failed(RestFailure.BAD_RESPONSE, "pagination did not end")

    async def open_orders(self, condition_id: str) -> Result[list[wire.UserWsMsg]]:
        return await self._pages("/data/orders", {"market": condition_id})

    async def trades(self, condition_id: str, after_s: int) -> Result[list[wire.UserWsMsg]]:
        return await self._pages("/data/trades", {"market": condition_id, "after": str(after_s)})

    async def balance(self, token_id: str | None = None) -> Result[int]:
        """pUSD collateral (no token) or shares of `token_id`, in 1e-6 units."""
        params = {"signature_type": str(self._signature_type),
                  "asset_type": "CONDITIONAL" if token_id else "COLLATERAL"}
        if token_id:
            params["token_id"] = token_id
        raw = await self.request("GET", "/balance-allowance", params=params, retry=True)
        if not isinstance(raw, Ok):
            return raw
        try:
            return Ok(wire.fixed(_BALANCE.decode(raw.value).balance, 0))
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            return Failed(RestFailure.BAD_RESPONSE, str(exc)[:200])

    async def tick_size(self, token_id: str) -> Result[int]:
        raw = await self.request("GET", "/tick-size", params={"token_id": token_id}, auth=False, retry=True)
        if not isinstance(raw, Ok):
            return raw
        try:
            return Ok(wire.price_e4(_TICK.decode(raw.value).minimum_tick_size))
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            return Failed(RestFailure.BAD_RESPONSE, str(exc)[:200])

    async def fee_rate_bps(self, token_id: str) -> Result[int]:
        raw = await self.request("GET", "/fee-rate", params={"token_id": token_id}, auth=False, retry=True)
        if not isinstance(raw, Ok):
            return raw
        try:
            return Ok(wire.fixed(_FEE.decode(raw.value).base_fee, 0))
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            return Failed(RestFailure.BAD_RESPONSE, str(exc)[:200])

    async def clob_market(self, condition_id: str) -> Result[wire.ClobMarket]:
        raw = await self.request("GET", f"/markets/{condition_id}", auth=False, retry=True)
        if not isinstance(raw, Ok):
            return raw
        try:
            return Ok(_CLOB_MARKET.decode(raw.value))
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return Failed(RestFailure.BAD_RESPONSE, str(exc)[:200])

    async def heartbeat(self, heartbeat_id: str) -> Result[str]:
        """One beat of the dead-man switch. `Rejected.data` holds the id the venue expects."""
        raw = await self.request("POST", "/v1/heartbeats", body=_ENC.encode({"heartbeat_id": heartbeat_id}))
        if not isinstance(raw, Ok):
            return raw
        try:
            answer = _HEARTBEAT.decode(raw.value)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return Failed(RestFailure.BAD_RESPONSE, str(exc)[:200])
        return Ok(answer.heartbeat_id or "")


def _place_result(order: SignedOrder, answer: wire.PostOrderResponse) -> Result[PlaceAck]:
    """Accepted iff success, no error text, an order id and a known status (reference D.2)."""
    status = _ACCEPTED.get((answer.status or "live").lower())
    if answer.success and not answer.errorMsg and answer.orderID and status is not None:
        if answer.orderID.lower() != order.order_id.lower():
            return Failed(RestFailure.BAD_RESPONSE, f"venue id {answer.orderID} differs from ours {order.order_id}")
        return Ok(PlaceAck(order_id=order.order_id, status=status))
    return Rejected(reason=answer.errorMsg or f"not accepted (status {answer.status!r})", status=200)


def _cancel_result(raw: Result[bytes]) -> Result[CancelResult]:
    if not isinstance(raw, Ok):
        return raw
    try:
        answer = _CANCEL.decode(raw.value)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return Failed(RestFailure.BAD_RESPONSE, str(exc)[:200])
    return Ok(CancelResult(canceled=tuple(answer.canceled or ()),
                           not_canceled=tuple(sorted((answer.not_canceled or {}).items()))))


def _error_text(payload: bytes) -> str:
    try:
        body = _ERROR.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return payload[:200].decode("utf-8", "replace")
    return (body.error or "")[:300]


def _error_data(payload: bytes) -> str:
    try:
        return _ERROR.decode(payload).heartbeat_id or ""
    except (msgspec.DecodeError, msgspec.ValidationError):
        return ""
