"""Arbitrary order payloads give a typed 400 with the venue's error text, never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from venue_testkit import a_scenario

from hourmm_common.clock import ManualClock
from hourmm_sim.polymarket.clob_rest import ClobRest
from hourmm_sim.polymarket.venue import PolymarketVenue

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)
order_keys = st.fixed_dictionaries({}, optional={
    k: json_values for k in ("salt", "maker", "signer", "tokenId", "makerAmount", "takerAmount", "side",
                             "expiration", "signatureType", "timestamp", "metadata", "builder", "signature")})
VENUE = PolymarketVenue(a_scenario(), ManualClock(0))
REST = ClobRest(VENUE)
CREDS = VENUE.accounts.creds_for(VENUE.scenario.users[0].eoa())
EOA = VENUE.scenario.users[0].eoa()
# an owner and addresses that pass the first checks, so the garbage reaches the deeper ones
plausible = st.fixed_dictionaries({"maker": st.just(EOA), "signer": st.just(EOA)}, optional={
    k: json_values | st.sampled_from(["0", "1", "BUY", "SELL", "0x", "0x" + "00" * 65])
    for k in ("salt", "tokenId", "makerAmount", "takerAmount", "side", "expiration", "signatureType",
              "timestamp", "metadata", "builder", "signature")})
payloads = st.one_of(
    json_values,
    st.fixed_dictionaries({"order": order_keys | json_values}, optional={
        "owner": json_values, "orderType": json_values, "postOnly": json_values}),
    st.fixed_dictionaries({"order": plausible, "owner": st.just(CREDS.api_key)},
                          optional={"orderType": json_values, "postOnly": json_values}),
)


@settings(max_examples=150, deadline=None)
@given(payload=payloads)
def test_garbage_orders_are_refused_with_a_reason(payload):
    status, answer = REST._one_order(CREDS, payload)
    assert status == 400 and isinstance(answer["error"], str) and answer["error"]
