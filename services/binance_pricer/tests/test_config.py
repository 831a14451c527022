"""AConfig from the environment: defaults, overrides, and errors that name the variable."""

from __future__ import annotations

import pytest

from binance_pricer.config import AConfig, load_config
from hourmm_common.clock import ScaledClock, SystemClock
from hourmm_common.errors import ConfigError


def test_defaults_are_sane_and_use_the_system_clock() -> None:
    cfg, clock = load_config({})
    assert cfg == AConfig()
    assert cfg.binance_ws_url == "wss://stream.binance.com:9443" and cfg.symbol == "BTCUSDT"
    assert cfg.snapshot_publish_hz == 50 and cfg.http_port == 8080
    assert isinstance(clock, SystemClock)


def test_operator_variables_override_the_defaults() -> None:
    cfg, clock = load_config({
        "BINANCE_WS_URL": "ws://127.0.0.1:9000/", "BINANCE_REST_URL": "http://127.0.0.1:9000",
        "SYMBOL": "ethusdt", "HTTP_HOST": "127.0.0.1", "HTTP_PORT": "0", "STALE_THRESHOLD_MS": "1500",
        "SNAPSHOT_PUBLISH_HZ": "20", "LOG_LEVEL": "DEBUG", "PRICER_SIGMA_FEATURE": "ewma_vol_60s",
        "HOURMM_CLOCK_SPEED": "30", "HOURMM_CLOCK_SIM_START_MS": "1750075200000",
    })
    assert cfg.binance_ws_url == "ws://127.0.0.1:9000" and cfg.symbol == "ETHUSDT"
    assert (cfg.http_port, cfg.stale_threshold_ms, cfg.snapshot_publish_hz) == (0, 1500, 20.0)
    assert cfg.pricer_params.sigma_feature == "ewma_vol_60s"
    assert cfg.pricer_params.n_eff_feature == "ewma_n_eff_60s"
    assert isinstance(clock, ScaledClock) and clock.speed == 30


def test_every_bad_variable_is_named_in_one_error() -> None:
    with pytest.raises(ConfigError) as err:
        load_config({
            "BINANCE_WS_URL": "http://wrong", "HTTP_PORT": "http", "STALE_THRESHOLD_MS": "5",
            "SNAPSHOT_PUBLISH_HZ": "0", "LOG_LEVEL": "LOUD", "SYMBOL": "BTC-USDT",
            "PRICER_MODEL": "oracle", "PRICER_SIGMA_FEATURE": "vibes", "PRICER_TYPO": "1",
        })
    text = str(err.value)
    for name in ("BINANCE_WS_URL", "HTTP_PORT", "STALE_THRESHOLD_MS", "SNAPSHOT_PUBLISH_HZ", "LOG_LEVEL",
                 "SYMBOL", "PRICER_MODEL", "PRICER_SIGMA_FEATURE", "PRICER_TYPO"):
        assert name in text, name


def test_constant_vol_pricer_does_not_need_a_sigma_feature() -> None:
    cfg, _ = load_config({"PRICER_MODEL": "gbm_const", "PRICER_CONSTANT_SIGMA": "0.0002"})
    assert cfg.pricer == "gbm_const" and cfg.pricer_params.constant_sigma == 0.0002


def test_the_default_blend_reads_minute_ewmas_and_one_second_ones_stay_selectable() -> None:
    cfg, _ = load_config({})
    pp = cfg.pricer_params
    assert (pp.sigma_feature, pp.n_eff_feature) == ("ewma_vol_m1_300s", "ewma_n_eff_m1_300s")
    assert (pp.slow_sigma_feature, pp.slow_n_eff_feature) == ("ewma_vol_m1_1800s", "ewma_n_eff_m1_1800s")
    cfg, _ = load_config({"PRICER_SIGMA_FEATURE": "ewma_vol_300s", "PRICER_SLOW_SIGMA_FEATURE": "ewma_vol_1800s"})
    pp = cfg.pricer_params
    assert (pp.n_eff_feature, pp.slow_n_eff_feature) == ("ewma_n_eff_300s", "ewma_n_eff_1800s")


def test_a_minute_ewma_the_engine_does_not_compute_is_rejected_by_name() -> None:
    with pytest.raises(ConfigError) as err:
        load_config({"PRICER_SLOW_SIGMA_FEATURE": "ewma_vol_m1_7200s"})
    text = str(err.value)
    assert "PRICER_SLOW_SIGMA_FEATURE='ewma_vol_m1_7200s'" in text
    assert "PRICER_SLOW_N_EFF_FEATURE='ewma_n_eff_m1_7200s'" in text
    assert "PRICER_SIGMA_FEATURE" not in text
