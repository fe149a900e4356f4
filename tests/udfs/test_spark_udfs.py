"""Python UDFs, pandas UDFs and the pure functions agree on seeded readings in real Spark."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from fmslab.config import Settings
from fmslab.simulator import simulate_readings
from fmslab.streaming.session import spark_session, stop_spark
from fmslab.streaming.udfs import (
    equipment_risk,
    load_thresholds,
    motor_efficiency,
    pandas_udfs,
    python_udfs,
    sensor_status,
)

pytestmark = pytest.mark.slow
SCHEMA = (
    "DeviceId int, sensor1 double, sensor2 double, sensor3 double, "
    "motor1 int, motor2 int, motor3 int, isFail boolean"
)
COLUMNS = ["DeviceId", "sensor1", "sensor2", "sensor3", "motor1", "motor2", "motor3", "isFail"]


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparkSession]:
    """One SparkSession for this module: starting a JVM costs 10-60 s here."""
    state = Path(tmp_path_factory.mktemp("udf-spark"))
    yield spark_session("fmslab-udf-tests", settings=Settings(state_dir=state))
    stop_spark()


def seeded_rows() -> list[tuple]:
    """Simulated readings (sentinels, outliers, failure episodes) plus explicit nulls."""
    raw = simulate_readings(seed=11, devices=5, count=120, faults="default")
    rows = [tuple(r[c] for c in COLUMNS) for r in raw if isinstance(r, dict)]
    rows = [(d, s1, s2, s3, int(m1), int(m2), int(m3), f) for d, s1, s2, s3, m1, m2, m3, f in rows]
    rows += [
        (1, None, 50.0, 50.0, 1000, 800, 900, None),
        (2, 95.0, None, 140.0, None, 800, 900, True),
        (3, 95.0, 90.0, None, 1000, None, 900, False),
    ]
    return rows


def applied(spark: SparkSession, udfs) -> pd.DataFrame:
    limits = load_thresholds().range_limit
    df = spark.createDataFrame(seeded_rows(), SCHEMA).withColumn(
        "row", F.monotonically_increasing_id()
    )
    out = (
        df.withColumn("status", udfs.sensor_status("sensor1", "sensor2", "sensor3"))
        .withColumn(
            "efficiency",
            udfs.motor_efficiency("motor1", F.lit(limits["motor1"]), "sensor1", "sensor2"),
        )
        .withColumn("risk", udfs.equipment_risk("status", "isFail", "efficiency"))
    )
    return out.orderBy("row").toPandas()


def expected(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    status = [sensor_status(r["sensor1"], r["sensor2"], r["sensor3"]) for r in records]
    eff = [motor_efficiency(r["motor1"], 2000, r["sensor1"], r["sensor2"]) for r in records]
    risk = [equipment_risk(s, r["isFail"], e) for s, r, e in zip(status, records, eff, strict=True)]
    return pd.DataFrame({"status": status, "efficiency": eff, "risk": risk})


def same_efficiency(a: object, b: object) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b


def test_python_udfs_pandas_udfs_and_pure_functions_agree(spark: SparkSession):
    rows = seeded_rows()
    want = expected(rows)
    by_python = applied(spark, python_udfs())
    by_pandas = applied(spark, pandas_udfs())
    assert len(by_python) == len(by_pandas) == len(rows)
    for got in (by_python, by_pandas):
        assert got["status"].tolist() == want["status"].tolist()
        assert got["risk"].tolist() == want["risk"].tolist()
        pairs = zip(got["efficiency"].astype(object), want["efficiency"], strict=True)
        assert all(same_efficiency(a, b) for a, b in pairs)
    # The seeded data reaches every status and risk level, so the agreement covers them all.
    assert set(want["status"]) == {"CRITICAL", "HIGH_WARNING", "WARNING", "DATA_MISSING", "NORMAL"}
    assert {"CRITICAL", "HIGH", "MEDIUM", "LOW"} <= set(want["risk"])


def test_unknown_efficiency_is_a_spark_null_not_nan(spark: SparkSession):
    for udfs in (python_udfs(), pandas_udfs()):
        df = spark.createDataFrame(
            [(-1, 80.0, 80.0), (1000, 80.0, 80.0)], "m int, t double, h double"
        )
        out = df.select(udfs.motor_efficiency("m", F.lit(2000), "t", "h").alias("e"))
        assert out.filter(F.col("e").isNull()).count() == 1
        assert out.filter(F.isnan("e")).count() == 0
