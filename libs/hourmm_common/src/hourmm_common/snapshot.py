"""The A -> B contract: `BinanceSnapshot`, served by the pricer at `GET /snapshot/latest`.

The schema is stable: fields are only ever added (with defaults), never renamed or removed. A
golden JSON test pins the wire form. `stale` is computed by the pricer and passed through
unchanged. `ts_exchange_ms == 0` means no Binance event has been received yet.
"""

from __future__ import annotations

import math

import msgspec

from hourmm_common.enums import OpenSource
from hourmm_common.errors import ParseError
from hourmm_common.hours import HOUR_MS, hour_id


class BinanceSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    ts_local_ms: int
    ts_exchange_ms: int
    age_ms: int
    stale: bool
    hour_id: str
    hour_start_ts_ms: int
    hour_end_ts_ms: int
    t_remaining_ms: int
    open_price: float | None
    last_trade_price: float | None
    bbo_bid: float | None
    bbo_ask: float | None
    mid: float | None
    features: dict[str, float]
    p_yes_fair: float | None
    p_yes_band_lo: float | None = None
    p_yes_band_hi: float | None = None
    open_source: OpenSource | None = None


_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(BinanceSnapshot)


def encode_snapshot(snapshot: BinanceSnapshot) -> bytes:
    return _ENCODER.encode(snapshot)


def decode_snapshot(raw: bytes | str) -> BinanceSnapshot:
    """Decode and validate a snapshot; any defect raises `ParseError` (never a bare crash)."""
    try:
        snap = _DECODER.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ParseError(f"snapshot does not match the schema: {exc}", raw) from exc
    problem = snapshot_problem(snap)
    if problem is not None:
        raise ParseError(f"snapshot is inconsistent: {problem}", raw)
    return snap


def snapshot_problem(s: BinanceSnapshot) -> str | None:
    """The first broken contract invariant of `s`, or None when it is self-consistent."""
    if s.seq < 0:
        return "seq < 0"
    if s.hour_end_ts_ms - s.hour_start_ts_ms != HOUR_MS or s.hour_start_ts_ms % HOUR_MS:
        return "hour bounds are not one whole hour"
    if s.hour_id != hour_id(s.hour_start_ts_ms):
        return "hour_id does not match hour_start_ts_ms"
    if not 0 <= s.t_remaining_ms <= HOUR_MS:
        return "t_remaining_ms outside [0, 1h]"
    for name in ("p_yes_fair", "p_yes_band_lo", "p_yes_band_hi"):
        p = getattr(s, name)
        if p is not None and (not math.isfinite(p) or not 0.0 <= p <= 1.0):
            return f"{name} outside [0, 1]"
    if s.p_yes_fair is not None and s.open_price is None:
        return "a fair value without an open price"
    for name in ("open_price", "last_trade_price", "bbo_bid", "bbo_ask", "mid"):
        v = getattr(s, name)
        if v is not None and (not math.isfinite(v) or v <= 0):
            return f"{name} is not a positive finite price"
    return None
