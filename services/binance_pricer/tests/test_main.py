"""`python -m binance_pricer` as an operator runs it: JSON logs, config errors, clean SIGTERM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

from pricer_testkit.fake_binance import FakeBinance

from hourmm_common.paths import repo_root


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BINANCE_", "PRICER_", "HOURMM_CLOCK_"))}
    env.update(extra)
    return env


async def test_a_bad_config_exits_2_naming_the_variable() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "binance_pricer", env=_env(HTTP_PORT="eighty"), cwd=repo_root(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 2 and b"HTTP_PORT" in err


async def test_runs_logs_json_and_stops_cleanly_on_sigterm() -> None:
    fake = FakeBinance()
    await fake.start()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "binance_pricer", cwd=repo_root(),
        env=_env(BINANCE_WS_URL=fake.ws_base_url, BINANCE_REST_URL=fake.rest_base_url, HTTP_HOST="127.0.0.1",
                 HTTP_PORT="0", PRICER_WARM_START_MINUTES="0"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stderr is not None
        events = []
        async with asyncio.timeout(30):
            while "ws_connected" not in events:
                line = await proc.stderr.readline()
                assert line, "process ended early"
                events.append(json.loads(line)["event"])
        assert events[0] == "config_loaded" and "started" in events
        proc.send_signal(signal.SIGTERM)
        rest = (await asyncio.wait_for(proc.stderr.read(), timeout=30)).decode().splitlines()
        assert await asyncio.wait_for(proc.wait(), timeout=30) == 0
        tail = [json.loads(line)["event"] for line in rest if line.startswith("{")]
        assert tail[-1] == "stopped" and "stopping" in tail
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.stop()
