"""Per-device circuit breaker: stop polling a device that keeps failing, try again later."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import IntEnum


class CircuitState(IntEnum):
    """Breaker states, numbered as the `fms_collector_circuit_state` gauge reports them."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    """Opens after `threshold` failed polls in a row, half-opens after a cool-down, then closes."""

    def __init__(
        self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self.opened = 0  # how many times it opened, for the run's statistics

    @property
    def state(self) -> CircuitState:
        """The current state (an open breaker whose cool-down passed reports half-open)."""
        if self._state is CircuitState.OPEN and self._clock() - self._opened_at >= self.cooldown:
            self._state = CircuitState.HALF_OPEN
        return self._state

    def allow(self) -> bool:
        """Whether a poll may go ahead now (closed, or the half-open trial)."""
        return self.state is not CircuitState.OPEN

    def record_success(self) -> None:
        """A poll got an answer: close the breaker."""
        self._state = CircuitState.CLOSED
        self._failures = 0

    def record_failure(self) -> None:
        """A poll failed after its retries: count it, open when the threshold or a trial fails."""
        self._failures += 1
        if self._state is CircuitState.HALF_OPEN or self._failures >= self.threshold:
            if self._state is not CircuitState.OPEN:
                self.opened += 1
            self._state = CircuitState.OPEN
            self._opened_at = self._clock()
