"""The A -> B contract: golden wire form, round trip, and rejection of inconsistent snapshots."""

import contextlib

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hourmm_common.enums import OpenSource
from hourmm_common.errors import ParseError
from hourmm_common.snapshot import BinanceSnapshot, decode_snapshot, encode_snapshot, snapshot_problem

GOLDEN = (
    b'{"seq":7,"ts_local_ms":1769090400500,"ts_exchange_ms":1769090400480,"age_ms":20,"stale":false,'
    b'"hour_id":"2026-01-22T14:00:00Z","hour_start_ts_ms":1769090400000,"hour_end_ts_ms":1769094000000,'
    b'"t_remaining_ms":3599500,"open_price":100000.0,"last_trade_price":100010.5,"bbo_bid":100010.0,'
    b'"bbo_ask":100010.01,"mid":100010.005,"features":{"ewma_vol":0.00001},"p_yes_fair":0.52,'
    b'"p_yes_band_lo":0.5,"p_yes_band_hi":0.54,"open_source":"trade"}'
)


def a_snapshot(**overrides: object) -> BinanceSnapshot:
    fields: dict[str, object] = dict(
        seq=7, ts_local_ms=1769090400500, ts_exchange_ms=1769090400480, age_ms=20, stale=False,
        hour_id="2026-01-22T14:00:00Z", hour_start_ts_ms=1769090400000, hour_end_ts_ms=1769094000000,
        t_remaining_ms=3599500, open_price=100000.0, last_trade_price=100010.5, bbo_bid=100010.0,
        bbo_ask=100010.01, mid=100010.005, features={"ewma_vol": 1e-05}, p_yes_fair=0.52,
        p_yes_band_lo=0.5, p_yes_band_hi=0.54, open_source=OpenSource.TRADE,
    )
    fields.update(overrides)
    return BinanceSnapshot(**fields)  # type: ignore[arg-type]


def test_golden_wire_form_is_stable() -> None:
    assert encode_snapshot(a_snapshot()) == GOLDEN
    assert decode_snapshot(GOLDEN) == a_snapshot()


def test_snapshot_is_frozen() -> None:
    snap = a_snapshot()
    with pytest.raises(AttributeError):
        snap.seq = 8  # type: ignore[misc]


def test_not_ready_snapshot_round_trips() -> None:
    snap = a_snapshot(open_price=None, p_yes_fair=None, p_yes_band_lo=None, p_yes_band_hi=None, open_source=None)
    assert decode_snapshot(encode_snapshot(snap)) == snap


@pytest.mark.parametrize(
    "overrides",
    [
        {"hour_id": "2026-01-22T15:00:00Z"},
        {"hour_end_ts_ms": 1769094000001},
        {"p_yes_fair": 1.2},
        {"p_yes_fair": -0.1},
        {"open_price": None},
        {"t_remaining_ms": -1},
        {"mid": 0.0},
    ],
)
def test_inconsistent_snapshots_are_rejected(overrides: dict[str, object]) -> None:
    raw = msgspec.json.encode(a_snapshot(**overrides))
    with pytest.raises(ParseError):
        decode_snapshot(raw)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_a_typed_error(raw: bytes) -> None:
    with contextlib.suppress(ParseError):
        decode_snapshot(raw)


def test_non_finite_fair_value_is_a_contract_violation() -> None:
    assert snapshot_problem(a_snapshot(p_yes_fair=float("nan"))) == "p_yes_fair outside [0, 1]"
