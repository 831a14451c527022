"""`python -m hourmm_cli COMMAND ...`: the same commands as the `hourmm` script."""

from hourmm_cli import main

raise SystemExit(main())
