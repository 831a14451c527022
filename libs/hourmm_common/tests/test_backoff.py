import random

from hourmm_common.backoff import backoff_ms


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(1)
    delays = [backoff_ms(n, base_ms=100, cap_ms=5_000, rng=rng) for n in range(12)]
    assert all(50 <= d <= 5_000 for d in delays)
    ceilings = [min(5_000, 100 * 2**n) for n in range(12)]
    assert all(d <= c for d, c in zip(delays, ceilings, strict=True))


def test_backoff_is_deterministic_for_a_seeded_rng() -> None:
    a = [backoff_ms(n, rng=random.Random(7)) for n in range(5)]
    b = [backoff_ms(n, rng=random.Random(7)) for n in range(5)]
    assert a == b
