"""The local Polymarket venue: Gamma, the CLOB's REST API and websockets, matching, the ledger.

`venue.PolymarketVenue` is the entry point (in-process on one clock); `clob` is the engine
(orders, matching, complement mint/merge, settlement), `clob_rest` / `clob_ws` / `gamma` speak the
real wire formats, `auth` checks L1/L2 auth and EIP-712 signatures with its own code, `faults`
holds what goes wrong on purpose, `participants` are the background makers and takers.
"""
