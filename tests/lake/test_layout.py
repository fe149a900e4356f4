"""Zone paths and Hive-style partition paths, both ways; the zones file agrees with the course."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml

from fmslab.config import data_dir
from fmslab.lake.layout import (
    DEFAULT_PARTITION,
    parse_partition,
    parse_partition_values,
    partition_for,
    partition_path,
    zone_path,
)
from fmslab.lake.storage import LakeError, clean_path
from fmslab.lake.zones import load_policy, zone_names


def test_partition_path_is_utc_device_date_hour() -> None:
    assert zone_path("processed") == "processed"
    # 14:30 in Seoul is 05:30 UTC: partitions are UTC, hours have two digits
    assert (
        partition_path("processed", 3, "2024-01-15T14:30:00+09:00")
        == "processed/device_id=3/date=2024-01-15/hour=05"
    )
    # a time just before midnight UTC stays on its UTC date
    assert (
        partition_path("alerts", 1, datetime(2024, 1, 15, 23, 59, 59, tzinfo=UTC))
        == "alerts/device_id=1/date=2024-01-15/hour=23"
    )
    # aggregates and quality are partitioned by date and hour only
    assert partition_path("aggregates", 3, "2024-01-15T14:30:00Z") == (
        "aggregates/date=2024-01-15/hour=14"
    )


def test_parse_partition_round_trips_and_accepts_spark_hours() -> None:
    path = partition_path("processed", 4, "2024-02-29T07:10:00Z")
    part = parse_partition(path + "/part-x.snappy.parquet")
    assert (part.zone, part.device_id, part.date, part.hour) == ("processed", 4, "2024-02-29", 7)
    assert part.path == path
    # Spark writes an integer hour without padding; it parses to the same partition
    assert parse_partition("processed/device_id=4/date=2024-02-29/hour=7") == part
    assert parse_partition_values("quality/date=2024-01-15/hour=09") == {
        "date": "2024-01-15",
        "hour": 9,
    }


@pytest.mark.parametrize(
    "path",
    [
        "processed/device_id=1/date=2024-01-15/hour=24",
        "processed/device_id=1/date=2024-13-01/hour=01",
        "processed/device_id=one/date=2024-01-15/hour=01",
        "processed/device_id=1/date=2024-01-15",
        "nozone/device_id=1/date=2024-01-15/hour=01",
    ],
)
def test_bad_partition_paths_are_refused(path: str) -> None:
    with pytest.raises(LakeError):
        parse_partition(path)


def test_hour_closes_after_its_end_plus_grace() -> None:
    part = partition_for("processed", 1, "2024-01-15T13:20:00Z")
    grace = timedelta(minutes=10)
    assert part.start == datetime(2024, 1, 15, 13, tzinfo=UTC)
    assert not part.closed(datetime(2024, 1, 15, 14, 5, tzinfo=UTC), grace)
    assert part.closed(datetime(2024, 1, 15, 14, 10, tzinfo=UTC), grace)
    undated = partition_for("quarantine", None, None)
    assert undated.device_id == DEFAULT_PARTITION and not undated.dated
    assert not undated.closed(datetime(2030, 1, 1, tzinfo=UTC))


def test_clean_path_normalises_and_guards_the_root() -> None:
    assert clean_path("processed//device_id=1/./") == "processed/device_id=1"
    assert clean_path("") == ""
    for bad in ("/abs", "..", "a/../../b"):
        with pytest.raises(LakeError):
            clean_path(bad)


def test_zone_retention_follows_routing_policy_and_topics() -> None:
    policy = load_policy()
    assert zone_names() == ["raw", "processed", "alerts", "quarantine", "aggregates", "quality"]
    rules = yaml.safe_load((data_dir() / "quality_rules.yaml").read_text(encoding="utf-8"))
    for name in ("processed", "alerts", "quarantine"):
        routed = rules["routing"]["zones"][name]["retention_days"]
        assert policy.zone(name).retention_days == routed
    topics = yaml.safe_load((data_dir() / "topics.yaml").read_text(encoding="utf-8"))
    raw_topic = next(t for t in topics["topics"] if t["name"] == "fms-raw-data")
    assert policy.zone("raw").retention_days == raw_topic["retention_days"]
    assert policy.zone("aggregates").partition_by == ("date", "hour")
    assert policy.zone("processed").partition_by == ("device_id", "date", "hour")


def test_broken_zones_file_gives_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "zones.yaml"
    bad.write_text("zones:\n  raw: {partition_by: [hour, date], retention_days: 7}\n")
    with pytest.raises(LakeError, match="partition_by"):
        load_policy(bad)
    bad.write_text("zones: [not, a, mapping")
    with pytest.raises(LakeError, match="cannot read"):
        load_policy(bad)
