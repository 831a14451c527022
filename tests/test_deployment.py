"""The deployment files say what spec section 5 asks, checked on what Docker would actually see.

The compose file is resolved by `docker-compose config` itself (Debian's docker-compose; CI's
`.ci/run` installs it), in a scratch copy of the repository root whose `.env` is `.env.example`
(the real `.env`, which may hold secrets on a VPS, is never read), and once more without any
`.env`, as on a fresh checkout. The resolved YAML is turned into JSON by the
interpreter docker-compose itself runs on, which ships a YAML parser (our venv does not).
The Dockerfiles are checked as text: non-root user, a python HEALTHCHECK on /health, and each
image copies only the shared kernel and its own service.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from binance_pricer.config import load_config
from hourmm_common.errors import ConfigError
from polymarket_trader.config import BConfig

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("binance_pricer", "polymarket_trader")
PRICER, TRADER = SERVICES

_YAML_TO_JSON = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"


def _compose_python(binary: str) -> str | None:
    """The interpreter named on docker-compose's shebang line (it can import yaml)."""
    with open(binary, "rb") as fh:
        first = fh.readline().decode("utf-8", "replace").strip()
    if not first.startswith("#!"):
        return None
    parts = first[2:].split()
    if parts and parts[0].endswith("/env") and len(parts) > 1:
        return shutil.which(parts[1])
    return parts[0] if parts else None


def _resolve(work: Path, *, with_env: bool) -> dict[str, Any]:
    """`docker-compose config` in a scratch copy of the root (with `.env.example` as `.env` or no
    `.env` at all), as JSON."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose); .ci/run installs it")
    python = _compose_python(binary)
    if python is None:
        pytest.skip(f"cannot tell which interpreter runs {binary}, so cannot parse its YAML output")
    shutil.copy(ROOT / "docker-compose.yml", work / "docker-compose.yml")
    if with_env:
        shutil.copy(ROOT / ".env.example", work / ".env")
    for name in ("libs", "services", "sim"):
        (work / name).symlink_to(ROOT / name)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work)}
    resolved = subprocess.run(
        [binary, "-f", str(work / "docker-compose.yml"), "config"],
        cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert resolved.returncode == 0, f"docker-compose config failed:\n{resolved.stderr}"
    as_json = subprocess.run([python, "-c", _YAML_TO_JSON], input=resolved.stdout, capture_output=True,
                             text=True, timeout=30, check=False)
    if as_json.returncode != 0 and "No module named 'yaml'" in as_json.stderr:
        pytest.skip(f"{python} (docker-compose's interpreter) has no yaml module")
    assert as_json.returncode == 0, as_json.stderr
    config: dict[str, Any] = json.loads(as_json.stdout)
    config["_workdir"] = str(work)
    return config


@pytest.fixture(scope="module")
def compose(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _resolve(tmp_path_factory.mktemp("compose"), with_env=True)


@pytest.fixture(scope="module")
def compose_fresh(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _resolve(tmp_path_factory.mktemp("compose_fresh"), with_env=False)


def _published(port: Any) -> tuple[str, str, str]:
    """(host ip, published port, container port) from the short or the long port syntax."""
    if isinstance(port, dict):
        return str(port.get("host_ip", "")), str(port.get("published", "")), str(port["target"])
    spec = str(port).split("/")[0]
    parts = spec.split(":")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return "", parts[0], parts[1]
    return "", "", parts[0]


def test_the_two_services_and_nothing_else(compose: dict[str, Any]) -> None:
    assert sorted(compose["services"]) == sorted(SERVICES)


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_builds_from_the_repo_root_with_its_own_dockerfile(compose: dict[str, Any], name: str) -> None:
    build = compose["services"][name]["build"]
    assert Path(build["context"]) == Path(compose["_workdir"])
    assert build["dockerfile"] == f"services/{name}/Dockerfile"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_restarts_unless_stopped(compose: dict[str, Any], name: str) -> None:
    assert compose["services"][name]["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_python_healthcheck_on_health(compose: dict[str, Any], name: str) -> None:
    test = compose["services"][name]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "python", test
    command = " ".join(test)
    assert "/health" in command and "curl" not in command and "wget" not in command


def test_both_services_share_one_dedicated_network_and_no_other(compose: dict[str, Any]) -> None:
    declared = set(compose.get("networks", {}))
    assert declared, "no dedicated network declared"
    joined = [set(compose["services"][name].get("networks", {})) for name in SERVICES]
    assert joined[0] == joined[1] and len(joined[0]) == 1
    assert joined[0] <= declared and "default" not in joined[0]


def test_the_pricer_is_not_published_on_the_host(compose: dict[str, Any]) -> None:
    pricer = compose["services"][PRICER]
    assert "ports" not in pricer
    assert pricer.get("network_mode") is None


def test_the_trader_reads_the_pricer_by_service_name_on_its_port(compose: dict[str, Any]) -> None:
    pricer_env = compose["services"][PRICER]["environment"]
    url = urlsplit(compose["services"][TRADER]["environment"]["SNAPSHOT_URL"])
    assert url.hostname == PRICER
    assert str(url.port) == str(pricer_env["HTTP_PORT"])
    assert pricer_env["HTTP_HOST"] == "0.0.0.0"  # reachable from the trader's container


def test_the_control_plane_is_published_on_host_loopback_only(compose: dict[str, Any]) -> None:
    trader = compose["services"][TRADER]
    env = trader["environment"]
    ports = [_published(p) for p in trader["ports"]]
    assert ports == [("127.0.0.1", "9000", str(env["CONTROL_PORT"]))]
    # Inside its own network namespace the server must listen beyond loopback to be published.
    assert env["CONTROL_HOST"] == "0.0.0.0"


def test_the_journal_lives_on_a_named_volume(compose: dict[str, Any]) -> None:
    trader = compose["services"][TRADER]
    journal_dir = str(Path(trader["environment"]["SQLITE_PATH"]).parent)
    mounts = []
    for volume in trader["volumes"]:
        if isinstance(volume, dict):
            mounts.append((volume.get("source"), volume["target"]))
        else:
            source, target = str(volume).split(":")[:2]
            mounts.append((source, target))
    named = [source for source, target in mounts if target == journal_dir]
    assert len(named) == 1 and named[0] in compose.get("volumes", {}), mounts


def test_the_trader_waits_for_a_healthy_pricer(compose: dict[str, Any]) -> None:
    depends = compose["services"][TRADER]["depends_on"]
    assert depends[PRICER]["condition"] == "service_healthy"


def test_secrets_are_passed_by_name_never_written_in_the_compose_file() -> None:
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    for name in ("POLY_PRIVATE_KEY", "POLY_API_KEY", "POLY_API_SECRET", "POLY_API_PASSPHRASE", "CONTROL_TOKEN"):
        lines = re.findall(rf"^\s*-?\s*{name}\s*[:=].*$", text, re.MULTILINE)
        assert lines == [f"      {name}: ${{{name}:-}}"], f"{name} must be passed as ${{{name}:-}}, not set: {lines}"
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored


def test_compose_resolves_on_a_fresh_checkout_and_the_trader_then_asks_for_its_token(
        compose_fresh: dict[str, Any]) -> None:
    env = _trader_env(compose_fresh)
    assert env["MODE"] == "shadow"  # the safe default: live data, no orders
    with pytest.raises(ConfigError) as refused:
        BConfig.from_env(env)
    assert [p for p in refused.value.problems if "CONTROL_TOKEN" in p] == refused.value.problems
    config, _ = BConfig.from_env(_trader_env(compose_fresh, CONTROL_TOKEN="x" * 32))
    assert config.mode.value == "shadow" and config.sqlite_path == "/data/journal.sqlite"


class _Recording(dict[str, str]):
    """An environment that records which names the config asked for."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


def test_every_example_setting_reaches_the_trader_and_every_passed_name_is_read(compose: dict[str, Any]) -> None:
    passed = set(compose["services"][TRADER]["environment"])
    pricer = set(compose["services"][PRICER]["environment"])
    example = {name for name, _ in _env_lines(ROOT / ".env.example")}
    assert example - pricer - passed == set(), "settings in .env.example that compose does not pass on"
    asked: set[str] = set()
    for mode in ("shadow", "live"):  # live reads LIVE_CONFIRM too (and is refused: no credentials)
        env = _Recording(_trader_env(compose, CONTROL_TOKEN="x" * 32, MODE=mode))
        with contextlib.suppress(ConfigError):
            BConfig.from_env(env)
        asked |= env.asked
    assert passed - asked == set(), "names compose passes that the trader never reads (typos?)"


def test_the_env_example_holds_no_secret_values() -> None:
    values = dict(_env_lines(ROOT / ".env.example"))
    for name in ("POLY_PRIVATE_KEY", "POLY_API_KEY", "POLY_API_SECRET", "POLY_API_PASSPHRASE", "CONTROL_TOKEN"):
        assert name in values, f".env.example does not document {name}"
        assert values[name] == "", f".env.example gives {name} a value"
    assert values.get("MODE") == "shadow"  # the safe first step on a VPS: live data, no orders


def _trader_env(compose: dict[str, Any], **overrides: str) -> dict[str, str]:
    env = {k: str(v) for k, v in compose["services"][TRADER]["environment"].items() if v is not None}
    env.update(overrides)
    return env


def test_the_trader_accepts_the_example_settings_once_the_token_is_filled_in(compose: dict[str, Any]) -> None:
    config, _ = BConfig.from_env(_trader_env(compose, CONTROL_TOKEN="x" * 32))
    assert config.mode.value == "shadow"
    assert (config.control_host, config.control_port) == ("0.0.0.0", 9000)
    assert config.sqlite_path == "/data/journal.sqlite"


def test_the_trader_refuses_live_without_credentials_and_confirmation(compose: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as refused:
        BConfig.from_env(_trader_env(compose, CONTROL_TOKEN="x" * 32, MODE="live"))
    assert "LIVE_CONFIRM" in str(refused.value) and "POLY_PRIVATE_KEY" in str(refused.value)


def test_the_pricer_accepts_its_compose_settings(compose: dict[str, Any]) -> None:
    env = {k: str(v) for k, v in compose["services"][PRICER]["environment"].items()}
    config, _ = load_config(env)
    assert (config.http_host, config.http_port) == ("0.0.0.0", 8080)
    assert config.binance_ws_url.startswith("wss://") and config.symbol == "BTCUSDT"


def _env_lines(path: Path) -> list[tuple[str, str]]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs.append((name.strip(), value.strip()))
    return pairs


def _final_stage(name: str) -> list[str]:
    """The instructions of the Dockerfile's last stage, continuation lines joined."""
    text = (ROOT / "services" / name / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    lines = [ln.strip() for ln in joined.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    last_from = max(i for i, ln in enumerate(lines) if ln.upper().startswith("FROM "))
    return lines[last_from:]


def _all_copies(name: str) -> list[str]:
    text = (ROOT / "services" / name / "Dockerfile").read_text(encoding="utf-8")
    return [ln.strip() for ln in text.splitlines() if ln.strip().upper().startswith(("COPY ", "ADD "))]


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_runs_as_a_non_root_user(name: str) -> None:
    final = _final_stage(name)
    assert final[0].startswith("FROM python:3.11-slim")
    users = [ln.split()[1] for ln in final if ln.upper().startswith("USER ")]
    assert users and users[-1] not in ("root", "0", "0:0")


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_has_a_python_healthcheck_on_health(name: str) -> None:
    checks = [ln for ln in _final_stage(name) if ln.upper().startswith("HEALTHCHECK ")]
    assert len(checks) == 1
    assert '"python"' in checks[0] and "/health" in checks[0]
    assert "curl" not in checks[0] and "wget" not in checks[0]


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_copies_only_the_shared_kernel_and_its_own_service(name: str) -> None:
    """The trader's image also carries the `hourmm` dispatcher (standard library only) for `hourmm ctl`."""
    extra = ("cli/",) if name == "polymarket_trader" else ()
    copies = _all_copies(name)
    assert copies
    for line in copies:
        parts = line.split()
        if any(p.startswith("--from=") for p in parts):
            continue
        sources = [p for p in parts[1:-1] if not p.startswith("--")]
        for source in sources:
            assert source.startswith(("libs/hourmm_common/", f"services/{name}/", *extra)), line
    # It installs its own pinned requirements, which pull in the shared kernel's.
    text = (ROOT / "services" / name / "Dockerfile").read_text(encoding="utf-8")
    assert f"pip install -r services/{name}/requirements.txt" in text
    assert "-r ../../libs/hourmm_common/requirements.txt" in (
        ROOT / "services" / name / "requirements.txt").read_text(encoding="utf-8")


def test_the_trader_image_has_the_operator_command() -> None:
    text = (ROOT / "services" / "polymarket_trader" / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY cli/pyproject.toml cli/pyproject.toml" in text and "COPY cli/src cli/src" in text
    assert re.search(r"pip install --no-deps .*\bcli\b", text)
