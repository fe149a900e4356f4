"""The course's error handler: classify an exception by severity, record it, notify on HIGH+.

    handler = ErrorHandler()                       # notifier: log at ERROR level
    incident = handler.handle(exc, step="collection")
    incident.severity                              # Severity.HIGH for an unreachable broker

Severities follow the course: LOW (one bad record, the pipeline carries on: quarantine),
MEDIUM (a transient fault worth a retry), HIGH (a service the pipeline needs is down: retry, then
tell someone), CRITICAL (the environment is broken, retrying cannot help: tell someone now).
Exceptions are matched by class name along their MRO, so the handler needs neither Spark nor
Kafka imported and recognises their errors all the same. Chapter 11 plugs in Slack or e-mail
notifiers; any callable taking an `Incident` works.
"""

from __future__ import annotations

import enum
import errno
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

log = logging.getLogger("fmslab.jobs.errors")
# A library logs only where the application configured logging (no stderr by default).
log.addHandler(logging.NullHandler())


class Severity(enum.IntEnum):
    """How bad a failure is; ordered, so `severity >= Severity.HIGH` works."""

    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4


@dataclass(frozen=True)
class Rule:
    """Exceptions whose class (or a base class) has one of `names` get `severity` and `category`."""

    names: tuple[str, ...]
    severity: Severity
    category: str


# First match wins, so the specific rules come before the broad ones.
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(("JavaNotFoundError", "SparkStartError"), Severity.CRITICAL, "environment"),
    Rule(("MemoryError",), Severity.CRITICAL, "environment"),
    # A batch in a codec whose library is missing: installing it is the fix, retrying is not.
    Rule(("UnsupportedCodecError",), Severity.CRITICAL, "environment"),
    Rule(
        ("BrokerUnreachable", "NoBrokersAvailable", "KafkaConnectionError", "BrokerError"),
        Severity.HIGH,
        "broker_unreachable",
    ),
    Rule(("KafkaTimeoutError", "OffsetsError", "KafkaError"), Severity.HIGH, "broker"),
    Rule(("StreamingQueryException", "KafkaSourceError"), Severity.HIGH, "stream_job"),
    Rule(("LakeError",), Severity.HIGH, "lake"),
    Rule(("ConnectError", "ConnectionError"), Severity.HIGH, "service_unreachable"),
    Rule(("QualityAlert",), Severity.MEDIUM, "data_quality"),
    Rule(("TimeoutException", "TimeoutError", "HTTPStatusError"), Severity.MEDIUM, "transient"),
    Rule(
        ("JSONDecodeError", "UnicodeDecodeError", "ValidationError", "BadPayload", "ValueError"),
        Severity.LOW,
        "malformed_data",
    ),
)
# Errors of the disk itself are environment problems, whatever class carries them.
_DISK_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}


@dataclass(frozen=True)
class Incident:
    """One handled failure: what, where, how bad, and whether someone was notified."""

    severity: Severity
    category: str
    error_type: str
    message: str
    step: str | None = None
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    notified: bool = False

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready view (the severity by name)."""
        return {
            "severity": self.severity.name,
            "category": self.category,
            "error_type": self.error_type,
            "message": self.message,
            "step": self.step,
            "at": self.at,
            "notified": self.notified,
        }


Notifier = Callable[[Incident], None]


def log_notifier(incident: Incident) -> None:
    """The default notifier: one ERROR log line (chapter 11 swaps in Slack or e-mail)."""
    log.error(
        "%s %s in %s: %s: %s",
        incident.severity.name,
        incident.category,
        incident.step or "-",
        incident.error_type,
        incident.message,
    )


def _mro_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def classify(exc: BaseException, rules: Iterable[Rule] = DEFAULT_RULES) -> tuple[Severity, str]:
    """The (severity, category) of an exception; anything unknown is MEDIUM `unexpected`."""
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return Severity.CRITICAL, "disk"
    names = _mro_names(exc)
    for rule in rules:
        if names.intersection(rule.names):
            return rule.severity, rule.category
    return Severity.MEDIUM, "unexpected"


def is_retryable(severity: Severity) -> bool:
    """Retry transient faults and unreachable services; bad data and a broken environment, never."""
    return severity in (Severity.MEDIUM, Severity.HIGH)


class ErrorHandler:
    """Classifies failures, keeps them as incidents, and notifies on `notify_at` and above."""

    def __init__(
        self,
        notifier: Notifier | None = None,
        *,
        rules: Iterable[Rule] = DEFAULT_RULES,
        notify_at: Severity = Severity.HIGH,
    ) -> None:
        self.notifier: Notifier = notifier or log_notifier
        self.rules = tuple(rules)
        self.notify_at = notify_at
        self.incidents: list[Incident] = []

    def classify(self, exc: BaseException) -> tuple[Severity, str]:
        """The (severity, category) of `exc` under this handler's rules."""
        return classify(exc, self.rules)

    def handle(self, exc: BaseException, *, step: str | None = None) -> Incident:
        """Record `exc` as an incident; notify when it is severe enough. Never raises.

        A notifier that fails is logged, not re-raised: the handler must not turn one failure
        into two.
        """
        severity, category = self.classify(exc)
        incident = Incident(severity, category, type(exc).__name__, str(exc) or repr(exc), step)
        log.log(_LEVELS[severity], "%s: %s", step or "-", incident.message)
        if severity >= self.notify_at:
            try:
                self.notifier(incident)
                incident = replace(incident, notified=True)
            except Exception:  # noqa: BLE001 - a broken notifier must not hide the incident
                log.exception("the notifier failed for %s", incident.error_type)
        self.incidents.append(incident)
        return incident

    def counts(self) -> dict[str, int]:
        """Incidents per severity name, every severity listed (0 when none)."""
        return {s.name: sum(i.severity == s for i in self.incidents) for s in Severity}


_LEVELS = {
    Severity.LOW: logging.INFO,
    Severity.MEDIUM: logging.WARNING,
    Severity.HIGH: logging.ERROR,
    Severity.CRITICAL: logging.CRITICAL,
}
