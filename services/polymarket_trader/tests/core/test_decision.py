"""`core.decision.step`: pure, paced by a journaled `Pacing`, resumable after a restart."""

from __future__ import annotations

import msgspec
from trader_testkit.builders import a_bbo, a_fill, a_submit, a_user_trade, an_ack, at, boot_events
from trader_testkit.harness import CoreHarness

from polymarket_trader.core.decision import (
    DecisionRecord,
    FakCooldown,
    InflightCancel,
    InflightPlace,
    Pacing,
    resume_pacing,
    step,
)
from polymarket_trader.core.effects import CancelOrders, PlaceOrder
from polymarket_trader.core.events import OrderType, Token
from polymarket_trader.core.params import DecisionParams

PARAMS = DecisionParams()


def quoting(minute: float = 1) -> CoreHarness:
    h = CoreHarness(now_ms=at(minute))
    h.feed_all(boot_events(ts=at(minute)))
    h.fresh_snapshot(0.55)
    h.feed(a_bbo(Token.UP, 0.45, 0.65, ts=at(minute)), a_bbo(Token.DOWN, 0.35, 0.55, ts=at(minute)))
    return h


def test_the_same_inputs_give_the_same_actions_and_pacing() -> None:
    h = quoting()
    first = step(h.state, h.snapshot, h.clock.now_ms(), h.pacing, rules=h.rules)
    again = step(h.state, h.snapshot, h.clock.now_ms(), h.pacing, rules=h.rules)
    assert first.actions and first == again
    assert first.pacing.n == h.pacing.n + 1
    assert {p.slot for p in first.pacing.places} == {"bid", "ask"}
    assert all(p.sent_ms == h.clock.now_ms() for p in first.pacing.places)


def test_a_slot_in_flight_gets_nothing_until_the_view_reflects_it() -> None:
    h = quoting()
    sent = h.decide()
    assert {a.client_req_id.rsplit(":", 1)[1] for a in sent} == {"bid", "ask"}  # type: ignore[union-attr]
    h.clock.advance(20)
    assert h.decide() == []  # the view has not seen the intents yet
    h.echo(sent)
    h.clock.advance(20)
    assert h.decide() == [] and h.pacing.places == ()  # reflected: pruned, and the quotes rest
    assert h.expired == 0


def test_entries_the_view_never_reflects_expire_and_are_counted() -> None:
    h = quoting()
    h.decide()
    h.clock.advance(PARAMS.inflight_timeout_ms + 1)
    h.fresh_snapshot(0.55)
    result = step(h.state, h.snapshot, h.clock.now_ms(), h.pacing, rules=h.rules)
    assert result.expired == 2 and result.actions  # both slots are free again: quoted anew


def test_a_cancel_in_flight_is_not_sent_twice() -> None:
    h = quoting()
    h.echo(h.decide())
    h.clock.advance(2_000)
    h.fresh_snapshot(0.75)  # far away: both quotes are replaced
    replaced = h.decide()
    [cancel] = [a for a in replaced if isinstance(a, CancelOrders)]
    assert {c.order_id for c in h.pacing.cancels} == set(cancel.order_ids)
    h.clock.advance(20)
    h.fresh_snapshot(0.75)
    assert not any(isinstance(a, CancelOrders) for a in h.decide())


def test_a_fak_starts_its_slot_cooldown() -> None:
    h = CoreHarness(now_ms=at(58))
    h.feed_all(boot_events(ts=at(58)))
    h.feed(a_submit("0xl", size=20, ts=at(58)), an_ack("0xl", ts=at(58)),
           a_user_trade(a_fill("0xl", size=20), ts=at(58)))
    h.clock.advance(20)
    h.fresh_snapshot(0.5)
    h.feed(a_bbo(Token.UP, 0.45, 0.55, ts=h.clock.now_ms()), a_bbo(Token.DOWN, 0.45, 0.55, ts=h.clock.now_ms()))
    [fak] = [a for a in h.decide() if isinstance(a, PlaceOrder) and a.order_type is OrderType.FAK]
    slot = fak.client_req_id.rsplit(":", 1)[1]
    assert h.pacing.cooldowns == (FakCooldown(slot=slot, until_ms=h.clock.now_ms() + PARAMS.fak_min_interval_ms),)
    h.echo([fak])  # killed unfilled: the view reflects it, the slot is free but cooling down
    h.clock.advance(PARAMS.fak_min_interval_ms // 2)
    h.fresh_snapshot(0.5)
    assert [a for a in h.decide() if isinstance(a, PlaceOrder)] == []
    h.clock.advance(PARAMS.fak_min_interval_ms // 2)
    h.fresh_snapshot(0.5)
    assert [a for a in h.decide() if isinstance(a, PlaceOrder)]  # over: the FAK is tried again
    assert all(c.until_ms > h.clock.now_ms() for c in h.pacing.cooldowns)  # finished cooldowns are dropped


def test_pacing_and_decision_records_survive_the_journal_encoding() -> None:
    pacing = Pacing(n=7, places=(InflightPlace(slot="bid", client_req_id="1:6:bid", sent_ms=5),),
                    cancels=(InflightCancel(order_id="0xa", sent_ms=5),), cooldowns=(FakCooldown(slot="flat", until_ms=9),))
    h = quoting()
    result = step(h.state, h.snapshot, h.clock.now_ms(), pacing, rules=h.rules)
    record = DecisionRecord(now_ms=h.clock.now_ms(), seq=h.state.seq, snapshot=h.snapshot, pacing_before=pacing,
                            pacing=result.pacing, actions=result.actions)
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(record), type=DecisionRecord) == record
    assert record.n == 7


def test_a_restart_resumes_the_pacing_numbered_from_the_clock() -> None:
    assert resume_pacing(None, 1_000) == Pacing(n=1_000)
    left = Pacing(n=50, places=(InflightPlace(slot="bid", client_req_id="1:49:bid", sent_ms=40),))
    assert resume_pacing(left, 1_000) == msgspec.structs.replace(left, n=1_000)
    assert resume_pacing(msgspec.structs.replace(left, n=2_000), 1_000).n == 2_000  # never backwards
