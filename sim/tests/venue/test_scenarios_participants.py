"""Scenario files load (or fail with every problem named); background participants are seeded,
deterministic, trade through the ledger and pick off stale quotes; `hourmm venue` wires the
Binance stand-in and the venue on one clock and resolves from the same tape."""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random

import pytest
from venue_testkit import START_MS, a_clob, market_of

from hourmm_common.clock import ManualClock
from hourmm_common.errors import ConfigError
from hourmm_common.paths import repo_root
from hourmm_sim.history import candles_between, load_candles
from hourmm_sim.polymarket.clob_rules import OrderRequest
from hourmm_sim.polymarket.ledger import PUSD
from hourmm_sim.polymarket.matching import BUY, UP
from hourmm_sim.polymarket.participants import Participants, ParticipantsConfig, TapeVol, fair_up
from hourmm_sim.scenarios import load_scenario
from hourmm_sim.venue_main import build, tape_outcome

DEFAULT = repo_root() / "sim" / "scenarios" / "default.json"


def test_the_default_scenario_loads():
    scenario = load_scenario(DEFAULT)
    assert scenario.hours == 1 and scenario.users[0].signature_type == 3
    assert scenario.data_path().exists()
    assert [f.kind for f in scenario.faults] == ["ws_drop", "rest_error", "fail_trades", "user_delay"]


def test_a_broken_scenario_names_every_problem(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"start_hour": "2025-06-02T14:30:00Z", "hours": 0, "tick": "0.02",
                               "users": [{"name": "x", "signature_type": 3}]}))
    with pytest.raises(ConfigError) as err:
        load_scenario(bad)
    text = str(err.value)
    for fragment in ("not a whole hour", "hours must be", "tick must be", "private_key or address", "needs a funder"):
        assert fragment in text
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"faults": [{"kind": "meteor"}]}))
    with pytest.raises(ConfigError, match="unknown fault kind"):
        load_scenario(unknown)
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({"participants": {"taker_rate": 3}}))
    with pytest.raises(ConfigError, match="taker_rate"):
        load_scenario(typo)


def run_participants(seed: int, path) -> tuple[list[tuple[str, int, int]], object]:
    clob = a_clob()
    cfg = ParticipantsConfig(taker_rate_per_min=6.0, maker_noise=0.0)
    people = Participants(clob, path, cfg, seed)
    for t in range(START_MS, START_MS + 20 * 60_000, 250):
        people.step(t)
        clob.advance(t)
    clob.ledger.check_conservation()
    return [(tr.record.trade_id, tr.record.price_u, tr.record.size_u) for tr in clob.trades.values()], clob


def test_participants_are_seeded_and_deterministic():
    path = lambda ts: 100_000.0 * (1 + 0.0005 * ((ts - START_MS) // 60_000 % 7 - 3))  # noqa: E731
    first, clob = run_participants(3, path)
    again, _ = run_participants(3, path)
    other, _ = run_participants(4, path)
    assert first and first == again and first != other
    assert clob.ledger.total(Participants.TAKER, PUSD) != 10_000_000 * 1_000_000


def test_informed_takers_pick_off_a_stale_quote():
    clob = a_clob()
    spec = market_of(clob)
    clob.ledger.deposit("victim", 100_000_000)
    cfg = ParticipantsConfig(maker_levels=0, taker_rate_per_min=600.0, informed_share=1.0, informed_edge=0.02)
    # the price jumped far above the open: fair value of Up is near 1
    people = Participants(clob, lambda ts: 101_000.0 if ts > START_MS else 100_000.0, cfg, 1)
    stale = OrderRequest(order_id="0x" + "ab" * 32, owner="victim-key", holder="victim", maker_address="victim",
                         token_id=spec.token_ids()[1], side=BUY, price_u=500_000, size_u=10_000_000)
    assert clob.place(stale, START_MS + 1).success  # BUY Down at 0.50 = an Up offer at 0.50
    for t in range(START_MS + 1, START_MS + 10_000, 250):
        people.step(t)
    assert clob.orders[stale.order_id].matched_u == 10_000_000
    assert fair_up(101_000.0, 100_000.0, 3_000_000, 0.004) > 0.99
    taker_trades = [t.record for t in clob.trades.values() if t.record.taker_owner == Participants.TAKER_KEY]
    assert taker_trades and all(t.token == UP for t in taker_trades)


async def test_hourmm_venue_wires_standin_and_venue_and_resolves_from_the_tape():
    scenario = load_scenario(DEFAULT)
    clock = ManualClock(scenario.start_ms() - 60_000)
    args = argparse.Namespace(host="127.0.0.1", gamma_port=0, clob_port=0, binance_port=0)
    standin, venue, tape = build(scenario, clock, args)
    await standin.start()
    await venue.start()
    try:
        assert venue.participants is not None and standin.rest_base_url.startswith("http://127.0.0.1:")
        spec = market_of(venue.clob)
        candles = candles_between(load_candles(scenario.data_path()), spec.start_ms, spec.end_ms)
        expected = 0 if candles[-1].close >= candles[0].open else 1
        assert tape_outcome(tape)(spec) == expected
        await clock.run_until(spec.start_ms + 120_000)
        assert venue.clob.markets[spec.condition_id].book.best_bid() is not None  # the makers are quoting
    finally:
        await venue.stop()
        await standin.stop()


def test_a_toml_scenario_loads_the_same_way(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('start_hour = "2025-06-02T14:00:00Z"\nhours = 2\nseed = 3\n'
                    '[[users]]\nname = "t"\naddress = "0x' + "12" * 20 + '"\ninitial_pusd = 50\n'
                    '[[faults]]\nat_s = 60\nkind = "ws_freeze"\nchannel = "market"\nduration_ms = 5000\n')
    scenario = load_scenario(path)
    assert scenario.hours == 2 and scenario.users[0].initial_pusd == 50 and scenario.faults[0].channel == "market"


def minute_walk(start_ms: int, minutes: int, step: float, seed: int = 5) -> dict[int, float]:
    """Minute closes of a +-`step` log random walk: its hourly vol is exactly step * sqrt(60)."""
    rng, price, closes = random.Random(seed), 100_000.0, {}
    for m in range(minutes):
        closes[start_ms + m * 60_000] = price
        price *= math.exp(step if rng.random() < 0.5 else -step)
    return closes


def path_of(closes: dict[int, float]):
    times = sorted(closes)

    def price_at(ts: int) -> float | None:
        i = bisect.bisect_right(times, ts)
        return closes[times[i - 1]] if i else None
    return price_at


def test_the_participants_volatility_comes_from_the_tape_not_the_scenario():
    cfg = ParticipantsConfig(sigma_per_sqrt_hour=0.004, sigma_halflife_min=30.0, sigma_warm_min=120)
    closes = minute_walk(START_MS - 180 * 60_000, 240, step=0.0002)  # 0.155 % per sqrt hour
    vol = TapeVol(path_of(closes), cfg, lag_ms=3_000)
    true_var = 0.0002 ** 2 * 60

    def blend(prior_weight: float) -> float:  # the EWMA seeded with the prior, after n returns
        return math.sqrt(prior_weight * 0.004 ** 2 + (1 - prior_weight) * true_var)
    assert vol.sigma(START_MS) == pytest.approx(blend(0.5 ** (120 / 30)), rel=1e-6)  # 4 half-lives of warm history
    assert vol.samples == 120
    assert vol.sigma(START_MS + 30 * 60_000) == pytest.approx(blend(0.5 ** (150 / 30)), rel=1e-6)
    assert vol.samples == 150
    # no history at all: the scenario's value is the answer, and a flat tape decays only to the floor
    empty = TapeVol(lambda ts: None, cfg, 0)
    assert empty.sigma(START_MS) == pytest.approx(0.004) and empty.samples == 0
    flat = TapeVol(lambda ts: 100_000.0, cfg, 0)
    assert flat.sigma(START_MS) == pytest.approx(cfg.sigma_floor_per_sqrt_hour)


def test_the_participants_never_read_the_tape_past_now():
    """Two tapes equal up to T and different after it: every order and trade up to T is the same."""
    closes = minute_walk(START_MS - 120 * 60_000, 200, step=0.0005, seed=9)
    cut = START_MS + 10 * 60_000
    other = {t: (p if t <= cut else p * 1.02) for t, p in closes.items()}
    reads: list[tuple[int, int]] = []

    def watched(price_at):
        def read(ts: int) -> float | None:
            reads.append((ts, now[0]))
            return price_at(ts)
        return read

    now = [0]

    def run(closes_: dict[int, float]) -> list[tuple[str, int, int]]:
        clob = a_clob()
        people = Participants(clob, watched(path_of(closes_)), ParticipantsConfig(taker_rate_per_min=6.0), 11)
        for t in range(START_MS, cut + 1, 250):
            now[0] = t
            people.step(t)
            clob.advance(t)
        return [(tr.record.trade_id, tr.record.price_u, tr.record.size_u) for tr in clob.trades.values()]

    first = run(closes)
    assert first and first == run(other)
    assert reads and all(ts <= at for ts, at in reads)
