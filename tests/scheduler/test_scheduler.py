"""The scheduler: steps in order, retries by severity, skipped steps, run records on disk."""

from __future__ import annotations

import json
from pathlib import Path

from fmslab.broker.clients import require_broker
from fmslab.jobs.errors import ErrorHandler, Incident, Severity
from fmslab.jobs.scheduler import Scheduler, Step
from fmslab.services import free_port


def _stopped_broker() -> str:
    return f"127.0.0.1:{free_port()}"  # nothing listens there


def test_a_cycle_runs_every_step_in_order_and_records_it(tmp_path: Path) -> None:
    order: list[str] = []
    steps = [
        Step("collection", lambda: order.append("c") or {"collected": 3}),
        Step("processing", lambda: order.append("p") or {"records": 3}),
    ]
    scheduler = Scheduler(steps, record_file=tmp_path / "runs.jsonl")
    records = scheduler.run(cycles=2)
    assert order == ["c", "p", "c", "p"]
    assert all(r.ok for r in records)
    rows = scheduler.records()
    assert [(r["cycle"], r["step"], r["status"], r["attempts"]) for r in rows] == [
        (1, "collection", "ok", 1),
        (1, "processing", "ok", 1),
        (2, "collection", "ok", 1),
        (2, "processing", "ok", 1),
    ]
    on_disk = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert [r["step"] for r in on_disk] == [r["step"] for r in rows]
    assert on_disk[0]["result"] == {"collected": 3}


def test_a_stopped_broker_is_retried_then_fails_high_and_skips_the_rest() -> None:
    sent: list[Incident] = []
    bootstrap = _stopped_broker()
    ran: list[str] = []
    steps = [
        Step("collection", lambda: require_broker(bootstrap), attempts=3, backoff=0.01),
        Step("processing", lambda: ran.append("processing")),
    ]
    record = Scheduler(steps, ErrorHandler(sent.append)).run_cycle()
    collection, processing = record.steps
    assert not record.ok
    assert (collection.status, collection.attempts, collection.severity) == ("failed", 3, "HIGH")
    assert collection.error is not None and collection.error.startswith("BrokerUnreachable")
    assert (processing.status, processing.attempts) == ("skipped", 0) and ran == []
    assert len(sent) == 1 and sent[0].step == "collection"


def test_malformed_data_fails_at_once_without_a_notification() -> None:
    sent: list[Incident] = []
    step = Step("processing", lambda: json.loads("{not json"), attempts=5, backoff=0.01)
    record = Scheduler([step], ErrorHandler(sent.append)).run_cycle()
    only = record.steps[0]
    assert (only.status, only.attempts, only.severity) == ("failed", 1, "LOW")
    assert sent == []


def test_a_transient_failure_recovers_on_retry() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("the API took too long")
        return "ok"

    record = Scheduler([Step("collection", flaky, attempts=4, backoff=0.01)]).run_cycle()
    only = record.steps[0]
    assert (only.status, only.attempts, only.result) == ("ok", 3, "ok")


def test_no_cycle_starts_after_the_duration() -> None:
    seen: list[int] = []
    scheduler = Scheduler([Step("collection", lambda: None)])
    done = scheduler.run(100, every=0.3, duration=0.75, on_cycle=lambda r: seen.append(r.cycle))
    # Cycles start at 0, 0.3 and 0.6 s; the one due at 0.9 s is past the duration.
    assert [r.cycle for r in done] == seen == [1, 2, 3]


def test_a_critical_cycle_stops_the_run_and_a_high_one_does_not() -> None:
    def no_disk() -> None:
        raise OSError(28, "No space left on device")  # ENOSPC: CRITICAL

    high = Scheduler([Step("collection", lambda: require_broker(_stopped_broker()), attempts=1)])
    records = high.run(3, stop_at=Severity.CRITICAL)
    assert [r.severity for r in records] == [Severity.HIGH] * 3
    critical = Scheduler([Step("processing", no_disk), Step("quality_check", lambda: None)])
    records = critical.run(3, stop_at=Severity.CRITICAL)
    assert len(records) == 1 and records[0].severity is Severity.CRITICAL
    assert [s.status for s in records[0].steps] == ["failed", "skipped"]


def test_a_cycle_without_failure_has_no_severity() -> None:
    record = Scheduler([Step("collection", lambda: 1)]).run_cycle()
    assert record.ok and record.severity is None
