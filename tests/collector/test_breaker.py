"""The per-device circuit breaker, driven by an explicit clock."""

from __future__ import annotations

from fmslab.collector.breaker import CircuitBreaker, CircuitState


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_failures_in_a_row() -> None:
    breaker = CircuitBreaker(threshold=3, cooldown=5.0, clock=Clock())
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED and breaker.allow()
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN and not breaker.allow()
    assert breaker.opened == 1


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(threshold=2, cooldown=5.0, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED


def test_half_opens_after_cooldown_then_closes_on_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, cooldown=5.0, clock=clock)
    breaker.record_failure()
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.state is CircuitState.HALF_OPEN and breaker.allow()
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED


def test_a_failed_trial_opens_it_again_for_a_full_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cooldown=5.0, clock=clock)
    for _ in range(3):
        breaker.record_failure()
    clock.now += 5.0
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.record_failure()  # one failed trial suffices, not a fresh run of three
    assert breaker.state is CircuitState.OPEN
    clock.now += 4.0
    assert not breaker.allow()
    assert breaker.opened == 2
