"""Nearest-rank percentiles: the figures every benchmark and report prints."""

from __future__ import annotations

from fmslab.measure import SUMMARY_KEYS, percentile, summarize


def test_nearest_rank_on_exact_ranks() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0


def test_small_samples_and_empty() -> None:
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == 4.0
    assert percentile([], 50) is None


def test_one_summary_shape_scaled_and_rounded() -> None:
    seconds = [v / 1000 for v in range(100, 0, -1)]  # 1..100 ms
    summary = summarize(seconds, scale=1000, digits=1)
    assert tuple(summary) == SUMMARY_KEYS
    assert summary == {
        "count": 100,
        "mean": 50.5,
        "p50": 50.0,
        "p95": 95.0,
        "p99": 99.0,
        "max": 100.0,
    }
    assert summarize([0.12345])["p50"] == 0.123  # seconds, 3 digits by default
    assert summarize([0.12345], digits=None)["p50"] == 0.12345
    assert summarize([]) == dict.fromkeys(SUMMARY_KEYS) | {"count": 0}
