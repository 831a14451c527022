"""What one price level of a match moves in the ledger.

A taker meets one or more makers at one Up-space price. Each side gives what it sold (pUSD for a
BUY, shares for a SELL; taken from its reservation) and gets, as a pending credit, what it
bought. Complements add the set accounting: two BUYs mint complete sets, two SELLs merge them.
The maker's amount is floored to a micro unit and the taker's is the rest of the set's 1 pUSD,
so a mint or merge conserves exactly. The taker pays the fee (BUY: on top; SELL: out of the
proceeds) to the operator's account.
"""

from __future__ import annotations

from dataclasses import dataclass

from hourmm_sim.polymarket.clob_events import MakerFill, MarketSpec
from hourmm_sim.polymarket.clob_rules import taker_fee_u
from hourmm_sim.polymarket.ledger import FEES_ADDRESS, PUSD, Ledger, TradeSettlement
from hourmm_sim.polymarket.matching import BUY, UP, Fill, RestingOrder
from hourmm_sim.polymarket.units import ONE, mul_units


@dataclass(slots=True, frozen=True)
class LevelSettlement:
    settlement: TradeSettlement
    makers: tuple[MakerFill, ...]
    size_u: int          # shares the taker traded at this level
    taker_price_u: int   # the level's price in the taker's token


def _leg(ledger: Ledger, s: TradeSettlement, order: RestingOrder, size_u: int, pusd_u: int, spec: MarketSpec) -> None:
    """The order's side of a fill: a debit (released from its reservation) and a pending credit."""
    token = spec.token_ids()[order.token]
    if order.side == BUY:
        give_asset, give, get_asset, get = PUSD, pusd_u, token, size_u
    else:
        give_asset, give, get_asset, get = token, size_u, PUSD, pusd_u
    release = min(order.reserved_u, give)
    ledger.release(order.holder, give_asset, release)
    order.reserved_u -= release
    s.debits.append((order.holder, give_asset, give))
    s.credits.append((order.holder, get_asset, get))


def settle_level(ledger: Ledger, spec: MarketSpec, taker: RestingOrder, fills: list[Fill]) -> LevelSettlement:
    """The ledger movements of `fills` (all at one price); reservations are released here, the
    caller applies the settlement with `Ledger.settle_match`."""
    up_price = fills[0].up_price_u
    taker_price = up_price if taker.token == UP else ONE - up_price
    settlement = TradeSettlement()
    makers: list[MakerFill] = []
    total = 0
    taker_pusd = 0
    for fill in fills:
        maker = fill.maker
        maker_pusd = mul_units(fill.size_u, maker.price_u)
        if maker.side == taker.side:  # complements: mint (both BUY) or merge (both SELL)
            taker_pusd += fill.size_u - maker_pusd
            delta = fill.size_u if taker.side == BUY else -fill.size_u
            settlement.sets_delta[spec.condition_id] = settlement.sets_delta.get(spec.condition_id, 0) + delta
        else:
            taker_pusd += maker_pusd
        _leg(ledger, settlement, maker, fill.size_u, maker_pusd, spec)
        total += fill.size_u
        makers.append(MakerFill(order_id=maker.order_id, owner=maker.owner, maker_address=maker.maker_address,
                                matched_u=fill.size_u, price_u=maker.price_u, token=maker.token, side=maker.side))
    _leg(ledger, settlement, taker, total, taker_pusd, spec)
    fee = taker_fee_u(total, taker_price, spec.fee_rate_e5, spec.fee_exponent)
    if fee:
        if taker.side == BUY:
            settlement.debits.append((taker.holder, PUSD, fee))
        else:
            holder, asset, amount = settlement.credits[-1]
            settlement.credits[-1] = (holder, asset, amount - fee)
        settlement.credits.append((FEES_ADDRESS, PUSD, fee))
    return LevelSettlement(settlement=settlement, makers=tuple(makers), size_u=total, taker_price_u=taker_price)
