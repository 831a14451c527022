"""CLOB V2 orders built and EIP-712 signed with py-clob-client-v2, and the L2 HMAC headers.

In: an order in HourMM units (token id, side, `price_e4`, `size_e6`, expiration, the tick size and
neg-risk flag from our own market state). Out: a `SignedOrder` carrying the exact JSON body the
venue wants and the order id (the EIP-712 hash of the order), known before anything is sent so
that a fill on the websocket matches even when the POST answer is lost.

We use the SDK's exchange order builder directly (domain, struct, signature types 0-3 including
the deposit wallet's ERC-1271 wrapping) and never `ClobClient.create_order`, which would look up
the tick size, neg-risk and version over blocking HTTP and cache the tick size forever. Amounts
are computed here in integers (exact on the price grid) instead of the SDK's float rounding; a
test checks both agree. Randomness (the salt) lives only here.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

import msgspec
from eth_keys.datatypes import PrivateKey
from py_clob_client_v2.clob_types import ApiCreds, RequestArgs
from py_clob_client_v2.config import get_contract_config
from py_clob_client_v2.constants import BYTES32_ZERO
from py_clob_client_v2.headers.headers import create_level_2_headers
from py_clob_client_v2.order_utils.exchange_order_builder_v2 import ExchangeOrderBuilderV2
from py_clob_client_v2.order_utils.model.order_data_v2 import OrderDataV2, SignedOrderV2, order_to_json_v2
from py_clob_client_v2.order_utils.model.side import Side as SdkSide
from py_clob_client_v2.order_utils.model.signature_type_v2 import SignatureTypeV2
from py_clob_client_v2.signer import Signer

from hourmm_common.errors import VenueRejected
from polymarket_trader.core.events import OrderTerms, OrderType, Side, WithTerms

POLYGON_CHAIN_ID = 137
_SHARE_CENT_E6 = 10_000  # sizes are whole hundredths of a share on the venue


class SigningError(VenueRejected):
    """The order cannot be signed as asked (off-grid price, size too small): never sent."""


class OrderSpec(msgspec.Struct, WithTerms, frozen=True, kw_only=True):
    """What the signer needs: the order's `terms` as decided, the venue's token id for its token,
    and the tick and neg-risk flag passed explicitly (never from a cache)."""

    token_id: str
    terms: OrderTerms
    tick_e4: int
    neg_risk: bool = False


class SignedOrder(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str  # 0x EIP-712 hash: the venue's order id
    body: dict[str, object]  # one element of POST /order(s), ready for compact JSON
    maker_amount: int
    taker_amount: int


def order_amounts(side: Side, price_e4: int, size_e6: int, order_type: OrderType, tick_e4: int) -> tuple[int, int]:
    """(makerAmount, takerAmount) in 1e-6 units, exact.

    Limit orders (GTD/GTC): BUY gives `size * price` pUSD for `size` shares, SELL the reverse.
    Marketable FAK orders follow the venue's market-order precision (pUSD side in cents, the
    share side rounded down to the tick's amount decimals).
    """
    size_e6 -= size_e6 % _SHARE_CENT_E6
    if size_e6 <= 0:
        raise SigningError("size rounds to zero shares")
    notional = size_e6 * price_e4 // 10_000  # exact: size is whole cents of a share
    if order_type is not OrderType.FAK:
        return (notional, size_e6) if side is Side.BUY else (size_e6, notional)
    amount_unit = 10 ** (6 - _amount_decimals(tick_e4))
    if side is Side.BUY:
        maker = notional - notional % _SHARE_CENT_E6
        taker = maker * 10_000 // price_e4
        return maker, taker - taker % amount_unit
    return size_e6, notional - notional % amount_unit


def _amount_decimals(tick_e4: int) -> int:
    return {1000: 3, 100: 4, 10: 5, 1: 6}[tick_e4]


def check_price(price_e4: int, tick_e4: int) -> None:
    if tick_e4 not in (1000, 100, 10, 1):
        raise SigningError(f"tick {tick_e4}e-4 is not a venue tick size")
    if price_e4 % tick_e4 or not tick_e4 <= price_e4 <= 10_000 - tick_e4:
        raise SigningError(f"price {price_e4}e-4 is off the {tick_e4}e-4 grid or outside [tick, 1 - tick]")


class OrderSigner:
    """Signs V2 orders for one account (signature type 0-3; type 3 = deposit wallet, maker = funder)."""

    def __init__(self, *, private_key: str, signature_type: int = 0, funder: str | None = None,
                 chain_id: int = POLYGON_CHAIN_ID, owner: str = "",
                 salt: Callable[[], int] | None = None) -> None:
        self._signer = Signer(private_key, chain_id)
        # Parse the key once: given a hex string, eth-account re-derives the public key on every
        # signature (about half the cost of signing without a native secp256k1 backend).
        self._signer.private_key = PrivateKey(bytes.fromhex(private_key.removeprefix("0x")))
        self.signature_type = SignatureTypeV2(signature_type)
        if self.signature_type is not SignatureTypeV2.EOA and not funder:
            raise ValueError("signature types 1-3 need the funder (proxy or deposit wallet) address")
        self.funder = funder or self._signer.address()
        self.owner = owner
        self._salt = salt or (lambda: secrets.randbelow(2**48))
        contracts = get_contract_config(chain_id)
        self._builders = {
            neg: ExchangeOrderBuilderV2(contracts.neg_risk_exchange_v2 if neg else contracts.exchange_v2,
                                        chain_id, self._signer)
            for neg in (False, True)
        }

    @property
    def address(self) -> str:
        """The signing EOA (sent as POLY_ADDRESS)."""
        return str(self._signer.address())

    @property
    def order_signer(self) -> str:
        """The `signer` field of our orders: the funder for a deposit wallet, else the EOA."""
        return self.funder if self.signature_type is SignatureTypeV2.POLY_1271 else self.address

    def sign(self, spec: OrderSpec, *, timestamp_ms: int) -> SignedOrder:
        check_price(spec.price_e4, spec.tick_e4)
        if spec.order_type is OrderType.FAK and (spec.post_only or spec.expiration_s):
            raise SigningError("a FAK order is never post-only and has no expiration")
        maker, taker = order_amounts(spec.side, spec.price_e4, spec.size_e6, spec.order_type, spec.tick_e4)
        builder = self._builders[spec.neg_risk]
        data = OrderDataV2(
            maker=self.funder, tokenId=spec.token_id, makerAmount=str(maker), takerAmount=str(taker),
            side=SdkSide.BUY if spec.side is Side.BUY else SdkSide.SELL, signer=self.order_signer,
            signatureType=self.signature_type, timestamp=str(timestamp_ms), metadata=BYTES32_ZERO,
            builder=BYTES32_ZERO, expiration=str(spec.expiration_s))
        order = dataclasses.replace(builder.build_order(data), salt=str(self._salt()))
        typed = builder.build_order_typed_data(order)
        signed = SignedOrderV2(**{**dataclasses.asdict(order), "signature": builder.build_order_signature(typed)})
        body = order_to_json_v2(signed, self.owner, spec.order_type.value, spec.post_only, False)
        return SignedOrder(order_id=builder.build_order_hash(typed), body=body, maker_amount=maker,
                           taker_amount=taker)


class L2Auth:
    """The L2 HMAC headers of every authenticated CLOB call (the SDK's own function)."""

    def __init__(self, *, address_signer: OrderSigner, api_key: str, api_secret: str, api_passphrase: str) -> None:
        self._signer = address_signer._signer
        self._creds = ApiCreds(api_key=api_key, api_secret=api_secret, api_passphrase=api_passphrase)

    @property
    def api_key(self) -> str:
        return str(self._creds.api_key)

    def headers(self, method: str, path: str, body: str | None, timestamp_s: int) -> dict[str, str]:
        """`path` without the query string; `body` the exact bytes sent (compact JSON) or None."""
        args = RequestArgs(method=method, request_path=path, body=None, serialized_body=body)
        return dict(create_level_2_headers(self._signer, self._creds, args, timestamp=timestamp_s))
