"""A fault report's log lines name the run's private folder as <run>/, not a machine's path."""

from pathlib import Path

from fmslab.config import Settings, project_root
from fmslab.faults.runner import run_relative


def test_the_run_folder_becomes_a_placeholder(tmp_path: Path) -> None:
    run = Settings(state_dir=tmp_path / "faults" / "20261201T1" / "state")
    line = f"stream: Full error: {tmp_path}/faults/20261201T1/state/spark/stream-error.log"
    assert run_relative(line, run) == "stream: Full error: <run>/state/spark/stream-error.log"
    assert run_relative("no path here", run) == "no path here"


def test_the_checkout_becomes_a_placeholder(tmp_path: Path) -> None:
    run = Settings(state_dir=tmp_path / "state")
    line = f"spark-worker-1: Spark home: {project_root()}/.venv/lib/pyspark"
    assert run_relative(line, run) == "spark-worker-1: Spark home: <checkout>/.venv/lib/pyspark"
