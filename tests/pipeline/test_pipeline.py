"""The streaming pipeline end to end: real Tansu, real Spark (local), a real lake directory.

One scenario runs once for the module: half of a seeded dataset (simulated readings with
duplicates, malformed, missing and mistyped payloads, then crafted readings exercising every rule
and bad input) is produced and drained (availableNow), the rest is produced and drained again from
the same checkpoint (a restart), then the last commit file is deleted and the query started again
(a replayed batch). The tests check what the lake and the topics hold afterwards.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pipeline_data import (
    FAILING_UNTIED,
    FAILING_WITH_REJECTIONS,
    RAW_CASES,
    crafted,
    encoded,
    exercise_rules,
    produce,
    simulated,
)
from pyspark.sql import SparkSession

from fmslab.broker.embedded import embedded_broker
from fmslab.broker.offsets import end_offsets
from fmslab.broker.topics import create_topics
from fmslab.config import Settings
from fmslab.lake.records import read_zone
from fmslab.lake.storage import Lake, open_lake
from fmslab.lake.zones import READING_ZONES
from fmslab.quality import check_readings
from fmslab.quality.rules import QualityRules, load_rules
from fmslab.quality.validator import parse_item
from fmslab.streaming.pipeline import run_pipeline, start_pipeline
from fmslab.streaming.processing import device_of
from fmslab.streaming.sinks import alert_events

# The module's scenario (three pipeline runs) is set up inside the first test's time budget.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

TOPICS = ("fms-processed-data", "fms-alerts", "fms-quality-metrics")
VALUES = ("sensor1", "sensor2", "sensor3", "motor1", "motor2", "motor3")


@dataclass
class Scenario:
    rules: QualityRules
    lake: Lake
    messages: list[Any]
    coords: list[tuple[int, int]]  # (partition, offset) of every message, in produce order
    runs: list[dict[str, Any]]  # first half, rest after restart, replay
    topic_counts: dict[str, int]  # messages on the output topics before the replay
    before_replay: dict[str, pd.DataFrame]
    files_before: list[str]
    files_after: list[str]

    def zone(self, name: str) -> pd.DataFrame:
        return read_zone(self.lake, name)

    def stored(self) -> pd.DataFrame:
        frames = [self.zone(z).assign(zone=z) for z in READING_ZONES]
        return pd.concat(frames, ignore_index=True)


def _files(lake: Lake) -> list[str]:
    return sorted(entry.path for entry in lake.walk())


def _drop_last_commit(checkpoint: Path) -> int:
    commits = checkpoint / "commits"
    last = max(int(p.name) for p in commits.iterdir() if p.name.isdigit())
    (commits / str(last)).unlink()
    (commits / f".{last}.crc").unlink(missing_ok=True)
    return last


@pytest.fixture(scope="module")
def scenario(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    root = Path(tmp_path_factory.mktemp("pipeline"))
    rules = exercise_rules(load_rules())
    sim = simulated(100)
    first, rest = sim[:250], sim[250:] + crafted()
    settings = Settings(state_dir=root / "state", lake_dir=root / "lake")
    lake = open_lake(settings)
    with embedded_broker(state_dir=root / "broker") as bootstrap:
        create_topics(bootstrap)
        options = {
            "bootstrap": bootstrap,
            "checkpoint_dir": root / "checkpoint",
            "available_now": True,
            "rules": rules,
            "check_delay": False,
            "lake": lake,
        }
        coords = produce(bootstrap, first, rules)
        runs = [run_pipeline(spark, settings, **options)]
        coords += produce(bootstrap, rest, rules)
        runs.append(run_pipeline(spark, settings, **options))
        topic_counts = {t: sum(end_offsets(bootstrap, t).values()) for t in TOPICS}
        files_before = _files(lake)
        before = {z: read_zone(lake, z) for z in (*READING_ZONES, "aggregates", "quality")}
        _drop_last_commit(root / "checkpoint")
        runs.append(run_pipeline(spark, settings, **options))
    return Scenario(
        rules,
        lake,
        first + rest,
        coords,
        runs,
        topic_counts,
        before,
        files_before,
        _files(lake),
    )


def test_every_message_is_stored_once_or_counted_as_a_duplicate(scenario: Scenario) -> None:
    stored = scenario.stored()
    keys = list(zip(stored["kafka_partition"], stored["kafka_offset"], strict=True))
    assert len(keys) == len(set(keys)), "a record is stored twice"
    assert set(keys) <= set(scenario.coords)
    dropped = int(scenario.zone("quality")["dropped_count"].sum())
    assert dropped > 0
    assert len(keys) + dropped == len(scenario.messages)
    ids = stored["reading_id"].dropna()
    assert ids.is_unique
    produced_ids = {m["reading_id"] for m in scenario.messages if isinstance(m, dict)}
    assert set(ids) <= produced_ids


def test_duplicates_are_dropped_not_stored(scenario: Scenario) -> None:
    stored = scenario.stored()
    accepted = stored[stored["zone"].isin(["processed", "alerts"])]
    pairs = list(zip(accepted["DeviceId"], accepted["time"], strict=True))
    assert len(pairs) == len(set(pairs)), "an accepted (DeviceId, time) is stored twice"
    # Every message missing from the lake repeats the key of an accepted, earlier message.
    where = {c: i for i, c in enumerate(scenario.coords)}
    first_seen = {}
    for row in accepted.itertuples():
        first_seen[(row.DeviceId, row.time)] = where[(row.kafka_partition, row.kafka_offset)]
    stored_at = {
        where[k] for k in zip(stored["kafka_partition"], stored["kafka_offset"], strict=True)
    }
    missing = [i for i in range(len(scenario.messages)) if i not in stored_at]
    for i in missing:
        message = scenario.messages[i]
        key = (device_of(encoded(message), scenario.rules), pd.Timestamp(message["time"]))
        assert first_seen[key] < i, f"message {i} was dropped but is no duplicate"
    ids = set(stored["reading_id"].dropna())
    assert "craft-0" in ids and "craft-dup" not in ids
    quality = scenario.zone("quality")
    assert int(quality["duplicates"].sum()) == len(missing)


def test_quarantine_rows_carry_their_reasons(scenario: Scenario) -> None:
    quarantine = scenario.zone("quarantine")
    assert len(quarantine) > 10
    assert all(len(reasons) > 0 for reasons in quarantine["reasons"])
    assert quarantine["raw"].notna().all()
    # The simulator's malformed bodies: quarantined, whatever the reason (a body with NaN is
    # JSON to Python's parser and fails on the field instead).
    by_raw = quarantine.set_index("raw")
    for message in scenario.messages:
        if isinstance(message, str) and parse_item(message)[0] is None:
            assert message in by_raw.index, message
    for message in RAW_CASES:
        if isinstance(message, str):
            reasons = list(by_raw.loc[message, "reasons"])
            assert reasons[0].startswith(("malformed JSON", "not a JSON object")), reasons
    not_utf8 = quarantine[quarantine["reasons"].map(lambda r: "not valid UTF-8" in r[0])]
    assert len(not_utf8) == 1
    unkeyed = quarantine[quarantine["DeviceId"].isna()]
    assert {"craft-21", "craft-22", "craft-23", "craft-24", "craft-25"} <= set(
        unkeyed["reading_id"]
    )


def test_spark_routes_exactly_like_check_readings(scenario: Scenario) -> None:
    oracle = check_readings([encoded(m) for m in scenario.messages], scenario.rules)
    stored = scenario.stored()
    where = {c: i for i, c in enumerate(scenario.coords)}
    spark_side = {
        where[(row.kafka_partition, row.kafka_offset)]: row for row in stored.itertuples()
    }
    mismatches = []
    for rec in oracle.routed:
        row = spark_side.get(rec.index)
        zone = row.zone if row is not None else "dropped"
        if zone != rec.zone:
            mismatches.append((rec.index, rec.zone, zone))
            continue
        if row is None:
            continue
        if list(row.reasons) != rec.reasons:
            mismatches.append((rec.index, rec.reasons, list(row.reasons)))
        for name in VALUES:
            mine, theirs = getattr(row, name), rec.record.get(name)
            if not _same(mine, theirs):
                mismatches.append((rec.index, name, theirs, mine))
    assert not mismatches, mismatches[:10]
    # The crafted data reaches every action of the rules.
    actions = {check.action for rec in oracle.routed for check in rec.checks.values()}
    assert {"interpolated", "defaulted", "nulled", "clipped", "flagged", "rejected"} <= actions
    assert {rec.zone for rec in oracle.routed} == {"processed", "alerts", "quarantine", "dropped"}


def test_a_failing_device_is_never_silenced_by_a_quality_problem(scenario: Scenario) -> None:
    """Spark and pandas agree: a failing reading with a rejected field goes to alerts with its
    reasons (and so to fms-alerts); one without a device or a valid time is quarantined."""
    stored = scenario.stored().set_index("reading_id")
    oracle = check_readings([encoded(m) for m in scenario.messages], scenario.rules)
    by_id = {rec.record.get("reading_id"): rec for rec in oracle.routed}
    for reading_id in FAILING_WITH_REJECTIONS:
        row, rec = stored.loc[reading_id], by_id[reading_id]
        assert row["zone"] == rec.zone == "alerts", reading_id
        reasons = list(row["reasons"])
        assert reasons == rec.reasons and reasons[-1] == "isFail: failure reported"
        assert any(r.endswith("rejected") for r in reasons), reasons
    for reading_id in FAILING_UNTIED:
        assert stored.loc[reading_id, "zone"] == by_id[reading_id].zone == "quarantine"
    alerts = scenario.zone("alerts")
    events = alert_events(alerts.assign(zone="alerts"), oracle.report, 0)
    published = {e["reading_id"]: e for e in events if e["type"] == "device_failure"}
    assert set(FAILING_WITH_REJECTIONS) <= set(published)
    assert any(r.endswith("rejected") for r in published["craft-33"]["reasons"])


def _same(a: Any, b: Any) -> bool:
    a_null = a is None or a is pd.NA or (isinstance(a, float) and math.isnan(a))
    b_null = b is None or (isinstance(b, float) and math.isnan(b))
    if a_null or b_null:
        return a_null and b_null
    return float(a) == float(b)


def test_aggregates_agree_with_a_pandas_recomputation(scenario: Scenario) -> None:
    accepted = pd.concat([scenario.zone("processed"), scenario.zone("alerts")], ignore_index=True)
    aggregates = scenario.zone("aggregates")
    for label, freq in (("1 minute", "1min"), ("1 hour", "1h")):
        mine = aggregates[aggregates["window"] == label].set_index(["DeviceId", "window_start"])
        start = accepted["time"].dt.floor(freq).rename("window_start")
        groups = accepted.groupby([accepted["DeviceId"].astype(int), start])
        expected = pd.DataFrame({"readings": groups.size(), "failures": groups["isFail"].sum()})
        for name in VALUES:
            values = groups[name]
            expected[f"{name}_mean"] = values.mean()
            expected[f"{name}_min"] = values.min()
            expected[f"{name}_max"] = values.max()
            expected[f"{name}_stddev"] = values.std()
            expected[f"{name}_nulls"] = groups[name].apply(lambda s: int(s.isna().sum()))
        mine.index = mine.index.set_levels(mine.index.levels[0].astype(int), level=0)
        assert sorted(mine.index) == sorted(expected.index), label
        mine = mine.loc[expected.index]
        for column in expected.columns:
            left = mine[column].astype("float64").to_numpy()
            right = expected[column].astype("float64").to_numpy()
            assert np.allclose(left, right, equal_nan=True), (label, column)
    assert int(aggregates.loc[aggregates["window"] == "1 hour", "readings"].sum()) == len(accepted)


def test_one_quality_report_per_batch(scenario: Scenario) -> None:
    quality = scenario.zone("quality").sort_values("batch_id")
    assert list(quality["batch_id"]) == [0, 1]
    assert list(quality["records"]) == [r["records"] for r in scenario.runs[:2]]
    for name in ("completeness", "accuracy", "consistency", "timeliness", "score"):
        assert quality[name].between(0, 1).all()
    assert (quality["malformed"] > 0).all()
    assert scenario.topic_counts["fms-quality-metrics"] == 2


def test_restart_resumes_without_loss_or_duplicates(scenario: Scenario) -> None:
    first, second, _ = scenario.runs
    assert first["records"] == 250
    assert second["records"] == len(scenario.messages) - 250
    assert first["batches"] == second["batches"] == 1


def test_a_replayed_batch_overwrites_its_own_files(scenario: Scenario) -> None:
    replay = scenario.runs[2]
    assert replay["batches"] == 1, "the uncommitted batch was not run again"
    assert replay["records"] == scenario.runs[1]["records"]
    assert scenario.files_after == scenario.files_before
    for zone in READING_ZONES:
        before = scenario.before_replay[zone]
        after = scenario.zone(zone)
        assert len(after) == len(before), zone
        assert sorted(after["kafka_offset"]) == sorted(before["kafka_offset"]), zone


def test_outputs_are_published(scenario: Scenario) -> None:
    processed = scenario.before_replay["processed"]
    alerts = scenario.before_replay["alerts"]
    assert scenario.topic_counts["fms-processed-data"] == len(processed)
    assert scenario.topic_counts["fms-alerts"] >= len(alerts) > 0


def test_processing_time_trigger_picks_up_new_readings(spark: SparkSession, tmp_path: Path) -> None:
    """The default mode: a running query routes what arrives while it runs, then stops cleanly,
    its metrics listener removed from the session it was added to."""
    from fmslab.monitoring.stream_metrics import StreamMetrics

    rules = load_rules()
    settings = Settings(state_dir=tmp_path / "state", lake_dir=tmp_path / "lake")
    lake = open_lake(settings)
    messages = [m for m in simulated(20, seed=3) if isinstance(m, dict)]
    with embedded_broker(state_dir=tmp_path / "broker") as bootstrap:
        create_topics(bootstrap)
        pipeline = start_pipeline(
            spark,
            settings,
            bootstrap=bootstrap,
            checkpoint_dir=tmp_path / "checkpoint",
            trigger="1 second",
            lake=lake,
            rules=rules,
            publish=False,
            metrics=StreamMetrics(),
        )
        try:
            produce(bootstrap, messages, rules)
            deadline = time.monotonic() + 120
            while pipeline.stats.records < len(messages) and time.monotonic() < deadline:
                assert pipeline.query.isActive, pipeline.query.exception()
                time.sleep(0.5)
        finally:
            pipeline.stop()
    stored = sum(len(read_zone(lake, z)) for z in READING_ZONES)
    assert pipeline.stats.records == len(messages)
    assert stored + pipeline.stats.zones["dropped"] == len(messages)
    assert not pipeline.query.isActive
    assert pipeline.listener is None  # stop() removed it (PySpark's query has no sparkSession)
