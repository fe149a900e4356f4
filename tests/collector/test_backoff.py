"""Backoff between retries: exponential, capped, seeded jitter, never shorter than Retry-After."""

from __future__ import annotations

import random

from fmslab.collector.poller import BackoffWait, TransientPollError


def test_backoff_doubles_up_to_the_cap_plus_bounded_jitter() -> None:
    wait = BackoffWait(initial=0.1, maximum=0.5, rng=random.Random(1))
    delays = [wait.delay(n, TransientPollError("timeout")) for n in (1, 2, 3, 4, 5)]
    floors = [0.1, 0.2, 0.4, 0.5, 0.5]
    assert all(floor <= d <= floor + 0.1 for d, floor in zip(delays, floors, strict=True))


def test_jitter_is_seeded() -> None:
    def delays(seed: int) -> list[float]:
        wait = BackoffWait(0.1, 2.0, random.Random(seed))
        return [wait.delay(n, None) for n in (1, 2, 3)]

    assert delays(7) == delays(7)
    assert delays(7) != delays(8)


def test_retry_after_is_a_floor() -> None:
    wait = BackoffWait(initial=0.1, maximum=0.5, rng=random.Random(1))
    assert wait.delay(1, TransientPollError("http_429", retry_after=1.0)) >= 1.0
    assert wait.delay(1, TransientPollError("http_500")) < 1.0
