"""A backtest's results as a text table (terminal) and as one self-contained HTML file.

In: a `RunResult`. Out: strings. The HTML inlines its SVG plots, drawn by `hourmm_harness.charts`
(fair value against the book's mid and our inventory minute by minute, cumulative PnL, PnL per
hour, inventory at each hour's end, adverse selection by horizon, time in each mode): no scripts,
no external files, so a report can be mailed or archived as is.
"""

from __future__ import annotations

import html

import msgspec

from hourmm_common.hours import HOUR_MS, iso_ms
from hourmm_harness.charts import Frame, Line, bar_chart, line_chart, time_markers
from hourmm_lab.backtest.metrics import HORIZONS_MS, HourResult, RunResult
from hourmm_sim.polymarket.matching import UP
from hourmm_sim.polymarket.units import ONE


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


# --- HTML ---------------------------------------------------------------------------------------

def _figure(title: str, svg: str) -> str:
    return f"<figure><figcaption>{html.escape(title)}</figcaption>{svg}</figure>"


def _plots(result: RunResult) -> list[str]:
    """The seven figures: three over time (with round-time markers), four bar charts."""
    pnl = [h.pnl_u / ONE for h in result.hours]
    cumulative: list[tuple[float, float]] = []
    if result.hours:
        acc = 0.0
        cumulative.append((result.hours[0].hour_start_ms, acc))
        for h, v in zip(result.hours, pnl, strict=True):
            acc += v
            cumulative.append((h.hour_start_ms + HOUR_MS, acc))
    inventory = [(h.up_shares_u - h.down_shares_u) / ONE for h in result.hours]
    adverse = [result.adverse_u[z] / ONE * 100 for z in HORIZONS_MS]
    modes = list(result.mode_ms.items())
    t = result.timeline
    fair = [(p.ts_ms, p.fair) for p in t]
    mids = [(p.ts_ms, None if p.mid_u is None else p.mid_u / ONE) for p in t]
    net = [(p.ts_ms, p.net_up_u / ONE) for p in t]
    times = [ts for ts, _ in fair] + [x for x, _ in cumulative]
    over_time = Frame(markers=time_markers(int(min(times)), int(max(times)))) if times else Frame()
    return [
        _figure("P(Up) each minute", line_chart(
            [Line(label="pricer fair value", color="#1f77b4", points=fair),
             Line(label="book mid", color="#ff7f0e", points=mids)],
            msgspec.structs.replace(over_time, y_range=(0.0, 1.0)))),
        _figure("Net Up exposure each minute (shares)", line_chart(
            [Line(label="net Up", color="#2ca02c", points=net)], msgspec.structs.replace(over_time, unit="shares"))),
        _figure("Cumulative PnL (pUSD) by hour", line_chart(
            [Line(label="cumulative PnL", color="#1f77b4", points=cumulative, width=2)],
            msgspec.structs.replace(over_time, unit="pUSD"))),
        _figure("PnL per hour (pUSD)", bar_chart(pnl, Frame(unit="pUSD"))),
        _figure("Net Up exposure at each hour's end (shares)", bar_chart(inventory, Frame(unit="shares"))),
        _figure("Adverse selection: book-mid move after our fills (cents/share)",
                bar_chart(adverse, Frame(unit="c"), [f"{z // 1000}s" for z in HORIZONS_MS])),
        _figure("Time in each mode (s)", bar_chart([v / 1000 for _, v in modes], Frame(unit="s"), [k for k, _ in modes])),
    ]


def html_report(result: RunResult, title: str, params: dict[str, object]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in HEADER)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in hour_rows(result))
    param_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in params.items())
    plots = _plots(result)
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
