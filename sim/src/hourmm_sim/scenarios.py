"""Scenario files: which Binance history, which hours, who trades, how the rest of the market
behaves, and which faults happen when. JSON (or TOML), decoded into typed structs once; an
invalid file is refused with every problem named.

Example: `sim/scenarios/default.json` (the demo's).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from hourmm_common.errors import ConfigError
from hourmm_common.hours import HOUR_MS, parse_iso_ms
from hourmm_common.paths import binance_data_dir
from hourmm_sim.polymarket.accounts import UserSpec
from hourmm_sim.polymarket.clob_rules import ClobConfig
from hourmm_sim.polymarket.faults import Fault
from hourmm_sim.polymarket.participants import ParticipantsConfig


class FeeConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    rate: float = 0.0      # taker fee rate (0.07 in the May 2026 crypto schedule); 0 = fees off
    exponent: int = 1


class Scenario(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    data_file: str = "BTCUSDT-spot-1m-2025-05-20_2025-08-18.csv.gz"
    start_hour: str = "2025-06-02T14:00:00Z"
    hours: int = 1
    seed: int = 7
    speed: float = 1.0
    warmup_s: int = 120            # scenario time starts this long before the first hour
    tick: str = "0.01"
    min_size: float = 5.0
    users: tuple[UserSpec, ...] = ()
    participants: ParticipantsConfig = ParticipantsConfig()
    clob: ClobConfig = ClobConfig()
    fees: FeeConfig = FeeConfig()
    faults: tuple[Fault, ...] = ()

    def start_ms(self) -> int:
        start = parse_iso_ms(self.start_hour)
        if start % HOUR_MS:
            raise ConfigError([f"start_hour {self.start_hour!r} is not a whole hour"])
        return start

    def hour_starts(self) -> list[int]:
        first = self.start_ms()
        return [first + i * HOUR_MS for i in range(self.hours)]

    def data_path(self) -> Path:
        path = Path(self.data_file)
        return path if path.is_absolute() else binance_data_dir() / path


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file; a broken one raises ConfigError naming the file and the problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
        if p.suffix == ".toml":
            scenario = msgspec.convert(tomllib.loads(raw.decode()), Scenario)
        else:
            scenario = msgspec.json.decode(raw, type=Scenario)
    except (OSError, msgspec.ValidationError, msgspec.DecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise ConfigError([f"scenario {p}: {exc}"]) from exc
    return validate(scenario, str(p))


def validate(scenario: Scenario, where: str = "scenario") -> Scenario:
    problems = []
    try:
        scenario.start_ms()
    except (ValueError, ConfigError) as exc:
        problems.append(f"{where}: start_hour: {exc}")
    if not 1 <= scenario.hours <= 24 * 31:
        problems.append(f"{where}: hours must be in 1..744")
    if scenario.speed <= 0:
        problems.append(f"{where}: speed must be > 0")
    if scenario.tick not in ("0.1", "0.01", "0.001", "0.0001"):
        problems.append(f"{where}: tick must be one of 0.1, 0.01, 0.001, 0.0001")
    names = [u.name for u in scenario.users]
    if len(set(names)) != len(names):
        problems.append(f"{where}: user names must be unique")
    for user in scenario.users:
        if not (user.private_key or user.address):
            problems.append(f"{where}: user {user.name}: private_key or address is required")
        if user.signature_type not in (0, 1, 2, 3):
            problems.append(f"{where}: user {user.name}: signature_type must be 0..3")
        if user.signature_type in (1, 2, 3) and not user.funder:
            problems.append(f"{where}: user {user.name}: signature_type {user.signature_type} needs a funder")
    if problems:
        raise ConfigError(problems)
    return scenario
