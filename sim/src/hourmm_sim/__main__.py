"""`python -m hourmm_sim ...` (`hourmm venue ...`): the local venue as a process (`venue_main`)."""

from hourmm_sim.venue_main import main

raise SystemExit(main())
