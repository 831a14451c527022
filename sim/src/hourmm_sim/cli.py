"""`hourmm` (and `python -m hourmm_sim`): one command for the operator's tools.

Each subcommand lives in its own module with a `main(argv) -> int`; this module only dispatches,
importing lazily so that `hourmm ctl` does not load the simulator and vice versa.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "venue": ("hourmm_sim.venue_main", "run the local venue (Binance stand-in + Polymarket CLOB)"),
    "demo": ("hourmm_sim.demo", "run venue + pricer + trader over an accelerated hour, then report"),
    "calibrate": ("hourmm_sim.calibrate", "score pricers on real Binance history"),
    "backtest": ("hourmm_sim.backtest", "run the trader's core over real history in one process"),
    "ctl": ("polymarket_trader.ctl", "operator commands to a running trader's control plane"),
}


def _usage() -> str:
    lines = ["usage: hourmm COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<10} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"hourmm: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    result: int = module.main(rest)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
