"""`hourmm`: one command for the operator's tools, and nothing else.

Each subcommand lives in the package that owns it, as a module with `main(argv) -> int`; this
only dispatches, importing on demand, so `hourmm ctl` loads neither the venue nor the lab, and an
image that carries only the trader still has `hourmm ctl` (a command whose package is not
installed says so and exits 2).
"""

from __future__ import annotations

import importlib
import sys

# name -> (module with main(argv), the distribution that carries it, help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "ctl": ("polymarket_trader.ctl", "polymarket-trader", "operator commands to a running trader's control plane"),
    "venue": ("hourmm_sim.venue_main", "hourmm-sim", "run the local venue (Binance stand-in + Polymarket CLOB)"),
    "demo": ("hourmm_harness.demo", "hourmm-harness", "run venue + pricer + trader over an accelerated hour"),
    "calibrate": ("hourmm_lab.calibrate", "hourmm-lab", "score pricers on real Binance history"),
    "backtest": ("hourmm_lab.backtest", "hourmm-lab", "run the trader's core over real history in one process"),
}


def _usage() -> str:
    lines = ["usage: hourmm COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<10} {help_}" for name, (_, _, help_) in COMMANDS.items()]
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
    module_name, dist, _ = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name.split(".")[0]):
            raise  # a missing dependency inside an installed package is a bug, not an absent command
        print(f"hourmm: `{name}` needs the {dist} package, which is not installed here", file=sys.stderr)
        return 2
    result: int = module.main(rest)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
