"""Settings shared by every test of the repository (pytest loads this file before any test module).

Hypothesis: one profile for all property tests, so no test carries its own copy of these settings.
- `deadline=None`: examples run on a shared 2-core machine next to other suites; a slow example is
  not a bug, and timing belongs in `bench/`, never in a test.
- `too_slow` suppressed: the first `text()` draw in a fresh process pays about a second of
  set-up, so whichever test xdist schedules first would fail the health check by load alone.
- `CI=true` (set by `.ci/run`) selects `ci`: derandomised, so a CI run explores the same examples
  every time and cannot fail on a draw that a developer's run never saw; no example database.
Per-test `@settings(max_examples=...)` stays where a test needs more or fewer examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True, database=None,
                          print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
