import io
import json

from hourmm_common.config import Secret
from hourmm_common.logs import configure_logging, get_logger


def test_logs_are_json_and_secrets_are_redacted() -> None:
    out = io.StringIO()
    configure_logging("INFO", service="test", stream=out)
    get_logger("unit").info("config_loaded", api_secret="hunter2", key=Secret("k3y"), token_id="123")
    line = json.loads(out.getvalue().strip().splitlines()[-1])
    assert line["event"] == "config_loaded"
    assert line["component"] == "unit"
    assert line["service"] == "test"
    assert line["api_secret"] == "***" and line["key"] == "***"
    assert line["token_id"] == "123"
    assert "hunter2" not in out.getvalue() and "k3y" not in out.getvalue()
