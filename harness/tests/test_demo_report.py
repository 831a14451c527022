"""The demo's accounting and report, on hand-made venue records and status pages.

Given venue trades where we are the taker or one of the makers, when they are attributed and
summed per hour, then volume, cash, realised PnL (complete sets count at 1) and settled PnL (the
winner pays 1) come out exact; a FAILED trade counts for nothing; the venue's order outcomes land
in their market's hour; and the HTML report is self-contained.
"""

from __future__ import annotations

import re

import msgspec
import pytest

from hourmm_common.hours import HOUR_MS, iso_ms, parse_iso_ms
from hourmm_harness.demo import order_counts_by_hour, status_brief
from hourmm_harness.report import (
    DemoRecord,
    HourRow,
    ModeChange,
    OrderCounts,
    Sample,
    hour_rows,
    our_fills,
    render_html,
    summary_table,
)
from hourmm_harness.stack import paced_env
from hourmm_harness.status import decode_status

ME = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
OTHER = "0x1111111111111111111111111111111111111111"
HOUR = parse_iso_ms("2025-06-02T14:00:00Z")
MARKET = {"condition_id": "0xc1", "slug": "bitcoin-up-or-down-june-2-2025-10am-et", "start": "2025-06-02T14:00:00Z",
          "winner": "Up"}


def a_trade(*, taker: str = OTHER, makers: tuple[dict[str, str], ...] = (), status: str = "CONFIRMED",
            side: str = "BUY", outcome: str = "Up", price: str = "0.5", size: str = "10", t_s: int = 0,
            fee_rate_bps: str = "0") -> dict[str, object]:
    return {"id": f"t{t_s}", "market": "0xc1", "maker_address": taker, "side": side, "outcome": outcome,
            "price": price, "size": size, "status": status, "match_time": str(HOUR // 1000 + t_s),
            "fee_rate_bps": fee_rate_bps, "maker_orders": list(makers)}


def a_maker(*, address: str = ME, side: str = "BUY", outcome: str = "Down", price: str = "0.45",
            matched: str = "10") -> dict[str, str]:
    return {"maker_address": address, "side": side, "outcome": outcome, "price": price, "matched_amount": matched}


def test_fills_are_ours_as_taker_or_as_one_of_the_makers() -> None:
    trades = [a_trade(taker=ME.lower(), price="0.6", size="5", t_s=10, fee_rate_bps="700"),
              a_trade(makers=(a_maker(), a_maker(address=OTHER)), t_s=20),
              a_trade(t_s=30)]
    fills = our_fills(trades, ME)
    assert [(f.token, f.side, f.price, f.size) for f in fills] == [("Up", "BUY", 0.6, 5.0), ("Down", "BUY", 0.45, 10.0)]
    assert fills[0].fee == pytest.approx(5 * 0.07 * 0.6 * 0.4)  # takers pay size * rate * p * (1 - p)
    assert fills[1].fee == 0.0 and fills[1].t_ms == HOUR + 20_000


def test_an_hour_sums_cash_pairs_and_the_winning_shares() -> None:
    trades = [a_trade(makers=(a_maker(side="BUY", outcome="Up", price="0.55", matched="10"),), t_s=60),
              a_trade(makers=(a_maker(side="BUY", outcome="Down", price="0.40", matched="6"),), t_s=120),
              a_trade(makers=(a_maker(side="BUY", outcome="Down", price="0.30", matched="50"),), t_s=180,
                      status="FAILED")]
    counts = {HOUR: OrderCounts(placed=7, cancelled=4, expired=1, rejected=1)}
    [row] = hour_rows(our_fills(trades, ME), [MARKET], counts)
    assert (row.hour_id, row.fills, row.volume_shares) == (iso_ms(HOUR), 2, 16.0)
    assert row.notional_usdc == pytest.approx(5.5 + 2.4)
    assert row.realised_pnl_usdc == pytest.approx(-7.9 + 6)  # 6 complete sets are worth 6 whatever wins
    assert row.settled_pnl_usdc == pytest.approx(-7.9 + 10)  # Up won: 10 Up shares pay 10
    assert (row.max_inventory_shares, row.end_inventory_up, row.end_inventory_down) == (10.0, 10.0, 6.0)
    assert (row.placed, row.cancelled, row.expired, row.rejected) == (7, 4, 1, 1)


def test_an_unresolved_hour_has_no_settled_pnl_and_quiet_hours_no_row() -> None:
    quiet = {**MARKET, "condition_id": "0xc2", "start": iso_ms(HOUR + HOUR_MS)}
    trades = [a_trade(makers=(a_maker(),), t_s=5)]
    rows = hour_rows(our_fills(trades, ME), [{**MARKET, "winner": None}, quiet], {})
    assert [r.settled_pnl_usdc for r in rows] == [None]


def test_the_venues_order_outcomes_land_in_their_markets_hour() -> None:
    markets = [MARKET, {**MARKET, "condition_id": "0xc2", "start": iso_ms(HOUR + HOUR_MS)}]
    venue = {"0xc1": {"placed": 3, "cancelled": 1, "expired": 1, "rejected": 1},
             "0xc2": {"placed": 1, "cancelled": 0, "expired": 0, "rejected": 0},
             "0xother": {"placed": 9, "cancelled": 0, "expired": 0, "rejected": 0}}  # not a market of the run
    assert order_counts_by_hour(venue, markets) == {
        HOUR: OrderCounts(placed=3, cancelled=1, expired=1, rejected=1), HOUR + HOUR_MS: OrderCounts(placed=1)}


def test_the_summary_table_has_a_total_line_for_several_hours() -> None:
    rows = [HourRow(hour_id="2025-06-02T14:00:00Z", fills=2, settled_pnl_usdc=1.5, placed=3),
            HourRow(hour_id="2025-06-02T15:00:00Z", fills=1, settled_pnl_usdc=None, placed=2)]
    lines = summary_table(rows).splitlines()
    assert "settled" in lines[0] and len(lines) == 6
    assert lines[-1].split()[:2] == ["total", "3"] and lines[-1].split()[6] == "-"  # one hour unsettled


def test_the_report_is_one_self_contained_file() -> None:
    record = DemoRecord(scenario="default.json", speed=30, start_ms=HOUR - 120_000, end_ms=HOUR + HOUR_MS + 180_000,
                        samples=[Sample(t_ms=HOUR + i * 60_000, fair=0.5 + i / 200, band_lo=0.45, band_hi=0.6,
                                        best_bid=0.48, best_ask=0.52, inventory_up=float(i), pnl_usdc=-i / 10)
                                 for i in range(60)],
                        hours=[HourRow(hour_id="2025-06-02T14:00:00Z", market="m<script>", fills=3)],
                        mode_changes=[ModeChange(t_ms=HOUR, what="risk", old="HALT", new="NORMAL", reason="all_clear")],
                        faults=["14:15:00 venue injected kind=ws_drop"], ledger_line="ledger: MATCH")
    page = render_html(record)
    assert page.count("<svg") == 3 and "<polyline" in page and "<polygon" in page
    assert not re.search(r"""(src|href)\s*=""", page) and "<script" not in page
    assert "ledger: MATCH" in page and "HALT &rarr; NORMAL" in page and "ws_drop" in page


def a_status(**overrides: object) -> bytes:
    status: dict[str, object] = {
        "ts_ms": HOUR, "mode": "NORMAL", "mode_reason": "", "session": "ACTIVE", "market": None,
        "fair": {"p_yes_fair": 0.5634, "band_lo": 0.55, "band_hi": 0.57, "stale": False},
        "bbo": {"UP": {"bid_e4": 5500, "ask_e4": 5800}},
        "working_orders": [{"order_id": f"0x{i}", "token": "UP", "side": "BUY", "price_e4": 5500,
                            "size_e6": 10_000_000, "expiration_s": 0} for i in range(2)],
        "positions": {"up_e6": 5_000_000, "down_e6": 0, "usdc_e6": 0, "reserved_usdc_e6": 0},
        "pnl": {"equity_e6": None, "hour_pnl_e6": -12_300}, "extra_field_of_a_newer_trader": 1}
    return msgspec.json.encode({**status, **overrides})


def test_the_progress_line_reads_the_status_page() -> None:
    assert status_brief(decode_status(a_status())) == (
        "ACTIVE    NORMAL      fair 0.563 book 0.55/0.58 orders 2 Up 5 Down 0 hour PnL -0.01")


def test_a_status_page_that_breaks_the_contract_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="positions"):
        decode_status(a_status(positions={"up_e6": "5"}))


def test_accelerated_runs_slow_their_loops_to_a_production_wall_rate() -> None:
    pricer, trader = paced_env(30.0)
    assert pricer["SNAPSHOT_PUBLISH_HZ"] == "2" and trader["HOURMM_DECISION_TICK_HZ"] == "2"
    assert paced_env(1.0)[0]["SNAPSHOT_PUBLISH_HZ"] == "50"


def test_a_missing_value_breaks_the_line_instead_of_bridging_it() -> None:
    samples = [Sample(t_ms=HOUR + i * 60_000, our_bid=None if 10 <= i < 20 else 0.5) for i in range(30)]
    record = DemoRecord(scenario="s", speed=30, start_ms=HOUR, end_ms=HOUR + HOUR_MS, samples=samples)
    page = render_html(record)
    assert page.count('stroke="#bf8700"') == 2  # our bid: before and after the gap, not across it


def test_a_run_without_samples_still_renders_its_three_charts() -> None:
    page = render_html(DemoRecord(scenario="s", speed=30, start_ms=HOUR, end_ms=HOUR + HOUR_MS))
    assert page.count("<svg") == 3 and "<polyline" not in page and "14:00Z" in page
