"""The stream job reads batches of every codec (gzip, snappy, lz4, zstd) from both clients
(kafka-python, confluent-kafka): one run over a topic holding all eight kinds, exact counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from fmslab.broker.embedded import embedded_broker
from fmslab.broker.offsets import end_offsets
from fmslab.config import Settings
from fmslab.lake.records import read_zone
from fmslab.lake.storage import open_lake
from fmslab.streaming.pipeline import run_pipeline
from tests.broker.codec_data import RAW, produce_every_codec

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

READING_ZONES = ("processed", "alerts", "quarantine")


def test_the_stream_job_reads_every_codec_exactly_once(spark: SparkSession, tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", lake_dir=tmp_path / "lake")
    lake = open_lake(settings)
    with embedded_broker(state_dir=tmp_path / "broker") as bootstrap:
        sent = produce_every_codec(bootstrap, own_topics=False)[RAW]
        summary = run_pipeline(
            spark,
            settings,
            bootstrap=bootstrap,
            checkpoint_dir=tmp_path / "checkpoint",
            available_now=True,
            lake=lake,
            check_delay=False,  # the simulated readings are from 2024
        )
        on_topic = sum(end_offsets(bootstrap, RAW).values())
    assert summary["records"] == len(sent) == on_topic == 80
    stored = [read_zone(lake, zone) for zone in READING_ZONES]
    ids = [i for frame in stored if len(frame) for i in frame["reading_id"]]
    assert sorted(ids) == sorted(r["reading_id"] for r in sent)
