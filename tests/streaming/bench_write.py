"""Benchmark: the stream job's foreachBatch write (`python -m tests.streaming.bench_write`).

Routes N seeded simulator readings (with payload faults) through the quality engine once, then
times `BatchWriter.write` of that routed micro-batch into a fresh local lake with publishing to a
fresh Tansu broker, three times (later batches re-read more aggregate files of the same hours),
and the publishing of the processed readings alone. Prints figures; asserts only that every
processed reading was sent.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from fmslab.broker.clients import BulkProducer
from fmslab.broker.embedded import embedded_broker
from fmslab.broker.offsets import end_offsets
from fmslab.broker.topics import create_topics
from fmslab.lake.local import LocalLake
from fmslab.quality.rules import load_rules
from fmslab.quality.validator import QualityValidator
from fmslab.simulator.feed import simulate_readings
from fmslab.streaming.processing import route_records
from fmslab.streaming.sinks import (
    PROCESSED_TOPIC,
    BatchWriter,
    reading_messages,
    utc_times,
    zone_rows,
)


def routed_batch(count: int, seed: int = 42) -> pd.DataFrame:
    """`count` simulated readings (5 devices, payload faults) routed as one micro-batch."""
    served = simulate_readings(
        seed=seed, devices=5, count=count // 5, faults="duplicates,malformed,missing,types"
    )
    values = [
        json.dumps({**item, "reading_id": f"b-{i}"}).encode()
        if isinstance(item, dict)
        else str(item).encode()
        for i, item in enumerate(served)
    ]
    records = pd.DataFrame(
        {
            "value": values,
            "partition": [i % 5 for i in range(len(values))],
            "offset": [i // 5 for i in range(len(values))],
            "timestamp": pd.Timestamp("2026-01-15T12:00:00Z")
            + pd.to_timedelta(range(len(values)), unit="ms"),
        }
    )
    validator = QualityValidator(load_rules())
    return route_records(validator, records, datetime(2026, 1, 15, 12, 5, tzinfo=UTC))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    start = time.perf_counter()
    frame = routed_batch(args.records)
    print(f"routed {len(frame)} readings in {time.perf_counter() - start:.1f}s (not timed below)")
    processed = zone_rows(utc_times(frame).assign(batch_id=0), "processed")
    with tempfile.TemporaryDirectory() as tmp, embedded_broker(state_dir=Path(tmp)) as bootstrap:
        create_topics(bootstrap)
        writer = BatchWriter(LocalLake(Path(tmp) / "lake"), "bench000", bootstrap=bootstrap)
        for batch_id in range(3):
            start = time.perf_counter()
            writer.write(frame, batch_id)
            took = time.perf_counter() - start
            print(
                f"write batch {batch_id}: {len(frame)} rows in {took:.2f}s "
                f"= {len(frame) / took:,.0f} rows/s (load {os.getloadavg()[0]:.1f})"
            )
        writer.close()
        producer = BulkProducer(bootstrap)
        start = time.perf_counter()
        keys = processed["DeviceId"].astype("int64").tolist()
        producer.send_all(PROCESSED_TOPIC, zip(keys, reading_messages(processed), strict=True))
        producer.close()
        took = time.perf_counter() - start
        print(
            f"publish alone: {len(processed)} processed readings in {took:.2f}s "
            f"= {len(processed) / took:,.0f} msg/s"
        )
        sent = sum(end_offsets(bootstrap, PROCESSED_TOPIC).values())
        assert sent == 4 * len(processed), f"{sent} messages on {PROCESSED_TOPIC}"


if __name__ == "__main__":
    main()
