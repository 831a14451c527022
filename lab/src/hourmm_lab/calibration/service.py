"""The pricer service's own code as a study candidate: `DefaultFeatureEngine` + `BaselinePricer`.

The study then scores exactly what runs in production, not a re-implementation. On minute data the
engine is fed through its boot path (`warm_start`, one minute return at a time), which is how the
service seeds its EWMA variances; the pricer sees an `HourContext` whose reference price is S and
whose open is O at the decision time. Causal by construction: the engine has been fed the closes
of candles `0 .. i-1` when the decision at minute `i` is priced.
"""

from __future__ import annotations

from binance_pricer.core.events import PRICE_SCALE
from binance_pricer.core.features import DefaultFeatureEngine
from binance_pricer.core.hour_context import HourContext
from binance_pricer.core.pricer import BaselinePricer
from hourmm_common.hours import HOUR_MS, hour_id
from hourmm_lab.calibration.candidates import Fitted, clamp
from hourmm_lab.calibration.candles import MinuteCandles
from hourmm_lab.calibration.decisions import Decision, Split


def context_at(d: Decision) -> HourContext:
    now_ms = d.hour_start_ms + HOUR_MS - d.tau_min * 60_000
    return HourContext(
        now_ms=now_ms, hour_id=hour_id(d.hour_start_ms), hour_start_ms=d.hour_start_ms,
        hour_end_ms=d.hour_start_ms + HOUR_MS, t_remaining_ms=d.tau_min * 60_000,
        open_e8=round(d.o * PRICE_SCALE), open_source=None, last_trade_e8=round(d.s * PRICE_SCALE),
        last_trade_ts_exchange_ms=now_ms, bid_e8=None, bid_qty=None, ask_e8=None, ask_qty=None,
        ts_exchange_ms=now_ms,
    )


def fit_service_default(c: MinuteCandles, split: Split) -> Fitted:
    """Sweep the candles once, snapshotting the engine's features at every decision minute."""
    engine = DefaultFeatureEngine()
    pricer = BaselinePricer()
    wanted = {d.index: d for d in split.train + split.test}
    features: dict[int, dict[str, float]] = {}
    closes = c.close
    for i in range(1, max(wanted) + 1):
        if i >= 2:
            engine.warm_start((closes[i - 2], closes[i - 1]))
        if i in wanted:
            features[i] = engine.snapshot(context_at(wanted[i]))

    def predict(d: Decision) -> float:
        out = pricer.price(context_at(d), features[d.index])
        return clamp(0.999 if d.s >= d.o else 0.001) if out.p_yes is None else out.p_yes

    return Fitted(predict=predict, params={})
