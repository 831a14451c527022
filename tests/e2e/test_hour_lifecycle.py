"""Spec 6.4, the "happy path" over the three real processes: the local venue, `binance_pricer` and
`polymarket_trader`, sharing a clock that runs at 90x (one hour in 40 s of wall time).

Nine steps: the scheduler selects the hour's market and resolves its tokens; the market websocket
brings tick size and book; the pricer's snapshots bring a fresh fair value; the decision loop
quotes; the user websocket reports partial fills; quotes skew against inventory; WIND_DOWN
shrinks the target; FLATTEN takes the position to flat; the hour ends (DONE) and the scheduler
rolls to the next market. Four assertions: every state change came through the reducer (the
journal replays into exactly the live state), no order outlived its expiration, the journal holds
the whole trace, and the hour ended flat with no working order. Evidence comes from the trader's
journal (replayed through the real reducer, whose effects give the session timeline), the venue's
own records (fills, ledger) and `/status` samples.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import msgspec
import pytest
from e2e.e2e_harness import Run, a_scenario, e2e_run, summary

from hourmm_common.enums import SessionState
from hourmm_common.hours import MINUTE_MS
from polymarket_trader.core.effects import ReportSessionChange
from polymarket_trader.core.events import (
    BinanceSnapshotEvent,
    MarketBboEvent,
    MarketSelected,
    OrderSubmitted,
    OrderType,
    SessionRolloverEvent,
    Side,
    TickSizeChangedEvent,
    Token,
    UserTradeEvent,
)
from polymarket_trader.core.reducer import reduce

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180), pytest.mark.xdist_group("e2e_processes")]

MIN_SIZE_SHARES = 5.0  # the scenario's minimum order size: a smaller net position cannot be traded away


def session_timeline(run: Run) -> list[tuple[int, SessionState]]:
    """(scenario ms, new session state) for every transition, from a replay of the journal."""
    state = run.initial_state
    out = []
    for ev in run.events:
        state, effects = reduce(state, ev)
        out += [(state.now_ms, fx.new) for fx in effects if isinstance(fx, ReportSessionChange)]
    return out


def orders_outliving_expiration(run: Run) -> list[str]:
    """Orders still open in the trader's state at or after their GTD expiration."""
    state = run.initial_state
    late: set[str] = set()
    for ev in run.events:
        state, _ = reduce(state, ev)
        for order in state.open_orders.values():
            if order.expiration_s and state.now_ms >= order.expiration_s * 1000:
                late.add(order.order_id)
    return sorted(late)


def net_up(run: Run, condition_id: str, until_ms: int) -> float:
    """Our net Up exposure in a market from the venue's fills (FAILED trades excluded)."""
    net = 0.0
    for f in run.fills:
        if f.market == condition_id and f.status != "FAILED" and f.t_ms < until_ms:
            sign = 1.0 if f.side == "BUY" else -1.0
            net += sign * f.size if f.token == "Up" else -sign * f.size
    return net


def quote_sizes(run: Run) -> dict[tuple[str, str], list[int]]:
    """Sizes of the ACTIVE-phase quotes, grouped by (side, inventory when submitted): side "bid"
    (adds Up exposure) or "ask" (BUY Down or SELL Up); inventory "long" / "short" when the net Up
    position was at least one share either way, else "flat"."""
    state = run.initial_state
    out: dict[tuple[str, str], list[int]] = {}
    for ev in run.events:
        state, _ = reduce(state, ev)
        if not isinstance(ev, OrderSubmitted) or state.session_state is not SessionState.ACTIVE:
            continue
        side = "bid" if (ev.side is Side.BUY) == (ev.token is Token.UP) else "ask"
        net = state.positions.net_up_e6 / 1e6
        inventory = "flat" if abs(net) < 1.0 else "long" if net > 0 else "short"
        out.setdefault((side, inventory), []).append(ev.size_e6)
    return out


async def test_one_full_hour_from_selection_to_the_roll(tmp_path: Path) -> None:
    # Takers of 5-8 shares against our 10-share quotes: every fill of ours is a partial one.
    scenario = a_scenario(tmp_path, participants={"taker_size_min": 5, "taker_size_max": 8, "taker_rate_per_min": 3})
    # A 30-share inventory cap, so that a few fills move the quote sizes visibly.
    async with e2e_run(tmp_path, scenario, trader_env={"HOURMM_RISK_MAX_POSITION_E6": "30000000"}) as run:
        await run.sample_until(run.hour_end_ms + 2 * MINUTE_MS)
        await run.finish()
    why = summary(run)
    first, second = run.market(0), run.market(1)
    start, end = run.first_hour_ms, run.hour_end_ms

    # 1. The scheduler selected the hour's market and resolved its tokens (then the next one).
    selected = [ev.market for ev in run.of(MarketSelected)]
    assert [(m.condition_id, m.up_token_id, m.down_token_id) for m in selected[:1]] == [
        (first["condition_id"], first["up_token"], first["down_token"])], why
    assert second["condition_id"] in {m.condition_id for m in selected}, why

    # 2. The market websocket gave the book of both tokens, and the tick size, before any quote.
    submitted = run.of(OrderSubmitted)
    first_quote_ms = min(o.ts_local_ms for o in submitted)
    tops = [ev for ev in run.of(MarketBboEvent) if ev.ts_local_ms < first_quote_ms]
    assert {ev.token for ev in tops} == {Token.UP, Token.DOWN}, why
    ticks = [s.market.tick_e4 for s in run.samples if start <= s.ts_ms < end and s.market]
    assert ticks and ticks[0] == 100, why  # the scenario's 0.01
    changes = {ev.new_tick_e4 for ev in run.of(TickSizeChangedEvent)}
    assert set(ticks) <= {100} | changes, why  # 0.001 only if the venue said so (a price near 0 or 1)

    # 3. The pricer's snapshots carried a fair value and were fresh through the hour.
    snaps = [ev.snapshot for ev in run.of(BinanceSnapshotEvent) if start <= ev.ts_local_ms < end]
    assert len(snaps) > 100, why
    assert sum(1 for s in snaps if s.p_yes_fair is not None and not s.stale) >= 0.95 * len(snaps), why
    assert all(0.0 < s.p_yes_fair < 1.0 for s in snaps if s.p_yes_fair is not None), why

    # 4. The decision loop posted post-only GTD quotes on both sides, expiring at cutoff + 60 s.
    hour_quotes = [o for o in submitted if start <= o.ts_local_ms < end and o.order_type is OrderType.GTD]
    assert {(o.token, o.side) for o in hour_quotes} >= {(Token.UP, Side.BUY), (Token.DOWN, Side.BUY)}, why
    assert all(o.post_only and o.expiration_s * 1000 == end for o in hour_quotes), why

    # 5. The user websocket reported fills of ours, partial ones among them.
    sizes = {o.order_id: o.size_e6 for o in submitted}
    fills = [f for ev in run.of(UserTradeEvent) for f in ev.fills if f.order_id in sizes]
    assert fills, why
    assert any(f.size_e6 < sizes[f.order_id] for f in fills), why

    # 6. The risk engine leaned the quotes against inventory: the side that would add to the
    # position is quoted smaller (long Up -> smaller bids, short Up -> smaller asks) than when flat.
    # (The price skew is clamped by the minimum spread and the post-only bounds, so it is checked
    # in the core's unit tests rather than here.)
    sizes = {key: statistics.mean(values) for key, values in quote_sizes(run).items()}
    leaning = [(side, inv) for side, inv in (("bid", "long"), ("ask", "short")) if (side, inv) in sizes]
    assert leaning and all((side, "flat") in sizes for side, _ in leaning), (sizes, why)
    for side, inventory in leaning:
        assert sizes[(side, inventory)] < sizes[(side, "flat")], (side, inventory, sizes, why)

    # 7-9. Session timeline: ACTIVE, WIND_DOWN at end - 10 min, FLATTEN at end - 4 min, DONE, roll.
    timeline = [(t, s) for t, s in session_timeline(run) if start - 15 * MINUTE_MS <= t <= end + 2 * MINUTE_MS]
    phases = [s for _, s in timeline]
    for phase in (SessionState.ACTIVE, SessionState.WIND_DOWN, SessionState.FLATTEN):
        assert phase in phases, (phases, why)
    wind = next(t for t, s in timeline if s is SessionState.WIND_DOWN)
    flatten = next(t for t, s in timeline if s is SessionState.FLATTEN)
    assert end - 10 * MINUTE_MS <= wind < end - 9 * MINUTE_MS, why
    assert end - 4 * MINUTE_MS <= flatten < end - 3 * MINUTE_MS, why
    # WIND_DOWN: the target shrinks, so no quote after it is bigger than the ones before it.
    before = max(o.size_e6 for o in hour_quotes if o.ts_local_ms < wind)
    during = [o.size_e6 for o in submitted if wind <= o.ts_local_ms < flatten and o.order_type is OrderType.GTD]
    assert all(size < before for size in during[len(during) // 2:]), why
    # The hour's end: DONE (unless the roll lands first, at the same instant), then the roll.
    after_end = [s for t, s in timeline if t >= end]
    assert after_end and after_end[0] in (SessionState.DONE, SessionState.ACTIVE, SessionState.BOOT_SYNC), why
    rolls = [ev for ev in run.of(SessionRolloverEvent) if ev.hour_start_ms == end]
    assert rolls, why
    assert run.final_status is not None and run.final_status.market is not None, why
    assert run.final_status.market.condition_id == second["condition_id"], why

    # Assertion: the journal holds the whole trace of events and decisions.
    tags = {type(ev).__name__ for ev in run.events}
    assert tags >= {"BootStarted", "MarketSelected", "MarketBboEvent", "BinanceSnapshotEvent", "OrderSubmitted",
                    "RestOrderAckEvent", "UserOrderEvent", "UserTradeEvent", "SessionRolloverEvent",
                    "OpenOrdersSnapshot", "BalancesSnapshot", "ReducerTickEvent"}, why
    assert tags & {"CancelRequested", "CancelAllRequested"}, why
    assert run.decisions > 0, why

    # Assertion: no order outlived its expiration.
    assert orders_outliving_expiration(run) == [], why

    # Assertion: the hour ended flat, with nothing working at its end.
    assert abs(net_up(run, first["condition_id"], end)) < MIN_SIZE_SHARES, why
    hour_orders = {o.order_id for o in submitted if o.expiration_s * 1000 == end}
    state = run.initial_state
    for ev in run.events:
        state, _ = reduce(state, ev)
        if state.now_ms >= end:
            break
    assert not hour_orders & set(state.open_orders), why

    # Assertion: state changed only through the reducer: the journal, folded from the start or
    # restored from its latest snapshot, gives exactly the trader's live positions.
    replayed, restored = run.replayed(), run.restored()
    assert replayed == restored
    assert run.final_status is not None
    live = msgspec.structs.asdict(run.final_status.positions)
    assert {k: getattr(replayed.positions, k) for k in live} == live, why
    assert not replayed.open_orders, why

    # And those positions, collateral included (the hour has settled), are the venue's.
    assert run.ledger_ok, why

