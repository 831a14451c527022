"""Who may trade on the local venue: the scenario's users and the API keys they hold.

A user is an EOA (private key or address), a signature type, a funder (the address that holds
pUSD and positions: the EOA itself for type 0, a proxy/safe for 1/2, a deposit wallet for 3) and
an initial pUSD balance. API credentials are derived deterministically from the venue seed and
the address (or given in the scenario), so `create_or_derive_api_key()` returns the same creds
every time and a demo can hand them to the trader through its environment.
"""

from __future__ import annotations

import base64
import hashlib

import msgspec
from eth_account import Account
from eth_utils.address import to_checksum_address


class UserSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    private_key: str = ""
    address: str = ""
    signature_type: int = 0
    funder: str = ""
    initial_pusd: float = 0.0
    allowance_pusd: float | None = None  # pUSD approved to the exchange; None = unlimited
    api_key: str = ""
    api_secret: str = ""
    api_passphrase: str = ""

    def eoa(self) -> str:
        if self.private_key:
            return str(Account.from_key(self.private_key).address)
        return to_checksum_address(self.address)

    def funder_address(self) -> str:
        return to_checksum_address(self.funder) if self.funder else self.eoa()


class ApiCreds(msgspec.Struct, frozen=True, kw_only=True):
    api_key: str
    secret: str
    passphrase: str
    address: str  # the EOA the key belongs to (checksummed)


def derive_creds(seed: str, address: str, nonce: int = 0) -> ApiCreds:
    h = hashlib.sha256(f"{seed}:creds:{address.lower()}:{nonce}".encode()).digest()
    key = h[:16].hex()
    return ApiCreds(
        api_key=f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:32]}",
        secret=base64.urlsafe_b64encode(hashlib.sha256(h + b"secret").digest()).decode(),
        passphrase=hashlib.sha256(h + b"pass").hexdigest(),
        address=to_checksum_address(address),
    )


class Accounts:
    """API keys, and which funder addresses each EOA may trade for."""

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.by_key: dict[str, ApiCreds] = {}
        self.funders: dict[str, tuple[str, int]] = {}  # funder (lower) -> (owner EOA lower, sig type)
        self.users: dict[str, UserSpec] = {}

    def add_user(self, user: UserSpec) -> ApiCreds:
        eoa = user.eoa()
        self.users[user.name] = user
        self.funders[user.funder_address().lower()] = (eoa.lower(), user.signature_type)
        if user.api_key:
            creds = ApiCreds(api_key=user.api_key, secret=user.api_secret, passphrase=user.api_passphrase,
                             address=eoa)
        else:
            creds = derive_creds(self.seed, eoa)
        self.by_key[creds.api_key] = creds
        return creds

    def creds_for(self, address: str, nonce: int = 0) -> ApiCreds:
        """L1: the (deterministic) creds of an address; configured creds win."""
        for creds in self.by_key.values():
            if creds.address.lower() == address.lower() and nonce == 0:
                return creds
        creds = derive_creds(self.seed, address, nonce)
        self.by_key[creds.api_key] = creds
        return creds

    def may_trade_for(self, eoa: str, maker: str, signer: str, signature_type: int) -> str | None:
        """None if `eoa` (the API key's address) may sign this order, else the venue's error."""
        eoa_l, maker_l, signer_l = eoa.lower(), maker.lower(), signer.lower()
        if signature_type == 0:
            if signer_l != eoa_l:
                return "the order signer address has to be the address of the API KEY"
            if maker_l != signer_l:
                return "the order owner has to be the owner of the API KEY"
            return None
        if signature_type in (1, 2):
            if signer_l != eoa_l:
                return "the order signer address has to be the address of the API KEY"
            if self.funders.get(maker_l) != (eoa_l, signature_type):
                return "the order owner has to be the owner of the API KEY"
            return None
        if signature_type == 3:
            if signer_l != maker_l or self.funders.get(maker_l) != (eoa_l, 3):
                return "the order signer address has to be the address of the API KEY"
            return None
        return "Invalid order payload"
