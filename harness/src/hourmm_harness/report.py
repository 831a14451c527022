"""The demo's results as a text summary and a self-contained HTML report (inline SVG, no assets).

In: a `DemoRecord` the demo filled while it ran (samples of the trader's `/status` over time,
per-hour figures, mode changes, faults, the ledger verdict). Out: `summary_table()` for the
terminal, `render_html()` / `write_report()` for a file a trader can open anywhere, offline (its
charts are `charts.line_chart`'s inline SVG). Pure formatting: no IO except `write_report`, no clock.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import msgspec

from hourmm_common.hours import iso_ms, parse_iso_ms
from hourmm_harness.charts import Band, Frame, Line, line_chart, time_markers


class Sample(msgspec.Struct, frozen=True, kw_only=True):
    """The trader's view at one instant of scenario time (prices are probabilities of Up)."""

    t_ms: int
    fair: float | None = None
    band_lo: float | None = None
    band_hi: float | None = None
    best_bid: float | None = None
    best_ask: float | None = None
    our_bid: float | None = None
    our_ask: float | None = None
    inventory_up: float = 0.0  # net Up exposure in shares (Up held minus Down held)
    pnl_usdc: float | None = None
    risk_mode: str = ""
    session: str = ""


class HourRow(msgspec.Struct, frozen=True, kw_only=True):
    hour_id: str
    market: str = ""
    fills: int = 0
    volume_shares: float = 0.0
    notional_usdc: float = 0.0
    fees_usdc: float = 0.0
    realised_pnl_usdc: float = 0.0
    settled_pnl_usdc: float | None = None
    max_inventory_shares: float = 0.0
    end_inventory_up: float = 0.0
    end_inventory_down: float = 0.0
    placed: int = 0
    cancelled: int = 0
    expired: int = 0
    rejected: int = 0


class ModeChange(msgspec.Struct, frozen=True, kw_only=True):
    t_ms: int
    what: str  # "risk" or "session"
    old: str
    new: str
    reason: str = ""


class DemoRecord(msgspec.Struct, kw_only=True):
    scenario: str
    speed: float
    start_ms: int
    end_ms: int
    wall_seconds: float = 0.0
    samples: list[Sample] = msgspec.field(default_factory=list)
    hours: list[HourRow] = msgspec.field(default_factory=list)
    mode_changes: list[ModeChange] = msgspec.field(default_factory=list)
    faults: list[str] = msgspec.field(default_factory=list)
    ledger_line: str = ""
    ledger_detail: list[str] = msgspec.field(default_factory=list)


_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("hour", "hour_id", 20), ("fills", "fills", 5), ("volume", "volume_shares", 9), ("notional", "notional_usdc", 9),
    ("fees", "fees_usdc", 7), ("realised", "realised_pnl_usdc", 9), ("settled", "settled_pnl_usdc", 9),
    ("max inv", "max_inventory_shares", 8), ("end Up", "end_inventory_up", 7), ("end Down", "end_inventory_down", 8),
    ("placed", "placed", 6), ("cancel", "cancelled", 6), ("expired", "expired", 7), ("reject", "rejected", 6),
)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def summary_table(hours: Sequence[HourRow]) -> str:
    """One line per hour plus a total: fills, volume, fees, PnL, inventory, order counts."""
    header = "  ".join(title.rjust(width) for title, _, width in _COLUMNS)
    lines = [header, "-" * len(header)]
    for row in hours:
        lines.append("  ".join(_cell(getattr(row, attr)).rjust(width) for _, attr, width in _COLUMNS))
    if len(hours) > 1:
        total = HourRow(
            hour_id="total", fills=sum(h.fills for h in hours), volume_shares=sum(h.volume_shares for h in hours),
            notional_usdc=sum(h.notional_usdc for h in hours), fees_usdc=sum(h.fees_usdc for h in hours),
            realised_pnl_usdc=sum(h.realised_pnl_usdc for h in hours),
            settled_pnl_usdc=(None if any(h.settled_pnl_usdc is None for h in hours)
                              else sum(h.settled_pnl_usdc or 0.0 for h in hours)),
            max_inventory_shares=max(h.max_inventory_shares for h in hours),
            end_inventory_up=hours[-1].end_inventory_up, end_inventory_down=hours[-1].end_inventory_down,
            placed=sum(h.placed for h in hours), cancelled=sum(h.cancelled for h in hours),
            expired=sum(h.expired for h in hours), rejected=sum(h.rejected for h in hours))
        lines.append("-" * len(header))
        lines.append("  ".join(_cell(getattr(total, attr)).rjust(width) for _, attr, width in _COLUMNS))
    return "\n".join(lines)


# --- charts ------------------------------------------------------------------------------------

def _series(samples: Sequence[Sample], attr: str) -> list[tuple[int, float | None]]:
    return [(s.t_ms, None if (v := getattr(s, attr)) is None else float(v)) for s in samples]


def render_html(record: DemoRecord) -> str:
    s = record.samples
    frame = Frame(x_range=(record.start_ms, max(record.end_ms, record.start_ms + 1)),
                  markers=time_markers(record.start_ms, record.end_ms))
    price_chart = line_chart(
        [Line(label="best bid", color="#0969da", points=_series(s, "best_bid"), width=1),
         Line(label="best ask", color="#8250df", points=_series(s, "best_ask"), width=1),
         Line(label="our bid", color="#bf8700", points=_series(s, "our_bid"), dashed=True),
         Line(label="our ask", color="#cf222e", points=_series(s, "our_ask"), dashed=True),
         Line(label="fair p(Up)", color="#1a7f37", points=_series(s, "fair"), width=2)],
        msgspec.structs.replace(frame, y_range=(0.0, 1.0), title="Fair value, book and our quotes"),
        Band(label="fair band", color="#2da44e",
             points=[(x.t_ms, x.band_lo, x.band_hi) for x in s if x.band_lo is not None and x.band_hi is not None]))
    inventory_chart = line_chart([Line(label="net Up shares", color="#0969da", points=_series(s, "inventory_up"))],
                                 msgspec.structs.replace(frame, unit="shares", title="Inventory"))
    pnl_chart = line_chart([Line(label="PnL (pUSD)", color="#1a7f37", points=_series(s, "pnl_usdc"))],
                           msgspec.structs.replace(frame, unit="pUSD", title="PnL"))
    ok = record.ledger_line.endswith("MATCH") and "MISMATCH" not in record.ledger_line
    rows = "".join(
        "<tr>" + "".join(f'<td class="n">{html.escape(_cell(getattr(h, attr)))}</td>' for _, attr, _ in _COLUMNS) + "</tr>"
        for h in record.hours)
    head = "".join(f"<th>{html.escape(title)}</th>" for title, _, _ in _COLUMNS)
    changes = "".join(f"<li>{html.escape(iso_ms(m.t_ms)[11:19])} {html.escape(m.what)}: {html.escape(m.old)} &rarr; "
                      f"{html.escape(m.new)} {html.escape(m.reason)}</li>" for m in record.mode_changes) or "<li>none</li>"
    faults = "".join(f"<li>{html.escape(f)}</li>" for f in record.faults) or "<li>none</li>"
    detail = "".join(f"<li>{html.escape(d)}</li>" for d in record.ledger_detail)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>HourMM demo report</title>
<style>
body{{font:14px/1.45 -apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1000px;color:#1f2328}}
h1{{font-size:22px}}h2{{font-size:16px;margin-top:28px}}table{{border-collapse:collapse;font-size:12px}}
td,th{{border:1px solid #d0d7de;padding:3px 6px}}th{{background:#f6f8fa}}td.n{{text-align:right}}
.ok{{color:#1a7f37}}.bad{{color:#cf222e}}
code{{background:#f6f8fa;padding:1px 4px}}
</style></head><body>
<h1>HourMM demo report</h1>
<p>Scenario <code>{html.escape(record.scenario)}</code>, scenario time {html.escape(iso_ms(record.start_ms))} to
{html.escape(iso_ms(record.end_ms))} at {record.speed:g}x ({record.wall_seconds:.0f} s of wall time).
Three processes: the local venue, <code>binance_pricer</code> and <code>polymarket_trader</code> (paper mode).</p>
<p class="{'ok' if ok else 'bad'}"><b>{html.escape(record.ledger_line)}</b></p><ul>{detail}</ul>
<h2>Per hour</h2><table><tr>{head}</tr>{rows}</table>
<h2>Fair value, book and our quotes (probability of Up)</h2>{price_chart}
<h2>Inventory</h2>{inventory_chart}
<h2>PnL</h2>{pnl_chart}
<h2>Mode and session changes</h2><ul>{changes}</ul>
<h2>Faults seen</h2><ul>{faults}</ul>
</body></html>
"""


def write_report(record: DemoRecord, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(record), encoding="utf-8")
    return path


# --- per-hour figures from the venue's own records --------------------------------------------


class OurFill(msgspec.Struct, frozen=True, kw_only=True):
    """One fill of ours as the venue recorded it (`GET /_sim/fills`), in decimals."""

    market: str
    t_ms: int
    token: str  # "Up" | "Down"
    side: str  # "BUY" | "SELL"
    price: float
    size: float
    fee: float
    status: str


class OrderCounts(msgspec.Struct, kw_only=True):
    placed: int = 0
    cancelled: int = 0
    expired: int = 0
    rejected: int = 0


def our_fills(trades: Sequence[dict[str, object]], funder: str) -> list[OurFill]:
    """Our side of every venue trade: as taker (`maker_address` of the trade) or as one of its makers."""
    me = funder.lower()
    out = []
    for t in trades:
        t_ms = int(str(t.get("match_time", "0"))) * 1000
        status = str(t.get("status", ""))
        market = str(t.get("market", ""))
        if str(t.get("maker_address", "")).lower() == me:
            price, size = float(str(t["price"])), float(str(t["size"]))
            rate = int(str(t.get("fee_rate_bps", "0"))) / 10_000
            out.append(OurFill(market=market, t_ms=t_ms, token=str(t["outcome"]), side=str(t["side"]), price=price,
                               size=size, fee=size * rate * price * (1 - price), status=status))
        makers = t.get("maker_orders", [])
        for m in makers if isinstance(makers, list) else []:
            if str(m.get("maker_address", "")).lower() == me:
                out.append(OurFill(market=market, t_ms=t_ms, token=str(m["outcome"]), side=str(m["side"]),
                                   price=float(str(m["price"])), size=float(str(m["matched_amount"])), fee=0.0,
                                   status=status))
    return sorted(out, key=lambda f: f.t_ms)


def hour_rows(fills: Sequence[OurFill], markets: Sequence[dict[str, object]],
              counts: dict[int, OrderCounts]) -> list[HourRow]:
    """One row per market that had fills or orders: cash flows, inventory path, realised PnL (cash
    plus complete sets, worth 1 whatever wins) and settled PnL (cash plus the winning shares)."""
    rows = []
    for m in markets:
        start = parse_iso_ms(str(m["start"]))
        mine = [f for f in fills if f.market == m["condition_id"] and f.status != "FAILED"]
        c = counts.get(start, OrderCounts())
        if not mine and not c.placed:
            continue
        up = down = cash = fees = 0.0
        max_inv = 0.0
        for f in mine:
            sign = 1.0 if f.side == "BUY" else -1.0
            if f.token == "Up":
                up += sign * f.size
            else:
                down += sign * f.size
            cash -= sign * f.price * f.size + f.fee
            fees += f.fee
            max_inv = max(max_inv, abs(up - down))
        winner = m.get("winner")
        settled = None if winner is None else cash + (up if winner == "Up" else down)
        rows.append(HourRow(
            hour_id=iso_ms(start), market=str(m.get("slug", "")), fills=len(mine),
            volume_shares=sum(f.size for f in mine), notional_usdc=sum(f.price * f.size for f in mine),
            fees_usdc=fees, realised_pnl_usdc=cash + min(up, down), settled_pnl_usdc=settled,
            max_inventory_shares=max_inv, end_inventory_up=up, end_inventory_down=down,
            placed=c.placed, cancelled=c.cancelled, expired=c.expired, rejected=c.rejected))
    return rows
