"""Ledger conservation under random order flow (hypothesis): pUSD held by everyone plus the
collateral locked in complete sets always equals the deposits; each token's supply equals its
market's complete sets; no balance or reservation goes negative; after resolution every pUSD
is back in someone's hands."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from venue_testkit import START_MS, a_clob, an_order, market_of

from hourmm_sim.polymarket.ledger import FEES_ADDRESS, PUSD
from hourmm_sim.polymarket.matching import BUY, SELL

USERS = ("u1", "u2", "u3")
place = st.tuples(
    st.just("place"), st.sampled_from(USERS), st.integers(0, 1), st.sampled_from([BUY, BUY, SELL]),
    st.integers(1, 99), st.integers(5, 60), st.sampled_from(["GTC", "GTC", "FAK", "FOK"]), st.booleans(),
)
cancel = st.tuples(st.just("cancel"), st.integers(0, 50))
advance = st.tuples(st.just("advance"), st.integers(100, 5_000))
fail = st.tuples(st.sampled_from(["fail", "retry"]), st.integers(1, 2))
actions = st.lists(st.one_of(place, place, place, cancel, advance, fail), min_size=1, max_size=80)


def _check(clob):
    clob.ledger.check_conservation()
    for store in (clob.ledger.balance, clob.ledger.pending):
        assert all(v >= 0 for v in store.values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=actions, winner=st.integers(0, 1), fee_rate_e5=st.sampled_from([0, 7_200]))
def test_random_order_flow_conserves_collateral_and_complete_sets(actions, winner, fee_rate_e5):
    clob = a_clob(fee_rate_e5=fee_rate_e5)
    spec = market_of(clob)
    for u in USERS:
        clob.ledger.deposit(u, 200_000_000)
    now = START_MS
    placed: list[str] = []
    for action in actions:
        kind = action[0]
        if kind == "place":
            _, who, token, side, cents, size, order_type, post_only = action
            req = an_order(clob, who=who, token=token, side=side, price=cents / 100, size=size,
                           order_type=order_type, post_only=post_only and order_type == "GTC")
            if clob.place(req, now).success:
                placed.append(req.order_id)
        elif kind == "cancel" and placed:
            oid = placed[action[1] % len(placed)]
            clob.cancel(clob.orders[oid].owner, [oid], now)
        elif kind == "advance":
            now += action[1]
            clob.advance(now)
        elif kind in ("fail", "retry"):
            clob.pipeline.add_fault(kind, action[1])
        _check(clob)
    clob.advance(spec.end_ms, outcome=lambda s: winner)
    clob.advance(spec.end_ms + clob.config.resolve_delay_ms, outcome=lambda s: winner)
    _check(clob)
    assert clob.markets[spec.condition_id].winner == winner
    holders = (*USERS, FEES_ADDRESS)
    assert sum(clob.ledger.total(u, PUSD) for u in holders) == 600_000_000
    assert all(clob.ledger.reserved.get((u, PUSD), 0) == 0 for u in USERS)
