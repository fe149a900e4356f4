"""`fmslab bench pipeline` with tiny numbers: the report's keys, exact counts, nothing lost.

No timing is asserted (the figures are measured and printed, not unit-tested).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fmslab.measure import SUMMARY_KEYS
from fmslab.services import fmslab_command

TOP_KEYS = {"sent", "stored", "lost", "duplicates", "throughput_msg_s", "latency_s", "rss_mb"}
LATENCY_KEYS = set(SUMMARY_KEYS)


@pytest.mark.slow  # an `fmslab` subprocess with its own JVM and three embedded brokers
@pytest.mark.timeout(600)
def test_cli_measures_a_tiny_run_and_writes_its_report(tmp_path: Path) -> None:
    report = tmp_path / "bench-pipeline.json"
    args = [
        "--backlog", "60", "--batch-size", "20",
        "--normal-interval", "0.5", "--normal-seconds", "2",
        "--high-rate", "20", "--high-seconds", "2", "--poll", "0.1", "--warmup", "15",
        "--output", str(report), "--json",
    ]  # fmt: skip
    env = {**os.environ, "FMSLAB_STATE_DIR": str(tmp_path / "state")}
    result = subprocess.run(
        fmslab_command("bench", "pipeline", *args),
        capture_output=True,
        text=True,
        timeout=560,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    printed = json.loads(result.stdout.strip().splitlines()[-1])
    assert json.loads(report.read_text()) == printed
    assert set(printed) >= TOP_KEYS
    assert set(printed["latency_s"]) == LATENCY_KEYS
    drain, normal, high = (printed["scenarios"][k] for k in ("drain", "normal", "high"))
    assert (drain["sent"], normal["sent"], high["sent"]) == (60, 20, 40)
    assert printed["sent"] == printed["stored"] == 120
    assert printed["lost"] == 0 and printed["duplicates"] == 0
    assert normal["latency_s"]["count"] == 20 and high["latency_s"]["count"] == 40
    # Each steady scenario was warmed up first (one per device, then 15), uncounted above.
    assert (normal["warmup_readings"], high["warmup_readings"]) == (20, 20)
    assert normal["warmup_s"] > 0 and high["warmup_s"] > 0
    p = printed["latency_s"]
    assert 0 < p["p50"] <= p["p95"] <= p["p99"] <= p["max"]
    assert printed["rss_mb"] > 100  # a JVM is in the tree
    parts = printed["rss_at_peak_mb"]
    assert {"driver", "jvm"} <= set(parts) and parts["jvm"] > 50
    assert sum(parts.values()) == pytest.approx(printed["rss_mb"], abs=1)
    # The drain ran in batches of at most 20 readings; its steady rate is Spark's batch progress.
    assert [b["rows"] for b in drain["batches"]] == [20, 20, 20]
    assert all(b["ms"] > 0 for b in drain["batches"])
    # Steady: the batches after the first (which also starts Spark's Python workers).
    steady = 40 * 1000 / sum(b["ms"] for b in drain["batches"][1:])
    # Rates are rounded to 0.1 msg/s in the report.
    assert printed["throughput_msg_s"] == drain["throughput_msg_s"]
    assert drain["throughput_msg_s"] == pytest.approx(steady, abs=0.06)
    every = 60 * 1000 / sum(b["ms"] for b in drain["batches"])
    assert drain["all_batches_msg_s"] == pytest.approx(every, abs=0.06)
    assert drain["first_batch_ms"] == drain["batches"][0]["ms"]
    assert 0 < drain["end_to_end_msg_s"] <= drain["all_batches_msg_s"]
    # Memory: PSS counts shared pages once, so it never exceeds the plain sum of RSS.
    assert 100 < printed["rss_mb"] <= printed["rss_sum_mb"]
    # Devices staggered: 5 devices every 0.5 s is 10 readings/s, sent at about that pace.
    assert normal["achieved_rate_msg_s"] == pytest.approx(10, rel=0.25)
    assert set(printed["meets_targets"]) == {
        "throughput", "latency_normal_p95", "latency_high_p95", "rss", "no_loss"
    }  # fmt: skip
    assert printed["meets_targets"]["no_loss"] is True
    assert printed["meets_targets"]["latency_normal_p95"] == (p["p95"] <= 3)
