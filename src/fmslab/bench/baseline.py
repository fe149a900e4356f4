"""The course's original producer method, as the baseline the collector is compared with.

The seed course sent each reading with kafka-python and waited for it: `producer.send(topic,
reading).get()`, one at a time, with its producer settings (gzip, linger 10 ms, acks=all).
This measures that method on the same broker and the same payloads as a scenario.
"""

from __future__ import annotations

import json
import time
from typing import Any

from fmslab.bench.ceiling import scenario_payloads
from fmslab.bench.producer import ensure_topic
from fmslab.broker.clients import make_producer

METHOD = "kafka-python send(...).get() per reading (course defaults: gzip, linger 10 ms, acks=all)"


def original_producer_rate(bootstrap: str, count: int, seed: int) -> dict[str, Any]:
    """Readings per second of one synchronous send per reading, as the course did it."""
    topic = f"bench-baseline-{time.time_ns()}"
    ensure_topic(bootstrap, topic)
    readings = [(key, json.loads(value)) for key, value in scenario_payloads(count, seed)]
    producer = make_producer(bootstrap)
    try:
        producer.send(topic, value={"warm": "up"}).get(timeout=30)  # metadata, connection
        began = time.monotonic()
        for key, reading in readings:
            producer.send(topic, key=key, value=reading).get(timeout=30)
        seconds = time.monotonic() - began
    finally:
        producer.close()
    return {
        "method": METHOD,
        "messages": count,
        "seconds": round(seconds, 3),
        "msg_s": round(count / seconds, 1) if seconds > 0 else 0.0,
    }
