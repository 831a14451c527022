"""Builders and fakes for the trader's tests (shared by the core and connectivity test suites)."""
