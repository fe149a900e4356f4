"""The course's cycle end to end: a real simulator, Tansu, the collector, Spark and the lake."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from fmslab.broker.embedded import embedded_broker
from fmslab.broker.offsets import end_offsets
from fmslab.broker.topics import create_topics
from fmslab.config import Settings
from fmslab.jobs.errors import ErrorHandler, Incident
from fmslab.jobs.scheduler import CourseJob, Scheduler
from fmslab.lake.records import read_zone
from fmslab.lake.storage import open_lake
from fmslab.lake.zones import READING_ZONES

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_two_cycles_then_a_stopped_broker(
    spark: SparkSession, start_simulator, tmp_path: Path
) -> None:
    api = start_simulator(seed=7, devices=3, interval=1.0)
    settings = Settings(state_dir=tmp_path / "state", lake_dir=tmp_path / "lake")
    sent: list[Incident] = []
    with embedded_broker(state_dir=tmp_path / "broker") as bootstrap:
        create_topics(bootstrap)
        job = CourseJob(
            spark,
            settings,
            api_url=api,
            bootstrap=bootstrap,
            work_dir=tmp_path / "job",
            devices=3,
            interval=1.0,
            collect_seconds=2.5,
        )
        scheduler = Scheduler(job.steps(), ErrorHandler(sent.append))
        first, second = scheduler.run(cycles=2)
        on_topic = sum(end_offsets(bootstrap, "fms-raw-data").values())
    # The broker is stopped now: the next cycle's collection fails, is retried, and notifies.
    for step in job.steps():
        step.backoff = 0.01
    third = Scheduler(job.steps(), ErrorHandler(sent.append)).run_cycle()

    assert first.ok and second.ok, scheduler.records()
    produced = [c.steps[0].result["produced"] for c in (first, second)]
    processed = [c.steps[1].result["records"] for c in (first, second)]
    assert processed == produced and all(n > 0 for n in produced)  # each drains only its own
    assert sum(produced) == on_topic
    lake = open_lake(settings)
    stored = sum(len(read_zone(lake, zone)) for zone in READING_ZONES)
    assert stored == on_topic
    checked = [c.steps[2].result for c in (first, second)]
    assert [c["records"] for c in checked] == processed
    assert all(0.7 <= c["score"] <= 1.0 for c in checked)

    collection = third.steps[0]
    assert (collection.status, collection.attempts, collection.severity) == ("failed", 3, "HIGH")
    assert [s.status for s in third.steps[1:]] == ["skipped", "skipped"]
    assert [i.category for i in sent] == ["broker_unreachable"]
