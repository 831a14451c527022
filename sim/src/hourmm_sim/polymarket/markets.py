"""The hourly "Bitcoin Up or Down" markets of a scenario: one per hour, with deterministic ids
(condition id, question id, token ids) derived from the seed and the hour, slugs and titles in
the real ET form, listed ahead of their window as the real series is."""

from __future__ import annotations

import hashlib

from hourmm_common.hours import HOUR_MS, et_hour_label, et_slugs, iso_ms
from hourmm_sim.polymarket.clob_events import MarketSpec

RESOLUTION_SOURCE = "https://www.binance.com/en/trade/BTC_USDT"
DESCRIPTION = (
    'This market will resolve to "Up" if the close price is greater than or equal to the open price for the '
    'BTC/USDT 1 hour candle that begins on the time and date specified in the title. Otherwise, this market '
    'will resolve to "Down". The resolution source for this market is information from Binance, specifically '
    "the BTC/USDT pair (https://www.binance.com/en/trade/BTC_USDT). The close \u00ab C \u00bb and open \u00ab O \u00bb "
    'displayed at the top of the graph for the relevant "1H" candle will be used once the data for that candle '
    'is finalized. Please note that this market is about the price according to Binance BTC/USDT, not according '
    "to other exchanges or trading pairs."
)
SERIES = {"id": "10114", "ticker": "btc-up-or-down-hourly", "slug": "btc-up-or-down-hourly",
          "title": "BTC Up or Down Hourly", "seriesType": "single", "recurrence": "hourly"}


def _h(seed: str, what: str, hour_ms: int) -> bytes:
    return hashlib.sha256(f"{seed}:{what}:{hour_ms}".encode()).digest()


def hourly_market(seed: str, hour_start_ms: int, *, lead_ms: int = 48 * HOUR_MS, tick_u: int = 10_000,
                  min_size_u: int = 5_000_000, fee_rate_e5: int = 0, fee_exponent: int = 1) -> MarketSpec:
    token_space = 2**256 - 1
    up = int.from_bytes(_h(seed, "up", hour_start_ms), "big") % token_space
    down = int.from_bytes(_h(seed, "down", hour_start_ms), "big") % token_space
    number = int.from_bytes(_h(seed, "id", hour_start_ms)[:3], "big")
    return MarketSpec(
        condition_id="0x" + _h(seed, "condition", hour_start_ms).hex(),
        question_id="0x" + _h(seed, "question", hour_start_ms).hex(),
        up_token=str(up), down_token=str(down),
        slug=et_slugs(hour_start_ms)[0],
        title=f"Bitcoin Up or Down - {et_hour_label(hour_start_ms)}",
        start_ms=hour_start_ms, end_ms=hour_start_ms + HOUR_MS, listed_ms=hour_start_ms - lead_ms,
        tick_u=tick_u, min_size_u=min_size_u, fee_rate_e5=fee_rate_e5, fee_exponent=fee_exponent,
        event_id=str(300_000 + number % 600_000), market_id=str(1_600_000 + number % 800_000),
    )


def iso(ms: int) -> str:
    """Gamma's ISO form for window times: seconds precision, Z."""
    return iso_ms(ms).split(".")[0].removesuffix("Z") + "Z"
