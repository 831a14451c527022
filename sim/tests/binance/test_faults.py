"""Keep-alive and faults: pings, the pong deadline, the 24 h cut, drops and silence."""

from __future__ import annotations

import aiohttp

from hourmm_common.clock import settle
from hourmm_sim.tape import Tape

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
TAPE_START_MS = 1_750_068_000_000  # the conftest tape: 2025-06-16 10:00-12:00 UTC
T0 = TAPE_START_MS + 10 * MINUTE_MS
CLOSED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


async def test_a_client_that_answers_pings_stays_connected(standin_at, connect) -> None:
    standin, clock = await standin_at(T0)
    probe = await connect(f"{standin.ws_base_url}/ws/btcusdt@trade")
    await clock.run_until(T0 + 2 * MINUTE_MS)
    assert len(await probe.drain()) > 0
    await probe.drain(req_id=2)  # sent after the last pong: its reply proves the pong arrived
    assert standin.counters["ws_pings_sent"] == 6
    assert standin.counters["ws_pongs_received"] == 6
    assert standin.connection_count == 1 and "ws_dropped_no_pong" not in standin.counters


async def test_a_client_that_never_pongs_is_dropped_a_minute_after_the_first_ping(standin_at, connect) -> None:
    standin, clock = await standin_at(T0)
    probe = await connect(f"{standin.ws_base_url}/ws", autoping=False)
    await clock.run_until(T0 + 20_000)
    ping = await probe.next_frame()
    assert ping.type is aiohttp.WSMsgType.PING
    await clock.run_until(T0 + 79_999)
    assert standin.connection_count == 1
    await clock.run_until(T0 + 80_000)
    frames = [await probe.next_frame()]
    while frames[-1].type not in CLOSED:
        frames.append(await probe.next_frame())
    assert [f.type for f in frames[:-1]] == [aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PING]
    assert standin.counters["ws_dropped_no_pong"] == 1


async def test_connections_are_closed_after_24_hours(standin_at, connect) -> None:
    standin, clock = await standin_at(T0)
    probe = await connect(f"{standin.ws_base_url}/stream?streams=btcusdt@trade")
    await clock.run_until(T0 + 10_000)
    await probe.drain()
    clock.set(T0 + 24 * HOUR_MS - 1)  # a jump: every sleeper wakes once
    await settle()
    await probe.drain(req_id=2)
    assert standin.connection_count == 1
    clock.set(T0 + 24 * HOUR_MS)
    frame = await probe.next_frame()
    while frame.type not in CLOSED:
        frame = await probe.next_frame()
    assert frame.type is aiohttp.WSMsgType.CLOSE and frame.data == aiohttp.WSCloseCode.GOING_AWAY
    assert standin.counters["ws_cut_after_max_age"] == 1


async def test_drop_connections_cuts_every_client_and_a_reconnect_resumes(
    standin_at, connect, tape: Tape
) -> None:
    standin, clock = await standin_at(T0)
    first = await connect(f"{standin.ws_base_url}/ws/btcusdt@trade")
    second = await connect(f"{standin.ws_base_url}/stream?streams=btcusdt@bookTicker")
    await clock.run_until(T0 + 5_000)
    assert await standin.drop_connections() == 2
    for probe in (first, second):
        frame = await probe.next_frame()
        while frame.type not in CLOSED:
            frame = await probe.next_frame()
        assert frame.type is not aiohttp.WSMsgType.CLOSE or frame.data != aiohttp.WSCloseCode.OK
    await clock.run_until(T0 + 30_000)
    again = await connect(f"{standin.ws_base_url}/ws/btcusdt@trade")
    await clock.run_until(T0 + 40_000)
    got = await again.drain()
    assert [m["t"] for m in got] == [t.trade_id for t in tape.trades_between(T0 + 30_001, T0 + 40_001)]
    assert standin.counters["ws_forced_drops"] == 2


async def test_silence_keeps_connections_open_but_sends_nothing_until_resumed(
    standin_at, connect, tape: Tape
) -> None:
    standin, clock = await standin_at(T0)
    probe = await connect(f"{standin.ws_base_url}/ws/btcusdt@trade")
    await clock.run_until(T0 + 5_000)
    await probe.drain()
    standin.set_silent(True)
    await clock.run_until(T0 + 50_000)
    await probe.request("LIST_SUBSCRIPTIONS", req_id=5)  # not answered while silent
    await settle()
    standin.set_silent(False)
    assert standin.connection_count == 1 and standin.counters["ws_messages_suppressed"] > 0
    await clock.run_until(T0 + 60_000)
    got = await probe.drain(req_id=6)
    assert got and all(m.get("T", 0) > T0 + 50_000 for m in got)
    assert [m["t"] for m in got] == [t.trade_id for t in tape.trades_between(T0 + 50_001, T0 + 60_001)]
