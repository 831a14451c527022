"""Orders signed by our client verify against the V2 EIP-712 domain and equal the SDK's output."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time

import msgspec
import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from py_clob_client_v2.clob_types import CreateOrderOptions, OrderArgsV2
from py_clob_client_v2.order_builder.builder import OrderBuilder
from py_clob_client_v2.order_utils.model.signature_type_v2 import SignatureTypeV2
from py_clob_client_v2.signer import Signer
from trader_testkit.builders import split_terms

from edges.edge_kit import fixture_text
from polymarket_trader import wire
from polymarket_trader.core.events import OrderType, Side, Token
from polymarket_trader.signing import L2Auth, OrderSigner, OrderSpec, SigningError, order_amounts

# Hardhat's well-known test account #0: a published test key that holds nothing anywhere.
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ADDR = Account.from_key(KEY).address
DEPOSIT_WALLET = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
ORDER_FIELDS = [("salt", "uint256"), ("maker", "address"), ("signer", "address"), ("tokenId", "uint256"),
                ("makerAmount", "uint256"), ("takerAmount", "uint256"), ("side", "uint8"),
                ("signatureType", "uint8"), ("timestamp", "uint256"), ("metadata", "bytes32"), ("builder", "bytes32")]
ORDER_TYPE = "Order(" + ",".join(f"{t} {n}" for n, t in ORDER_FIELDS) + ")"


def a_spec(**kw: object) -> OrderSpec:
    base: dict[str, object] = {"token_id": TOKEN, "token": Token.UP, "side": Side.BUY, "price_e4": 5150, "size_e6": 5_000_000,
                               "expiration_s": 1_800_000_000, "tick_e4": 10}
    return OrderSpec(**split_terms(base | kw))


def _message(order: wire.SignedOrderWire) -> dict[str, object]:
    return {"salt": order.salt, "maker": order.maker, "signer": order.signer, "tokenId": int(order.tokenId),
            "makerAmount": int(order.makerAmount), "takerAmount": int(order.takerAmount),
            "side": 0 if order.side == "BUY" else 1, "signatureType": order.signatureType,
            "timestamp": int(order.timestamp), "metadata": bytes.fromhex(order.metadata[2:]),
            "builder": bytes.fromhex(order.builder[2:])}


def _typed(order: wire.SignedOrderWire) -> dict[str, object]:
    return {"primaryType": "Order",
            "types": {"EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                                       {"name": "chainId", "type": "uint256"},
                                       {"name": "verifyingContract", "type": "address"}],
                      "Order": [{"name": n, "type": t} for n, t in ORDER_FIELDS]},
            "domain": {"name": "Polymarket CTF Exchange", "version": "2", "chainId": 137,
                       "verifyingContract": EXCHANGE_V2},
            "message": _message(order)}


def _wire_order(signed_body: dict[str, object]) -> wire.SignedOrderWire:
    return wire.SIGNED_ORDER_DECODER.decode(msgspec.json.encode(signed_body["order"]))


def test_eoa_order_recovers_to_our_address_and_id_is_the_eip712_hash() -> None:
    signer = OrderSigner(private_key=KEY, signature_type=0, owner="api-key")
    signed = signer.sign(a_spec(), timestamp_ms=1_760_000_000_000)
    order = _wire_order(signed.body)
    encoded = encode_typed_data(full_message=_typed(order))
    assert Account.recover_message(encoded, signature=order.signature) == ADDR
    digest = keccak(b"\x19" + encoded.version + encoded.header + encoded.body)
    assert signed.order_id == "0x" + digest.hex()
    assert (order.makerAmount, order.takerAmount, order.side) == ("2575000", "5000000", "BUY")
    assert (order.maker, order.signer, order.expiration) == (ADDR, ADDR, "1800000000")
    assert signed.body["owner"] == "api-key" and signed.body["orderType"] == "GTD" and signed.body["postOnly"] is True


def test_deposit_wallet_order_signs_for_the_funder_with_an_erc1271_wrapped_signature() -> None:
    signer = OrderSigner(private_key=KEY, signature_type=3, funder=DEPOSIT_WALLET)
    signed = signer.sign(a_spec(side=Side.SELL), timestamp_ms=1_760_000_000_000)
    order = _wire_order(signed.body)
    assert (order.maker, order.signer, order.signatureType) == (DEPOSIT_WALLET, DEPOSIT_WALLET, 3)
    sig = bytes.fromhex(order.signature[2:])
    inner, app_sep, contents = sig[:65], sig[65:97], sig[97:129]
    assert sig[129:-2].decode() == ORDER_TYPE
    msg = _message(order)
    type_hash = keccak(text=ORDER_TYPE)
    assert contents == keccak(abi_encode(["bytes32"] + [t for _, t in ORDER_FIELDS],
                                         [type_hash] + [msg[n] for n, _ in ORDER_FIELDS]))
    domain_type = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    assert app_sep == keccak(abi_encode(["bytes32", "bytes32", "bytes32", "uint256", "address"],
                                        [domain_type, keccak(text="Polymarket CTF Exchange"), keccak(text="2"), 137,
                                         EXCHANGE_V2]))
    sign_type = keccak(text="TypedDataSign(Order contents,string name,string version,uint256 chainId,"
                            "address verifyingContract,bytes32 salt)" + ORDER_TYPE)
    struct = keccak(abi_encode(["bytes32", "bytes32", "bytes32", "bytes32", "uint256", "address", "bytes32"],
                               [sign_type, contents, keccak(text="DepositWallet"), keccak(text="1"), 137,
                                DEPOSIT_WALLET, b"\x00" * 32]))
    digest = keccak(b"\x19\x01" + app_sep + struct)
    assert Account._recover_hash(digest, signature=inner) == ADDR


@pytest.mark.parametrize("sig_type", [0, 3])
@pytest.mark.parametrize(("side", "price_e4", "size_e6", "tick"), [
    (Side.BUY, 5150, 5_000_000, "0.001"), (Side.SELL, 4900, 12_340_000, "0.01"), (Side.BUY, 100, 7_770_000, "0.01"),
    (Side.SELL, 9990, 5_000_000, "0.001"), (Side.BUY, 3333, 10_000_000, "0.0001"), (Side.BUY, 5000, 100_000_000, "0.1"),
])
def test_our_signed_order_equals_the_sdks_for_the_same_inputs(
        monkeypatch: pytest.MonkeyPatch, sig_type: int, side: Side, price_e4: int, size_e6: int, tick: str) -> None:
    now_ns = 1_760_000_000_123_000_000
    monkeypatch.setattr(time, "time_ns", lambda: now_ns)
    monkeypatch.setattr(random, "random", lambda: 0.5)
    funder = DEPOSIT_WALLET if sig_type == 3 else None
    sdk = OrderBuilder(Signer(KEY, 137), SignatureTypeV2(sig_type), funder).build_order(
        OrderArgsV2(token_id=TOKEN, price=price_e4 / 10_000, size=size_e6 / 1_000_000,
                    side="BUY" if side is Side.BUY else "SELL", expiration=1_800_000_000),
        CreateOrderOptions(tick_size=tick, neg_risk=False), version=2)
    ours = OrderSigner(private_key=KEY, signature_type=sig_type, funder=funder,
                       salt=lambda: int(0.5 * (now_ns // 1_000_000)))
    signed = ours.sign(a_spec(side=side, price_e4=price_e4, size_e6=size_e6,
                              tick_e4=round(float(tick) * 10_000)), timestamp_ms=now_ns // 1_000_000)
    order = _wire_order(signed.body)
    assert (order.makerAmount, order.takerAmount) == (sdk.makerAmount, sdk.takerAmount)
    assert order.salt == int(sdk.salt) and order.timestamp == sdk.timestamp
    assert order.signature == sdk.signature


def test_amounts_are_exact_and_bad_prices_never_sign() -> None:
    assert order_amounts(Side.BUY, 5150, 5_000_000, OrderType.GTD, 10) == (2_575_000, 5_000_000)
    assert order_amounts(Side.SELL, 5150, 5_009_999, OrderType.GTD, 10) == (5_000_000, 2_575_000)
    maker, taker = order_amounts(Side.BUY, 5150, 5_000_000, OrderType.FAK, 10)
    assert maker == 2_570_000 and maker % 10_000 == 0 and taker <= maker * 10_000 // 5150
    signer = OrderSigner(private_key=KEY)
    for bad in (a_spec(price_e4=5155, tick_e4=10), a_spec(price_e4=0), a_spec(price_e4=10_000, tick_e4=100),
                a_spec(size_e6=9_999), a_spec(order_type=OrderType.FAK)):
        with pytest.raises(SigningError):
            signer.sign(bad, timestamp_ms=1)


def test_l2_headers_are_the_documented_hmac_of_the_exact_body() -> None:
    secret = base64.urlsafe_b64encode(b"0123456789abcdef0123456789abcdef").decode()
    auth = L2Auth(address_signer=OrderSigner(private_key=KEY), api_key="k", api_secret=secret, api_passphrase="p")
    body = '{"orderID":"0xabc"}'
    headers = auth.headers("DELETE", "/order", body, 1_760_000_000)
    expected = base64.urlsafe_b64encode(hmac.new(base64.urlsafe_b64decode(secret),
                                                 b'1760000000DELETE/order{"orderID":"0xabc"}',
                                                 hashlib.sha256).digest()).decode()
    assert headers == {"POLY_ADDRESS": ADDR, "POLY_SIGNATURE": expected, "POLY_TIMESTAMP": "1760000000",
                       "POLY_API_KEY": "k", "POLY_PASSPHRASE": "p"}


def test_recorded_v2_signed_order_parses_into_our_wire_type() -> None:
    order = wire.SIGNED_ORDER_DECODER.decode(fixture_text("rest/signed_order_v2.json"))
    assert order.salt == 123456789 and order.signatureType == 0 and order.side == "BUY"
    assert int(order.makerAmount) == 100_000_000 and order.timestamp == "1713398400000"
