"""`TraderStatus`: the harness's reading of the trader's `GET /status`, as a typed struct.

Only the fields the demo, the report and the end-to-end tests look at; the trader may add more
(unknown fields are ignored). Decoding is strict about what it does read, so a renamed or retyped
field fails loudly here instead of turning into a silent `None` in a report. The contract test
(`tests/test_status_contract.py`) encodes the trader's own `StatusView` and decodes it with this.
"""

from __future__ import annotations

from typing import Any

import msgspec


class MarketBrief(msgspec.Struct, frozen=True, kw_only=True):
    condition_id: str
    slug: str
    up_token_id: str
    down_token_id: str
    hour_start_ms: int
    hour_end_ms: int
    tick_e4: int


class FairBrief(msgspec.Struct, frozen=True, kw_only=True):
    p_yes_fair: float | None = None
    band_lo: float | None = None
    band_hi: float | None = None
    stale: bool = True


class BboBrief(msgspec.Struct, frozen=True, kw_only=True):
    bid_e4: int | None = None
    ask_e4: int | None = None


class OrderBrief(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    token: str  # "UP" | "DOWN"
    side: str  # "BUY" | "SELL"
    price_e4: int
    size_e6: int
    expiration_s: int


class PositionsBrief(msgspec.Struct, frozen=True, kw_only=True):
    up_e6: int
    down_e6: int
    usdc_e6: int
    reserved_usdc_e6: int
    reserved_up_e6: int = 0
    reserved_down_e6: int = 0
    fees_paid_e6: int = 0


class PnlBrief(msgspec.Struct, frozen=True, kw_only=True):
    equity_e6: int | None = None
    hour_pnl_e6: int | None = None


class TraderStatus(msgspec.Struct, frozen=True, kw_only=True):
    ts_ms: int
    mode: str
    mode_reason: str
    session: str
    market: MarketBrief | None
    fair: FairBrief
    bbo: dict[str, BboBrief]
    working_orders: list[OrderBrief]
    positions: PositionsBrief
    pnl: PnlBrief
    recent_mode_changes: list[dict[str, Any]] = []
    recent_alerts: list[dict[str, Any]] = []

    @property
    def up_bbo(self) -> BboBrief:
        return self.bbo.get("UP") or BboBrief()


_DECODER = msgspec.json.Decoder(TraderStatus)


def decode_status(raw: bytes) -> TraderStatus:
    """Raises `msgspec.ValidationError` / `DecodeError` when the trader's answer breaks the contract."""
    return _DECODER.decode(raw)
