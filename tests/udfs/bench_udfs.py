"""Benchmark: Python udf vs pandas_udf for the chapter 8 UDFs (`python -m tests.udfs.bench_udfs`).

Scores N seeded random readings (status, motor efficiency, risk) into a no-op sink with each UDF
kind: one warm-up run on 2,000 rows (Python worker start-up), then `--runs` timed runs on all rows.
Prints seconds, rows/s and the speed-up; asserts only that both kinds give the same rows.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from fmslab.config import Settings
from fmslab.streaming.session import spark_session, stop_spark
from fmslab.streaming.udfs import SparkUdfs, load_thresholds, pandas_udfs, python_udfs


def readings(spark, rows: int, seed: int) -> DataFrame:
    """Seeded random readings around the simulator's means, cached."""
    return (
        spark.range(rows)
        .select(
            "id",
            F.round(F.randn(seed) * 6 + 82, 2).alias("sensor1"),
            F.round(F.randn(seed + 1) * 5 + 88, 2).alias("sensor2"),
            F.round(F.randn(seed + 2) * 15 + 110, 2).alias("sensor3"),
            F.round(F.randn(seed + 3) * 300 + 1200).cast("int").alias("motor1"),
            (F.rand(seed + 4) < 0.05).alias("isFail"),
        )
        .cache()
    )


def score(df: DataFrame, udfs: SparkUdfs) -> DataFrame:
    limit = F.lit(load_thresholds().range_limit["motor1"])
    return (
        df.withColumn("status", udfs.sensor_status("sensor1", "sensor2", "sensor3"))
        .withColumn("efficiency", udfs.motor_efficiency("motor1", limit, "sensor1", "sensor2"))
        .withColumn("risk", udfs.equipment_risk("status", "isFail", "efficiency"))
    )


def timed(df: DataFrame, udfs: SparkUdfs, runs: int) -> float:
    score(df.filter("id < 2000"), udfs).write.format("noop").mode("overwrite").save()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        score(df, udfs).write.format("noop").mode("overwrite").save()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="fmslab-bench-udfs-"))
    spark = spark_session("fmslab-bench-udfs", settings=Settings(state_dir=state))
    try:
        df = readings(spark, args.rows, args.seed)
        df.count()
        seconds = {
            "Python udf": timed(df, python_udfs(), args.runs),
            "pandas_udf": timed(df, pandas_udfs(), args.runs),
        }
        for name, took in seconds.items():
            print(f"{name:<11} best of {args.runs}: {took:.2f} s  ({args.rows / took:,.0f} rows/s)")
        print(f"pandas_udf speed-up: x{seconds['Python udf'] / seconds['pandas_udf']:.1f}")
        a = score(df, python_udfs()).drop("id")
        b = score(df, pandas_udfs()).drop("id")
        assert a.exceptAll(b).count() == 0 and b.exceptAll(a).count() == 0, "UDF kinds disagree"
        print("rows that differ: 0")
    finally:
        stop_spark()


if __name__ == "__main__":
    main()
