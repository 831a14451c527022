"""BConfig.from_env: validation in one pass, secrets from env or file, refusals where no default is safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from hourmm_common.config import Secret
from hourmm_common.enums import RunMode
from hourmm_common.errors import ConfigError
from polymarket_trader.config import BConfig

KEY = "0x" + "ab" * 32
PAPER = {"MODE": "paper", "GAMMA_URL": "http://127.0.0.1:1", "CLOB_URL": "http://127.0.0.1:2",
         "PM_WS_MARKET_URL": "ws://127.0.0.1:2/ws/market", "PM_WS_USER_URL": "ws://127.0.0.1:2/ws/user",
         "CONTROL_TOKEN": "c" * 20, "POLY_PRIVATE_KEY": KEY, "POLY_API_KEY": "key-1",
         "POLY_API_SECRET": "c2VjcmV0c2VjcmV0", "POLY_API_PASSPHRASE": "phrase-1"}


def test_paper_config_reads_and_redacts() -> None:
    config, _ = BConfig.from_env(PAPER | {"HOURMM_RISK_MAX_ORDER_SIZE_E6": "20000000",
                                          "HOURMM_TIMER_FLATTEN_BEFORE_END_MS": "300000",
                                          "HOURMM_QUOTE_BASE_HALF_SPREAD": "0.02"})
    assert config.mode is RunMode.PAPER and config.control_host == "127.0.0.1" and config.control_port == 9000
    assert config.limits.max_order_size_e6 == 20_000_000
    assert config.reducer.timers.flatten_before_end_ms == 300_000
    assert config.strategy.quotes.base_half_spread == 0.02
    assert config.credentials is not None and config.credentials.private_key == Secret(KEY)
    text = repr(config.redacted())
    for secret in (KEY, "key-1", "c2VjcmV0c2VjcmV0", "phrase-1", "c" * 20):
        assert secret not in text and secret not in repr(config)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        BConfig.from_env({"MODE": "paper", "CONTROL_TOKEN": "short", "SNAPSHOT_POLL_HZ": "500",
                          "POLY_SIGNATURE_TYPE": "3", "HOURMM_RISK_MAX_ORDR_SIZE_E6": "1"})
    text = str(err.value)
    for fragment in ("GAMMA_URL is required in paper mode", "CLOB_URL", "PM_WS_USER_URL",
                     "CONTROL_TOKEN must be at least 16", "SNAPSHOT_POLL_HZ=500 is above", "POLY_PRIVATE_KEY is required",
                     "POLY_SIGNATURE_TYPE=3 needs POLY_FUNDER", "HOURMM_RISK_MAX_ORDR_SIZE_E6 is not a known setting"):
        assert fragment in text


def test_live_needs_the_confirmation_and_defaults_to_public_hosts() -> None:
    live = {k: v for k, v in PAPER.items() if not k.endswith("_URL")} | {"MODE": "live"}
    with pytest.raises(ConfigError, match="LIVE_CONFIRM=I_UNDERSTAND"):
        BConfig.from_env(live)
    config, _ = BConfig.from_env(live | {"LIVE_CONFIRM": "I_UNDERSTAND"})
    assert config.clob_url == "https://clob.polymarket.com"
    assert config.pm_ws_user_url == "wss://ws-subscriptions-clob.polymarket.com/ws/user"


def test_shadow_needs_no_credentials_and_secrets_can_come_from_files(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("f" * 32 + "\n")
    config, _ = BConfig.from_env({"MODE": "shadow", "CONTROL_TOKEN_FILE": str(token_file)})
    assert config.credentials is None and config.control_token.reveal() == "f" * 32
    with pytest.raises(ConfigError, match="cannot be read"):
        BConfig.from_env({"MODE": "shadow", "CONTROL_TOKEN_FILE": str(tmp_path / "missing")})


def test_funder_and_key_shapes_are_checked() -> None:
    with pytest.raises(ConfigError) as err:
        BConfig.from_env(PAPER | {"POLY_FUNDER": "0x123", "POLY_PRIVATE_KEY": "nothex"})
    assert "POLY_FUNDER must be" in str(err.value) and "POLY_PRIVATE_KEY must be 64 hex" in str(err.value)


def test_entry_point_refuses_a_bad_config_with_exit_code_2(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from polymarket_trader import __main__ as entry

    monkeypatch.setattr(entry.os, "environ", {"MODE": "live", "POLY_API_SECRET": "s3cr3t-value"})
    assert entry.main([]) == 2
    err = capsys.readouterr().err
    assert "LIVE_CONFIRM" in err and "CONTROL_TOKEN is required" in err and "s3cr3t-value" not in err


def test_the_documented_env_example_loads_once_a_token_is_filled_in() -> None:
    from hourmm_common.paths import repo_root

    env: dict[str, str] = {}
    for line in (repo_root() / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    config, _ = BConfig.from_env(env | {"CONTROL_TOKEN": "t" * 32})
    assert config.mode is RunMode.SHADOW and config.credentials is None


def test_the_strategy_is_chosen_by_name() -> None:
    config, _ = BConfig.from_env(PAPER | {"HOURMM_STRATEGY_NAME": "directional_taker"})
    assert config.strategy.name == "directional_taker"
    with pytest.raises(ConfigError, match="HOURMM_STRATEGY_NAME='martingale' must be one of"):
        BConfig.from_env(PAPER | {"HOURMM_STRATEGY_NAME": "martingale"})
