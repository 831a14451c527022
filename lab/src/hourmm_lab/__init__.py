"""The lab: evidence for the defaults, offline. Imports the services' pure cores and the venue.

`calibration/` + `calibrate` (`hourmm calibrate`): fair-value models scored out of sample on real
Binance history. `backtest/` (`hourmm backtest`): the pricer's and trader's cores in one process
against the venue's matching engine and participants, on a simulated clock.
"""
