"""The short form of every load scenario on the real path, with exact counts (no timing asserted).

One broker and one Spark stream job serve all of them (`pipeline_core`); each scenario starts its
own api and collector. The figures are printed (`-s` shows them), never asserted.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fmslab.bench.scenario import SCENARIOS, pipeline_core, run_scenario
from fmslab.cli import app
from fmslab.config import Settings
from fmslab.services import free_port

CONTRACT_KEYS = {
    "kind", "scenario", "short", "devices", "interval_s", "duration_s", "offered", "collected",
    "stored", "lost", "duplicates", "success_rate", "throughput_msg_s", "lake_bytes", "latency_s",
    "components", "ceiling", "fraction_of_ceiling", "baseline", "vs_baseline", "targets",
    "meets_targets", "machine", "started_at",
}  # fmt: skip
MAX_KEYS = {"steps", "max_sustained_msg_s"}
STEP_KEYS = {"rate_msg_s", "achieved_msg_s", "p95_s", "lost", "sustained"}

pytestmark = pytest.mark.timeout(600)


def _env(settings: Settings) -> dict[str, str]:
    return {
        "FMSLAB_STATE_DIR": str(settings.state_dir),
        "FMSLAB_LAKE_DIR": str(settings.lake_dir),
        "FMSLAB_REPORTS_DIR": str(settings.reports_dir),
        "FMSLAB_LOG_DIR": str(settings.log_dir),
        "FMSLAB_API_PORT": str(settings.api_port),
        "FMSLAB_BROKER_PORT": str(settings.broker_port),
        "FMSLAB_METRICS_PORT": str(settings.metrics_port),
        "FMSLAB_STREAM_METRICS_PORT": str(settings.stream_metrics_port),
    }


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    root = tmp_path_factory.mktemp("scenarios")
    settings = Settings(
        state_dir=root / "state", lake_dir=root / "lake", reports_dir=root / "reports",
        log_dir=root / "log", api_port=free_port(), broker_port=free_port(),
        metrics_port=free_port(), stream_metrics_port=free_port(),
    )  # fmt: skip
    with pipeline_core(settings) as started:
        assert started  # this module's own broker and Spark, stopped at its end
        yield settings


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_short_scenario_counts_every_reading_exactly(name: str, settings: Settings) -> None:
    report = run_scenario(name, short=True, settings=settings, progress=False)
    print(
        f"\n{name}: {json.dumps({k: report[k] for k in ('offered', 'stored', 'latency_s')})} "
        f"ceiling {report['ceiling']['msg_s']} msg/s ({report['ceiling']['client']}), "
        f"baseline {report['baseline']['msg_s']} msg/s, components {report['components']}"
    )
    assert set(report) >= CONTRACT_KEYS
    assert report["kind"] == "scenario" and report["scenario"] == name and report["short"]
    assert report["offered"] > 0
    assert report["offered"] == report["collected"] == report["stored"]
    assert report["lost"] == 0 and report["duplicates"] == 0
    assert report["success_rate"] == 1.0
    assert report["latency_s"]["count"] == report["stored"]
    assert report["lake_bytes"] > 0
    assert set(report["components"]) == {"api", "collector", "broker", "stream"}
    assert all(part["pss_peak_mb"] > 0 for part in report["components"].values())
    assert report["ceiling"]["client"] in {"kafka-python", "confluent-kafka"}
    assert report["ceiling"]["msg_s"] > 0 and report["baseline"]["msg_s"] > 0
    assert set(report["meets_targets"]) >= {"success_rate", "no_loss", "no_duplicates"}
    assert report["meets_targets"]["no_loss"] and report["meets_targets"]["no_duplicates"]
    if name == "max":
        assert set(report) >= MAX_KEYS
        assert all(set(step) >= STEP_KEYS for step in report["steps"])
        assert sum(step["lost"] for step in report["steps"]) == 0


def test_cli_writes_the_json_and_the_chart(settings: Settings) -> None:
    result = CliRunner().invoke(
        app, ["bench", "scenario", "normal", "--short", "--json"], env=_env(settings)
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    folder = Path(settings.reports_dir)
    written = json.loads((folder / "scenario-normal.json").read_text(encoding="utf-8"))
    assert printed == written
    assert written["offered"] == written["stored"] and written["lost"] == 0
    png = (folder / "scenario-normal.png").read_bytes()
    assert png.startswith(b"\x89PNG")


def test_unknown_scenario_and_taken_port_are_clear_errors(settings: Settings) -> None:
    runner = CliRunner()
    unknown = runner.invoke(app, ["bench", "scenario", "nope", "--short"], env=_env(settings))
    assert unknown.exit_code == 1
    assert (
        "unknown scenario 'nope'; choose one of normal, peak, stress, scale, max" in unknown.stderr
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**_env(settings), "FMSLAB_API_PORT": str(port)}
        busy = runner.invoke(app, ["bench", "scenario", "normal", "--short"], env=env)
    assert busy.exit_code == 1
    assert f"port {port} (api) is taken" in busy.stderr and "FMSLAB_API_PORT" in busy.stderr
