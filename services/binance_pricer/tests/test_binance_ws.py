"""BinanceWsClient against a scripted local server (A-1 connection side, keep-alive, reconnects)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import aiohttp
import pytest
from pricer_testkit.builders import H0, book_frame, fixture, trade_frame
from pricer_testkit.fake_binance import FakeBinance
from pricer_testkit.waiting import until

from binance_pricer.binance_ws import BinanceWsClient, combined_stream_url
from binance_pricer.core.events import BinanceEvent, BookTickerEvent, TradeEvent
from hourmm_common.clock import ManualClock


class Harness:
    def __init__(self, fake: FakeBinance, session: aiohttp.ClientSession, clock: ManualClock) -> None:
        self.fake = fake
        self.clock = clock
        self.events: list[BinanceEvent] = []
        self.client = BinanceWsClient(
            session=session, base_url=fake.ws_base_url, symbol="BTCUSDT", clock=clock, sink=self.events.append,
            max_connection_ms=3_600_000, backoff_base_ms=100, backoff_cap_ms=1_000, rng=random.Random(1),
        )
        self.task: asyncio.Task[None] | None = None


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    fake = FakeBinance()
    await fake.start()
    async with aiohttp.ClientSession() as session:
        h = Harness(fake, session, ManualClock(H0))
        h.task = asyncio.create_task(h.client.run())
        await until(lambda: h.client.connected and fake.open_sockets == 1)
        yield h
        await h.client.close()
        await asyncio.wait_for(h.task, timeout=5)
    await fake.stop()


def test_combined_stream_url_lists_the_three_streams() -> None:
    assert combined_stream_url("wss://stream.binance.com:9443/", "BTCUSDT") == (
        "wss://stream.binance.com:9443/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@kline_1h"
    )


async def test_connects_once_on_the_combined_stream_url(harness: Harness) -> None:
    assert harness.client.connected
    assert harness.fake.paths == ["/stream?streams=btcusdt@trade/btcusdt@bookTicker/btcusdt@kline_1h"]
    assert harness.client.connections == 1 and harness.client.reconnects == 0


async def test_frames_become_events_stamped_with_exchange_and_local_time(harness: Harness) -> None:
    harness.clock.set(H0 + 1_234)
    await harness.fake.send(trade_frame(trade_id=7, ts=H0 + 1_200), book_frame(update_id=3),
                            fixture("ws/combined_trade_spot.json").decode())
    await until(lambda: len(harness.events) == 3)
    trade, book, recorded = harness.events
    assert isinstance(trade, TradeEvent) and trade.ts_exchange_ms == H0 + 1_200 and trade.ts_local_ms == H0 + 1_234
    assert isinstance(book, BookTickerEvent) and book.ts_exchange_ms is None and book.ts_local_ms == H0 + 1_234
    assert isinstance(recorded, TradeEvent) and recorded.trade_id == 4184327113
    assert harness.client.last_event_ts_local_ms == H0 + 1_234
    assert harness.client.last_event_ts_exchange_ms == 1732440000121


async def test_malformed_and_unknown_frames_are_counted_and_dropped(harness: Harness) -> None:
    await harness.fake.send("garbage", '{"stream":"btcusdt@trade","data":{}}',
                            fixture("ws/combined_agg_trade_spot.json").decode(),
                            fixture("ws/subscribe_response.json").decode(), trade_frame(trade_id=9))
    await until(lambda: len(harness.events) == 1)
    c = harness.client
    assert (c.parse_errors, c.unknown_messages, c.control_messages, c.messages) == (2, 1, 1, 5)
    assert c.connected and c.reconnects == 0


async def test_answers_server_pings(harness: Harness) -> None:
    await harness.fake.ping()
    await until(lambda: harness.fake.pongs == 1)


async def test_reconnects_with_backoff_after_a_dropped_connection(harness: Harness) -> None:
    await harness.fake.send(trade_frame(trade_id=1))
    await until(lambda: len(harness.events) == 1)
    await harness.fake.drop()
    await until(lambda: not harness.client.connected and harness.clock.next_deadline_ms() is not None)
    assert harness.fake.open_sockets == 0  # still waiting out the backoff on the injected clock
    delay = harness.clock.next_deadline_ms() - harness.clock.now_ms()  # type: ignore[operator]
    assert 50 <= delay <= 100  # attempt 0 after a connection that delivered data
    harness.clock.advance(delay)
    await until(lambda: harness.client.connected and harness.fake.open_sockets == 1)
    assert harness.client.reconnects == 1 and len(harness.fake.paths) == 2
    await harness.fake.send(trade_frame(trade_id=2))
    await until(lambda: len(harness.events) == 2)


async def test_rotates_before_the_connection_age_limit_opening_the_successor_first(harness: Harness) -> None:
    await harness.fake.send(trade_frame(trade_id=5), book_frame(update_id=50))
    await until(lambda: len(harness.events) == 2)
    harness.clock.advance(3_600_000)  # the client's max_connection_ms
    await until(lambda: harness.client.planned_reconnects == 1 and harness.client.connected
                and harness.fake.timeline.count("close") == 1)
    assert harness.fake.timeline == ["open", "open", "close"]  # make-before-break: no gap
    assert harness.client.reconnects == 1 and harness.fake.open_sockets == 1
    assert harness.clock.now_ms() == H0 + 3_600_000  # no backoff wait for a planned rotation
    # The successor replays what the old connection already delivered: dropped once.
    await harness.fake.send(trade_frame(trade_id=5), book_frame(update_id=50),
                            trade_frame(trade_id=6), book_frame(update_id=51), trade_frame(trade_id=5))
    await until(lambda: len(harness.events) == 5)
    assert [getattr(e, "trade_id", getattr(e, "update_id", None)) for e in harness.events] == [5, 50, 6, 51, 5]
    assert harness.client.duplicates_dropped == 2  # after the overlap, nothing is filtered


async def test_connect_failures_back_off_exponentially() -> None:
    fake = FakeBinance()
    await fake.start()
    port = fake.port
    await fake.stop()  # nothing listens there any more
    clock = ManualClock(H0)
    async with aiohttp.ClientSession() as session:
        client = BinanceWsClient(session=session, base_url=f"ws://127.0.0.1:{port}", symbol="BTCUSDT",
                                 clock=clock, sink=lambda ev: None, backoff_base_ms=100, backoff_cap_ms=10_000,
                                 rng=random.Random(2))
        task = asyncio.create_task(client.run())
        delays = []
        for _ in range(4):
            await until(lambda: clock.next_deadline_ms() is not None)
            delay = clock.next_deadline_ms() - clock.now_ms()  # type: ignore[operator]
            delays.append(delay)
            clock.advance(delay)
        await client.close()
        await until(lambda: clock.next_deadline_ms() is not None or task.done())
        if not task.done():
            clock.advance(10_000)
        await asyncio.wait_for(task, timeout=5)
    assert client.connections == 0 and client.reconnects >= 4
    ceilings = [100, 200, 400, 800]
    assert all(50 <= d <= c for d, c in zip(delays, ceilings, strict=True))  # full jitter, floor base/2
