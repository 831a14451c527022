"""`AConfig`: everything container A reads from its environment, read once, typed and checked.

`load_config(environ)` collects every problem into one `ConfigError` naming each bad variable.
Nothing else in the service reads `os.environ`. Operator variables (README): `BINANCE_WS_URL`,
`BINANCE_REST_URL`, `SYMBOL`, `HTTP_HOST`, `HTTP_PORT`, `STALE_THRESHOLD_MS`,
`SNAPSHOT_PUBLISH_HZ`, `SNAPSHOT_PUBLISH_ON_EVENT`, `SNAPSHOT_MIN_PUBLISH_INTERVAL_MS`, `LOG_LEVEL`; model choice under `PRICER_*` (unknown `PRICER_*` names are
rejected as typos); the shared `HOURMM_CLOCK_*` variables pick scenario time for the demo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from binance_pricer.core.features import FEATURE_ENGINES, FeatureParams
from binance_pricer.core.health import DEFAULT_STALE_THRESHOLD_MS
from binance_pricer.core.pricer import PRICERS, PricerParams
from hourmm_common.clock import Clock
from hourmm_common.config import EnvReader

_SYMBOL = re.compile(r"^[A-Z0-9]{4,20}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class AConfig(msgspec.Struct, frozen=True, kw_only=True):
    binance_ws_url: str = "wss://stream.binance.com:9443"
    binance_rest_url: str = "https://api.binance.com"
    symbol: str = "BTCUSDT"
    http_host: str = "0.0.0.0"
    http_port: int = 8080
    stale_threshold_ms: int = DEFAULT_STALE_THRESHOLD_MS
    snapshot_publish_hz: float = 50.0
    snapshot_publish_on_event: bool = False
    snapshot_min_publish_interval_ms: int = 1
    log_level: str = "INFO"
    feature_engine: str = "default"
    pricer: str = "term_blend"
    feature_windows: FeatureParams = msgspec.field(default_factory=FeatureParams)
    pricer_params: PricerParams = msgspec.field(default_factory=PricerParams)
    open_backfill_grace_ms: int = 2_000
    warm_start_minutes: int = 120
    max_connection_ms: int = 23 * 3_600_000 + 1_800_000

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> tuple[AConfig, Clock]:
        return load_config(environ)


def load_config(environ: Mapping[str, str]) -> tuple[AConfig, Clock]:
    """The validated config and the clock it asks for; raises `ConfigError` naming every problem."""
    env = EnvReader(environ)
    d = AConfig()
    symbol = env.text("SYMBOL", d.symbol).upper()
    if not _SYMBOL.match(symbol):
        env.problems.append(f"SYMBOL={symbol!r} is not a Binance symbol (e.g. BTCUSDT)")
    sigma_feature = env.text("PRICER_SIGMA_FEATURE", d.pricer_params.sigma_feature)
    default_n_eff = sigma_feature.replace("ewma_vol_", "ewma_n_eff_")
    slow_sigma_feature = env.text("PRICER_SLOW_SIGMA_FEATURE", d.pricer_params.slow_sigma_feature)
    cfg = AConfig(
        binance_ws_url=env.url("BINANCE_WS_URL", d.binance_ws_url, schemes=("ws", "wss")),
        binance_rest_url=env.url("BINANCE_REST_URL", d.binance_rest_url, schemes=("http", "https")),
        symbol=symbol,
        http_host=env.text("HTTP_HOST", d.http_host),
        http_port=env.integer("HTTP_PORT", d.http_port, lo=0, hi=65_535),
        stale_threshold_ms=env.integer("STALE_THRESHOLD_MS", d.stale_threshold_ms, lo=100, hi=600_000),
        snapshot_publish_hz=env.number("SNAPSHOT_PUBLISH_HZ", d.snapshot_publish_hz, lo=0.1, hi=1_000.0),
        snapshot_publish_on_event=env.flag("SNAPSHOT_PUBLISH_ON_EVENT", d.snapshot_publish_on_event),
        snapshot_min_publish_interval_ms=env.integer("SNAPSHOT_MIN_PUBLISH_INTERVAL_MS",
                                                     d.snapshot_min_publish_interval_ms, lo=0, hi=1_000),
        log_level=env.text("LOG_LEVEL", d.log_level, choices=_LOG_LEVELS),
        feature_engine=env.text("PRICER_FEATURE_ENGINE", d.feature_engine, choices=sorted(FEATURE_ENGINES)),
        pricer=env.text("PRICER_MODEL", d.pricer, choices=sorted(PRICERS)),
        pricer_params=PricerParams(
            sigma_feature=sigma_feature,
            n_eff_feature=env.text("PRICER_N_EFF_FEATURE", default_n_eff),
            band_k=env.number("PRICER_BAND_K", d.pricer_params.band_k, lo=0.0, hi=10.0),
            constant_sigma=env.number("PRICER_CONSTANT_SIGMA", d.pricer_params.constant_sigma, lo=1e-7, hi=0.1),
            slow_sigma_feature=slow_sigma_feature,
            slow_n_eff_feature=env.text("PRICER_SLOW_N_EFF_FEATURE",
                                        slow_sigma_feature.replace("ewma_vol_", "ewma_n_eff_")),
            blend_fast_until_min=env.number("PRICER_BLEND_FAST_UNTIL_MIN", d.pricer_params.blend_fast_until_min,
                                            lo=0.0, hi=60.0),
            blend_slow_from_min=env.number("PRICER_BLEND_SLOW_FROM_MIN", d.pricer_params.blend_slow_from_min,
                                           lo=0.0, hi=60.0),
        ),
        open_backfill_grace_ms=env.integer("PRICER_OPEN_GRACE_MS", d.open_backfill_grace_ms, lo=0, hi=600_000),
        warm_start_minutes=env.integer("PRICER_WARM_START_MINUTES", d.warm_start_minutes, lo=0, hi=1_000),
        max_connection_ms=env.integer("PRICER_MAX_CONNECTION_MS", d.max_connection_ms, lo=10_000,
                                      hi=24 * 3_600_000 - 60_000),
    )
    engine = FEATURE_ENGINES.get(cfg.feature_engine)
    pp = cfg.pricer_params
    needed = [("PRICER_SIGMA_FEATURE", sigma_feature), ("PRICER_N_EFF_FEATURE", pp.n_eff_feature)]
    if cfg.pricer == "term_blend":
        needed += [("PRICER_SLOW_SIGMA_FEATURE", pp.slow_sigma_feature),
                   ("PRICER_SLOW_N_EFF_FEATURE", pp.slow_n_eff_feature)]
        if pp.blend_slow_from_min <= pp.blend_fast_until_min:
            env.problems.append("PRICER_BLEND_SLOW_FROM_MIN must be above PRICER_BLEND_FAST_UNTIL_MIN")
    if engine is not None and cfg.pricer in ("baseline", "term_blend"):
        names = engine(cfg.feature_windows).feature_names
        for var, name in needed:
            if name not in names:
                env.problems.append(f"{var}={name!r} is not a feature of {cfg.feature_engine!r} "
                                    f"(one of {', '.join(names)})")
    clock = env.clock()
    env.reject_unknown(["PRICER_"])
    env.finish()
    return cfg, clock
