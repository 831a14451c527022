"""Scenario files load (or fail with every problem named); background participants are seeded,
deterministic, trade through the ledger and pick off stale quotes; `hourmm venue` wires the
Binance stand-in and the venue on one clock and resolves from the same tape."""

from __future__ import annotations

import argparse
import json

import pytest
from venue_testkit import START_MS, a_clob, market_of

from hourmm_common.clock import ManualClock
from hourmm_common.errors import ConfigError
from hourmm_common.paths import repo_root
from hourmm_sim.clob import OrderRequest
from hourmm_sim.history import candles_between, load_candles
from hourmm_sim.ledger import PUSD
from hourmm_sim.matching import BUY, UP
from hourmm_sim.participants import Participants, ParticipantsConfig, fair_up
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
