"""Every codec a student's client may use (gzip, snappy, lz4, zstd), from kafka-python and from
confluent-kafka, is read by the course's tools with exact counts; a codec whose library is
missing fails only the topics that use it, with the fix (the stream job: tests/pipeline).

The broker (Tansu) stores all four; kafka-python decodes lz4, snappy and zstd only with their
libraries installed (lz4, python-snappy, zstandard: the project's dependencies).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fmslab.broker.consumers import consume_and_analyze
from fmslab.broker.embedded import embedded_broker
from fmslab.services import fmslab_command
from tests.broker.codec_data import RAW, produce_every_codec

pytestmark = pytest.mark.slow  # `fmslab` subprocesses


@dataclass
class Produced:
    bootstrap: str
    topics: dict[str, list[dict]]  # one topic per (client, codec), and RAW with all of them


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Produced]:
    state = Path(tmp_path_factory.mktemp("codecs-broker"))
    with embedded_broker(state_dir=state) as bootstrap:
        yield Produced(bootstrap, produce_every_codec(bootstrap))


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_topics_describe_counts_every_codec(produced: Produced) -> None:
    result = _run(fmslab_command("topics", "describe", "--json", "--bootstrap", produced.bootstrap))
    assert result.returncode == 0, result.stderr
    totals = {
        t["name"]: sum(p["end_offset"] for p in t["partitions"])
        for t in json.loads(result.stdout)["topics"]
    }
    assert {name: totals.get(name) for name in produced.topics} == {
        name: len(batch) for name, batch in produced.topics.items()
    }


def test_consume_analyze_reads_every_codec(produced: Produced) -> None:
    # The command once, over the topic that mixes all eight kinds of batch ...
    args = ("consume", "analyze", "--topic", RAW, "--json", "--bootstrap", produced.bootstrap)
    result = _run(fmslab_command(*args))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["readings"], summary["bad_payloads"]) == (len(produced.topics[RAW]), 0)
    # ... and the library behind it over each kind alone.
    for name, batch in produced.topics.items():
        analysis = consume_and_analyze(produced.bootstrap, name)
        sent = sorted((r["DeviceId"], r["time"]) for r in batch)
        assert sorted((a["device_id"], a["time"]) for a in analysis.readings) == sent, name


def test_a_missing_codec_library_fails_only_its_own_topics(produced: Produced) -> None:
    # An interpreter where lz4 is not installed (importing it fails), as before the fix.
    no_lz4 = [
        sys.executable,
        "-c",
        "import sys; sys.modules['lz4'] = sys.modules['lz4.frame'] = None; "
        "from fmslab.cli import app; sys.argv[0] = 'fmslab'; app()",
    ]
    result = _run([*no_lz4, "topics", "describe", "--json", "--bootstrap", produced.bootstrap])
    assert result.returncode == 1
    topics = {t["name"]: t for t in json.loads(result.stdout)["topics"]}
    # Only the lz4 topics fail: describing reads the last batch of each partition, and the
    # last batches on RAW are confluent-kafka's zstd ones.
    lz4_topics = {name for name in produced.topics if name.endswith("-lz4")}
    assert {name for name, t in topics.items() if "error" in t} == lz4_topics
    for name in lz4_topics:
        assert "pip install lz4" in topics[name]["error"], topics[name]
    for name in set(produced.topics) - lz4_topics:
        total = sum(p["end_offset"] for p in topics[name]["partitions"])
        assert total == len(produced.topics[name]), name
    # The same interpreter's analysis consumer says which topic and what to install.
    args = ("consume", "analyze", "--topic", "codec-kafka-python-lz4")
    analyze = _run([*no_lz4, *args, "--bootstrap", produced.bootstrap])
    assert analyze.returncode == 1
    assert "codec-kafka-python-lz4" in analyze.stderr and "pip install lz4" in analyze.stderr
    assert "Traceback" not in analyze.stderr
