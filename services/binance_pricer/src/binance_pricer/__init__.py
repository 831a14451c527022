"""Container A: Binance ingestion -> hour context -> features -> pricer -> latest snapshot.

Edges (`binance_ws`, `rest_client`, `open_backfill`, `snapshot_server`, `app`) translate between
the network and the pure `core` package, which holds every decision.
"""
