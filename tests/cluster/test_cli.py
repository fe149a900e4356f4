"""`fmslab cluster status | down | up` on the folder's real cluster (and an empty state dir)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fmslab.cluster.standalone import Cluster, master_json
from fmslab.cluster.status import workers_frame
from fmslab.config import Settings, load_settings
from fmslab.streaming.session import spark_conf


def _fmslab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fmslab", "cluster", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def test_status_reads_the_masters_json(cluster: Cluster, cluster_state: Path) -> None:
    done = _fmslab("status", "--state-dir", str(cluster_state), "--json")
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state["url"] == cluster.master_url
    assert state["aliveworkers"] == 2 and state["cores"] == 2 and state["memory"] == 2048
    names = {w.url: w.name for w in cluster.workers}
    workers = workers_frame(master_json(cluster.ui_url), names)
    assert list(workers["worker"]) == ["spark-worker-1", "spark-worker-2"]
    assert set(workers["state"]) == {"ALIVE"} and list(workers["cores"]) == [1, 1]
    table = _fmslab("status", "--state-dir", str(cluster_state))
    assert table.returncode == 0, table.stderr
    assert "alive workers" in table.stdout and table.stdout.count("ALIVE") == 3  # master + 2


def test_a_second_cluster_on_the_same_state_is_refused(cluster: Cluster, cluster_state) -> None:
    done = _fmslab("up", "--state-dir", str(cluster_state))
    assert done.returncode == 1
    assert f"a cluster already runs at {cluster.master_url}" in done.stderr
    assert "fmslab cluster down" in done.stderr


def test_without_a_cluster_status_fails_with_the_fix_and_down_says_so(tmp_path: Path) -> None:
    status = _fmslab("status", "--state-dir", str(tmp_path))
    assert status.returncode == 1
    assert "fmslab cluster up" in status.stderr
    down = _fmslab("down", "--state-dir", str(tmp_path))
    assert down.returncode == 0 and "no cluster was running" in down.stdout


def test_the_session_connects_to_the_settings_master(tmp_path: Path) -> None:
    master = "spark://127.0.0.1:7999"
    conf = spark_conf(Settings(state_dir=tmp_path, spark_master=master))
    assert conf["spark.master"] == master
    assert conf["spark.executor.cores"] == "1" and conf["spark.executor.memory"] == "512m"
    assert "-Duser.timezone=UTC" in conf["spark.executor.extraJavaOptions"]
    assert Path(conf["spark.sql.streaming.checkpointLocation"]).is_absolute()
    assert spark_conf(Settings(state_dir=tmp_path))["spark.master"] == "local[*]"
    stack = spark_conf(Settings(mode="stack", state_dir=tmp_path))
    assert stack["spark.master"] == "spark://spark-master:7077"


def test_fmslab_spark_master_sets_the_master(monkeypatch) -> None:
    monkeypatch.setenv("FMSLAB_SPARK_MASTER", "spark://127.0.0.1:7123")
    assert load_settings().spark_master == "spark://127.0.0.1:7123"
    monkeypatch.delenv("FMSLAB_SPARK_MASTER")
    assert load_settings().spark_master is None
