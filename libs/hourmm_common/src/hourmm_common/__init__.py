"""HourMM shared kernel: only what both services import.

The A->B snapshot contract (`snapshot`), hour arithmetic (`hours`), the injected clock (`clock`),
typed environment config (`config`), error classes (`errors`), JSON logging (`logs`), retry
backoff (`backoff`) and the location of the team's shared data (`paths`).
"""
