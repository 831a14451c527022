"""The Polymarket side of the backtest: the venue's CLOB, its background participants and the
hourly markets, stepped by the backtest's clock in the same process.

In: the tape (the participants' "true" price and the hours' outcomes), the hours to list, the
seed. Out: venue events (`Clob.drain()`), the book's mid per market, and a place to send the
trader's orders. Each hour's winner comes from the tape's own hourly kline (close >= open -> Up),
the same trades the pricer saw, so the backtest cannot disagree with itself about an outcome.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from hourmm_common.hours import HOUR_MS
from hourmm_sim.polymarket.clob import Clob
from hourmm_sim.polymarket.clob_events import MarketSpec, VenueEvent
from hourmm_sim.polymarket.clob_rules import ClobConfig
from hourmm_sim.polymarket.markets import hourly_market
from hourmm_sim.polymarket.matching import DOWN, UP
from hourmm_sim.polymarket.participants import Participants, ParticipantsConfig
from hourmm_sim.polymarket.units import ONE
from hourmm_sim.tape import Tape

TRADER_ADDRESS = "0x00000000000000000000000000000000000b7e57"
TRADER_KEY = "backtest-trader-0000-000000000001"


class VenueParams(msgspec.Struct, frozen=True, kw_only=True):
    participants: ParticipantsConfig = ParticipantsConfig()
    clob: ClobConfig = ClobConfig()
    fee_rate_e5: int = 7_000  # crypto up/down: takers pay 0.07 x (p(1 - p)) per share, makers nothing
    fee_exponent: int = 1
    tick_u: int = 10_000
    trader_funds_pusd: float = 1_000.0
    list_ahead_ms: int = 2 * HOUR_MS


def sigma_per_sqrt_hour(minute_closes: Sequence[float]) -> float | None:
    """RMS 1-minute log return scaled to an hour: the prior of the participants' tape-driven volatility (`TapeVol`)."""
    r2 = [math.log(b / a) ** 2 for a, b in zip(minute_closes, minute_closes[1:], strict=False) if a > 0 and b > 0]
    return math.sqrt(60.0 * sum(r2) / len(r2)) if r2 else None


class VenueSim:
    def __init__(self, tape: Tape, hour_starts: Sequence[int], seed: int, params: VenueParams) -> None:
        self.tape = tape
        self.clob = Clob(msgspec.structs.replace(params.clob, seed=f"backtest:{seed}"))
        self.specs: dict[int, MarketSpec] = {}
        for start in hour_starts:
            spec = hourly_market(f"backtest:{seed}", start, lead_ms=params.list_ahead_ms, tick_u=params.tick_u,
                                 fee_rate_e5=params.fee_rate_e5, fee_exponent=params.fee_exponent)
            self.clob.add_market(spec)
            self.specs[start] = spec
        self.participants = Participants(self.clob, tape.price_at, params.participants, seed)
        self.clob.ledger.deposit(TRADER_ADDRESS, round(params.trader_funds_pusd * ONE))
        self._winners: dict[str, int | None] = {}

    def winner(self, spec: MarketSpec) -> int | None:
        """Up when the hour's close on the tape is at or above its open; None without trades."""
        if spec.condition_id not in self._winners:
            k = self.tape.kline(HOUR_MS, spec.start_ms)
            self._winners[spec.condition_id] = None if k is None else (UP if k.close >= k.open else DOWN)
        return self._winners[spec.condition_id]

    def step(self, now_ms: int) -> list[VenueEvent]:
        """Let the rest of the market act, run what is due, and hand over what happened."""
        self.participants.step(now_ms)
        self.clob.advance(now_ms, self.winner)
        return self.clob.drain()

    def mid_u(self, condition_id: str) -> int | None:
        """The Up book's mid in micro pUSD, None when a side is empty."""
        book = self.clob.markets[condition_id].book
        bid, ask = book.best_bid(), book.best_ask()
        return None if bid is None or ask is None else (bid + ask) // 2
