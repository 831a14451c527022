"""The pricer service's core over the tape: the open, causality and the fair value."""

from __future__ import annotations

from hourmm_common.enums import OpenSource
from hourmm_common.hours import parse_iso_ms
from hourmm_lab.backtest.pricer_feed import PricerReplay
from hourmm_sim.history import Candle, candles_between
from hourmm_sim.tape import tape_from_candles

START = parse_iso_ms("2024-12-05T20:00:00Z")


def _replay(candles: list[Candle], latency_ms: int = 0) -> tuple[PricerReplay, float]:
    tape = tape_from_candles(candles_between(candles, START - 60_000, START + 3_600_000), seed=3)
    warm = [c.close for c in candles_between(candles, START - 4 * 3_600_000, START - 60_000)]
    first = next(c for c in candles if c.open_time_ms == START)
    return PricerReplay(tape, START - 60_000, warm, latency_ms=latency_ms), first.open


def test_the_hour_open_is_proven_from_trades_and_is_the_candles_open(dec_candles: list[Candle]) -> None:
    replay, candle_open = _replay(dec_candles)
    snap = replay.snapshot(START + 5_000)
    assert snap.open_source is OpenSource.TRADE
    assert snap.open_price == candle_open
    assert snap.p_yes_fair is not None and 0.001 <= snap.p_yes_fair <= 0.999
    assert not snap.stale and snap.t_remaining_ms == 3_595_000


def test_events_are_delivered_only_once_received(dec_candles: list[Candle]) -> None:
    replay, _ = _replay(dec_candles, latency_ms=250)
    trade = replay.tape.trades_between(START + 30_000, START + 40_000)[0]
    t = trade.ts_ms + 100  # the trade happened, but is still on its way (250 ms)
    assert replay.advance(t) > 0
    assert replay.advance(t) == 0  # nothing twice
    assert replay.ingest.hours.ts_exchange_ms < trade.ts_ms
    replay.advance(trade.ts_ms + 250)
    assert replay.ingest.hours.ts_exchange_ms >= trade.ts_ms


def test_the_fair_value_follows_the_price_against_the_open(dec_candles: list[Candle]) -> None:
    replay, _ = _replay(dec_candles)
    for k in range(1, 60):
        snap = replay.snapshot(START + k * 60_000)
        assert snap.p_yes_fair is not None and snap.mid is not None and snap.open_price is not None
        if snap.mid > snap.open_price * 1.002:
            assert snap.p_yes_fair > 0.5
        if snap.mid < snap.open_price * 0.998:
            assert snap.p_yes_fair < 0.5
