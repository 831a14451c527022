"""The local Binance stand-in: Binance spot's websocket streams and REST market data over a tape.

`server.BinanceStandIn` is the entry point (in-process); `python -m hourmm_sim.binance` runs it as
a process (`main.py`). `messages` writes the wire formats, `streaming` walks the tape on the clock,
`connection` keeps one client's socket alive, `rest` answers `/api/v3/...`.
"""
