"""Which executor runs where: the driver's REST API (`/api/v1`) and the workers' JSON.

The driver's web UI (a session started with `ui_port`) lists the application's executors with
their tasks (active, completed, failed); each worker's UI (`<worker UI>/json/`) lists the
executors it runs. Together they say which worker process holds which executor, so a test or a
chapter can kill the worker that is running tasks right now.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from fmslab.cluster.standalone import Cluster
from fmslab.services import Service

EXECUTOR_COLUMNS = (
    "executor",
    "address",
    "active",
    "cores",
    "active tasks",
    "completed tasks",
    "failed tasks",
)


def _get(url: str) -> Any:
    response = httpx.get(url, timeout=30.0)  # a busy driver's UI answers its first calls slowly
    response.raise_for_status()
    return response.json()


def application_id(driver_ui: str) -> str:
    """The id of the application the driver's UI serves (`app-...`)."""
    return str(_get(f"{driver_ui.rstrip('/')}/api/v1/applications")[0]["id"])


def executor_list(driver_ui: str, *, include_dead: bool = True) -> list[dict[str, Any]]:
    """The driver's view of its executors (the driver itself left out), as the REST API gives it."""
    base = f"{driver_ui.rstrip('/')}/api/v1/applications/{application_id(driver_ui)}"
    which = "allexecutors" if include_dead else "executors"
    return [e for e in _get(f"{base}/{which}") if e["id"] != "driver"]


def executors_frame(driver_ui: str) -> pd.DataFrame:
    """One row per executor: address, alive or not, cores and its tasks so far (by id)."""
    rows = [
        {
            "executor": e["id"],
            "address": e["hostPort"],
            "active": e["isActive"],
            "cores": e["totalCores"],
            "active tasks": e["activeTasks"],
            "completed tasks": e["completedTasks"],
            "failed tasks": e["failedTasks"],
        }
        for e in executor_list(driver_ui)
    ]
    frame = pd.DataFrame(rows, columns=list(EXECUTOR_COLUMNS))
    return frame.sort_values("executor", key=lambda s: s.astype(int)).reset_index(drop=True)


def worker_executors(worker: Service) -> list[tuple[str, str]]:
    """(application id, executor id) of every executor `worker` runs now."""
    state = _get(f"{(worker.url or '').rstrip('/')}/json/")
    return [(str(e["appid"]), str(e["id"])) for e in state.get("executors", [])]


def worker_of(cluster: Cluster, app_id: str, executor_id: str) -> Service | None:
    """The worker process that runs executor `executor_id` of `app_id`, if a live one does."""
    for worker in cluster.workers:
        if worker.alive() and (app_id, str(executor_id)) in worker_executors(worker):
            return worker
    return None


def busy_executor(driver_ui: str) -> dict[str, Any] | None:
    """A live executor that is running at least one task right now, or None."""
    for executor in executor_list(driver_ui, include_dead=False):
        if executor["activeTasks"] > 0:
            return executor
    return None


def _parent_pid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def task_process(_: object = None) -> tuple[str, int, int]:
    """Run inside a task: (this Python's executable, the executor JVM's pid, that JVM's parent).

    A task's Python worker is forked by PySpark's daemon, which the executor JVM started; on a
    standalone cluster the JVM's parent is the worker process (Linux: read from /proc).
    `sc.parallelize(range(8), 8).map(task_process).collect()` shows where 8 tasks ran.
    """
    import sys

    jvm = _parent_pid(os.getppid())
    return sys.executable, jvm, _parent_pid(jvm)
