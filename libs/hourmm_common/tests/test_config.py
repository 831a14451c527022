import pytest

from hourmm_common.config import EnvReader, Secret
from hourmm_common.errors import ConfigError


def test_all_problems_are_reported_at_once() -> None:
    env = EnvReader({"A_PORT": "http", "A_HZ": "0", "A_MODE": "fast", "A_TYPO": "1"})
    env.integer("A_PORT", 8080)
    env.integer("A_HZ", 50, lo=1)
    env.text("A_MODE", "paper", choices=["paper", "live"])
    env.reject_unknown(["A_"])
    with pytest.raises(ConfigError) as info:
        env.finish()
    text = str(info.value)
    for name in ("A_PORT", "A_HZ", "A_MODE", "A_TYPO"):
        assert name in text


def test_secret_from_file_never_prints(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "key"
    path.write_text("s3cr3t\n")
    env = EnvReader({"API_SECRET_FILE": str(path)})
    secret = env.secret("API_SECRET")
    env.finish()
    assert isinstance(secret, Secret)
    assert secret.reveal() == "s3cr3t"
    assert "s3cr3t" not in repr(secret) and "s3cr3t" not in str(secret) and "s3cr3t" not in f"{secret}"


def test_defaults_apply_when_unset_or_blank() -> None:
    env = EnvReader({"X": "  "})
    assert env.integer("X", 3) == 3
    assert env.flag("Y", True) is True
    env.finish()
