"""`python -m hourmm_sim.binance ...`: see `main.py`."""

from hourmm_sim.binance.main import main

raise SystemExit(main())
