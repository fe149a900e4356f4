"""The course's simple scheduler: collection -> processing -> quality check, once per cycle.

    job = CourseJob(spark, settings, api_url=url, bootstrap=broker, work_dir=work)
    scheduler = Scheduler(job.steps(), ErrorHandler())
    record = scheduler.run_cycle()
    scheduler.records()   # a row per step: cycle, step, status, duration_s, attempts, error

Each step is a plain function call into the library (no subprocess per script). A failing step is
retried with exponential backoff (tenacity) while the error handler calls its error retryable
(MEDIUM, HIGH); bad data and a broken environment fail at once. The steps after a failed one are
skipped in that cycle: processing what was not collected would only hide the first error. On the
stack the same chain runs under Airflow or cron; the run records are what they would show.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from fmslab.jobs.errors import ErrorHandler, Severity, is_retryable

log = logging.getLogger("fmslab.jobs.scheduler")
log.addHandler(logging.NullHandler())


@dataclass
class Step:
    """One named step: `action()` returns a JSON-ready summary or raises."""

    name: str
    action: Callable[[], Any]
    attempts: int = 3
    backoff: float = 0.5  # seconds before the first retry, doubled per retry
    backoff_max: float = 5.0


@dataclass
class StepRecord:
    """What one step did in one cycle."""

    cycle: int
    step: str
    status: str  # ok | failed | skipped
    duration_s: float
    attempts: int
    error: str | None = None
    severity: str | None = None
    result: Any = None


@dataclass
class CycleRecord:
    """The records of one cycle's steps, in order."""

    cycle: int
    steps: list[StepRecord] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every step succeeded."""
        return all(s.status == "ok" for s in self.steps)

    @property
    def severity(self) -> Severity | None:
        """The worst severity among the failed steps (None when every step succeeded)."""
        failed = [Severity[s.severity] for s in self.steps if s.severity is not None]
        return max(failed, default=None)


class Scheduler:
    """Runs its steps in order, cycle after cycle, with retries, an error handler and records."""

    def __init__(
        self,
        steps: list[Step],
        handler: ErrorHandler | None = None,
        *,
        record_file: Path | None = None,
    ) -> None:
        self.steps = steps
        self.handler = handler or ErrorHandler()
        self.record_file = record_file
        self.cycles: list[CycleRecord] = []

    def _retrying(self, step: Step) -> Retrying:
        def retryable(exc: BaseException) -> bool:
            return is_retryable(self.handler.classify(exc)[0])

        def before_sleep(state: Any) -> None:
            log.warning("%s: attempt %d failed, retrying", step.name, state.attempt_number)

        return Retrying(
            stop=stop_after_attempt(max(1, step.attempts)),
            wait=wait_exponential(multiplier=step.backoff, max=step.backoff_max),
            retry=retry_if_exception(retryable),
            before_sleep=before_sleep,
            reraise=True,
        )

    def run_step(self, step: Step, cycle: int) -> StepRecord:
        """Run one step with its retries; failures go to the error handler, never raise."""
        began = time.monotonic()
        attempts = 0
        try:
            for attempt in self._retrying(step):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    result = step.action()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a record and an incident
            incident = self.handler.handle(exc, step=step.name)
            return StepRecord(
                cycle,
                step.name,
                "failed",
                round(time.monotonic() - began, 3),
                attempts,
                f"{incident.error_type}: {incident.message}",
                incident.severity.name,
            )
        duration = round(time.monotonic() - began, 3)
        log.info("%s: ok after %d attempt(s) in %.3f s", step.name, attempts, duration)
        return StepRecord(cycle, step.name, "ok", duration, attempts, result=result)

    def run_cycle(self) -> CycleRecord:
        """Run every step once, in order; after a failure the remaining steps are skipped."""
        record = CycleRecord(len(self.cycles) + 1)
        failed = False
        for step in self.steps:
            if failed:
                record.steps.append(StepRecord(record.cycle, step.name, "skipped", 0.0, 0))
                continue
            outcome = self.run_step(step, record.cycle)
            record.steps.append(outcome)
            failed = outcome.status != "ok"
        self.cycles.append(record)
        self._append(record)
        return record

    def run(
        self,
        cycles: int,
        every: float = 0.0,
        *,
        duration: float | None = None,
        stop_at: Severity | None = None,
        on_cycle: Callable[[CycleRecord], None] | None = None,
    ) -> list[CycleRecord]:
        """Run up to `cycles` cycles, starting one every `every` seconds (at once when late).

        No cycle starts `duration` seconds or more after the first one; after a cycle whose
        severity is `stop_at` or worse none starts at all (retrying a broken environment cannot
        help). `on_cycle` sees each cycle's record as soon as it ends.
        """
        start = time.monotonic()
        done: list[CycleRecord] = []
        for n in range(cycles):
            begin = max(start + n * every, time.monotonic())
            if n and duration is not None and begin - start >= duration:
                break
            time.sleep(max(0.0, begin - time.monotonic()))
            record = self.run_cycle()
            done.append(record)
            if on_cycle is not None:
                on_cycle(record)
            severity = record.severity
            if stop_at is not None and severity is not None and severity >= stop_at:
                break
        return done

    def records(self) -> list[dict[str, Any]]:
        """Every step record so far as dicts (without the step results), for a table."""
        return [
            {k: v for k, v in asdict(s).items() if k != "result"}
            for c in self.cycles
            for s in c.steps
        ]

    def _append(self, record: CycleRecord) -> None:
        if self.record_file is None:
            return
        self.record_file.parent.mkdir(parents=True, exist_ok=True)
        with self.record_file.open("a", encoding="utf-8") as out:
            for step in record.steps:
                out.write(json.dumps(asdict(step), default=str) + "\n")


class CollectionError(ConnectionError):
    """A collection step brought back no reading (the FMS API is down or answers only errors)."""


class QualityAlert(RuntimeError):
    """The quality of the readings processed in a cycle is below the alert threshold."""


@dataclass
class CourseJob:
    """The course's three steps on the library: collect, process (availableNow), check quality.

    `collect_seconds` of polling per cycle (the collector, `devices` every `interval` s) into
    fms-raw-data; the stream job then drains what is new from its checkpoint into the lake; the
    quality check reads that cycle's batch reports from the `quality` zone. With `spark=None`
    the first processing step starts the course's session (a missing JDK is then that step's
    CRITICAL failure, not a crash) and `close()` stops it.
    """

    spark: Any
    settings: Any
    api_url: str
    bootstrap: str
    work_dir: Path
    devices: int = 5
    interval: float = 10.0
    collect_seconds: float = 10.0
    check_delay: bool = False  # a virtual-clock simulator's readings are not "now"
    min_score: float = 0.70
    seed: int = 42
    _last_batch: int = -1
    _own_spark: bool = False

    @property
    def checkpoint_dir(self) -> Path:
        """The stream job's checkpoint (kept across cycles: each drains only what is new)."""
        return self.work_dir / "checkpoint"

    def collect(self) -> dict[str, Any]:
        """Poll the API for `collect_seconds` and produce to fms-raw-data."""
        from fmslab.broker.clients import BrokerUnreachable, require_broker
        from fmslab.collector import Collector, CollectorConfig

        require_broker(self.bootstrap)  # fail now, not after a run spent spooling
        config = CollectorConfig(
            api_url=self.api_url,
            bootstrap=self.bootstrap,
            devices=self.devices,
            interval=self.interval,
            retries=0,
            seed=self.seed,
            spool_dir=self.work_dir / "spool",
            archive_dir=self.work_dir / "landing",
            quarantine_file=self.work_dir / "collector-quarantine.jsonl",
        )
        stats = Collector(config).run(self.collect_seconds)
        if stats.spool_depth:
            raise BrokerUnreachable(f"{stats.spool_depth} readings spooled: the broker went away")
        if stats.collected + stats.quarantined == 0:
            raise CollectionError(f"no reading from {self.api_url}: {dict(stats.errors)}")
        return {
            "polls": stats.polls,
            "collected": stats.collected,
            "produced": stats.produced,
            "quarantined": stats.quarantined,
        }

    def process(self) -> dict[str, Any]:
        """Drain what is new on fms-raw-data into the lake (availableNow, from the checkpoint)."""
        from fmslab.broker.clients import require_broker
        from fmslab.streaming.pipeline import run_pipeline

        require_broker(self.bootstrap)
        summary = run_pipeline(
            self.session(),
            self.settings,
            bootstrap=self.bootstrap,
            checkpoint_dir=self.checkpoint_dir,
            available_now=True,
            check_delay=self.check_delay,
        )
        return {"batches": summary["batches"], "records": summary["records"], **summary["zones"]}

    def session(self) -> Any:
        """The job's SparkSession, started now when the job was given none."""
        if self.spark is None:
            from pyspark.sql import SparkSession

            from fmslab.streaming.session import spark_session

            # An active session (a notebook's, a test's) is reused and left running by close().
            self._own_spark = SparkSession.getActiveSession() is None
            self.spark = spark_session("fmslab-schedule", settings=self.settings)
        return self.spark

    def close(self) -> None:
        """Stop the SparkSession if this job started it (a session it was given stays up)."""
        if self._own_spark and self.spark is not None:
            self.spark.stop()
            self.spark, self._own_spark = None, False

    def check_quality(self) -> dict[str, Any]:
        """The records-weighted score of this cycle's new batch reports; QualityAlert if low."""
        from fmslab.lake.records import read_zone
        from fmslab.lake.storage import open_lake
        from fmslab.streaming.sinks import query_token

        reports = read_zone(open_lake(self.settings), "quality")
        if not reports.empty:
            reports = reports[reports["query"] == query_token(self.checkpoint_dir.resolve())]
            reports = reports[reports["batch_id"] > self._last_batch]
        if reports.empty:
            return {"batches": 0, "records": 0, "score": None}
        records = int(reports["records"].sum())
        score = float((reports["score"] * reports["records"]).sum() / max(records, 1))
        self._last_batch = int(reports["batch_id"].max())
        if score < self.min_score:
            raise QualityAlert(f"quality score {score:.1%} below {self.min_score:.0%}")
        return {"batches": len(reports), "records": records, "score": round(score, 4)}

    def steps(self) -> list[Step]:
        """collection -> processing -> quality check (the check is not retried: same data)."""
        return [
            Step("collection", self.collect),
            Step("processing", self.process),
            Step("quality_check", self.check_quality, attempts=1),
        ]
