"""FMSLAB_* variables of a private embedded pipeline: free ports and its own folders."""

from __future__ import annotations

from pathlib import Path

from fmslab.services import free_port


def private_env(root: Path, *, seed: int = 11, columns: int | None = 120) -> dict[str, str]:
    """The variables that give `fmslab up|run|demo|faults` their own ports and folders under
    `root` (merge them over os.environ for a child process)."""
    env = {
        "FMSLAB_API_PORT": str(free_port()),
        "FMSLAB_BROKER_PORT": str(free_port()),
        "FMSLAB_METRICS_PORT": str(free_port()),
        "FMSLAB_STREAM_METRICS_PORT": str(free_port()),
        "FMSLAB_STATE_DIR": str(root / "state"),
        "FMSLAB_LAKE_DIR": str(root / "lake"),
        "FMSLAB_REPORTS_DIR": str(root / "reports"),
        "FMSLAB_LOG_DIR": str(root / "log"),
        "FMSLAB_SEED": str(seed),
    }
    if columns is not None:
        env["COLUMNS"] = str(columns)
    return env
