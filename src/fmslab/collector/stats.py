"""Counts of one collector run, as a notebook or the summary shows them."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from fmslab.measure import summarize


@dataclass
class CollectorStats:
    """What a run did: polls, accepted readings, deliveries, spool, quarantine, errors by kind."""

    polls: int = 0
    collected: int = 0
    produced: int = 0
    delivery_failures: int = 0
    spooled: int = 0
    replayed: int = 0
    quarantined: int = 0
    retries: int = 0
    skipped_open: int = 0
    breaker_opened: int = 0
    spool_depth: int = 0
    duration: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=500_000), repr=False)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def latency_summary(self) -> dict[str, float | int | None]:
        """Poll-to-ack latency in seconds (live deliveries only), `fmslab.measure.summarize`'s
        shape, not rounded."""
        return summarize(list(self.latencies), digits=None)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "polls": self.polls,
            "collected": self.collected,
            "produced": self.produced,
            "delivery_failures": self.delivery_failures,
            "spooled": self.spooled,
            "replayed": self.replayed,
            "spool_depth": self.spool_depth,
            "quarantined": self.quarantined,
            "quarantine_reasons": dict(self.quarantine_reasons),
            "retries": self.retries,
            "skipped_open": self.skipped_open,
            "breaker_opened": self.breaker_opened,
            "errors": dict(self.errors),
            "duration_s": round(self.duration, 3),
            "poll_to_ack_s": self.latency_summary(),
        }
