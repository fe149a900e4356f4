"""Benchmark: rows/s the embedded Kafka source reads (`python -m tests.streaming.bench_source`).

Pre-loads N readings into fms-raw-data on a fresh Tansu broker, then times one
trigger(availableNow) query into a no-op sink, twice (the first pays Python worker start-up), and
a batch read. Prints figures; asserts only that every record was read.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from fmslab.broker.embedded import embedded_broker
from fmslab.broker.topics import create_topics
from fmslab.config import Settings
from fmslab.streaming.kafka_source import read_kafka_batch, read_kafka_stream
from fmslab.streaming.session import spark_session, stop_spark
from tests.streaming.streaming_helpers import RAW_TOPIC, produce_readings


def timed_stream(spark, bootstrap: str, checkpoint: Path, limit: int | None) -> tuple[int, float]:
    start = time.perf_counter()
    query = (
        read_kafka_stream(spark, RAW_TOPIC, bootstrap=bootstrap, max_offsets_per_trigger=limit)
        .writeStream.format("noop")
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    rows = sum(p["numInputRows"] for p in query.recentProgress)
    return rows, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, embedded_broker(state_dir=Path(tmp)) as bootstrap:
        create_topics(bootstrap)
        start = time.perf_counter()
        produce_readings(bootstrap, args.records)
        produced = time.perf_counter() - start
        print(
            f"produced {args.records} readings in {produced:.1f}s "
            f"({args.records / produced:,.0f} msg/s)"
        )
        start = time.perf_counter()
        spark = spark_session("bench-source", settings=Settings(state_dir=Path(tmp) / "state"))
        print(f"spark session started in {time.perf_counter() - start:.1f}s")
        for run, limit in enumerate((None, None, 10_000)):
            rows, took = timed_stream(spark, bootstrap, Path(tmp) / f"ck{run}", limit)
            assert rows == args.records, f"read {rows}, expected {args.records}"
            print(
                f"stream run {run + 1} (maxOffsetsPerTrigger={limit}): {rows} rows in "
                f"{took:.1f}s = {rows / took:,.0f} rows/s"
            )
        start = time.perf_counter()
        count = read_kafka_batch(spark, RAW_TOPIC, bootstrap=bootstrap).count()
        took = time.perf_counter() - start
        assert count == args.records
        print(f"batch read: {count} rows in {took:.1f}s = {count / took:,.0f} rows/s")
        stop_spark()


if __name__ == "__main__":
    main()
