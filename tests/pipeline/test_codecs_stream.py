"""The stream job reads batches of every codec (gzip, snappy, lz4, zstd) from both clients
(kafka-python, confluent-kafka): one run over a topic holding all eight kinds, exact counts.
Then its checkpoint meets a restarted (empty) broker: the failure is explained in two lines."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from fmslab.broker.clients import make_producer
from fmslab.broker.embedded import embedded_broker
from fmslab.broker.offsets import end_offsets
from fmslab.broker.topics import create_topics
from fmslab.config import Settings
from fmslab.lake.records import read_zone
from fmslab.lake.storage import Lake, open_lake
from fmslab.lake.zones import READING_ZONES
from fmslab.streaming.failures import explain
from fmslab.streaming.pipeline import run_pipeline
from tests.broker.codec_data import RAW, produce_every_codec

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@dataclass
class Run:
    settings: Settings
    lake: Lake
    checkpoint: Path
    sent: list[dict]
    on_topic: int
    summary: dict


def _options(bootstrap: str, run_dir: Path, lake: Lake) -> dict:
    # check_delay False: the simulated readings are from 2024.
    return {
        "bootstrap": bootstrap,
        "checkpoint_dir": run_dir / "checkpoint",
        "available_now": True,
        "lake": lake,
        "check_delay": False,
    }


@pytest.fixture(scope="module")
def run(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = Path(tmp_path_factory.mktemp("codecs-stream"))
    settings = Settings(state_dir=root / "state", lake_dir=root / "lake")
    lake = open_lake(settings)
    with embedded_broker(state_dir=root / "broker") as bootstrap:
        sent = produce_every_codec(bootstrap, own_topics=False)[RAW]
        summary = run_pipeline(spark, settings, **_options(bootstrap, root, lake))
        on_topic = sum(end_offsets(bootstrap, RAW).values())
    return Run(settings, lake, root / "checkpoint", sent, on_topic, summary)


def test_the_stream_job_reads_every_codec_exactly_once(run: Run) -> None:
    assert run.summary["records"] == len(run.sent) == run.on_topic == 80
    stored = [read_zone(run.lake, zone) for zone in READING_ZONES]
    ids = [i for frame in stored if len(frame) for i in frame["reading_id"]]
    assert sorted(ids) == sorted(r["reading_id"] for r in run.sent)


def test_a_checkpoint_ahead_of_a_restarted_broker_is_explained(
    spark: SparkSession, run: Run, tmp_path: Path
) -> None:
    # The embedded broker forgets on restart: a new one holds 1 record, the checkpoint read 80.
    with embedded_broker(state_dir=tmp_path / "broker") as bootstrap:
        create_topics(bootstrap)
        producer = make_producer(bootstrap)
        producer.send(RAW, key=1, value=run.sent[0])
        producer.close()
        options = _options(bootstrap, run.checkpoint.parent, run.lake)
        with pytest.raises(Exception) as caught:
            run_pipeline(spark, run.settings, **options)
    text = str(caught.value)
    assert "Traceback (most recent call last):" in text  # Spark's own text buries the cause
    failure = explain(caught.value, bootstrap=bootstrap, checkpoint=run.checkpoint)
    error, fix = failure.lines()
    assert error.startswith("error: fms-raw-data: the broker holds fewer records"), error
    assert error.endswith("(KafkaSourceError)")
    assert "new --checkpoint" in fix
