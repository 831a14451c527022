"""The CLOB's admission vocabulary: its configuration, an order request as the engine sees it,
the answer to a placement, the venue's real error texts, the checks of an order's own fields
(price on the tick grid, expiration, order type, minimum size), and the arithmetic of order
amounts and taker fees. Pure data and functions; `clob.py` applies them."""

from __future__ import annotations

import msgspec

from hourmm_sim.polymarket.matching import BUY, RestingOrder
from hourmm_sim.polymarket.units import ONE, fmt_tick, fmt_units, mul_units

CANCEL_ONLY_MSG = "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed."
NOT_ENOUGH = "not enough balance / allowance"
POST_ONLY_CROSS = "invalid post-only order: order crosses book"
FOK_KILLED = "order couldn't be fully filled. FOK orders are fully filled or killed."
FAK_EMPTY = "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found."
NOT_READY = "the market is not yet ready to process new orders"
ALREADY_DONE = "already canceled or matched"


class ClobConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    mined_delay_ms: int = 2_000
    confirmed_delay_ms: int = 6_000
    gtd_margin_ms: int = 60_000          # a GTD order is cancelled this long before `expiration`
    deadman_ms: int = 10_000
    resolve_delay_ms: int = 60_000       # after the hour's end
    tight_tick_below_u: int = 40_000     # last trade outside [0.04, 0.96] -> tick 0.001
    tight_tick_u: int = 1_000
    seed: str = "hourmm"


class OrderRequest(msgspec.Struct, frozen=True, kw_only=True):
    """An order whose signature the edge has verified, in engine units."""

    order_id: str
    owner: str
    holder: str
    maker_address: str
    token_id: str
    side: int
    price_u: int
    size_u: int
    order_type: str = "GTC"
    expiration_s: int = 0
    post_only: bool = False


class PlaceResult(msgspec.Struct, frozen=True, kw_only=True):
    success: bool
    order_id: str
    error: str = ""
    http_status: int = 200
    status: str = ""          # live | matched | unmatched
    making_u: int = 0
    taking_u: int = 0
    trade_ids: tuple[str, ...] = ()
    tx_hashes: tuple[str, ...] = ()


def order_from_amounts(side: int, maker_amount: int, taker_amount: int) -> tuple[int, int]:
    """(price_u, size_u) from a signed order's amounts: BUY gives pUSD for shares, SELL the
    reverse. The price is rounded to the nearest micro unit (the SDK's own rounding)."""
    if maker_amount <= 0 or taker_amount <= 0:
        raise ValueError("amounts must be positive")
    if side == BUY:
        return (maker_amount * ONE + taker_amount // 2) // taker_amount, taker_amount
    return (taker_amount * ONE + maker_amount // 2) // maker_amount, maker_amount


def taker_fee_u(size_u: int, price_u: int, rate_e5: int, exponent: int) -> int:
    """fee = shares x rate x (p (1 - p))^exponent, in micro pUSD, floored."""
    if rate_e5 == 0:
        return 0
    pq = price_u * (ONE - price_u)
    scale = 100_000 * ONE ** (2 * exponent)
    return int(size_u * rate_e5 * pq**exponent // scale)


def request_error(req: OrderRequest, tick_u: int, now_ms: int, gtd_margin_ms: int) -> str | None:
    """What is wrong with the order's own fields, whatever the book: the venue's error text."""
    if req.order_type in ("FAK", "FOK"):
        # Market orders follow market-order precision (pUSD to cents, shares to the tick's amount
        # decimals), so their implied price is a worst price near, not on, the grid.
        bad_price = not 0 < req.price_u < ONE
    else:
        bad_price = req.price_u % tick_u != 0 or not tick_u <= req.price_u <= ONE - tick_u
    if bad_price:
        return (f"order {req.order_id} is invalid. Price ({fmt_units(req.price_u)}) breaks minimum "
                f"tick size rule: {fmt_tick(tick_u)}")
    if req.order_type == "GTD" and req.expiration_s * 1000 < now_ms + gtd_margin_ms:
        return "invalid expiration"
    if req.order_type != "GTD" and req.expiration_s != 0:
        return "invalid expiration"
    if req.post_only and req.order_type not in ("GTC", "GTD"):
        return "Invalid order payload"
    if req.order_type not in ("GTC", "GTD", "FOK", "FAK"):
        return "Invalid order payload"
    return None


def size_error(order: RestingOrder, min_size_u: int, crosses: bool) -> str | None:
    """Resting orders need the minimum size (5 shares); a marketable BUY needs $1 notional."""
    if crosses and order.side == BUY:
        notional = mul_units(order.size_u, order.price_u)
        if notional < ONE:
            return f"invalid amount for a marketable BUY order (${fmt_units(notional)}), min size: $1"
        return None
    if crosses or order.order_type in ("FOK", "FAK"):
        return None
    if order.size_u < min_size_u:
        return (f"order {order.order_id} is invalid. Size ({fmt_units(order.size_u)}) lower than the "
                f"minimum: {fmt_units(min_size_u)}")
    return None


def limit_price_u(req: OrderRequest, tick_u: int) -> int:
    """The order's limit on the tick grid: a market order's off-grid implied price rounds to the
    nearest tick (inside [tick, 1 - tick]), as the venue reports it on the user channel."""
    if req.order_type not in ("FAK", "FOK") or req.price_u % tick_u == 0:
        return req.price_u
    nearest = (req.price_u + tick_u // 2) // tick_u * tick_u
    return min(max(nearest, tick_u), ONE - tick_u)
