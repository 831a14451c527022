"""The venue's own signature checks agree with what py-clob-client-v2 signs and sends:
L2 HMAC, the L1 ClobAuth signature, the V2 order hash (= order id) and all four signature types."""

from __future__ import annotations

import pytest
from py_clob_client_v2.clob_types import CreateOrderOptions, OrderArgsV2
from py_clob_client_v2.order_builder.builder import OrderBuilder
from py_clob_client_v2.order_utils.model.order_data_v2 import order_to_json_v2
from py_clob_client_v2.signer import Signer
from py_clob_client_v2.signing.eip712 import sign_clob_auth_message
from py_clob_client_v2.signing.hmac import build_hmac_signature
from venue_testkit import DEPOSIT_WALLET, PK_DEPOSIT, PK_EOA, PK_SAFE, SAFE, a_user

from hourmm_sim.polymarket import auth
from hourmm_sim.polymarket.accounts import Accounts, derive_creds


def signed(pk: str, signature_type: int, funder: str | None) -> dict:
    builder = OrderBuilder(Signer(pk, 137), signature_type=signature_type, funder=funder)
    order = builder.build_order(OrderArgsV2(token_id="123456789", price=0.51, size=10, side="BUY"),
                                CreateOrderOptions(tick_size="0.01", neg_risk=False))
    return order_to_json_v2(order, "key", "GTD", post_only=True)["order"]


def test_hmac_matches_the_sdk():
    creds = derive_creds("seed", "0x" + "11" * 20)
    body = '{"orderID":"0xabc"}'
    theirs = build_hmac_signature(creds.secret, "1700000000", "DELETE", "/order", body)
    assert auth.hmac_signature(creds.secret, "1700000000", "DELETE", "/order", body) == theirs
    assert auth.hmac_matches(creds.secret, "1700000000", "DELETE", "/order", body, theirs)
    assert not auth.hmac_matches(creds.secret, "1700000001", "DELETE", "/order", body, theirs)
    assert not auth.hmac_matches("not base64!", "1", "GET", "/", "", theirs)


def test_l1_clob_auth_signature_recovers_the_address():
    signer = Signer(PK_EOA, 137)
    sig = sign_clob_auth_message(signer, 1_700_000_000, 0)
    assert auth.clob_auth_signer(signer.address(), "1700000000", 0, sig) == signer.address()
    assert auth.clob_auth_signer(signer.address(), "1700000001", 0, sig) != signer.address()


@pytest.mark.parametrize(("pk", "sig_type", "funder"), [
    (PK_EOA, 0, None), (PK_SAFE, 1, SAFE), (PK_SAFE, 2, SAFE), (PK_DEPOSIT, 3, DEPOSIT_WALLET)])
def test_every_signature_type_recovers_the_api_keys_address(pk, sig_type, funder):
    order = signed(pk, sig_type, funder)
    assert auth.recover_order_signer(order, auth.domain_separator()) == Signer(pk, 137).address()


def test_order_id_is_the_eip712_hash_the_sdk_computes():
    from py_clob_client_v2.order_utils.exchange_order_builder_v2 import ExchangeOrderBuilderV2
    from py_clob_client_v2.order_utils.model.order_data_v2 import OrderV2

    order = signed(PK_EOA, 0, None)
    fields = {k: v for k, v in order.items() if k != "signature"}
    fields["side"] = 0
    typed = ExchangeOrderBuilderV2(auth.EXCHANGE_V2, 137, Signer(PK_EOA, 137)).build_order_typed_data(OrderV2(**fields))
    sdk_hash = ExchangeOrderBuilderV2(auth.EXCHANGE_V2, 137, Signer(PK_EOA, 137)).build_order_hash(typed)
    assert auth.order_id(order) == sdk_hash


@pytest.mark.parametrize("field", ["makerAmount", "tokenId", "salt", "maker"])
def test_a_tampered_order_no_longer_recovers_its_signer(field):
    order = signed(PK_DEPOSIT, 3, DEPOSIT_WALLET)
    order[field] = "0x" + "77" * 20 if field == "maker" else str(int(order[field]) + 1)
    with pytest.raises(auth.AuthError):
        auth.recover_order_signer(order, auth.domain_separator())
    eoa = signed(PK_EOA, 0, None)
    eoa[field] = "0x" + "77" * 20 if field == "maker" else str(int(eoa[field]) + 1)
    assert auth.recover_order_signer(eoa, auth.domain_separator()) != Signer(PK_EOA, 137).address()


def test_funder_rules_per_signature_type():
    accounts = Accounts("seed")
    eoa = Signer(PK_SAFE, 137).address()
    accounts.add_user(a_user("bob", private_key=PK_SAFE, signature_type=2, funder=SAFE))
    assert accounts.may_trade_for(eoa, SAFE, eoa, 2) is None
    assert accounts.may_trade_for(eoa, "0x" + "99" * 20, eoa, 2) == "the order owner has to be the owner of the API KEY"
    assert accounts.may_trade_for(eoa, eoa, "0x" + "99" * 20, 0) == \
        "the order signer address has to be the address of the API KEY"
    assert accounts.may_trade_for(eoa, SAFE, SAFE, 3) is not None  # not registered as a deposit wallet
