"""`hourmm ctl ...`: the operator's commands to a running trader's control plane.

    hourmm ctl status
    hourmm ctl pause [--reason TEXT]          hourmm ctl resume [--reason TEXT]
    hourmm ctl mode NORMAL|REDUCE_ONLY|FLATTEN|HALT [--reason TEXT]
    hourmm ctl flatten [--reason TEXT]
    hourmm ctl limits [--max-order-size SHARES] [--max-position SHARES] [--max-reserved PUSD]
                      [--max-loss-per-hour PUSD] [--max-open-orders N] [--reason TEXT]

The server is `--url` (default `http://$CONTROL_HOST:$CONTROL_PORT`, i.e. 127.0.0.1:9000) and the
token comes from `CONTROL_TOKEN` or the file named by `CONTROL_TOKEN_FILE` (never a command-line
argument: it would show in `ps`). Exit code 0 on success, 1 when the server refused, 2 on usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import aiohttp


def _e6(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from exc
    scaled = value * 1_000_000
    if value <= 0 or scaled != scaled.to_integral_value():
        raise argparse.ArgumentTypeError(f"{text!r} must be positive with at most 6 decimals")
    return int(scaled)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hourmm ctl", description="Operator commands to the trader's control plane.")
    p.add_argument("--url", default=None, help="control plane base URL (default from CONTROL_HOST/CONTROL_PORT)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="print the trader's status (JSON)")
    for name, help_ in (("pause", "stop quoting (working quotes are cancelled)"), ("resume", "resume quoting"),
                        ("flatten", "flatten the position now")):
        sub.add_parser(name, help=help_).add_argument("--reason", default="")
    mode = sub.add_parser("mode", help="set the risk mode")
    mode.add_argument("mode", choices=["NORMAL", "REDUCE_ONLY", "FLATTEN", "HALT"])
    mode.add_argument("--reason", default="")
    lim = sub.add_parser("limits", help="change risk limits (shares / pUSD)")
    lim.add_argument("--max-order-size", type=_e6, dest="max_order_size_e6")
    lim.add_argument("--max-position", type=_e6, dest="max_position_e6")
    lim.add_argument("--max-reserved", type=_e6, dest="max_reserved_usdc_e6")
    lim.add_argument("--max-loss-per-hour", type=_e6, dest="max_loss_per_hour_usdc_e6")
    lim.add_argument("--max-open-orders", type=int, dest="max_open_orders")
    lim.add_argument("--reason", default="")
    return p


def request_for(args: argparse.Namespace) -> tuple[str, str, dict[str, Any] | None]:
    """(method, path, JSON body) for the parsed command (pure)."""
    cmd = args.command
    if cmd == "status":
        return "GET", "/status", None
    if cmd == "pause":
        return "POST", "/pause_quoting", {"paused": True, "reason": args.reason}
    if cmd == "resume":
        return "POST", "/resume_quoting", {"reason": args.reason}
    if cmd == "flatten":
        return "POST", "/flatten_now", {"reason": args.reason}
    if cmd == "mode":
        return "POST", "/set_mode", {"mode": args.mode, "reason": args.reason}
    limits = {k: v for k, v in vars(args).items()
              if k.startswith("max_") and v is not None}
    return "POST", "/set_limits", {**limits, "reason": args.reason}


def _token(environ: dict[str, str]) -> str | None:
    if environ.get("CONTROL_TOKEN"):
        return environ["CONTROL_TOKEN"].strip()
    path = environ.get("CONTROL_TOKEN_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError:
            return None
    return None


async def _send(url: str, token: str, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, str]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session, \
            session.request(method, url.rstrip("/") + path, json=body,
                            headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.text()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    environ = dict(os.environ)
    token = _token(environ)
    if not token:
        print("hourmm ctl: set CONTROL_TOKEN (or CONTROL_TOKEN_FILE) to the trader's control token", file=sys.stderr)
        return 2
    url = args.url or f"http://{environ.get('CONTROL_HOST', '127.0.0.1').replace('0.0.0.0', '127.0.0.1')}:" \
                      f"{environ.get('CONTROL_PORT', '9000')}"
    method, path, body = request_for(args)
    if path == "/set_limits" and set(body or {}) <= {"reason"}:
        print("hourmm ctl limits: give at least one limit", file=sys.stderr)
        return 2
    try:
        status, text = asyncio.run(_send(url, token, method, path, body))
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        print(f"hourmm ctl: cannot reach {url}: {exc}", file=sys.stderr)
        return 1
    try:
        print(json.dumps(json.loads(text), indent=2))
    except json.JSONDecodeError:
        print(text)
    return 0 if status < 400 else 1


if __name__ == "__main__":
    raise SystemExit(main())
