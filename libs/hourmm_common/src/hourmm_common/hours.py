"""Hour arithmetic in exchange time (UTC) and the ET labels Polymarket uses for hourly markets."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

HOUR_MS = 3_600_000
MINUTE_MS = 60_000
ET = ZoneInfo("America/New_York")

_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)


def hour_start_ms(ts_ms: int) -> int:
    """Start of the UTC hour containing `ts_ms` (hours are [start, start + 1h))."""
    return ts_ms - ts_ms % HOUR_MS


def hour_end_ms(ts_ms: int) -> int:
    return hour_start_ms(ts_ms) + HOUR_MS


def hour_id(start_ms: int) -> str:
    """`"2026-01-22T14:00:00Z"` for the hour starting at `start_ms` (must be on the hour)."""
    if start_ms % HOUR_MS:
        raise ValueError(f"{start_ms} is not on an hour boundary")
    return datetime.fromtimestamp(start_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:00:00Z")


def parse_hour_id(value: str) -> int:
    start = parse_iso_ms(value)
    if start % HOUR_MS:
        raise ValueError(f"{value!r} is not on an hour boundary")
    return start


def parse_iso_ms(value: str) -> int:
    """Milliseconds of an ISO-8601 instant; a naive value is taken as UTC, `Z` is accepted."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def iso_ms(ts_ms: int) -> str:
    """`"2026-01-22T14:00:00Z"` style (milliseconds shown only when non-zero)."""
    dt = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    if ts_ms % 1000:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts_ms % 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def et_datetime(ts_ms: int) -> datetime:
    return datetime.fromtimestamp(ts_ms / 1000, tz=ET)


def et_hour_label(start_ms: int) -> str:
    """The title form: `"March 1, 9AM ET"`."""
    et = et_datetime(start_ms)
    h12 = et.hour % 12 or 12
    ampm = "AM" if et.hour < 12 else "PM"
    return f"{_MONTHS[et.month - 1].capitalize()} {et.day}, {h12}{ampm} ET"


def et_slugs(start_ms: int) -> tuple[str, str]:
    """Both event-slug forms for the hour starting at `start_ms`, newest first.

    `bitcoin-up-or-down-march-23-2026-8pm-et` (with year, from ~Mar 2026) and
    `bitcoin-up-or-down-march-23-8pm-et` (without). ET is DST-aware. A slug is only a lookup
    key: the market found must still be verified by its start and end times.
    """
    et = et_datetime(start_ms)
    h12 = et.hour % 12 or 12
    ampm = "am" if et.hour < 12 else "pm"
    month = _MONTHS[et.month - 1]
    return (
        f"bitcoin-up-or-down-{month}-{et.day}-{et.year}-{h12}{ampm}-et",
        f"bitcoin-up-or-down-{month}-{et.day}-{h12}{ampm}-et",
    )
