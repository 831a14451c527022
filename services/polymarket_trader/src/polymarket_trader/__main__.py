"""`python -m polymarket_trader`: read the config, run the trader until SIGTERM/SIGINT.

Exit codes: 0 after a clean stop, 2 when the configuration is refused (the message names every
bad variable), 1 when a task died (crash-only: the supervisor restarts into the boot path).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from hourmm_common.errors import ConfigError
from hourmm_common.logs import configure_logging, get_logger
from polymarket_trader.app import ContainerBApp
from polymarket_trader.config import BConfig


async def _main(app: ContainerBApp) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, app.request_stop)
    await app.run()


def main(argv: list[str] | None = None) -> int:
    try:
        config, clock = BConfig.from_env(os.environ)
    except ConfigError as exc:
        print(f"polymarket_trader: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.log_level, service="polymarket_trader")
    app = ContainerBApp(config, clock)
    try:
        asyncio.run(_main(app))
    except Exception:
        get_logger("app").exception("trader_crashed")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
