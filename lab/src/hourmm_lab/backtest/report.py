"""A backtest's results as a text table (terminal) and as one self-contained HTML file.

In: a `RunResult`. Out: strings. The HTML inlines its SVG plots (fair value against the book's
mid and our inventory minute by minute, cumulative PnL, PnL per hour, inventory at each hour's end,
adverse selection by horizon, time in each mode): no scripts, no external files, so a report can be
mailed or archived as is.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from hourmm_common.hours import iso_ms
from hourmm_lab.backtest.metrics import HORIZONS_MS, HourResult, RunResult
from hourmm_sim.polymarket.matching import UP
from hourmm_sim.polymarket.units import ONE

_W, _H, _PAD = 640, 220, 36


def usd(amount_u: int | float) -> str:
    return f"{amount_u / ONE:+,.2f}"


def shares(amount_u: int) -> str:
    return f"{amount_u / ONE:,.2f}"


def cents(value_u: float) -> str:
    """A price move in micro pUSD per share, shown in cents."""
    return f"{value_u / ONE * 100:+.2f}c"


def _winner(h: HourResult) -> str:
    return "-" if h.winner is None else ("Up" if h.winner == UP else "Down")


def hour_rows(result: RunResult) -> list[list[str]]:
    rows = []
    for h in result.hours:
        rows.append([iso_ms(h.hour_start_ms)[:16], _winner(h), str(h.fills), str(h.maker_fills), shares(h.volume_u),
                     usd(h.fees_u).lstrip("+"), shares(h.up_shares_u - h.down_shares_u), usd(h.pnl_u)]
                    + [cents(h.adverse_u[z]) if h.adverse_n[z] else "-" for z in HORIZONS_MS])
    return rows


HEADER = ["hour (UTC)", "won", "fills", "maker", "volume", "fees", "net Up at end", "PnL"] + \
    [f"adv {z // 1000}s" for z in HORIZONS_MS]


def text_table(result: RunResult) -> str:
    rows = hour_rows(result)
    total = ["total", "", str(result.total_fills), str(sum(h.maker_fills for h in result.hours)),
             shares(sum(h.volume_u for h in result.hours)), usd(result.total_fees_u).lstrip("+"), "",
             usd(result.total_pnl_u)] + [cents(result.adverse_u[z]) for z in HORIZONS_MS]
    table = [HEADER, *rows, total]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    lines = [" | ".join(c.rjust(w) if i >= 2 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in table]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "-+-".join("-" * w for w in widths))
    modes = ", ".join(f"{k} {v / 1000:,.0f} s" for k, v in result.mode_ms.items()) or "-"
    alerts = ", ".join(f"{k} x{v}" for k, v in result.alerts.items()) or "none"
    lines += ["", f"time in each mode: {modes}", f"decisions: {result.decisions:,}", f"alerts: {alerts}",
              f"PnL by the venue's ledger: {usd(result.ledger_pnl_u)} pUSD",
              "adv = size-weighted book-mid move after our fills, in our direction (negative: picked off)"]
    return "\n".join(lines)


# --- SVG ----------------------------------------------------------------------------------------

def _frame(title: str, body: str, y_lo: float, y_hi: float, unit: str) -> str:
    zero = _y(0.0, y_lo, y_hi) if y_lo <= 0 <= y_hi else None
    axis = f'<line x1="{_PAD}" x2="{_W - 8}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#999"/>' if zero else ""
    return (f'<figure><figcaption>{html.escape(title)}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}">'
            f'<rect width="{_W}" height="{_H}" fill="#fff" stroke="#ddd"/>{axis}'
            f'<text x="4" y="14" font-size="11">{y_hi:,.2f} {html.escape(unit)}</text>'
            f'<text x="4" y="{_H - 6}" font-size="11">{y_lo:,.2f}</text>{body}</svg></figure>')


def _y(v: float, lo: float, hi: float) -> float:
    span = (hi - lo) or 1.0
    return _H - 20 - (v - lo) / span * (_H - 40)


def _range(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = min([0.0, *values]), max([0.0, *values])
    return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)


def svg_line(title: str, values: Sequence[float], unit: str) -> str:
    lo, hi = _range(values)
    n = max(1, len(values) - 1)
    pts = " ".join(f"{_PAD + i * (_W - _PAD - 8) / n:.1f},{_y(v, lo, hi):.1f}" for i, v in enumerate(values))
    return _frame(title, f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{pts}"/>', lo, hi, unit)


def svg_lines(title: str, series: Sequence[tuple[str, str, Sequence[float | None]]], unit: str,
              lo: float | None = None, hi: float | None = None) -> str:
    """Several lines on one time axis; `None` values break a line. Legend in the caption."""
    values = [v for _, _, vs in series for v in vs if v is not None]
    r_lo, r_hi = _range(values)
    lo, hi = (r_lo if lo is None else lo), (r_hi if hi is None else hi)
    n = max(1, max((len(vs) for _, _, vs in series), default=1) - 1)
    body = []
    for _, colour, vs in series:
        runs: list[list[str]] = [[]]
        for i, v in enumerate(vs):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(f"{_PAD + i * (_W - _PAD - 8) / n:.1f},{_y(v, lo, hi):.1f}")
        body += [f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{" ".join(r)}"/>'
                 for r in runs if len(r) > 1]
    legend = ", ".join(f"{name} ({colour})" for name, colour, _ in series)
    return _frame(f"{title}: {legend}", "".join(body), lo, hi, unit)


def svg_bars(title: str, values: Sequence[float], unit: str, labels: Sequence[str] = ()) -> str:
    lo, hi = _range(values)
    n = max(1, len(values))
    width = (_W - _PAD - 8) / n
    zero = _y(0.0, lo, hi)
    bars = []
    for i, v in enumerate(values):
        y = _y(v, lo, hi)
        colour = "#2ca02c" if v >= 0 else "#d62728"
        bars.append(f'<rect x="{_PAD + i * width + 1:.1f}" y="{min(y, zero):.1f}" width="{max(1.0, width - 2):.1f}" '
                    f'height="{abs(zero - y):.1f}" fill="{colour}"/>')
        if i < len(labels):
            bars.append(f'<text x="{_PAD + (i + 0.5) * width:.1f}" y="{_H - 4}" font-size="10" '
                        f'text-anchor="middle">{html.escape(labels[i])}</text>')
    return _frame(title, "".join(bars), lo, hi, unit)


def html_report(result: RunResult, title: str, params: dict[str, object]) -> str:
    pnl = [h.pnl_u / ONE for h in result.hours]
    cumulative = []
    acc = 0.0
    for v in pnl:
        acc += v
        cumulative.append(acc)
    inventory = [(h.up_shares_u - h.down_shares_u) / ONE for h in result.hours]
    adverse = [result.adverse_u[z] / ONE * 100 for z in HORIZONS_MS]
    modes = list(result.mode_ms.items())
    fair = [p.fair for p in result.timeline]
    mids = [None if p.mid_u is None else p.mid_u / ONE for p in result.timeline]
    net = [p.net_up_u / ONE for p in result.timeline]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in HEADER)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in hour_rows(result))
    param_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in params.items())
    plots = [
        svg_lines("P(Up) each minute", [("pricer fair value", "#1f77b4", fair), ("book mid", "#ff7f0e", mids)], "",
                  0.0, 1.0),
        svg_lines("Net Up exposure each minute (shares)", [("net Up", "#2ca02c", net)], "shares"),
        svg_line("Cumulative PnL (pUSD) by hour", [0.0, *cumulative], "pUSD"),
        svg_bars("PnL per hour (pUSD)", pnl, "pUSD"),
        svg_bars("Net Up exposure at each hour's end (shares)", inventory, "shares"),
        svg_bars("Adverse selection: book-mid move after our fills (cents/share)", adverse, "c",
                 [f"{z // 1000}s" for z in HORIZONS_MS]),
        svg_bars("Time in each mode (s)", [v / 1000 for _, v in modes], "s", [k for k, _ in modes]),
    ]
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:24px;max-width:1000px}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ddd;padding:3px 8px;text-align:right;font-size:13px}} figure{{margin:16px 0}}
figcaption{{font-weight:bold;margin-bottom:4px}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Total PnL <b>{usd(result.total_pnl_u)} pUSD</b> over {len(result.hours)} hours, {result.total_fills} fills,
fees {usd(result.total_fees_u).lstrip("+")} pUSD, {result.decisions:,} decisions.</p>
<table>{param_rows}</table>
{"".join(plots)}
<h2>Per hour</h2><table><tr>{head}</tr>{body}</table>
<p>adv = size-weighted move of the Up book's mid after each of our fills, in the direction of the exposure
the fill gave us; negative means the market moved against us (adverse selection).</p>
</body></html>
"""
