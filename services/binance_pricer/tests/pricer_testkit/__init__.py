"""Builders and fakes for the pricer's tests (importable from any test: on pytest's pythonpath)."""
