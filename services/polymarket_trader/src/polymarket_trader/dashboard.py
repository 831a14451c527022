"""The operator's dashboard: one self-contained HTML page (inline CSS, JS and SVG; no CDN, no fonts,
no external request of any kind) that the control plane serves at `GET /dashboard`.

Why the page itself needs no token: it is static and holds no data. Everything it shows comes from
`GET /status`, which the page calls with `Authorization: Bearer <token>`; it asks for the token
once, keeps it in `sessionStorage` (gone when the tab closes, never in a cookie, never in the URL),
and asks again on a 401. Every value is written with `textContent`, never parsed as HTML, so venue
strings (a market question) cannot inject markup.

The page reads the `StatusView` of `control_plane.py` defensively: prices and sizes in integer
units (`*_e4`, `*_e6`) are scaled back to decimals, a missing field shows as a dash, and the full
JSON is always one click away ("raw status"), so a field the page does not lay out is still
visible. It keeps the last ten minutes of fair value, book and our quotes in memory and draws
them as an inline SVG chart.
"""

from __future__ import annotations

from aiohttp import web

_PAGE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>HourMM trader</title>
<style>
:root{--bg:#0f1419;--panel:#171d24;--line:#2a323c;--text:#d8dee6;--dim:#8593a3;--up:#3fb950;--down:#f85149;
--warn:#d29922;--accent:#58a6ff}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--text);font:13px/1.4 ui-monospace,Menlo,Consolas,monospace}
header{display:flex;flex-wrap:wrap;gap:18px;align-items:center;padding:10px 16px;border-bottom:1px solid var(--line)}
header h1{font-size:15px;margin:0 12px 0 0}.pill{padding:2px 8px;border-radius:10px;border:1px solid var(--line)}
.ok{color:var(--up)}.bad{color:var(--down)}.warn{color:var(--warn)}.dim{color:var(--dim)}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(330px,1fr));gap:12px;padding:12px 16px}
section{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:10px 12px;min-width:0}
section h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:var(--dim);margin:0 0 8px}
table{width:100%;border-collapse:collapse}td,th{padding:2px 6px;text-align:left;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;max-width:260px}
th{color:var(--dim);font-weight:normal}td.n{text-align:right}.kv td:first-child{color:var(--dim);width:45%}
.wide{grid-column:1/-1}ul{margin:0;padding-left:16px;max-height:180px;overflow:auto}svg{width:100%;height:200px}
#login{max-width:420px;margin:80px auto;background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:20px}
input{width:100%;padding:6px;background:var(--bg);color:var(--text);border:1px solid var(--line);border-radius:4px}
button{margin-top:10px;padding:6px 14px;background:var(--accent);border:0;border-radius:4px;color:#000;cursor:pointer}
pre{white-space:pre-wrap;word-break:break-all;max-height:400px;overflow:auto;margin:0}
</style></head>
<body data-updates="0">
<form id="login" hidden>
  <h2>HourMM control plane</h2>
  <p class="dim">Bearer token (CONTROL_TOKEN). Kept for this tab only.</p>
  <input id="token" type="password" autocomplete="off" autofocus>
  <button type="submit">Connect</button>
  <p id="login-error" class="bad"></p>
</form>
<div id="app" hidden>
<header>
  <h1>HourMM</h1>
  <span>run <b id="run_mode" class="pill">-</b></span>
  <span>risk mode <b id="risk_mode" class="pill">-</b></span>
  <span>session <b id="session" class="pill">-</b></span>
  <span id="mode_reason" class="warn"></span>
  <span class="dim">updated <span id="updated">-</span></span>
  <span id="conn" class="dim">connecting</span>
</header>
<main>
<section><h2>Hour and market</h2><table class="kv"><tbody>
  <tr><td>hour</td><td id="hour">-</td></tr>
  <tr><td>market</td><td id="market">-</td></tr>
  <tr><td>condition id</td><td id="condition_id">-</td></tr>
  <tr><td>time remaining</td><td id="t_remaining">-</td></tr>
  <tr><td>tick</td><td id="tick">-</td></tr>
</tbody></table></section>
<section><h2>Fair value (Binance)</h2><table class="kv"><tbody>
  <tr><td>p(Up) fair</td><td id="fair">-</td></tr>
  <tr><td>band</td><td id="band">-</td></tr>
  <tr><td>snapshot</td><td id="snapshot_state">-</td></tr>
  <tr><td>snapshot seq</td><td id="snapshot_seq">-</td></tr>
</tbody></table></section>
<section><h2>Book (Up) and our quotes</h2><table class="kv"><tbody>
  <tr><td>best bid / ask</td><td id="book">-</td></tr>
  <tr><td>sizes (shares)</td><td id="book_size">-</td></tr>
  <tr><td>Down bid / ask</td><td id="book_down">-</td></tr>
  <tr><td>our bid / ask (Up)</td><td id="our_quotes">-</td></tr>
</tbody></table>
<table><thead><tr><th>side</th><th>token</th><th>price</th><th>size</th><th>matched</th><th>status</th></tr></thead>
<tbody id="orders"></tbody></table></section>
<section><h2>Inventory and PnL</h2><table class="kv"><tbody>
  <tr><td>Up shares</td><td id="inv_up">-</td></tr>
  <tr><td>Down shares</td><td id="inv_down">-</td></tr>
  <tr><td>net Up exposure</td><td id="inv_net">-</td></tr>
  <tr><td>collateral / reserved</td><td id="collateral">-</td></tr>
  <tr><td>equity (marked to fair)</td><td id="equity">-</td></tr>
  <tr><td>PnL this hour</td><td id="pnl_hour">-</td></tr>
  <tr><td>fees paid</td><td id="fees">-</td></tr>
</tbody></table></section>
<section class="wide"><h2>Fair value, band and book over time</h2>
  <svg id="chart" viewBox="0 0 1000 200" preserveAspectRatio="none" role="img" aria-label="fair value chart"></svg>
  <div class="dim">green: fair p(Up) with band; blue: best bid / ask; amber dashed: our bid / ask (Up terms); last <span id="chart_span">0</span> s</div></section>
<section><h2>Recent fills</h2><table><thead><tr><th>time</th><th>side</th><th>token</th><th>price</th><th>size</th><th>status</th></tr></thead>
<tbody id="fills"></tbody></table></section>
<section><h2>Mode changes</h2><ul id="mode_changes"></ul></section>
<section><h2>Alerts</h2><ul id="alerts"></ul></section>
<section><h2>Health</h2><table class="kv"><tbody id="health"></tbody></table></section>
<section><h2>Risk limits</h2><table class="kv"><tbody id="limits"></tbody></table></section>
<section class="wide"><details><summary class="dim">raw status</summary><pre id="raw"></pre></details></section>
</main></div>
<script>
"use strict";
const STATUS_PATH = "__STATUS_PATH__", POLL_MS = __POLL_MS__, KEY = "hourmm_control_token", HISTORY_MS = 600000;
const history = [];
let timer = null;

function at(obj, path) {
  return path.split(".").reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
}
function pick(obj, paths) {
  for (const p of paths) { const v = at(obj, p); if (v !== undefined && v !== null) return v; }
  return undefined;
}
// A number under `p`, or under `p_e4` / `p_e6` (integer units) scaled back to decimals.
function num(obj, paths) {
  for (const p of paths) {
    for (const [suffix, scale] of [["", 1], ["_e4", 1e4], ["_e6", 1e6]]) {
      const v = at(obj, p + suffix);
      if (v !== undefined && v !== null && v !== "" && !isNaN(Number(v))) return Number(v) / scale;
    }
  }
  return undefined;
}
function list(v) {
  if (Array.isArray(v)) return v;
  if (v && typeof v === "object") return Object.entries(v).map(([k, x]) => (x && typeof x === "object" ? Object.assign({id: k}, x) : {id: k, value: x}));
  return [];
}
const dash = "-";
function f(v, digits) { return v === undefined || v === null || isNaN(v) ? dash : Number(v).toFixed(digits); }
function text(id, value, cls) {
  const el = document.getElementById(id); el.textContent = value === undefined || value === null ? dash : String(value);
  if (cls !== undefined) el.className = cls;
}
function fmtTime(ms) {
  if (ms === undefined || ms === null || isNaN(Number(ms))) return dash;
  return new Date(Number(ms)).toISOString().substring(11, 19);
}
function fmtDuration(ms) {
  if (ms === undefined || isNaN(ms)) return dash;
  const s = Math.max(0, Math.floor(ms / 1000));
  return Math.floor(s / 60) + "m " + String(s % 60).padStart(2, "0") + "s";
}
function row(tbody, cells) {
  const tr = document.createElement("tr");
  for (const [value, numeric] of cells) {
    const td = document.createElement("td"); td.textContent = value; if (numeric) td.className = "n"; tr.appendChild(td);
  }
  tbody.appendChild(tr);
}
// One line per mode change ({old,new} or {session_old,session_new}) or alert ({code,detail,severity});
// anything else as key=value pairs.
function describe(item) {
  if (item === null || typeof item !== "object") return String(item);
  const t = pick(item, ["ts_ms", "ts_local_ms"]), when = t !== undefined ? fmtTime(t) + " " : "";
  const why = item.reason ? " (" + item.reason + ")" : "";
  if (item.old !== undefined && item.new !== undefined) return when + "risk " + item.old + " \u2192 " + item.new + why;
  if (item.session_old !== undefined) return when + "session " + item.session_old + " \u2192 " + item.session_new + why;
  if (item.code !== undefined) return when + "[" + (item.severity || "alert") + "] " + item.code + (item.detail ? ": " + item.detail : "");
  const parts = Object.entries(item).filter(([k]) => !/^ts|_ms$/.test(k)).map(([k, v]) => k + "=" + (typeof v === "object" ? JSON.stringify(v) : v));
  return when + parts.join(" ");
}
function fillList(id, items, limit) {
  const ul = document.getElementById(id); ul.replaceChildren();
  const shown = list(items).slice(-limit).reverse();
  if (!shown.length) { const li = document.createElement("li"); li.className = "dim"; li.textContent = "none"; ul.appendChild(li); }
  for (const item of shown) { const li = document.createElement("li"); li.textContent = describe(item); ul.appendChild(li); }
}

function render(s) {
  const run = pick(s, ["run_mode"]), risk = pick(s, ["mode"]), session = pick(s, ["session"]);
  text("run_mode", run, "pill " + (run === "live" ? "bad" : "ok"));
  text("risk_mode", risk, "pill " + (risk === "NORMAL" ? "ok" : risk === "HALT" ? "bad" : "warn"));
  text("session", session, "pill");
  text("mode_reason", pick(s, ["mode_reason"]) || "");
  const now = num(s, ["ts_ms"]) ?? Date.now();
  const market = pick(s, ["market"]) || {};
  const hourEnd = num(market, ["hour_end_ms"]);
  text("hour", pick(s, ["hour"]));
  const el = document.getElementById("market");
  el.textContent = pick(market, ["slug"]) ?? (pick(s, ["unavailable_reason"]) || dash);
  el.title = pick(market, ["question"]) ?? "";
  text("condition_id", pick(market, ["condition_id"]));
  text("t_remaining", fmtDuration(hourEnd !== undefined ? hourEnd - now : undefined));
  text("tick", f(num(market, ["tick"]), 4));

  const fair = num(s, ["fair.p_yes_fair"]), lo = num(s, ["fair.band_lo"]), hi = num(s, ["fair.band_hi"]);
  text("fair", f(fair, 4));
  text("band", lo === undefined ? dash : f(lo, 4) + " .. " + f(hi, 4));
  const stale = pick(s, ["fair.stale"]), age = num(s, ["fair.snapshot_age_ms"]), problem = pick(s, ["fair.problem"]);
  text("snapshot_state", (stale === undefined ? dash : stale ? "STALE" : "fresh") + (age === undefined || age < 0 ? "" : " (" + age + " ms)")
       + (problem ? " " + problem : ""), stale ? "bad" : "ok");
  text("snapshot_seq", pick(s, ["fair.snapshot_seq"]));

  const bid = num(s, ["bbo.UP.bid"]), ask = num(s, ["bbo.UP.ask"]);
  text("book", f(bid, 4) + " / " + f(ask, 4));
  text("book_size", f(num(s, ["bbo.UP.bid_size"]), 2) + " / " + f(num(s, ["bbo.UP.ask_size"]), 2));
  text("book_down", f(num(s, ["bbo.DOWN.bid"]), 4) + " / " + f(num(s, ["bbo.DOWN.ask"]), 4));
  const orders = list(pick(s, ["working_orders"]));
  // Our quotes in Up terms: a BUY of Down at q is an offer of Up at 1 - q (the same exposure).
  const prices = (side, token) => orders.filter((o) => o.side === side && o.token === token)
                                        .map((o) => num(o, ["price"])).filter((p) => p !== undefined);
  const bids = prices("BUY", "UP").concat(prices("SELL", "DOWN").map((p) => 1 - p));
  const asks = prices("SELL", "UP").concat(prices("BUY", "DOWN").map((p) => 1 - p));
  const ourBid = bids.length ? Math.max(...bids) : undefined, ourAsk = asks.length ? Math.min(...asks) : undefined;
  text("our_quotes", f(ourBid, 4) + " / " + f(ourAsk, 4));
  const tbody = document.getElementById("orders"); tbody.replaceChildren();
  for (const o of orders) {
    row(tbody, [[o.side ?? dash], [o.token ?? dash], [f(num(o, ["price"]), 4), true], [f(num(o, ["size"]), 2), true],
                [f(num(o, ["matched"]), 2), true], [o.status ?? dash]]);
  }

  const up = num(s, ["positions.up"]), down = num(s, ["positions.down"]);
  text("inv_up", f(up, 2)); text("inv_down", f(down, 2));
  text("inv_net", up === undefined || down === undefined ? dash : f(up - down, 2));
  text("collateral", f(num(s, ["positions.usdc"]), 2) + " / " + f(num(s, ["positions.reserved_usdc"]), 2));
  const equity = num(s, ["pnl.equity"]), hourPnl = num(s, ["pnl.hour_pnl"]);
  text("equity", f(equity, 4));
  text("pnl_hour", f(hourPnl, 4), hourPnl < 0 ? "bad" : "ok");
  text("fees", f(num(s, ["positions.fees_paid"]), 4));

  const fills = list(pick(s, ["recent_fills"])).slice(-15).reverse();
  const fb = document.getElementById("fills"); fb.replaceChildren();
  for (const x of fills) {
    row(fb, [[fmtTime(num(x, ["ts_ms"]))], [x.side ?? dash], [x.token ?? dash], [f(num(x, ["price"]), 4), true],
             [f(num(x, ["size"]), 2), true], [x.status ?? dash]]);
  }
  fillList("mode_changes", pick(s, ["recent_mode_changes"]), 20);
  fillList("alerts", pick(s, ["recent_alerts"]), 20);
  kvTable("health", pick(s, ["health"]));
  kvTable("limits", pick(s, ["limits"]));
  document.getElementById("raw").textContent = JSON.stringify(s, null, 2);

  history.push({t: now, fair, lo, hi, bid, ask, ourBid, ourAsk});
  while (history.length && history[0].t < now - HISTORY_MS) history.shift();
  drawChart();
}

function kvTable(id, obj) {
  const tb = document.getElementById(id); tb.replaceChildren();
  if (obj && typeof obj === "object") {
    for (const [k, v] of Object.entries(obj)) row(tb, [[k], [typeof v === "object" ? JSON.stringify(v) : String(v)]]);
  }
}

function drawChart() {
  const svg = document.getElementById("chart"), ns = "http://www.w3.org/2000/svg";
  svg.replaceChildren();
  if (history.length < 2) return;
  const t0 = history[0].t, t1 = history[history.length - 1].t, span = Math.max(1, t1 - t0);
  text("chart_span", Math.round(span / 1000));
  const keys = ["fair", "lo", "hi", "bid", "ask", "ourBid", "ourAsk"];
  const values = history.flatMap((h) => keys.map((k) => h[k])).filter((v) => v !== undefined);
  const pad = 0.01, vmin = Math.max(0, Math.min(...values) - pad), vmax = Math.min(1, Math.max(...values) + pad);
  const vspan = Math.max(0.02, vmax - vmin);
  const x = (t) => ((t - t0) / span) * 1000, y = (p) => 195 - ((p - vmin) / vspan) * 190;
  const path = (key) => history.filter((h) => h[key] !== undefined).map((h) => x(h.t).toFixed(1) + "," + y(h[key]).toFixed(1)).join(" ");
  const add = (tag, attrs) => { const el = document.createElementNS(ns, tag); for (const k in attrs) el.setAttribute(k, attrs[k]); svg.appendChild(el); };
  for (const g of [0.25, 0.5, 0.75]) {
    const v = vmin + g * vspan;
    add("line", {x1: 0, x2: 1000, y1: y(v), y2: y(v), stroke: "#2a323c"});
    const label = document.createElementNS(ns, "text"); label.textContent = v.toFixed(3);
    label.setAttribute("x", 4); label.setAttribute("y", y(v) - 3); label.setAttribute("fill", "#8593a3"); label.setAttribute("font-size", 11);
    svg.appendChild(label);
  }
  const band = history.filter((h) => h.lo !== undefined && h.hi !== undefined);
  if (band.length > 1) {
    const pts = band.map((h) => x(h.t) + "," + y(h.hi)).concat(band.slice().reverse().map((h) => x(h.t) + "," + y(h.lo)));
    add("polygon", {points: pts.join(" "), fill: "rgba(63,185,80,0.15)"});
  }
  for (const [key, color, dash] of [["bid", "#58a6ff", ""], ["ask", "#58a6ff", ""], ["ourBid", "#d29922", "4 3"],
                                     ["ourAsk", "#d29922", "4 3"], ["fair", "#3fb950", ""]]) {
    const pts = path(key);
    if (pts) add("polyline", {points: pts, fill: "none", stroke: color, "stroke-width": key === "fair" ? 2 : 1, "stroke-dasharray": dash});
  }
}

function showLogin(message) {
  if (timer) { clearTimeout(timer); timer = null; }
  document.getElementById("app").hidden = true;
  document.getElementById("login").hidden = false;
  text("login-error", message || "");
}

async function poll() {
  const token = sessionStorage.getItem(KEY);
  if (!token) { showLogin(""); return; }
  try {
    const res = await fetch(STATUS_PATH, {headers: {Authorization: "Bearer " + token}, cache: "no-store"});
    if (res.status === 401 || res.status === 403) { sessionStorage.removeItem(KEY); showLogin("token refused (" + res.status + ")"); return; }
    if (!res.ok) throw new Error("HTTP " + res.status);
    const status = await res.json();
    document.getElementById("login").hidden = true;
    document.getElementById("app").hidden = false;
    render(status);
    text("updated", new Date().toISOString().substring(11, 19));
    text("conn", "live", "ok");
    document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
  } catch (err) {
    text("conn", "unreachable: " + err.message, "bad");
  }
  timer = setTimeout(poll, POLL_MS);
}

document.getElementById("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const value = document.getElementById("token").value.trim();
  if (!value) return;
  sessionStorage.setItem(KEY, value);
  document.getElementById("token").value = "";
  poll();
});
poll();
</script>
</body></html>
"""


def dashboard_html(*, status_path: str = "/status", poll_ms: int = 1000) -> str:
    """The page, polling `status_path` every `poll_ms` milliseconds."""
    if not status_path.startswith("/") or '"' in status_path or "\\" in status_path:
        raise ValueError(f"status_path must be an absolute path without quotes: {status_path!r}")
    if poll_ms < 100:
        raise ValueError("poll_ms must be at least 100")
    return _PAGE.replace("__STATUS_PATH__", status_path).replace("__POLL_MS__", str(int(poll_ms)))


DASHBOARD_HTML = dashboard_html()
"""The page as served at `GET /dashboard` (content type `text/html; charset=utf-8`)."""

# The browser may run the page's own inline script and styles and talk to this origin, nothing else.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                           "img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                           "frame-ancestors 'none'")


async def handle_dashboard(request: web.Request) -> web.Response:
    """`GET /dashboard` for the control plane: `app.router.add_get("/dashboard", handle_dashboard)`."""
    return web.Response(text=DASHBOARD_HTML, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store",
                                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})
