"""Errors named by what the caller does with them (house style rule 13)."""

from __future__ import annotations


class HourMMError(Exception):
    """Base class of every error HourMM raises on purpose."""


class ConfigError(HourMMError):
    """Configuration is invalid: refuse to start and say which variable is wrong."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(self.problems))


class TransientError(HourMMError):
    """An expected IO fault (disconnect, 5xx, 429, timeout): retry in the edge, report an event."""


class ParseError(HourMMError):
    """Bad input from the wire: count it, log a truncated sample, drop it."""

    def __init__(self, reason: str, sample: bytes | str = b"") -> None:
        self.reason = reason
        raw = sample if isinstance(sample, bytes) else sample.encode("utf-8", "replace")
        self.sample = raw[:200]
        super().__init__(f"{reason}: {self.sample!r}")


class VenueRejected(HourMMError):
    """The venue answered and the answer proves the request was refused."""


class InvariantViolation(HourMMError):
    """A bug or a broken invariant: crash, and let the supervisor restart into the boot path."""
