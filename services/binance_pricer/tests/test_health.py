"""HealthTracker: age, stale, and the reasons behind a 503."""

from __future__ import annotations

from binance_pricer.core.health import HealthTracker


def test_before_any_event_the_feed_is_stale_and_age_counts_from_start() -> None:
    h = HealthTracker(1_000, started_ms=5_000)
    assert h.is_stale(5_000) and h.age_ms(5_400) == 400


def test_age_and_stale_follow_the_last_event() -> None:
    h = HealthTracker(1_000, started_ms=0)
    h.update_on_event(10_000)
    assert h.age_ms(10_500) == 500 and not h.is_stale(11_000) and h.is_stale(11_001)
    assert h.age_ms(9_000) == 0  # never negative


def test_reasons_list_everything_wrong_and_nothing_when_healthy() -> None:
    h = HealthTracker(1_000, started_ms=0)
    assert h.reasons(0, connected=False, has_open=False, warm=False) == (
        "not_connected", "stale", "no_open", "not_warm")
    h.update_on_event(100)
    assert h.reasons(200, connected=True, has_open=True, warm=True) == ()
