"""Polymarket authentication, checked by the venue with its own code (house rule 19).

- L1: the `ClobAuth` EIP-712 signature (domain `ClobAuthDomain` v1) on `POST /auth/api-key` and
  `GET /auth/derive-api-key`: recover the address from `POLY_SIGNATURE`.
- L2: `POLY_SIGNATURE = urlsafe_b64(HMAC_SHA256(urlsafe_b64decode(secret), ts + METHOD + path + body))`,
  the path without its query string, the body as the exact bytes sent.
- Orders: the CLOB V2 EIP-712 `Order` hash (which is also the order id) and its signature, for
  signature types 0/1/2 (an ECDSA signature by the EOA) and 3 (POLY_1271: an ERC-1271 deposit
  wallet; the wrapped ECDSA signature must recover to the wallet's registered owner).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

CHAIN_ID = 137
EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"

ORDER_TYPE = ("Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,"
              "uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)")
DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
TYPED_DATA_SIGN_TYPE = ("TypedDataSign(Order contents,string name,string version,uint256 chainId,"
                        "address verifyingContract,bytes32 salt)" + ORDER_TYPE)
CLOB_AUTH_TYPE = "ClobAuth(address address,string timestamp,uint256 nonce,string message)"
CLOB_AUTH_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId)"
CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet"

_ORDER_TYPEHASH = keccak(text=ORDER_TYPE)
_DOMAIN_TYPEHASH = keccak(text=DOMAIN_TYPE)
_TDS_TYPEHASH = keccak(text=TYPED_DATA_SIGN_TYPE)


class AuthError(Exception):
    """Authentication failed; `message` is the venue's error text."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _b32(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x").zfill(64))


def domain_separator(chain_id: int = CHAIN_ID, exchange: str = EXCHANGE_V2, version: str = "2") -> bytes:
    return keccak(abi_encode(
        ["bytes32", "bytes32", "bytes32", "uint256", "address"],
        [_DOMAIN_TYPEHASH, keccak(text="Polymarket CTF Exchange"), keccak(text=version), chain_id, exchange],
    ))


def order_struct_hash(order: dict[str, object]) -> bytes:
    """keccak of the ABI-encoded V2 `Order` (fields as the POST /order JSON carries them)."""
    side = order["side"]
    side_int = 0 if side in ("BUY", 0) else 1
    return keccak(abi_encode(
        ["bytes32", "uint256", "address", "address", "uint256", "uint256", "uint256", "uint8", "uint8",
         "uint256", "bytes32", "bytes32"],
        [_ORDER_TYPEHASH, int(str(order["salt"])), str(order["maker"]), str(order["signer"]),
         int(str(order["tokenId"])), int(str(order["makerAmount"])), int(str(order["takerAmount"])), side_int,
         int(str(order["signatureType"])), int(str(order["timestamp"])), _b32(str(order["metadata"])),
         _b32(str(order["builder"]))],
    ))


def order_digest(order: dict[str, object], domain: bytes) -> bytes:
    return keccak(b"\x19\x01" + domain + order_struct_hash(order))


def order_id(order: dict[str, object], domain: bytes | None = None) -> str:
    """The order id the venue reports: 0x + the EIP-712 hash of the signed order."""
    return "0x" + order_digest(order, domain or domain_separator()).hex()


def recover_order_signer(order: dict[str, object], domain: bytes, chain_id: int = CHAIN_ID) -> str:
    """The EOA behind the order's signature (checksummed). For POLY_1271 this is the key that
    signed on behalf of the deposit wallet (`signer`). Raises AuthError on a malformed one."""
    sig_hex = str(order.get("signature", "")).removeprefix("0x")
    try:
        sig = bytes.fromhex(sig_hex)
    except ValueError as exc:
        raise AuthError("invalid order signature", 400) from exc
    if int(str(order["signatureType"])) != 3:
        if len(sig) != 65:
            raise AuthError("invalid order signature", 400)
        return str(Account._recover_hash(order_digest(order, domain), signature=sig))
    # ERC-7739 (Solady) nested typed data: inner sig | app domain | contents hash | type | len
    if len(sig) < 65 + 64 + 2:
        raise AuthError("invalid order signature", 400)
    inner, app_domain, contents = sig[:65], sig[65:97], sig[97:129]
    type_len = int.from_bytes(sig[-2:], "big")
    contents_type = sig[129:-2]
    if len(contents_type) != type_len or contents_type.decode("utf-8", "replace") != ORDER_TYPE:
        raise AuthError("invalid order signature", 400)
    if app_domain != domain or contents != order_struct_hash(order):
        raise AuthError("invalid order signature", 400)
    wallet = to_checksum_address(str(order["signer"]))
    tds = keccak(abi_encode(
        ["bytes32", "bytes32", "bytes32", "bytes32", "uint256", "address", "bytes32"],
        [_TDS_TYPEHASH, contents, keccak(text="DepositWallet"), keccak(text="1"), chain_id, wallet, b"\x00" * 32],
    ))
    return str(Account._recover_hash(keccak(b"\x19\x01" + app_domain + tds), signature=inner))


def clob_auth_signer(address: str, timestamp: str, nonce: int, signature: str, chain_id: int = CHAIN_ID) -> str:
    """Recover the address that signed an L1 `ClobAuth` message."""
    domain = keccak(abi_encode(["bytes32", "bytes32", "bytes32", "uint256"],
                               [keccak(text=CLOB_AUTH_DOMAIN_TYPE), keccak(text="ClobAuthDomain"), keccak(text="1"),
                                chain_id]))
    struct = keccak(abi_encode(["bytes32", "address", "bytes32", "uint256", "bytes32"],
                               [keccak(text=CLOB_AUTH_TYPE), address, keccak(text=timestamp), nonce,
                                keccak(text=CLOB_AUTH_MESSAGE)]))
    try:
        return str(Account._recover_hash(keccak(b"\x19\x01" + domain + struct),
                                         signature=bytes.fromhex(signature.removeprefix("0x"))))
    except Exception as exc:  # malformed signatures come in every shape
        raise AuthError("Invalid L1 Request headers") from exc


def hmac_signature(secret: str, timestamp: str, method: str, path: str, body: str) -> str:
    key = base64.urlsafe_b64decode(secret)
    digest = hmac.new(key, f"{timestamp}{method}{path}{body}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


def hmac_matches(secret: str, timestamp: str, method: str, path: str, body: str, signature: str) -> bool:
    try:
        expected = hmac_signature(secret, timestamp, method, path, body)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expected, signature)
