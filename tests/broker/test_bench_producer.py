"""The producer benchmark with tiny counts: its JSON shape and that nothing is lost (no timings)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fmslab.bench.producer import BenchConfig, run_producer_benchmark
from fmslab.broker.embedded import broker_status
from fmslab.services import fmslab_command

TINY = BenchConfig(sync_count=20, async_count=300, producers=3, per_producer=40, seed=5)


def check_result(result: dict, config: BenchConfig) -> None:
    assert set(result) >= {"client", "sync", "async", "concurrent", "no_loss", "meets_targets"}
    assert set(result["sync"]) >= {"latency_ms", "messages", "acked", "stored"}
    assert set(result["async"]) >= {
        "msg_per_s",
        "msg_per_client_cpu_s",
        "messages",
        "acked",
        "stored",
    }
    ms = result["sync"]["latency_ms"]
    assert 0 < ms["p50"] <= ms["p95"] <= ms["p99"] <= ms["max"] and ms["mean"] <= ms["max"]
    assert ms["count"] == config.sync_count
    assert result["sync"]["stored"] == result["sync"]["acked"] == config.sync_count
    assert result["async"]["stored"] == result["async"]["acked"] == config.async_count
    concurrent = result["concurrent"]
    assert concurrent["messages"] == config.producers * config.per_producer
    assert concurrent["stored"] == concurrent["acked"] == concurrent["messages"]
    assert concurrent["lost"] == 0
    assert result["no_loss"] is True


def test_benchmark_loses_nothing_with_kafka_python(broker: str) -> None:
    check_result(run_producer_benchmark(broker, TINY), TINY)


def test_a_second_run_counts_only_its_own_records(broker: str) -> None:
    run_producer_benchmark(broker, TINY)
    check_result(run_producer_benchmark(broker, TINY), TINY)


def test_benchmark_loses_nothing_with_confluent_kafka(broker: str) -> None:
    config = BenchConfig(**{**TINY.__dict__, "client": "confluent-kafka"})
    result = run_producer_benchmark(broker, config)
    check_result(result, config)
    assert result["client"].startswith("confluent-kafka")


@pytest.mark.slow  # an `fmslab` subprocess that starts and stops its own broker
def test_cli_starts_and_stops_its_own_broker(tmp_path: Path) -> None:
    state = tmp_path / "state"
    report = tmp_path / "bench-producer.json"
    args = [
        "--sync-count",
        "10",
        "--async-count",
        "200",
        "--producers",
        "2",
        "--per-producer",
        "25",
    ]
    result = subprocess.run(
        fmslab_command("bench", "producer", "--json", "--output", str(report), *args),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FMSLAB_STATE_DIR": str(state)},
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert json.loads(report.read_text()) == printed
    check_result(printed, BenchConfig(10, 200, 2, 25))
    assert printed["bootstrap"].startswith("embedded Tansu")
    assert broker_status(state / "bench-producer") is None
