"""Local venue benchmarks: matching throughput, a simulated hour of background flow, and order
signature checks. Plain script: prints `name | value unit | target` lines; no timed asserts."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "sim" / "src"))

from hourmm_sim.polymarket import auth  # noqa: E402
from hourmm_sim.polymarket.clob import Clob  # noqa: E402
from hourmm_sim.polymarket.clob_rules import ClobConfig, OrderRequest  # noqa: E402
from hourmm_sim.polymarket.ledger import Ledger  # noqa: E402
from hourmm_sim.polymarket.markets import hourly_market  # noqa: E402
from hourmm_sim.polymarket.participants import Participants, ParticipantsConfig  # noqa: E402

HOUR0 = 1_748_872_800_000


def _clob() -> Clob:
    clob = Clob(ClobConfig(), Ledger())
    clob.add_market(hourly_market("bench", HOUR0))
    return clob


def bench_matching(n: int = 50_000) -> dict[str, Any]:
    """Random limit orders around 0.50 (about a third cross), GTC, on one market."""
    clob = _clob()
    spec = next(iter(clob.markets.values())).spec
    rng = random.Random(1)
    users = [f"u{i}" for i in range(20)]
    for u in users:
        clob.ledger.deposit(u, 10**15)
    orders = []
    for i in range(n):
        token = rng.randrange(2)
        price = rng.randint(40, 60) * 10_000
        orders.append(OrderRequest(order_id=f"0x{i:064x}", owner=f"k{i % 20}", holder=users[i % 20],
                                   maker_address=users[i % 20], token_id=spec.token_ids()[token], side=0,
                                   price_u=price, size_u=rng.randint(5, 50) * 1_000_000))
    t0 = time.perf_counter()
    for i, req in enumerate(orders):
        clob.place(req, HOUR0 + i)
        if i % 1000 == 0:
            clob.drain()
    elapsed = time.perf_counter() - t0
    return {"name": "venue_matching_orders_per_s", "value": round(n / elapsed), "unit": "orders/s",
            "target": ">= 5000"}


def bench_participant_hour() -> dict[str, Any]:
    """One hour of makers re-quoting and takers arriving, stepped every 250 ms, events drained."""
    clob = _clob()
    people = Participants(clob, lambda ts: 100_000.0 + 50.0 * ((ts // 60_000) % 9 - 4), ParticipantsConfig(), 7)
    t0 = time.perf_counter()
    for t in range(HOUR0, HOUR0 + 3_600_000, 250):
        people.step(t)
        clob.advance(t)
        clob.drain()
    elapsed = time.perf_counter() - t0
    return {"name": "venue_simulated_hour_wall_s", "value": round(elapsed, 3), "unit": "s", "target": "<= 2.0"}


def bench_signatures(n: int = 100) -> dict[str, Any]:
    from py_clob_client_v2.clob_types import CreateOrderOptions, OrderArgsV2
    from py_clob_client_v2.order_builder.builder import OrderBuilder
    from py_clob_client_v2.order_utils.model.order_data_v2 import order_to_json_v2
    from py_clob_client_v2.signer import Signer

    builder = OrderBuilder(Signer("0x" + "c3" * 32, 137), signature_type=3, funder="0x" + "de" * 20)
    signed = [order_to_json_v2(builder.build_order(OrderArgsV2(token_id="1", price=0.5, size=10, side="BUY"),
                                                   CreateOrderOptions(tick_size="0.01", neg_risk=False)),
                               "k", "GTC")["order"] for _ in range(n)]
    domain = auth.domain_separator()
    t0 = time.perf_counter()
    for order in signed:
        auth.recover_order_signer(order, domain)
        auth.order_id(order, domain)
    elapsed = time.perf_counter() - t0
    # pure-Python ECDSA recovery (no coincurve): plenty for one trader's few orders a second
    return {"name": "venue_order_signature_checks_per_s", "value": round(n / elapsed), "unit": "orders/s",
            "target": ">= 50"}


def main() -> list[dict[str, Any]]:
    results = [bench_matching(), bench_participant_hour(), bench_signatures()]
    for r in results:
        print(f"{r['name']} | {r['value']} {r['unit']} | {r['target']}")
    return results


if __name__ == "__main__":
    main()
