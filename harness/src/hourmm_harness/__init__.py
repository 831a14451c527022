"""The harness: runs the real processes together and reports on them, from the outside.

`stack` starts the venue, the pricer and the trader as three processes on one scenario clock;
`demo` (`hourmm demo`, `make demo`) drives a run and checks the trader's ledger against the venue's;
`report` writes the summary table and the HTML report, drawn with `charts` (pure inline SVG, which
the lab's backtest report uses too). It reads the trader only through its control plane
(`status.TraderStatus`) and the venue only through its `/_sim` API, so it imports neither
service's code.
"""
