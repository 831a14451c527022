"""`python -m binance_pricer` / `binance-pricer`: read the config once, log JSON, run until SIGTERM.

A config error prints every problem and exits 2 (no restart loop can fix it). SIGTERM and
SIGINT stop the app cleanly (exit 0). Anything else escaping is a bug: exit non-zero and let
the supervisor restart into the same boot path.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import msgspec

from binance_pricer.app import ContainerAApp
from binance_pricer.config import load_config
from hourmm_common.errors import ConfigError
from hourmm_common.logs import configure_logging, get_logger


async def _serve(app: ContainerAApp) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, app.stop)
    await app.run()


def main() -> int:
    try:
        config, clock = load_config(os.environ)
    except ConfigError as exc:
        print(f"binance-pricer: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.log_level, service="binance_pricer")
    log = get_logger("main")
    log.info("config_loaded", **{k: str(v) for k, v in msgspec.structs.asdict(config).items()})
    try:
        asyncio.run(_serve(ContainerAApp(config, clock)))
    except Exception:  # a bug: say so in the log, exit non-zero, let the supervisor restart us
        log.exception("crashed")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
