"""Typed, validated configuration read once from an environment mapping (house style rule 14).

`EnvReader` collects every problem and raises one `ConfigError` naming each bad variable, so an
operator fixes a broken `.env` in one pass. Secrets come from `NAME` or from the file named by
`NAME_FILE` (Docker secrets), and are wrapped in `Secret`, which never prints its value.
Unknown names with a service's prefix are rejected (typos must not silently fall back).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TypeVar

from hourmm_common.clock import Clock, make_clock
from hourmm_common.errors import ConfigError

T = TypeVar("T")


class Secret:
    """A credential. `str()`/`repr()` print `***`; `.reveal()` is the only way to the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class EnvReader:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self._env = environ
        self.problems: list[str] = []
        self.read: set[str] = set()

    def _raw(self, name: str) -> str | None:
        self.read.add(name)
        value = self._env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def _parse(self, name: str, default: T, parse: Callable[[str], T], what: str) -> T:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except (ValueError, TypeError):
            self.problems.append(f"{name}={raw!r} is not {what}")
            return default

    def text(self, name: str, default: str, *, choices: Iterable[str] | None = None) -> str:
        value = self._raw(name)
        if value is None:
            return default
        if choices is not None:
            allowed = list(choices)
            if value not in allowed:
                self.problems.append(f"{name}={value!r} must be one of {', '.join(allowed)}")
                return default
        return value

    def required_str(self, name: str, why: str) -> str:
        value = self._raw(name)
        if value is None:
            self.problems.append(f"{name} is required ({why})")
            return ""
        return value

    def integer(self, name: str, default: int, *, lo: int | None = None, hi: int | None = None) -> int:
        value = self._parse(name, default, int, "an integer")
        self._check_range(name, value, lo, hi)
        return value

    def number(self, name: str, default: float, *, lo: float | None = None, hi: float | None = None) -> float:
        value = self._parse(name, default, float, "a number")
        if value != value:  # NaN
            self.problems.append(f"{name} is NaN")
            return default
        self._check_range(name, value, lo, hi)
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        self.problems.append(f"{name}={raw!r} is not a boolean (true/false)")
        return default

    def url(self, name: str, default: str, *, schemes: tuple[str, ...]) -> str:
        value = self.text(name, default)
        if not value.startswith(tuple(f"{s}://" for s in schemes)):
            self.problems.append(f"{name}={value!r} must start with {' or '.join(s + '://' for s in schemes)}")
        return value.rstrip("/")

    def secret(self, name: str) -> Secret | None:
        """`NAME` or the contents of the file at `NAME_FILE`; None when neither is set."""
        direct = self._raw(name)
        file_name = self._raw(f"{name}_FILE")
        if direct is not None and file_name is not None:
            self.problems.append(f"set only one of {name} and {name}_FILE")
            return None
        if direct is not None:
            return Secret(direct)
        if file_name is not None:
            try:
                content = Path(file_name).read_text(encoding="utf-8").strip()
            except OSError as exc:
                self.problems.append(f"{name}_FILE={file_name!r} cannot be read ({exc.strerror})")
                return None
            if not content:
                self.problems.append(f"{name}_FILE={file_name!r} is empty")
                return None
            return Secret(content)
        return None

    def clock(self) -> Clock:
        """`HOURMM_CLOCK_SPEED`, `HOURMM_CLOCK_SIM_START_MS`, `HOURMM_CLOCK_WALL_ANCHOR_MS`.

        Unset: the system clock. Set by the demo so that every process shares scenario time.
        """
        speed = self.number("HOURMM_CLOCK_SPEED", 1.0, lo=0.001, hi=10_000.0)
        start = self._parse("HOURMM_CLOCK_SIM_START_MS", None, int, "an integer")
        anchor = self._parse("HOURMM_CLOCK_WALL_ANCHOR_MS", None, int, "an integer")
        try:
            return make_clock(speed=speed, sim_start_ms=start, wall_anchor_ms=anchor)
        except ValueError as exc:
            self.problems.append(f"HOURMM_CLOCK_*: {exc}")
            return make_clock()

    def reject_unknown(self, prefixes: Iterable[str], also_allowed: Iterable[str] = ()) -> None:
        """Every variable starting with one of `prefixes` must have been read (or be allowed)."""
        allowed = self.read | set(also_allowed)
        for name in sorted(self._env):
            if name.startswith(tuple(prefixes)) and name not in allowed:
                self.problems.append(f"{name} is not a known setting (typo?)")

    def finish(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)

    def _check_range(self, name: str, value: float, lo: float | None, hi: float | None) -> None:
        if lo is not None and value < lo:
            self.problems.append(f"{name}={value} is below the minimum {lo}")
        if hi is not None and value > hi:
            self.problems.append(f"{name}={value} is above the maximum {hi}")
