import pytest

from hourmm_common.hours import (
    HOUR_MS,
    et_hour_label,
    et_slugs,
    hour_end_ms,
    hour_id,
    hour_start_ms,
    iso_ms,
    parse_hour_id,
    parse_iso_ms,
)

H = parse_iso_ms("2026-01-22T14:00:00Z")


def test_hour_bounds_are_half_open() -> None:
    assert hour_start_ms(H) == H
    assert hour_start_ms(H + HOUR_MS - 1) == H
    assert hour_start_ms(H + HOUR_MS) == H + HOUR_MS
    assert hour_end_ms(H) == H + HOUR_MS


def test_hour_id_round_trip() -> None:
    assert hour_id(H) == "2026-01-22T14:00:00Z"
    assert parse_hour_id("2026-01-22T14:00:00Z") == H
    with pytest.raises(ValueError):
        hour_id(H + 1)


def test_iso_ms_shows_milliseconds_only_when_present() -> None:
    assert iso_ms(H) == "2026-01-22T14:00:00Z"
    assert iso_ms(H + 5) == "2026-01-22T14:00:00.005Z"
    assert parse_iso_ms("2026-01-22T14:00:00.005Z") == H + 5


@pytest.mark.parametrize(
    ("utc", "with_year", "without_year", "label"),
    [
        # EST (UTC-5): 14:00Z is 9 AM.
        ("2026-01-22T14:00:00Z", "bitcoin-up-or-down-january-22-2026-9am-et", "bitcoin-up-or-down-january-22-9am-et", "January 22, 9AM ET"),
        # EDT (UTC-4) after the March 8 2026 switch: 00:00Z is 8 PM the previous day.
        ("2026-03-24T00:00:00Z", "bitcoin-up-or-down-march-23-2026-8pm-et", "bitcoin-up-or-down-march-23-8pm-et", "March 23, 8PM ET"),
        # Midnight and noon on the 12-hour clock.
        ("2026-07-01T04:00:00Z", "bitcoin-up-or-down-july-1-2026-12am-et", "bitcoin-up-or-down-july-1-12am-et", "July 1, 12AM ET"),
        ("2026-07-01T16:00:00Z", "bitcoin-up-or-down-july-1-2026-12pm-et", "bitcoin-up-or-down-july-1-12pm-et", "July 1, 12PM ET"),
        # The fall-back night: 05:00Z and 06:00Z are both "1am" ET (EDT then EST).
        ("2026-11-01T05:00:00Z", "bitcoin-up-or-down-november-1-2026-1am-et", "bitcoin-up-or-down-november-1-1am-et", "November 1, 1AM ET"),
        ("2026-11-01T06:00:00Z", "bitcoin-up-or-down-november-1-2026-1am-et", "bitcoin-up-or-down-november-1-1am-et", "November 1, 1AM ET"),
    ],
)
def test_et_slugs_are_dst_aware(utc: str, with_year: str, without_year: str, label: str) -> None:
    start = parse_iso_ms(utc)
    assert et_slugs(start) == (with_year, without_year)
    assert et_hour_label(start) == label
