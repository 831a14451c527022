"""The venue's own books of account: the truth that tests compare a trader's positions against.

Balances are kept per (holder address, asset) in micro units; asset `PUSD` is the collateral,
any other asset is a CTF outcome token id. Three buckets per balance:
- `balance`: settled and owned (includes what is reserved);
- `reserved`: the part locked by resting orders (BUY locks pUSD, SELL locks shares);
- `pending`: credits of a matched trade that is not mined yet (not spendable; a FAILED trade
  removes them, a MINED one moves them into `balance`). This is the settlement delay that stops
  just-bought shares from being sold at once.

Conservation (checked by `check_conservation`): pUSD held by everyone (settled + pending) plus
the collateral locked in complete sets equals all deposits; each token's supply equals the
number of complete sets of its market. Pure and synchronous; the caller supplies ids.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from hourmm_common.errors import InvariantViolation

PUSD = "PUSD"
FEES_ADDRESS = "0xfee0000000000000000000000000000000000000"


class InsufficientFunds(Exception):
    """A debit or reservation larger than what the holder has free."""


@dataclass(slots=True)
class TradeSettlement:
    """What one trade moved, so that a FAILED trade can be reversed exactly."""

    debits: list[tuple[str, str, int]] = field(default_factory=list)   # (holder, asset, amount)
    credits: list[tuple[str, str, int]] = field(default_factory=list)  # credited to pending
    sets_delta: dict[str, int] = field(default_factory=dict)            # market -> minted(+)/merged(-)
    mined: bool = False


class Ledger:
    """Per-holder balances with reservations, pending credits and complete-set accounting."""

    def __init__(self) -> None:
        self.balance: dict[tuple[str, str], int] = defaultdict(int)
        self.reserved: dict[tuple[str, str], int] = defaultdict(int)
        self.pending: dict[tuple[str, str], int] = defaultdict(int)
        self.sets: dict[str, int] = defaultdict(int)          # market -> complete sets outstanding
        self.market_tokens: dict[str, tuple[str, str]] = {}   # market -> (up token, down token)
        self.deposits_u = 0
        self.settlements: dict[str, TradeSettlement] = {}
        self.allowance: dict[str, int] = {}  # holder -> pUSD the exchange may pull (absent: unlimited)

    # --- funding and queries -------------------------------------------------------------
    def register_market(self, market: str, up_token: str, down_token: str) -> None:
        self.market_tokens[market] = (up_token, down_token)

    def deposit(self, holder: str, amount_u: int) -> None:
        self.balance[(holder, PUSD)] += amount_u
        self.deposits_u += amount_u

    def available(self, holder: str, asset: str) -> int:
        key = (holder, asset)
        return self.balance.get(key, 0) - self.reserved.get(key, 0)

    def total(self, holder: str, asset: str) -> int:
        key = (holder, asset)
        return self.balance.get(key, 0) + self.pending.get(key, 0)

    # --- reservations --------------------------------------------------------------------
    def reserve(self, holder: str, asset: str, amount_u: int) -> None:
        if amount_u > self.available(holder, asset):
            raise InsufficientFunds(f"{holder} {asset}")
        limit = self.allowance.get(holder) if asset == PUSD else None
        if limit is not None and self.reserved.get((holder, asset), 0) + amount_u > limit:
            raise InsufficientFunds(f"{holder} allowance")
        self.reserved[(holder, asset)] += amount_u

    def release(self, holder: str, asset: str, amount_u: int) -> None:
        key = (holder, asset)
        if amount_u > self.reserved.get(key, 0):
            raise InvariantViolation(f"release beyond reservation: {key}")
        self.reserved[key] -= amount_u

    # --- trades --------------------------------------------------------------------------
    def settle_match(self, trade_id: str, settlement: TradeSettlement) -> None:
        """Apply a match: debits leave `balance` (from a reservation the caller released) now,
        credits wait in `pending` until the trade is mined."""
        for holder, asset, amount in settlement.debits:
            key = (holder, asset)
            if amount > self.balance.get(key, 0) - self.reserved.get(key, 0):
                raise InvariantViolation(f"debit beyond free balance: {key} {amount}")
            self.balance[key] -= amount
        for holder, asset, amount in settlement.credits:
            self.pending[(holder, asset)] += amount
        for market, delta in settlement.sets_delta.items():
            self.sets[market] += delta
        self.settlements[trade_id] = settlement

    def mine(self, trade_id: str) -> None:
        s = self.settlements[trade_id]
        if s.mined:
            return
        for holder, asset, amount in s.credits:
            self.pending[(holder, asset)] -= amount
            self.balance[(holder, asset)] += amount
        s.mined = True

    def fail(self, trade_id: str) -> None:
        """Reverse an unmined trade exactly: debits come back free, pending credits vanish."""
        s = self.settlements.pop(trade_id)
        if s.mined:
            raise InvariantViolation(f"cannot fail a mined trade {trade_id}")
        for holder, asset, amount in s.credits:
            self.pending[(holder, asset)] -= amount
        for holder, asset, amount in s.debits:
            self.balance[(holder, asset)] += amount
        for market, delta in s.sets_delta.items():
            self.sets[market] -= delta

    # --- resolution ----------------------------------------------------------------------
    def resolve(self, market: str, winner_index: int) -> dict[str, int]:
        """Redeem every holder's tokens of `market`: the winning token pays 1 pUSD a share.
        Pending credits must have been mined first. Returns the payout per holder."""
        tokens = self.market_tokens[market]
        payouts: dict[str, int] = {}
        for key in [k for k in self.pending if k[1] in tokens and self.pending[k]]:
            raise InvariantViolation(f"resolving with pending credits: {key}")
        for (holder, asset), amount in list(self.balance.items()):
            if asset not in tokens or amount == 0:
                continue
            self.balance[(holder, asset)] = 0
            self.reserved[(holder, asset)] = 0
            if asset == tokens[winner_index]:
                self.balance[(holder, PUSD)] += amount
                payouts[holder] = payouts.get(holder, 0) + amount
        self.sets[market] = 0
        return payouts

    # --- invariants ----------------------------------------------------------------------
    def check_conservation(self) -> None:
        """Raise InvariantViolation unless pUSD + locked collateral == deposits, and every
        token's supply (settled + pending) equals its market's complete sets."""
        pusd = sum(v for (_, a), v in self.balance.items() if a == PUSD)
        pusd += sum(v for (_, a), v in self.pending.items() if a == PUSD)
        locked = sum(self.sets.values())
        if pusd + locked != self.deposits_u:
            raise InvariantViolation(f"pUSD {pusd} + sets {locked} != deposits {self.deposits_u}")
        supply: dict[str, int] = defaultdict(int)
        for store in (self.balance, self.pending):
            for (_, asset), value in store.items():
                if asset != PUSD:
                    supply[asset] += value
        for market, (up, down) in self.market_tokens.items():
            if not supply[up] == supply[down] == self.sets[market]:
                raise InvariantViolation(f"{market}: up {supply[up]} down {supply[down]} sets {self.sets[market]}")
        for key, value in self.reserved.items():
            if value < 0 or value > self.balance.get(key, 0):
                raise InvariantViolation(f"reservation out of range: {key}")
