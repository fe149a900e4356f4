"""Spark's standalone master and workers, run from the pip package's own jars and stopped by pid.

pyspark's install folder is a SPARK_HOME: `bin/spark-class org.apache.spark.deploy.master.Master`
and `...deploy.worker.Worker spark://HOST:PORT` start the same daemons as the stack's
spark-master and spark-worker containers. Here they bind to 127.0.0.1 on free ports
(`SPARK_LOCAL_IP` also moves the web UIs off 0.0.0.0), the master's REST submission server
(fixed port 6066) is off, the daemons' own heap is small (`SPARK_DAEMON_MEMORY`), and every
worker offers few cores and little memory, so a 2-core laptop holds a master and two workers.
Pids, ports and logs are recorded under `<state_dir>/services` (`fmslab.services`); the workers'
folders (executor logs, application files) under `<state_dir>/cluster/`, one per worker.

A worker runs its executors as child processes in its own process group, so stopping a worker
(or SIGKILLing its group) takes its executors and their Python workers with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from fmslab.services import (
    Service,
    ServiceError,
    free_port,
    read_service,
    start_service,
    stop_service,
    wait_until,
)

HOST = "127.0.0.1"
MASTER = "spark-master"
WORKER_PREFIX = "spark-worker-"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
DAEMON_MEMORY = "256m"  # the master's and workers' own JVM heap (executors are separate JVMs)
DEFAULT_WORKERS = 2
DEFAULT_CORES = 1
DEFAULT_MEMORY = "1g"
START_TIMEOUT = 180.0  # a JVM takes 10-60 s to start on a busy 2-core machine
DAEMON_PROPERTIES = """\
# fmslab: the standalone daemons' settings (see fmslab.cluster.standalone).
# The REST submission server listens on a fixed port (6066); the course submits from drivers.
spark.master.rest.enabled false
"""


class ClusterError(ServiceError):
    """The standalone cluster could not be started, reached or stopped."""


@dataclass(frozen=True)
class Cluster:
    """A running standalone cluster: its master and workers (as recorded services)."""

    master: Service
    workers: tuple[Service, ...]

    @property
    def master_url(self) -> str:
        """The URL drivers connect to (`FMSLAB_SPARK_MASTER`)."""
        return f"spark://{HOST}:{self.master.port}"

    @property
    def ui_url(self) -> str:
        """The master's web UI (its JSON is at `<ui_url>/json/`)."""
        return self.master.url or ""


def spark_home() -> Path:
    """pyspark's install folder, which holds Spark's `bin/spark-class` and `jars/`."""
    import pyspark

    home = Path(pyspark.__file__).resolve().parent
    if not (home / "bin" / "spark-class").is_file():
        raise ClusterError(
            f"{home} has no bin/spark-class: this pyspark is not the pip package with Spark's "
            "jars. Reinstall it: pip install --force-reinstall pyspark"
        )
    return home


def cluster_dir(state_dir: Path) -> Path:
    """Where the cluster keeps its daemon settings and worker folders."""
    return Path(state_dir).resolve() / "cluster"


def _properties_file(state_dir: Path) -> Path:
    path = cluster_dir(state_dir) / "spark-daemons.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DAEMON_PROPERTIES, encoding="utf-8")
    return path


def daemon_env(state_dir: Path) -> dict[str, str]:
    """The environment of the master and workers: pyspark's SPARK_HOME, loopback only."""
    conf_dir = cluster_dir(state_dir) / "conf"  # ours (empty): a user's could change ports
    conf_dir.mkdir(parents=True, exist_ok=True)
    return {
        "SPARK_HOME": str(spark_home()),
        "SPARK_CONF_DIR": str(conf_dir),
        "SPARK_LOCAL_IP": HOST,
        "SPARK_PUBLIC_DNS": HOST,  # the UIs' links name 127.0.0.1, not the machine's address
        "SPARK_DAEMON_MEMORY": DAEMON_MEMORY,
    }


def _spark_class(main_class: str, *args: str) -> list[str]:
    return [str(spark_home() / "bin" / "spark-class"), main_class, *args]


def master_json(ui_url: str, timeout: float = 5.0) -> dict:
    """The master's state from its web UI's JSON endpoint (workers, cores, memory, apps)."""
    response = httpx.get(f"{ui_url.rstrip('/')}/json/", timeout=timeout)
    response.raise_for_status()
    return response.json()


def alive_workers(ui_url: str) -> int:
    """How many workers the master sees alive."""
    return int(master_json(ui_url).get("aliveworkers", 0))


def _master_ready(ui_url: str) -> bool:
    return master_json(ui_url, timeout=2.0).get("status") == "ALIVE"


def start_master(state_dir: Path, *, die_with_parent: bool, timeout: float) -> Service:
    """Start the master on free ports; returns once it is ALIVE."""
    port, ui_port = free_port(HOST), free_port(HOST)
    ui_url = f"http://{HOST}:{ui_port}"
    args = ("--host", HOST, "--port", str(port), "--webui-port", str(ui_port))
    return start_service(
        MASTER,
        _spark_class(MASTER_CLASS, *args, "--properties-file", str(_properties_file(state_dir))),
        state_dir=state_dir,
        ready=lambda: _master_ready(ui_url),
        port=port,
        url=ui_url,
        timeout=timeout,
        env=daemon_env(state_dir),
        die_with_parent=die_with_parent,
    )


def start_worker(
    index: int,
    master_url: str,
    state_dir: Path,
    *,
    cores: int = DEFAULT_CORES,
    memory: str = DEFAULT_MEMORY,
    die_with_parent: bool = False,
) -> Service:
    """Start worker `index` (its web UI on a free port); it registers with the master by itself."""
    ui_port = free_port(HOST)
    work_dir = cluster_dir(state_dir) / "work" / f"worker-{index}"
    work_dir.mkdir(parents=True, exist_ok=True)
    args = (
        *("--host", HOST, "--webui-port", str(ui_port)),
        *("--cores", str(cores), "--memory", memory, "--work-dir", str(work_dir)),
        *("--properties-file", str(_properties_file(state_dir)), master_url),
    )
    return start_service(
        f"{WORKER_PREFIX}{index}",
        _spark_class(WORKER_CLASS, *args),
        state_dir=state_dir,
        port=ui_port,
        url=f"http://{HOST}:{ui_port}",
        env=daemon_env(state_dir),
        die_with_parent=die_with_parent,
    )


def start_cluster(
    workers: int = DEFAULT_WORKERS,
    *,
    state_dir: Path,
    cores: int = DEFAULT_CORES,
    memory: str = DEFAULT_MEMORY,
    die_with_parent: bool = False,
    timeout: float = START_TIMEOUT,
) -> Cluster:
    """Start a master and `workers` workers; returns once every worker has registered.

    `cores` and `memory` (Spark's `1g`, `512m`) are what each worker offers to executors.
    On failure everything started is stopped and ClusterError names the log to read.
    """
    if workers < 1:
        raise ClusterError(f"a cluster needs at least 1 worker, not {workers}")
    from fmslab.streaming.session import check_java

    check_java()  # a missing JDK gets the fix, not a daemon that dies silently
    running = find_cluster(state_dir)
    if running is not None:
        raise ClusterError(
            f"a cluster already runs at {running.master_url} (UI {running.ui_url}); "
            "stop it first: fmslab cluster down"
        )
    master = start_master(state_dir, die_with_parent=die_with_parent, timeout=timeout)
    master_url = f"spark://{HOST}:{master.port}"
    started: list[Service] = []
    try:
        for index in range(1, workers + 1):
            started.append(
                start_worker(
                    index,
                    master_url,
                    state_dir,
                    cores=cores,
                    memory=memory,
                    die_with_parent=die_with_parent,
                )
            )
        cluster = Cluster(master, tuple(started))
        if not wait_until(lambda: alive_workers(cluster.ui_url) >= workers, timeout, 0.5):
            dead = [w for w in started if not w.alive()]
            log = (dead or started)[0].log
            raise ClusterError(
                f"only {alive_workers(cluster.ui_url)} of {workers} workers registered with "
                f"{master_url} within {timeout:.0f}s; read {log}"
            )
    except BaseException:
        for service in (*started, master):
            stop_service(service, state_dir)
        raise
    return cluster


def _workers_of(state_dir: Path) -> list[Service]:
    folder = Path(state_dir) / "services"
    names = sorted(
        (p.stem for p in folder.glob(f"{WORKER_PREFIX}*.json")),
        key=lambda name: int(name.removeprefix(WORKER_PREFIX) or 0),
    )
    return [s for name in names if (s := read_service(name, state_dir)) is not None]


def find_cluster(state_dir: Path) -> Cluster | None:
    """The cluster recorded under `state_dir` if its master still runs, else None."""
    master = read_service(MASTER, state_dir)
    if master is None or not master.alive():
        return None
    return Cluster(master, tuple(_workers_of(state_dir)))


def kill_worker(worker: Service, timeout: float = 10.0) -> None:
    """SIGKILL a worker's process group (the worker, its executors, their Python workers).

    What a lost machine looks like to Spark: no shutdown, the connections just drop.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    if not wait_until(lambda: not worker.alive(), timeout):
        raise ClusterError(f"{worker.name} (pid {worker.pid}) still runs after SIGKILL")


def stop_cluster(state_dir: Path) -> list[str]:
    """Stop the recorded workers, then the master, by pid; returns the names that were running."""
    stopped = []
    for service in _workers_of(state_dir):
        if stop_service(service, state_dir):
            stopped.append(service.name)
    master = read_service(MASTER, state_dir)
    if master is not None and stop_service(master, state_dir):
        stopped.append(master.name)
    return stopped


@contextlib.contextmanager
def standalone_cluster(
    workers: int = DEFAULT_WORKERS,
    *,
    state_dir: Path,
    cores: int = DEFAULT_CORES,
    memory: str = DEFAULT_MEMORY,
    timeout: float = START_TIMEOUT,
) -> Iterator[Cluster]:
    """A cluster for a `with` block, stopped by pid afterwards (and if this process dies)."""
    cluster = start_cluster(
        workers,
        state_dir=state_dir,
        cores=cores,
        memory=memory,
        die_with_parent=True,
        timeout=timeout,
    )
    try:
        yield cluster
    finally:
        stop_cluster(state_dir)


def default_state_dir() -> Path:
    """The settings' state dir (`FMSLAB_STATE_DIR`, default `.fmslab`)."""
    from fmslab.config import load_settings

    return Path(load_settings().state_dir)  # type: ignore[arg-type]  # set by Settings
