"""`BConfig`: the trader's whole configuration, read once from the environment and validated.

Operator interface (documented in `.env.example` and the README):

- `MODE` = `paper` (default: the local venue) | `shadow` (live data, no orders) | `live` (real
  orders; also needs `LIVE_CONFIRM=I_UNDERSTAND`).
- Endpoints: `SNAPSHOT_URL`, `GAMMA_URL`, `CLOB_URL`, `PM_WS_MARKET_URL`, `PM_WS_USER_URL`. Shadow
  and live default to Polymarket's public hosts; paper has no safe default (the local venue's
  ports vary) and must name them.
- `SQLITE_PATH`, `CONTROL_HOST` (127.0.0.1), `CONTROL_PORT` (9000), `CONTROL_TOKEN` (required, at
  least 16 characters), `LOG_LEVEL`.
- Credentials (paper and live): `POLY_PRIVATE_KEY`, `POLY_API_KEY`, `POLY_API_SECRET`,
  `POLY_API_PASSPHRASE`, `POLY_SIGNATURE_TYPE` (0 EOA, 1 proxy, 2 Safe, 3 deposit wallet),
  `POLY_FUNDER` (required for types 1-3). Every secret may instead come from `NAME_FILE`.
- Tuning: `SNAPSHOT_POLL_HZ` (20-50), `SNAPSHOT_LONG_POLL_MS`, `REST_TIMEOUT_MS`,
  `HEARTBEAT_INTERVAL_MS`, `CANCEL_ALL_COOLDOWN_MS`, `MARKET_LEAD_MS`, `SHADOW_USDC`.
- Core settings, one variable per field of the core's structs: `HOURMM_RISK_<FIELD>` (risk limits),
  `HOURMM_TIMER_<FIELD>` (session timers), `HOURMM_REDUCER_<FIELD>`, `HOURMM_DECISION_<FIELD>`,
  `HOURMM_STRATEGY_<FIELD>`, `HOURMM_QUOTE_<FIELD>`; e.g. `HOURMM_RISK_MAX_ORDER_SIZE_E6=20000000`.
  Unknown names under these prefixes are refused (a typo must not fall back silently).

Secrets are `Secret`s: they print as `***`, and `redacted()` is what gets logged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec

from hourmm_common.clock import Clock
from hourmm_common.config import EnvReader, Secret
from hourmm_common.enums import RunMode
from polymarket_trader.core.params import DecisionParams, ReducerParams, RiskLimits, SessionTimers
from polymarket_trader.core.quote_composer import QuoteParams
from polymarket_trader.core.strategy import STRATEGIES, StrategyParams

S = TypeVar("S", bound=msgspec.Struct)

LIVE_CONFIRMATION = "I_UNDERSTAND"
PUBLIC_ENDPOINTS = {
    "GAMMA_URL": "https://gamma-api.polymarket.com",
    "CLOB_URL": "https://clob.polymarket.com",
    "PM_WS_MARKET_URL": "wss://ws-subscriptions-clob.polymarket.com/ws/market",
    "PM_WS_USER_URL": "wss://ws-subscriptions-clob.polymarket.com/ws/user",
}
CORE_PREFIXES = ("HOURMM_RISK_", "HOURMM_TIMER_", "HOURMM_REDUCER_", "HOURMM_DECISION_", "HOURMM_STRATEGY_",
                 "HOURMM_QUOTE_")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_KEY = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


class Credentials(msgspec.Struct, frozen=True, kw_only=True):
    private_key: Secret
    api_key: Secret
    api_secret: Secret
    api_passphrase: Secret
    signature_type: int
    funder: str | None
    chain_id: int


class BConfig(msgspec.Struct, frozen=True, kw_only=True):
    mode: RunMode
    snapshot_url: str
    snapshot_poll_hz: int
    snapshot_long_poll_ms: int
    snapshot_journal_keepalive_ms: int
    snapshot_journal_fair_step: float
    gamma_url: str
    clob_url: str
    pm_ws_market_url: str
    pm_ws_user_url: str
    sqlite_path: str
    journal_retain_events: int
    control_host: str
    control_port: int
    control_token: Secret
    credentials: Credentials | None
    log_level: str
    rest_timeout_ms: int
    heartbeat_interval_ms: int
    cancel_all_cooldown_ms: int
    market_lead_ms: int
    shadow_usdc_e6: int
    limits: RiskLimits
    reducer: ReducerParams
    decision: DecisionParams
    strategy: StrategyParams

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> tuple[BConfig, Clock]:
        """The config and the clock (`HOURMM_CLOCK_*`), or one `ConfigError` listing every problem."""
        env = EnvReader(environ)
        mode = RunMode(env.text("MODE", RunMode.PAPER.value, choices=[m.value for m in RunMode]))
        endpoints = {}
        for name, public in PUBLIC_ENDPOINTS.items():
            schemes = ("ws", "wss") if name.startswith("PM_WS") else ("http", "https")
            if mode is RunMode.PAPER:
                endpoints[name] = env.url(name, "", schemes=schemes) if environ.get(name) else ""
                if not environ.get(name):
                    env.problems.append(f"{name} is required in paper mode (the local venue's address)")
            else:
                endpoints[name] = env.url(name, public, schemes=schemes)
        token = env.secret("CONTROL_TOKEN")
        if token is None:
            env.problems.append("CONTROL_TOKEN is required (the control plane's bearer token)")
        elif len(token.reveal()) < 16:
            env.problems.append("CONTROL_TOKEN must be at least 16 characters")
        creds = _credentials(env, needed=mode is not RunMode.SHADOW)
        if mode is RunMode.LIVE and env.text("LIVE_CONFIRM", "") != LIVE_CONFIRMATION:
            env.problems.append(f"MODE=live needs LIVE_CONFIRM={LIVE_CONFIRMATION} (real orders, real money)")
        else:
            env.read.add("LIVE_CONFIRM")
        timers = read_struct(env, SessionTimers, "HOURMM_TIMER_")
        reducer = msgspec.structs.replace(read_struct(env, ReducerParams, "HOURMM_REDUCER_", skip={"timers"}),
                                          timers=timers)
        strategy = msgspec.structs.replace(read_struct(env, StrategyParams, "HOURMM_STRATEGY_", skip={"quotes"}),
                                           quotes=read_struct(env, QuoteParams, "HOURMM_QUOTE_"))
        if strategy.name not in STRATEGIES:
            env.problems.append(f"HOURMM_STRATEGY_NAME={strategy.name!r} must be one of {', '.join(STRATEGIES)}")
        config = cls(
            mode=mode,
            snapshot_url=env.url("SNAPSHOT_URL", "http://127.0.0.1:8080/snapshot/latest", schemes=("http", "https")),
            snapshot_poll_hz=env.integer("SNAPSHOT_POLL_HZ", 20, lo=20, hi=50),
            snapshot_long_poll_ms=env.integer("SNAPSHOT_LONG_POLL_MS", 0, lo=0, hi=5_000),
            # Below the reducer's 2 s staleness limit, so a healthy feed never looks stale.
            snapshot_journal_keepalive_ms=env.integer("SNAPSHOT_JOURNAL_KEEPALIVE_MS", 500, lo=50, hi=1_500),
            # Half the venue's 0.01 tick: the reducer marks equity to fair within that.
            snapshot_journal_fair_step=env.number("SNAPSHOT_JOURNAL_FAIR_STEP", 0.005, lo=0.0, hi=0.05),
            gamma_url=endpoints["GAMMA_URL"], clob_url=endpoints["CLOB_URL"],
            pm_ws_market_url=endpoints["PM_WS_MARKET_URL"], pm_ws_user_url=endpoints["PM_WS_USER_URL"],
            sqlite_path=env.text("SQLITE_PATH", "hourmm_trader.sqlite"),
            journal_retain_events=env.integer("JOURNAL_RETAIN_EVENTS", 100_000, lo=1_000, hi=100_000_000),
            control_host=env.text("CONTROL_HOST", "127.0.0.1"),
            control_port=env.integer("CONTROL_PORT", 9000, lo=0, hi=65_535),
            control_token=token or Secret(""),
            credentials=creds,
            log_level=env.text("LOG_LEVEL", "INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"]),
            rest_timeout_ms=env.integer("REST_TIMEOUT_MS", 5_000, lo=200, hi=60_000),
            heartbeat_interval_ms=env.integer("HEARTBEAT_INTERVAL_MS", 5_000, lo=1_000, hi=8_000),
            cancel_all_cooldown_ms=env.integer("CANCEL_ALL_COOLDOWN_MS", 1_000, lo=0, hi=60_000),
            market_lead_ms=env.integer("MARKET_LEAD_MS", 10 * 60_000, lo=60_000, hi=3_000_000),
            shadow_usdc_e6=_e6(env.number("SHADOW_USDC", 1_000.0, lo=0.0, hi=1e9)),
            limits=read_struct(env, RiskLimits, "HOURMM_RISK_"),
            reducer=reducer,
            decision=read_struct(env, DecisionParams, "HOURMM_DECISION_"),
            strategy=strategy,
        )
        clock = env.clock()
        env.reject_unknown(CORE_PREFIXES)
        env.finish()
        return config, clock

    def redacted(self) -> dict[str, Any]:
        """The effective config for the log: secrets as `***` (msgspec cannot see inside `Secret`)."""
        out: dict[str, Any] = {}
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, Secret):
                out[name] = "***"
            elif isinstance(value, Credentials):
                out[name] = {"signature_type": value.signature_type, "funder": value.funder,
                             "chain_id": value.chain_id, "private_key": "***", "api_key": "***",
                             "api_secret": "***", "api_passphrase": "***"}
            elif isinstance(value, msgspec.Struct):
                out[name] = msgspec.to_builtins(value)
            else:
                out[name] = value.value if isinstance(value, RunMode) else value
        return out


def _e6(value: float) -> int:
    return int(round(value * 1_000_000))


def _credentials(env: EnvReader, *, needed: bool) -> Credentials | None:
    names = ("POLY_PRIVATE_KEY", "POLY_API_KEY", "POLY_API_SECRET", "POLY_API_PASSPHRASE")
    secrets = {n: env.secret(n) for n in names}
    sig_type = env.integer("POLY_SIGNATURE_TYPE", 0, lo=0, hi=3)
    funder = env.text("POLY_FUNDER", "") or None
    chain_id = env.integer("POLY_CHAIN_ID", 137, lo=1)
    if not needed:
        return None
    missing = [n for n, s in secrets.items() if s is None]
    for name in missing:
        env.problems.append(f"{name} is required in this mode (or {name}_FILE)")
    if funder is not None and not _ADDRESS.match(funder):
        env.problems.append("POLY_FUNDER must be a 0x-prefixed 40-hex-digit address")
    if sig_type != 0 and funder is None:
        env.problems.append(f"POLY_SIGNATURE_TYPE={sig_type} needs POLY_FUNDER (the proxy or deposit wallet)")
    key = secrets["POLY_PRIVATE_KEY"]
    if key is not None and not _KEY.match(key.reveal()):
        env.problems.append("POLY_PRIVATE_KEY must be 64 hex digits (optionally 0x-prefixed)")
    if missing:
        return None
    return Credentials(private_key=secrets["POLY_PRIVATE_KEY"] or Secret(""),
                       api_key=secrets["POLY_API_KEY"] or Secret(""),
                       api_secret=secrets["POLY_API_SECRET"] or Secret(""),
                       api_passphrase=secrets["POLY_API_PASSPHRASE"] or Secret(""),
                       signature_type=sig_type, funder=funder, chain_id=chain_id)


def read_struct(env: EnvReader, cls: type[S], prefix: str, *, skip: frozenset[str] | set[str] = frozenset()) -> S:
    """Each scalar field of `cls` from `PREFIX_FIELD` (defaults from the struct)."""
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(cls):
        if field.name in skip:
            continue
        name = prefix + field.name.upper()
        default = field.default
        if isinstance(default, bool):
            values[field.name] = env.flag(name, default)
        elif isinstance(default, int):
            values[field.name] = env.integer(name, default, lo=0)
        elif isinstance(default, float):
            values[field.name] = env.number(name, default)
        elif isinstance(default, str):
            values[field.name] = env.text(name, default)
    return cls(**values)
