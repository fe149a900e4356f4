"""Step 3: what the broker holds: records per partition of fms-raw-data and a few of them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fmslab.demo.step import Step

if TYPE_CHECKING:
    from fmslab.demo.running import Demo

TOPIC = "fms-raw-data"
SAMPLES = 3


def _sample(record: Any) -> dict[str, Any]:
    try:
        value = json.loads(record.value)
    except (TypeError, ValueError):
        value = {}
    value = value if isinstance(value, dict) else {}
    return {
        "partition": record.partition,
        "offset": record.offset,
        "DeviceId": value.get("DeviceId"),
        "time": value.get("time"),
        "reading_id": value.get("reading_id"),
    }


def show(demo: Demo, number: int) -> Step:
    """End offsets per partition (read over the Kafka protocol) and the first records."""
    from fmslab.broker.consumers import read_topic
    from fmslab.broker.offsets import end_offsets

    step = Step.of(number, "topic")
    ends = end_offsets(demo.bootstrap, TOPIC)
    demo.records_on_topic = sum(ends.values())
    step.add("records on the topic", demo.records_on_topic, key="records")
    step.add("partitions", len(ends), key="partitions")
    step.add("records per partition", ", ".join(f"{p}: {n}" for p, n in sorted(ends.items())),
             key="per_partition", raw={str(p): n for p, n in sorted(ends.items())})  # fmt: skip
    samples = [_sample(r) for r in read_topic(demo.bootstrap, TOPIC, max_records=SAMPLES)]
    for s in samples:
        step.rows.append(
            (f"record p{s['partition']} @ {s['offset']}", f"device {s['DeviceId']} · {s['time']}")
        )
    step.figures["samples"] = samples
    return step
