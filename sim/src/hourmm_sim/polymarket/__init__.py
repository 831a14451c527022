"""The local Polymarket venue: Gamma, the CLOB's REST API and websockets, matching, the ledger.

`venue.PolymarketVenue` is the entry point (in-process on one clock); `clob` is the engine
(admission, matching, cancels, close and resolution), with `trade_pipeline` (trades from MATCHED
to CONFIRMED or FAILED) and `deadlines` (GTD expiry, dead-man switch, close and resolve times);
`clob_market_data` / `clob_rest` / `clob_ws` / `gamma` speak the real wire formats, `sim_admin`
is the venue's own `/_sim` API, `auth` checks L1/L2 auth and EIP-712 signatures with its own
code, `faults` holds what goes wrong on purpose, `participants` are the background makers and
takers.
"""
