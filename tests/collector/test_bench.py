"""The collector benchmark end to end (small here; the 1,000-device figures come from the CLI)."""

from __future__ import annotations

import pytest

from fmslab.bench.collector import run_collector_bench


@pytest.mark.slow
def test_collector_bench_measures_rate_latency_and_loss() -> None:
    result = run_collector_bench(devices=20, interval=0.5, duration=3)
    assert result["collected"] > 0
    assert result["lost"] == 0
    assert result["on_topic"] == result["archived"] == result["produced"] == result["collected"]
    latency = result["poll_to_ack_ms"]
    assert 0 < latency["p50"] <= latency["p95"] <= latency["max"]
    assert result["readings_per_s"] > 0
    assert result["cpu_ms_per_reading"]["collector"] > 0
