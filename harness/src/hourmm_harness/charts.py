"""Charts as inline SVG: data in, one self-contained `<svg>` element out (no scripts, no external
files, no page CSS needed), so an HTML report that embeds them opens anywhere, offline.

Two kinds on one frame: `line_chart` (lines with gaps, an optional shaded band, labelled vertical
markers such as hour starts) and `bar_chart` (one bar a value, green up, red down, optional labels
under the bars). The frame draws the y axis with round tick values, a zero line when zero is in
range, the unit, and a legend. Every text is escaped. Callers: the demo report
(`hourmm_harness.report`) and the backtest report (`hourmm_lab.backtest.report`). Pure: no IO.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import msgspec

from hourmm_common.hours import HOUR_MS, iso_ms

_PAD_L, _PAD_R, _PAD_T, _PAD_B = 56, 12, 22, 26
_FONT = 'font-family="Helvetica,Arial,sans-serif" font-size="11" fill="#57606a"'
_UP, _DOWN = "#2da44e", "#cf222e"
_DAY_MS = 24 * HOUR_MS
_MARK_STEPS_MS = (HOUR_MS, 6 * HOUR_MS, _DAY_MS, 7 * _DAY_MS)
_MONDAY_MS = 4 * _DAY_MS  # 1970-01-05, a Monday: weeks start there (every other step divides it)


class Line(msgspec.Struct, frozen=True, kw_only=True):
    """A series of (x, y); a `None` (or non-finite) y breaks the line: no bridge over a gap."""

    label: str
    color: str
    points: Sequence[tuple[float, float | None]]
    width: float = 1.5
    dashed: bool = False

    def runs(self) -> list[list[tuple[float, float]]]:
        """The unbroken stretches of the line, in order."""
        out: list[list[tuple[float, float]]] = [[]]
        for x, y in self.points:
            if y is None or not math.isfinite(y):
                if out[-1]:
                    out.append([])
            else:
                out[-1].append((x, y))
        return [run for run in out if run]


class Band(msgspec.Struct, frozen=True, kw_only=True):
    """A shaded range (x, low, high) behind the lines, such as an uncertainty band."""

    color: str
    points: Sequence[tuple[float, float, float]]
    label: str = ""


class Marker(msgspec.Struct, frozen=True, kw_only=True):
    """A dashed vertical line at `x` with a label under the plot."""

    x: float
    label: str


class Frame(msgspec.Struct, frozen=True, kw_only=True):
    """What surrounds the data: ranges (None: fitted to the data), unit, markers, size in px."""

    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    unit: str = ""
    markers: Sequence[Marker] = ()
    title: str = ""  # the SVG's accessible name (a `<title>`), not drawn
    width: int = 960
    height: int = 260


def time_markers(start_ms: int, end_ms: int, *, most: int = 32) -> list[Marker]:
    """Markers at round times of UTC in [start_ms, end_ms]: every hour ("14:00Z") when that gives
    at most `most` of them, else every 6 hours, every day ("06-02") or every week (Mondays)."""
    step = next((s for s in _MARK_STEPS_MS if (end_ms - start_ms) // s < most), _MARK_STEPS_MS[-1])
    first = -(-(start_ms - _MONDAY_MS) // step) * step + _MONDAY_MS
    return [Marker(x=t, label=iso_ms(t)[11:16] + "Z" if step < _DAY_MS else iso_ms(t)[5:10])
            for t in range(first, end_ms + 1, step)]


def line_chart(lines: Sequence[Line], frame: Frame = Frame(), band: Band | None = None) -> str:
    """The lines (first drawn first) over the band, with a legend of both."""
    runs = [run for line in lines for run in line.runs()]
    xs = [x for run in runs for x, _ in run]
    ys = [y for run in runs for _, y in run]
    if band:
        xs += [x for x, _, _ in band.points]
        ys += [v for _, lo, hi in band.points for v in (lo, hi)]
    plot = _Plot(frame, frame.x_range or _span(xs), _padded(frame.y_range or _span(ys)))
    body = []
    legend = [(line.label, line.color) for line in lines]
    if band and len(band.points) > 1:
        if band.label:
            legend.append((band.label, band.color))
        upper = " ".join(plot.xy(x, hi) for x, _, hi in band.points)
        lower = " ".join(plot.xy(x, lo) for x, lo, _ in reversed(band.points))
        body.append(f'<polygon points="{upper} {lower}" fill="{_attr(band.color)}" fill-opacity="0.15"/>')
    for line in lines:
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        for run in line.runs():
            if len(run) > 1:
                pts = " ".join(plot.xy(x, y) for x, y in run)
                body.append(f'<polyline points="{pts}" fill="none" stroke="{_attr(line.color)}" '
                            f'stroke-width="{line.width:g}"{dash}/>')
    return plot.svg("".join(body), legend)


def bar_chart(values: Sequence[float], frame: Frame = Frame(), labels: Sequence[str] = ()) -> str:
    """One bar a value from zero, in order; `labels[i]` (if any) under bar i. A non-finite
    value draws no bar."""
    finite = [v if math.isfinite(v) else 0.0 for v in values]
    plot = _Plot(frame, (0.0, float(max(1, len(finite)))), _padded(frame.y_range or _span([0.0, *finite])))
    zero = plot.y(0.0)
    slot = plot.inner_w / max(1, len(finite))
    body = []
    for i, v in enumerate(finite):
        top = plot.y(v)
        body.append(f'<rect x="{plot.x(i) + 1:.1f}" y="{min(top, zero):.1f}" width="{max(1.0, slot - 2):.1f}" '
                    f'height="{abs(zero - top):.1f}" fill="{_UP if v >= 0 else _DOWN}"/>')
        if i < len(labels):
            body.append(f'<text x="{plot.x(i + 0.5):.1f}" y="{frame.height - _PAD_B + 14}" text-anchor="middle" '
                        f'{_FONT}>{html.escape(labels[i])}</text>')
    return plot.svg("".join(body), [])


class _Plot:
    """Scales from data to pixels, and the frame around a chart's body."""

    def __init__(self, frame: Frame, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self.frame = frame
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        self.inner_w = frame.width - _PAD_L - _PAD_R
        self.inner_h = frame.height - _PAD_T - _PAD_B

    def x(self, v: float) -> float:
        return _PAD_L + (v - self.x0) / ((self.x1 - self.x0) or 1.0) * self.inner_w

    def y(self, v: float) -> float:
        return _PAD_T + (self.y1 - v) / ((self.y1 - self.y0) or 1.0) * self.inner_h

    def xy(self, x: float, y: float) -> str:
        return f"{self.x(x):.1f},{self.y(y):.1f}"

    def svg(self, body: str, legend: Sequence[tuple[str, str]]) -> str:
        f = self.frame
        left, right, top, bottom = _PAD_L, f.width - _PAD_R, _PAD_T, f.height - _PAD_B
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{f.width}" height="{f.height}" '
               f'viewBox="0 0 {f.width} {f.height}" style="max-width:100%;height:auto">']
        if f.title:
            out.append(f"<title>{html.escape(f.title)}</title>")
        out.append(f'<rect x="{left}" y="{top}" width="{self.inner_w}" height="{self.inner_h}" '
                   'fill="#fafbfc" stroke="#d0d7de"/>')
        for v in _ticks(self.y0, self.y1):
            y = self.y(v)
            out.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" '
                       f'stroke="{"#8c959f" if v == 0 else "#eaeef2"}"/>'
                       f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>{_number(v)}</text>')
        if f.unit:
            out.append(f'<text x="{left - 4}" y="{top - 8}" text-anchor="end" {_FONT}>{html.escape(f.unit)}</text>')
        for mark in f.markers:
            if self.x0 <= mark.x <= self.x1:
                x = self.x(mark.x)
                # the label reads rightwards from its line, or leftwards near the right edge
                at = f'x="{x - 3:.1f}" text-anchor="end"' if x > right - 7 * len(mark.label) else f'x="{x + 3:.1f}"'
                out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" stroke="#8c959f" '
                           f'stroke-dasharray="3 3"/><text {at} y="{bottom + 14}" {_FONT}>'
                           f"{html.escape(mark.label)}</text>")
        out.append(body)
        legend_x = left
        for label, color in legend:
            out.append(f'<rect x="{legend_x}" y="{top - 12}" width="10" height="3" fill="{_attr(color)}"/>'
                       f'<text x="{legend_x + 14}" y="{top - 8}" {_FONT}>{html.escape(label)}</text>')
            legend_x += 24 + 7 * len(label)
        out.append("</svg>")
        return "".join(out)


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _span(values: Sequence[float]) -> tuple[float, float]:
    """(min, max) of the values, widened by 1 each way when they are all equal, (0, 1) if none."""
    if not values:
        return 0.0, 1.0
    lo, hi = min(values), max(values)
    return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)


def _padded(y_range: tuple[float, float]) -> tuple[float, float]:
    """5% headroom each way, so a line along the edge of its range stays visible."""
    lo, hi = _span(y_range)
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


def _ticks(lo: float, hi: float) -> list[float]:
    """Round values in [lo, hi], 1, 2 or 5 times a power of ten apart: the spacing that gives
    closest to five of them (the wider on a tie)."""
    power = 10 ** math.floor(math.log10((hi - lo) / 5))

    def count(step: float) -> int:
        return math.floor(hi / step) - math.ceil(lo / step) + 1

    step = min((m * power for m in (10, 5, 2, 1)), key=lambda s: abs(count(s) - 5))
    return [round(k * step, 12) for k in range(math.ceil(lo / step), math.floor(hi / step) + 1)]


def _number(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"
