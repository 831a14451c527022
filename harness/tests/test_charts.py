"""The chart renderer: given series with gaps, hostile labels, empty data or bars of both signs,
when drawn, then the SVG is well-formed and self-contained, gaps stay gaps, every text is
escaped, bars stand on the zero line, and the axes carry round values."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from hourmm_common.hours import HOUR_MS, parse_iso_ms
from hourmm_harness.charts import Band, Frame, Line, Marker, bar_chart, line_chart, time_markers

SVG = "{http://www.w3.org/2000/svg}"
HOUR = parse_iso_ms("2025-06-02T14:00:00Z")


def a_line(points: list[tuple[float, float | None]], *, label: str = "fair", color: str = "#1a7f37") -> Line:
    return Line(label=label, color=color, points=points)


def parsed(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def polylines(svg: str) -> list[list[tuple[float, float]]]:
    return [[(float(x), float(y)) for x, y in (p.split(",") for p in el.get("points", "").split())]
            for el in parsed(svg).iter(f"{SVG}polyline")]


def texts(svg: str) -> list[str]:
    return [el.text or "" for el in parsed(svg).iter(f"{SVG}text")]


def test_a_gap_breaks_the_line_instead_of_bridging_it() -> None:
    points: list[tuple[float, float | None]] = [(0, 0.1), (1, 0.2), (2, None), (3, float("nan")), (4, 0.4), (5, 0.5)]
    runs = polylines(line_chart([a_line(points)]))
    assert len(runs) == 2 and [len(r) for r in runs] == [2, 2]
    assert max(x for x, _ in runs[0]) < min(x for x, _ in runs[1])


def test_a_lone_point_between_gaps_draws_nothing_and_the_line_keeps_its_legend() -> None:
    svg = line_chart([a_line([(0, None), (1, 0.3), (2, None)], label="our bid")])
    assert polylines(svg) == [] and "our bid" in texts(svg)


def test_labels_units_titles_markers_and_colours_are_escaped() -> None:
    hostile = '<script>"a" & b</script>'
    svg = line_chart([a_line([(0, 1.0), (1, 2.0)], label=hostile, color='red" onload="x')],
                     Frame(unit=hostile, title=hostile, markers=[Marker(x=0.5, label=hostile)]),
                     Band(color="#2da44e", points=[(0, 0.5, 1.5), (1, 1.5, 2.5)], label=hostile))
    bars = bar_chart([1.0], Frame(unit=hostile), labels=[hostile])
    for out in (svg, bars):
        assert "<script" not in out and hostile in texts(out)  # the parser gives back exactly the text
        assert not any("onload" in el.attrib for el in parsed(out).iter())
    root = parsed(svg)
    assert root.findtext(f"{SVG}title") == hostile
    assert {el.get("stroke") for el in root.iter(f"{SVG}polyline")} == {'red" onload="x'}


def test_empty_series_give_an_empty_frame_not_an_error() -> None:
    empty_band = Band(color="#000", points=[], label="band")
    for svg in (line_chart([]), line_chart([a_line([])]), line_chart([], band=empty_band), bar_chart([])):
        root = parsed(svg)
        assert list(root.iter(f"{SVG}polyline")) == [] and list(root.iter(f"{SVG}polygon")) == []
        assert texts(svg)  # the y axis still has its values
    assert len(list(parsed(bar_chart([])).iter(f"{SVG}rect"))) == 1  # the plot area, no bars
    assert "band" not in texts(line_chart([], band=empty_band))  # nothing drawn, nothing in the legend


def test_every_point_lies_inside_the_plot_area() -> None:
    frame = Frame(width=400, height=200)
    svg = line_chart([a_line([(10, -3.0), (20, 7.0), (30, 2.0)])], frame)
    area = next(parsed(svg).iter(f"{SVG}rect"))
    left, top = float(area.get("x", "")), float(area.get("y", ""))
    right, bottom = left + float(area.get("width", "")), top + float(area.get("height", ""))
    [run] = polylines(svg)
    assert all(left <= x <= right and top < y < bottom for x, y in run)
    assert run[0][0] == left and run[-1][0] == right  # the x range is fitted to the data


def test_the_y_axis_shows_round_values_and_a_stronger_zero_line() -> None:
    svg = line_chart([a_line([(0, -0.3), (1, 0.9)])])
    values = [float(t) for t in texts(svg) if re.fullmatch(r"-?[\d.]+", t)]
    assert values == [-0.2, 0.0, 0.2, 0.4, 0.6, 0.8]
    strokes = [el.get("stroke") for el in parsed(svg).iter(f"{SVG}line")]
    assert strokes.count("#8c959f") == 1  # the zero line, the only grid line in the axis colour


def test_bars_stand_on_zero_green_up_red_down_with_their_labels() -> None:
    svg = bar_chart([2.0, -1.0, 0.0], labels=["a", "b"])
    rects = [el for el in parsed(svg).iter(f"{SVG}rect")][1:]  # after the plot area
    assert [r.get("fill") for r in rects] == ["#2da44e", "#cf222e", "#2da44e"]
    up, down, flat = rects
    zero = float(up.get("y", "")) + float(up.get("height", ""))
    assert float(down.get("y", "")) == zero and float(flat.get("height", "")) == 0.0
    assert float(up.get("height", "")) == pytest.approx(2 * float(down.get("height", "")), abs=0.1)
    assert {"a", "b"} <= set(texts(svg))


def test_a_non_finite_bar_draws_nothing() -> None:
    rects = [el for el in parsed(bar_chart([float("inf"), 1.0])).iter(f"{SVG}rect")][1:]
    assert float(rects[0].get("height", "")) == 0.0 and float(rects[1].get("height", "")) > 0


def test_markers_outside_the_x_range_are_left_out() -> None:
    svg = line_chart([a_line([(0, 1.0), (10, 2.0)])],
                     Frame(x_range=(0, 10), markers=[Marker(x=5, label="in"), Marker(x=11, label="out")]))
    assert "in" in texts(svg) and "out" not in texts(svg)


def test_time_markers_are_hourly_for_a_short_run_and_daily_for_a_month() -> None:
    short = time_markers(HOUR - 120_000, HOUR + HOUR_MS + 180_000)
    assert [(m.x, m.label) for m in short] == [(HOUR, "14:00Z"), (HOUR + HOUR_MS, "15:00Z")]
    month = time_markers(HOUR, HOUR + 30 * 24 * HOUR_MS)
    assert len(month) == 30 and month[0].label == "06-03" and month[0].x == parse_iso_ms("2025-06-03T00:00:00Z")
    year = time_markers(HOUR, HOUR + 365 * 24 * HOUR_MS)
    assert len(year) == 52 and year[0].x == parse_iso_ms("2025-06-09T00:00:00Z")  # Mondays


def test_the_svg_is_self_contained() -> None:
    svg = line_chart([a_line([(0, 1.0), (1, 2.0)])], Frame(markers=[Marker(x=0.5, label="m")]))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert not re.search(r"""(src|href|class)\s*=""", svg) and "<script" not in svg and "<style" not in svg
