"""Chapter 10's tuning sweeps with tiny sizes: real broker, real simulator, real Spark.

Counts are asserted exactly; rates and latencies only for being measured (present, positive),
never for how fast they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fmslab.bench.results import load_reports, scenario_table, seed_figures
from fmslab.bench.tuning import (
    CODECS,
    collector_sweep,
    compression_sweep,
    partitions_sweep,
    trigger_sweep,
)
from fmslab.bench.tuning_chart import plot_scenario_percentiles
from fmslab.bench.tuning_report import seed_comparison
from fmslab.config import Settings


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One SparkSession for the Spark sweeps (a JVM start costs 10-60 s here)."""
    from fmslab.streaming.session import spark_session, stop_spark

    state = Path(tmp_path_factory.mktemp("tuning-spark"))
    yield spark_session("fmslab-tuning-tests", settings=Settings(state_dir=state))
    stop_spark()


def test_compression_sweep_gets_every_message_back_and_measures_sizes(broker: str) -> None:
    frame = compression_sweep(150, CODECS, seed=3, bootstrap=broker)
    assert list(frame.index) == list(CODECS)
    for column in ("sent", "acked", "on_topic", "consumed"):
        assert frame[column].tolist() == [150] * len(CODECS), column
    assert frame["identical"].all()
    assert frame["payload_bytes_per_msg"].nunique() == 1  # the same payloads for every codec
    none = frame.loc["none"]
    # JSON readings compress: every codec stores fewer bytes than none, none stores about the
    # payload plus the record overhead (never less than the values themselves).
    assert none["stored_bytes_per_msg"] >= none["payload_bytes_per_msg"]
    assert (frame.drop(index="none")["stored_bytes_per_msg"] < none["stored_bytes_per_msg"]).all()
    assert (frame["stored_ratio"].drop(index="none") < 1).all()
    assert (frame["wire_bytes_per_msg"] > frame["stored_bytes_per_msg"] * 0.5).all()
    assert (frame[["produce_msg_s", "consume_msg_s"]] > 0).all().all()


def test_collector_sweep_counts_every_reading_per_connection_limit() -> None:
    frame = collector_sweep(12, (1, 8), interval=0.5, duration=1.5, seed=5)
    assert list(frame.index) == [1, 8]
    assert (frame["collected"] > 0).all()
    assert (frame["produced"] == frame["collected"]).all()
    assert (frame["on_topic"] == frame["produced"]).all()
    assert (frame["archived"] == frame["collected"]).all()
    assert (frame["lost"] == 0).all()
    assert (frame["readings_per_s"] > 0).all()


@pytest.mark.slow  # one JVM, two stream queries
@pytest.mark.timeout(300)
def test_spark_sweeps_store_every_reading_once(spark, tmp_path: Path) -> None:
    # One setting each (a query costs 10-30 s here): the sweeps loop over drain_row/trigger_row.
    drained = partitions_sweep(spark, 90, (3,), batch_size=30, seed=4, work_dir=tmp_path / "p")
    assert drained.index.tolist() == [3]
    assert drained["batches"].tolist() == [3]  # 90 readings, at most 30 per micro-batch
    triggers = trigger_sweep(spark, 12, ("0.5 seconds",), rate=12, warmup=5, seed=4,
                             work_dir=tmp_path / "t")  # fmt: skip
    for frame, sent in ((drained, 90), (triggers, 12)):
        assert frame["sent"].tolist() == [sent]
        assert frame["stored"].tolist() == [sent]
        assert frame["lost"].tolist() == [0]
        assert frame["duplicates"].tolist() == [0]
    assert (drained["drain_msg_s"] > 0).all()
    latencies, p95 = triggers["latencies_s"].iloc[0], triggers["p95_s"].iloc[0]
    assert len(latencies) == 12 and latencies == sorted(latencies)
    assert min(latencies) > 0 and p95 in latencies


def _report(kind: str, name: str, short: bool = False, **figures: object) -> dict:
    key = "scenario" if kind == "scenario" else "fault"
    counts = {"offered": 100, "stored": 100, "lost": 0, "duplicates": 0, "accepted": 100}
    return {"kind": kind, key: name, "short": short, "throughput_msg_s": 10.0, **counts, **figures}


def test_seed_comparison_names_the_command_until_a_full_run_exists(tmp_path: Path) -> None:
    seed = seed_figures()
    empty = seed_comparison(load_reports(tmp_path), seed)
    assert empty.loc["throughput", "ours (measured)"] == "not run yet: fmslab bench scenario NAME"
    assert empty.loc["peak success", "seed reported"] == "94.2 % success (20 devices)"
    assert empty["ours (measured)"].str.startswith(("not run yet", "not in the")).all()

    reports = [
        _report("scenario", "normal", devices=5, success_rate=1.0, latency_s={"p95": 1.25}),
        _report("scenario", "peak", short=True, devices=20, success_rate=0.5, latency_s={}),
        _report(
            "scenario",
            "max",
            devices=1000,
            max_sustained_msg_s=0.0,
            throughput_msg_s=5200.0,
            success_rate=1.0,
            latency_s={},
        ),  # fmt: skip
        _report("fault", "broker-restart", availability=0.9812),
        _report("fault", "collector-kill", availability=0.995),
    ]
    for report in reports:
        name = report.get("scenario") or report.get("fault")
        (tmp_path / f"{report['kind']}-{name}.json").write_text(json.dumps(report))
    table = seed_comparison(load_reports(tmp_path), seed)
    ours = table["ours (measured)"]
    # NFR-002's figure (stored rate, nothing lost), not max's p95-bounded step rate
    assert ours["throughput"] == "5200 msg/s stored (max, nothing lost)"
    assert ours["end-to-end latency"] == "p95 1.25 s (normal)"
    assert ours["availability"] == (
        "per fault window: 99.50 % (collector-kill) to 98.12 % (broker-restart)"
    )
    assert ours["normal success"] == "100.00 %"
    assert ours["peak success"] == "not run yet: fmslab bench scenario peak"  # short is no full run
    # The chapter's full-run chart draws from the same folder's scenario table.
    fig = plot_scenario_percentiles(scenario_table(tmp_path))
    try:
        heights = [round(p.get_height(), 2) for p in fig.axes[0].patches]
        assert 1.25 in heights and len(heights) == 3 * 3  # 3 scenarios x p50/p95/p99
    finally:
        plt.close(fig)
