"""Step 4: the stream job's progress: micro-batches committed and rows read from the topic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from fmslab.demo.step import Step
from fmslab.jobs import orchestration
from fmslab.services import read_service, wait_until

if TYPE_CHECKING:
    from fmslab.demo.running import Demo


def stream_counters(url: str) -> dict[str, float]:
    """fms_stream_batches_total and fms_stream_input_rows_total from the job's /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    wanted = {"fms_stream_batches_total", "fms_stream_input_rows_total"}
    values = dict.fromkeys(wanted, 0.0)
    for family in text_string_to_metric_families(httpx.get(url, timeout=5).text):
        for sample in family.samples:
            if sample.name in wanted:
                values[sample.name] += sample.value
    return values


def show(demo: Demo, number: int) -> Step:
    """Batches from the checkpoint's commit log; input rows from Spark's progress events."""
    step = Step.of(number, "stream")
    service = read_service("stream", demo.state)
    assert service is not None, "the stream job is not running"
    checkpoint = orchestration.stream_checkpoint(service)
    url = f"http://{demo.settings.host}:{demo.settings.stream_metrics_port}/metrics"
    topic = demo.records_on_topic
    counters: dict[str, float] = {}

    def caught_up() -> bool:  # the last progress event follows the batch's commit
        counters.update(stream_counters(url))
        return counters["fms_stream_input_rows_total"] >= topic

    wait_until(caught_up, 10, 0.5)
    commits = len([p for p in (checkpoint / "commits").glob("*") if p.name.isdigit()])
    step.add("micro-batches committed (checkpoint)", commits, key="batches_committed")
    step.add("micro-batches (progress events)", int(counters["fms_stream_batches_total"]),
             key="batches")  # fmt: skip
    step.add("input rows read", int(counters["fms_stream_input_rows_total"]), key="input_rows")
    step.add("records on the topic", topic, key="topic_records")
    return step
