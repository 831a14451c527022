"""Exact fixed-point numbers of the local venue: every price, size and pUSD amount is an integer
count of micro units (1e-6), as on chain (pUSD and the CTF tokens both have 6 decimals).

In: the venue's decimal strings ("0.513", "247.68"). Out: the same strings, trailing zeros
trimmed, as the real venue prints them. Nothing here rounds silently: a value with more than six
decimals is refused.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

ONE = 1_000_000
TICKS: dict[str, int] = {"0.1": 100_000, "0.01": 10_000, "0.001": 1_000, "0.0001": 100}


def parse_units(text: str | int | float) -> int:
    """"0.513" -> 513_000. Raises ValueError on garbage or more than six decimals."""
    try:
        value = Decimal(str(text)) * ONE
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text!r}") from exc
    if value != value.to_integral_value():
        raise ValueError(f"more than 6 decimals: {text!r}")
    return int(value)


def fmt_units(value: int) -> str:
    """513_000 -> "0.513"; 5_000_000 -> "5"; -1_500_000 -> "-1.5"."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), ONE)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:06d}".rstrip("0")


def fmt_tick(tick_u: int) -> str:
    """100 -> "0.0001", 10_000 -> "0.01": the tick-size strings the venue uses."""
    for text, value in TICKS.items():
        if value == tick_u:
            return text
    return fmt_units(tick_u)


def mul_units(size_u: int, price_u: int) -> int:
    """Notional of `size_u` shares at `price_u`, floored to a micro unit (exact on the venue grid)."""
    return size_u * price_u // ONE


def json_number(value: int) -> int | float:
    """A micro amount as the JSON number the venue prints: 5 (int) when whole, else 0.01."""
    whole, frac = divmod(value, ONE)
    return whole if frac == 0 else value / ONE
