"""The backtest's HTML report: given a hand-made two-hour result, when rendered, then it holds its
seven well-formed, self-contained charts, breaks the book-mid line where there was no book, marks
the hours, escapes what it did not write itself, and an empty run still renders."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from hourmm_common.hours import HOUR_MS, parse_iso_ms
from hourmm_lab.backtest.metrics import HORIZONS_MS, HourResult, RunResult, Sample
from hourmm_lab.backtest.report import html_report
from hourmm_sim.polymarket.matching import DOWN, UP
from hourmm_sim.polymarket.units import ONE

HOUR = parse_iso_ms("2024-12-05T20:00:00Z")
SVG = "{http://www.w3.org/2000/svg}"


def an_hour(i: int, *, pnl: float, winner: int | None = UP) -> HourResult:
    return HourResult(hour_start_ms=HOUR + i * HOUR_MS, market=f"m{i}", winner=winner, fills=3, maker_fills=2,
                      volume_u=30 * ONE, fees_u=ONE // 10, cash_u=0, up_shares_u=5 * ONE, down_shares_u=2 * ONE,
                      pnl_u=int(pnl * ONE), adverse_u={z: -0.01 * ONE for z in HORIZONS_MS},
                      adverse_n={z: 3 for z in HORIZONS_MS}, mode_ms={"NORMAL": 3_600_000})


def a_result(*, hours: tuple[HourResult, ...] | None = None, timeline: tuple[Sample, ...] | None = None,
             mode_ms: dict[str, int] | None = None) -> RunResult:
    default_timeline = tuple(Sample(ts_ms=HOUR + m * 60_000, fair=0.5 + m / 1000,
                                    mid_u=None if 30 <= m < 40 else ONE // 2, net_up_u=m * ONE // 10)
                             for m in range(120))
    return RunResult(
        hours=(an_hour(0, pnl=1.5), an_hour(1, pnl=-0.5, winner=DOWN)) if hours is None else hours,
        total_pnl_u=ONE, total_fills=6, total_fees_u=ONE // 5, adverse_u={z: -0.01 * ONE for z in HORIZONS_MS},
        mode_ms={"NORMAL": 6_000_000, "WIND_DOWN": 1_200_000} if mode_ms is None else mode_ms, decisions=7_200,
        timeline=default_timeline if timeline is None else timeline)


def charts(page: str) -> list[ElementTree.Element]:
    return [ElementTree.fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S)]


def test_the_page_holds_seven_well_formed_self_contained_charts() -> None:
    page = html_report(a_result(), "backtest <x>", {"spread": "0.02 & more"})
    assert len(charts(page)) == 7 and "<script" not in page and not re.search(r"""(src|href)\s*=""", page)
    assert "<title>backtest &lt;x&gt;</title>" in page and "0.02 &amp; more" in page


def test_the_book_mid_breaks_where_there_was_no_book_and_the_hours_are_marked() -> None:
    price = charts(html_report(a_result(), "t", {}))[0]
    mid_runs = [el for el in price.iter(f"{SVG}polyline") if el.get("stroke") == "#ff7f0e"]
    assert [len(el.get("points", "").split()) for el in mid_runs] == [30, 80]
    labels = [el.text for el in price.iter(f"{SVG}text")]
    assert "20:00Z" in labels and "21:00Z" in labels


def test_an_empty_run_still_renders_every_chart() -> None:
    empty = a_result(hours=(), timeline=(), mode_ms={})
    assert len(charts(html_report(empty, "nothing", {}))) == 7
