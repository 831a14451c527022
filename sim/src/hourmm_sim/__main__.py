"""`python -m hourmm_sim COMMAND ...`: the same commands as the `hourmm` script."""

from hourmm_sim.cli import main

raise SystemExit(main())
