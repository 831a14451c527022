"""The backtest: the pricer and trader cores over real history against the in-process venue.

`hourmm backtest` dispatches to `main` (see `backtest.cli`). Modules: `runner` (the loop),
`pricer_feed` (pricer core over the tape), `venue` (CLOB + participants + hourly markets),
`trader_loop` (trader core with the venue as its executor), `translate` (venue records <-> core
events), `metrics`, `report`, `sweep`.
"""

from hourmm_lab.backtest.cli import main

__all__ = ["main"]
