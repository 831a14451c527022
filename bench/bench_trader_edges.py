"""Trader edges: the per-message cost of the hot paths that sit between the venue and the reducer.

Figures: a current-format `price_change` frame (3 levels) and a full recorded `book` snapshot
through the market translator (decode + L2 book + top-of-book diff); a recorded multi-maker
`trade` through the user translator (decode + attribution); signing one V2 order (EOA and
deposit wallet: this bounds how fast a 15-order batch can be built); the L2 HMAC headers of one
call. Targets are per-message budgets well inside a 50 Hz decision loop's 20 ms.
"""

from __future__ import annotations

import json
import time
from typing import Any

from hourmm_common.paths import fixtures_dir
from polymarket_trader.core.events import FeeSchedule, MarketInfo, OrderTerms, Side, Token
from polymarket_trader.market_ws import MarketTranslator
from polymarket_trader.signing import L2Auth, OrderSigner, OrderSpec
from polymarket_trader.user_ws import UserTranslator

PM = fixtures_dir() / "polymarket"
KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # public test key
YES = "21742633143463906290569050155826241533067272736897614950488156847949938836455"
NO = "48331043336612883890938759509493159234755048973500640148014422747788308965732"


def _row(name: str, value: float, unit: str, target: str) -> dict[str, Any]:
    print(f"{name} | {value:.4g} {unit} | {target}")
    return {"name": name, "value": round(value, 4), "unit": unit, "target": target}


def _per_call_us(n: int, fn: Any) -> float:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for i in range(n):
            fn(i)
        best = min(best, (time.perf_counter() - t) / n)
    return best * 1e6


def _market(up: str, down: str) -> MarketInfo:
    return MarketInfo(condition_id="0xdd22", question="q", slug="s", hour_start_ms=0, hour_end_ms=3_600_000,
                      up_token_id=up, down_token_id=down, tick_e4=10, min_size_e6=5_000_000, neg_risk=False,
                      fees=FeeSchedule(enabled=False, rate_bps=0))


def main() -> list[dict[str, Any]]:
    rows = []
    book = json.loads((PM / "market_ws/book.json").read_text())
    up = book["asset_id"]
    market = MarketTranslator()
    market.set_market(_market(up, "other"))
    market.frame_to_events(json.dumps(book), 0)
    # alternate two sizes at the best levels so every frame changes the top (worst case: an event each)
    frames = [json.dumps({"event_type": "price_change", "market": "m", "timestamp": "1", "price_changes": [
        {"asset_id": up, "price": book["bids"][-1]["price"], "size": str(100 + k), "side": "BUY"},
        {"asset_id": up, "price": "0.3", "size": str(7 + k), "side": "BUY"},
        {"asset_id": up, "price": book["asks"][-1]["price"], "size": str(50 + k), "side": "SELL"}]}).encode()
        for k in (0, 1)]
    rows.append(_row("market_ws price_change (3 levels) -> events", _per_call_us(
        20_000, lambda i: market.frame_to_events(frames[i & 1], i)), "us/frame", "< 50 us/frame"))
    raw_book = (PM / "market_ws/book.json").read_bytes()
    book_levels = len(book["bids"]) + len(book["asks"])
    rows.append(_row(f"market_ws book snapshot ({book_levels} levels) -> events", _per_call_us(
        2_000, lambda i: market.frame_to_events(raw_book, i)), "us/frame", "< 500 us/frame"))
    user = UserTranslator(funder="0xa3D82Ed56F4c68d2328Fb8c29e568Ba2cAF7d7c8", api_key="x")
    user.set_market(_market(YES, NO))
    trade = (PM / "user_ws/trade_maker_mined_multi_maker.json").read_bytes()
    rows.append(_row("user_ws trade (6 makers) -> attributed fills", _per_call_us(
        10_000, lambda i: user.frame_to_events(trade, i)), "us/frame", "< 100 us/frame"))
    for label, signer in (("EOA", OrderSigner(private_key=KEY)),
                          ("deposit wallet", OrderSigner(private_key=KEY, signature_type=3,
                                                         funder="0x70997970C51812dc3A010C7d01b50e0d17dc79C8"))):
        spec = OrderSpec(token_id=YES, terms=OrderTerms(token=Token.UP, side=Side.BUY, price_e4=5150, size_e6=5_000_000,
                                                        expiration_s=1_800_000_000), tick_e4=10)
        us = _per_call_us(200, lambda i, s=signer, sp=spec: s.sign(sp, timestamp_ms=1_760_000_000_000 + i))
        rows.append(_row(f"sign one V2 order ({label})", us / 1000, "ms/order", "< 5 ms/order"))
    auth = L2Auth(address_signer=OrderSigner(private_key=KEY), api_key="k", api_secret="a2V5a2V5a2V5a2V5",
                  api_passphrase="p")
    body = '{"orderID":"0x' + "ab" * 32 + '"}'
    rows.append(_row("L2 HMAC headers of one call", _per_call_us(
        20_000, lambda i: auth.headers("DELETE", "/order", body, 1_760_000_000 + i)), "us/call", "< 50 us/call"))
    return rows


if __name__ == "__main__":
    main()
