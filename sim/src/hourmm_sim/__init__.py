"""The local venue: stand-ins for Binance and Polymarket that speak their real wire protocols.

Rooms: `binance/` (spot websocket streams and REST market data over a tape), `polymarket/` (Gamma,
CLOB REST and websockets, matching, ledger, faults), and what both replay: `history` (real candle
files), `tape` (candles expanded into trades and quotes, deterministically), `scenarios` (which
hours, who trades, which faults). `python -m hourmm_sim` (`hourmm venue`) runs both in one process.
Imports only `hourmm_common`: the venue is an independent witness of the services.
"""
