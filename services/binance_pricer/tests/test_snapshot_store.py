"""LatestSnapshotStore: one reference swap per publish, seq +1, long-poll wake-ups."""

from __future__ import annotations

import asyncio

import pytest
from pricer_testkit.snapshots import a_snapshot

from binance_pricer.snapshot_store import LatestSnapshotStore
from hourmm_common.errors import InvariantViolation
from hourmm_common.snapshot import decode_snapshot


def test_empty_store_has_seq_zero_and_nothing_to_read() -> None:
    store = LatestSnapshotStore()
    assert store.seq == 0 and store.read_latest() is None and store.read_latest_json() is None


def test_publish_keeps_the_snapshot_and_its_json_together() -> None:
    store = LatestSnapshotStore()
    store.publish(a_snapshot(1))
    store.publish(a_snapshot(2, p_yes_fair=0.7))
    latest = store.read_latest_json()
    assert latest is not None and latest[0] == 2
    assert decode_snapshot(latest[1]) == store.read_latest()


def test_a_seq_that_does_not_follow_is_a_bug() -> None:
    store = LatestSnapshotStore()
    store.publish(a_snapshot(1))
    with pytest.raises(InvariantViolation):
        store.publish(a_snapshot(3))
    with pytest.raises(InvariantViolation):
        store.publish(a_snapshot(1))


async def test_long_poll_wakes_on_the_next_publish() -> None:
    store = LatestSnapshotStore()
    store.publish(a_snapshot(1))
    waiter = asyncio.create_task(store.wait_newer(1, timeout_s=30.0))
    await asyncio.sleep(0)
    assert not waiter.done()
    store.publish(a_snapshot(2))
    got = await asyncio.wait_for(waiter, timeout=5)
    assert got is not None and got[0] == 2


async def test_long_poll_answers_at_once_when_newer_exists_and_gives_the_latest_on_timeout() -> None:
    store = LatestSnapshotStore()
    store.publish(a_snapshot(1))
    store.publish(a_snapshot(2))
    got = await store.wait_newer(0, timeout_s=30.0)
    assert got is not None and got[0] == 2
    same = await store.wait_newer(2, timeout_s=0.0)
    assert same is not None and same[0] == 2
