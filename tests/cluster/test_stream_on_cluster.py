"""The stream job on a real standalone cluster: a driver here, executors in two worker JVMs.

One scenario for the module (a cluster and a driver cost about a minute to start here):

1. Seeded readings are produced to the embedded broker (Tansu) and the course's pipeline
   (`start_pipeline`, availableNow, 100 records per micro-batch: 6 batches) drains them on 2
   workers. After the first commit, while a micro-batch runs tasks on an executor, that
   executor's worker is SIGKILLed with its process group (the worker, its executor JVM and their
   Python workers: a lost machine). Spark reruns the lost tasks on the other worker's executor
   and the query finishes.
2. The worker comes back (a new executor JVM registers), more readings arrive, the last commit is
   deleted (so one batch is replayed) and the query starts again from the same checkpoint: its
   state store and offsets are read by executors in JVMs that never wrote them.

The lake must then hold every produced reading exactly once (by reading_id), with exact counts.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from fmslab.broker.clients import make_producer
from fmslab.broker.embedded import embedded_broker
from fmslab.broker.topics import create_topics
from fmslab.cluster.executors import (
    application_id,
    busy_executor,
    executor_list,
    executors_frame,
    task_process,
    worker_of,
)
from fmslab.cluster.standalone import (
    Cluster,
    alive_workers,
    kill_worker,
    master_json,
    start_worker,
)
from fmslab.config import Settings
from fmslab.lake.records import read_zone
from fmslab.lake.storage import open_lake
from fmslab.lake.zones import READING_ZONES
from fmslab.quality.rules import load_rules
from fmslab.services import free_port, pid_alive, wait_until
from fmslab.simulator.feed import simulate_readings
from fmslab.streaming.pipeline import start_pipeline
from fmslab.streaming.processing import device_of
from fmslab.streaming.session import spark_session, stop_spark

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

RAW_TOPIC = "fms-raw-data"
FIRST_SLOTS, SECOND_SLOTS = 120, 40  # readings per device in each part (5 devices)
BATCH = 100  # maxOffsetsPerTrigger: six micro-batches in the first run
RUN_TIMEOUT = 420.0


@dataclass
class Scenario:
    produced: list[dict[str, Any]]
    stored: pd.DataFrame
    app_id: str
    master_before: dict[str, Any]  # the master's JSON with both workers and the app
    task_processes: set[tuple[str, int, int]]  # (Python, executor JVM pid, its parent) of 8 tasks
    worker_pids: set[int]
    executors_before: pd.DataFrame  # the driver's executors just before the kill
    executors_after_kill: pd.DataFrame  # ... when the first run had finished
    executors_end: pd.DataFrame  # ... after the second run
    killed: dict[str, Any]  # what was running when the worker was killed
    kill_to_finish_s: float
    replayed_batch: int
    checkpoint: Path


def _produce(bootstrap: str, readings: list[dict[str, Any]]) -> None:
    rules = load_rules()
    producer = make_producer(bootstrap, linger_ms=5)
    try:
        for reading in readings:
            value = json.dumps(reading).encode()
            producer.send(RAW_TOPIC, key=device_of(value, rules), value=value)
        producer.flush()
    finally:
        producer.close()


def _readings(slots: int, first_slot: int) -> list[dict[str, Any]]:
    every = simulate_readings(seed=21, count=first_slot + slots)
    part = every[first_slot * 5 :]
    return [{**r, "reading_id": f"r-{first_slot * 5 + i}"} for i, r in enumerate(part)]


def _commits(checkpoint: Path) -> list[int]:
    folder = checkpoint / "commits"
    return sorted(int(p.name) for p in folder.glob("[0-9]*")) if folder.is_dir() else []


def _offsets(checkpoint: Path) -> list[int]:
    folder = checkpoint / "offsets"
    return sorted(int(p.name) for p in folder.glob("[0-9]*")) if folder.is_dir() else []


def _kill_a_busy_worker(cluster: Cluster, driver_ui: str, app_id: str, checkpoint: Path) -> dict:
    """SIGKILL the worker (process group) whose executor runs tasks of a batch after the first."""
    found: dict[str, Any] = {}

    def busy_worker() -> bool:
        if not _commits(checkpoint):
            return False
        executor = busy_executor(driver_ui)
        if executor is None:
            return False
        worker = worker_of(cluster, app_id, executor["id"])
        if worker is None:
            return False
        found.update(executor=executor, worker=worker, offsets=_offsets(checkpoint))
        found["commits"] = _commits(checkpoint)
        kill_worker(worker)  # SIGKILL to its process group: worker, executor, Python workers
        return True

    assert wait_until(busy_worker, RUN_TIMEOUT, 0.05), "no batch ran tasks after the first commit"
    assert not pid_alive(found["worker"].pid)
    return found


def _lake_rows(settings: Settings) -> pd.DataFrame:
    lake = open_lake(settings)
    frames = [read_zone(lake, zone).assign(zone=zone) for zone in READING_ZONES]
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


def _restart_worker(cluster: Cluster, index: int, state: Path) -> Cluster:
    worker = start_worker(index, cluster.master_url, state, die_with_parent=True)
    workers = tuple(worker if w.name == worker.name else w for w in cluster.workers)
    assert wait_until(lambda: alive_workers(cluster.ui_url) >= 2, 180.0, 0.5)
    return Cluster(cluster.master, workers)


@pytest.fixture(scope="module")
def scenario(
    cluster: Cluster, cluster_state: Path, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    root = Path(tmp_path_factory.mktemp("cluster-stream"))
    stop_spark()  # another folder's local[*] session would be reused instead of the cluster
    settings = Settings(
        state_dir=root / "state", lake_dir=root / "lake", spark_master=cluster.master_url
    )
    ui_port = free_port()
    driver_ui = f"http://127.0.0.1:{ui_port}"
    spark = spark_session("fmslab-cluster-tests", settings=settings, ui_port=ui_port)
    try:
        app_id = application_id(driver_ui)
        assert wait_until(lambda: len(executor_list(driver_ui, include_dead=False)) == 2, 120)
        master_before = master_json(cluster.ui_url)
        task_processes = set(
            spark.sparkContext.parallelize(range(8), 8).map(task_process).collect()
        )
        checkpoint = root / "checkpoint"
        first, second = _readings(FIRST_SLOTS, 0), _readings(SECOND_SLOTS, FIRST_SLOTS)
        options = {
            "checkpoint_dir": checkpoint,
            "available_now": True,
            "max_offsets_per_trigger": BATCH,
            "check_delay": False,
            "publish": False,
        }
        with embedded_broker(state_dir=root / "broker") as bootstrap:
            create_topics(bootstrap)
            _produce(bootstrap, first)
            pipeline = start_pipeline(spark, settings, bootstrap=bootstrap, **options)
            try:
                killed = _kill_a_busy_worker(cluster, driver_ui, app_id, checkpoint)
                killed["executors"] = executors_frame(driver_ui)
                killed_at = time.monotonic()
                pipeline.await_termination(RUN_TIMEOUT)
                kill_to_finish = time.monotonic() - killed_at
            finally:
                pipeline.stop()
            executors_after_kill = executors_frame(driver_ui)
            index = int(killed["worker"].name.rsplit("-", 1)[1])
            _restart_worker(cluster, index, cluster_state)
            assert wait_until(lambda: len(executor_list(driver_ui, include_dead=False)) == 2, 180)
            _produce(bootstrap, second)
            replayed = _commits(checkpoint)[-1]
            (checkpoint / "commits" / str(replayed)).unlink()
            (checkpoint / "commits" / f".{replayed}.crc").unlink(missing_ok=True)
            again = start_pipeline(spark, settings, bootstrap=bootstrap, **options)
            try:
                again.await_termination(RUN_TIMEOUT)
            finally:
                again.stop()
            executors_end = executors_frame(driver_ui)
        return Scenario(
            first + second,
            _lake_rows(settings),
            app_id,
            master_before,
            task_processes,
            {w.pid for w in cluster.workers},
            killed.pop("executors"),
            executors_after_kill,
            executors_end,
            killed,
            kill_to_finish,
            replayed,
            checkpoint,
        )
    finally:
        stop_spark()


def test_the_driver_runs_on_two_workers_with_its_own_python(scenario: Scenario) -> None:
    master = scenario.master_before
    assert master["aliveworkers"] == 2 and master["cores"] == 2
    apps = [a for a in master["activeapps"] if a["id"] == scenario.app_id]
    assert len(apps) == 1 and apps[0]["cores"] == 2
    assert len(scenario.executors_before) == 2
    # The 8 tasks ran in the driver's Python, inside two executor JVMs, one under each worker.
    assert {python for python, _, _ in scenario.task_processes} == {sys.executable}
    assert len({jvm for _, jvm, _ in scenario.task_processes}) == 2
    assert {parent for _, _, parent in scenario.task_processes} == scenario.worker_pids


def test_every_reading_is_stored_exactly_once(scenario: Scenario) -> None:
    stored, produced = scenario.stored, scenario.produced
    counts = Counter(stored["reading_id"])
    print(
        f"\nproduced {len(produced)}, stored {len(stored)}, "
        f"duplicates {sum(c - 1 for c in counts.values())}, "
        f"kill -> finish {scenario.kill_to_finish_s:.1f} s"
    )
    assert max(counts.values()) == 1, "a reading is stored twice"
    assert set(counts) == {r["reading_id"] for r in produced}
    assert len(stored) == len(produced) == 5 * (FIRST_SLOTS + SECOND_SLOTS)
    keys = list(zip(stored["kafka_partition"], stored["kafka_offset"], strict=True))
    assert len(set(keys)) == len(keys)


def test_a_worker_killed_mid_batch_loses_no_reading(scenario: Scenario) -> None:
    killed = scenario.killed
    # Mid-batch: the executor had tasks running, and the batch being run had its offsets
    # written but no commit yet.
    assert killed["executor"]["activeTasks"] > 0
    assert max(killed["offsets"]) > max(killed["commits"]) >= 0
    lost = killed["executor"]["id"]
    after = scenario.executors_after_kill.set_index("executor")
    before = scenario.executors_before.set_index("executor")
    assert not after.loc[lost, "active"], "the killed worker's executor is still listed alive"
    survivor = next(e for e in after.index if e != lost)
    assert after.loc[survivor, "active"]
    # The run finished on the survivor: it completed more tasks after the kill than before.
    assert after.loc[survivor, "completed tasks"] > before.loc[survivor, "completed tasks"]


def test_the_checkpoint_is_read_by_executors_of_new_jvms(scenario: Scenario) -> None:
    end = scenario.executors_end.set_index("executor")
    old = set(scenario.executors_after_kill["executor"])
    fresh = [e for e in end.index if e not in old]
    assert len(fresh) == 1, "the restarted worker did not bring a new executor"
    assert end.loc[fresh[0], "completed tasks"] > 0, "the new executor ran no task"
    commits = _commits(scenario.checkpoint)
    assert scenario.replayed_batch in commits, "the replayed batch was not committed again"
