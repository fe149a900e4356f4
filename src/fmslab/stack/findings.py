"""What `fmslab stack validate` reports: one finding per mistake, with the file, key and fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """A mistake in the stack's files: where it is, what is wrong, and how to fix it."""

    rule: str  # a short name of the rule that found it (e.g. "pinned-tag")
    file: str  # path relative to the checkout (e.g. "stack/docker-compose.yml")
    key: str  # the key or line (e.g. "services.kafka-2.image", "line 12")
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.problem}\n    fix: {self.fix}"


@dataclass(frozen=True)
class Skipped:
    """A check that did not run here, and why (e.g. promtool not on PATH)."""

    check: str
    reason: str

    def __str__(self) -> str:
        return f"skipped {self.check}: {self.reason}"
