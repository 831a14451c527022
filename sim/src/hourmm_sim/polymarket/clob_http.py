"""The JSON answers every CLOB REST room gives: compact JSON bodies and `{"error": ...}` errors,
as the real venue writes them. Used by `clob_rest`, `clob_market_data` and `sim_admin`."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(body, separators=(",", ":")), status=status, content_type="application/json")


def error_response(message: str, status: int = 400) -> web.Response:
    return json_response({"error": message}, status)
