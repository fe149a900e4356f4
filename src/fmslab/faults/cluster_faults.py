"""A Spark worker lost: SIGKILL of a standalone worker's process group (the worker, its executor
JVM and their Python workers) while the stream job runs on the cluster of `fmslab cluster up`.

Spark reruns the lost tasks on the other worker; a new worker is started in its place.
Detect: from the kill to the master reporting one alive worker fewer; recover: from the new
worker's start to the master reporting every worker alive again and a reading collected after
that start readable in the lake.
"""

from __future__ import annotations

import time

from fmslab.faults.context import FaultContext, Outcome
from fmslab.services import wait_until


def _target(ctx: FaultContext):
    from fmslab.cluster.executors import worker_executors

    for worker in ctx.cluster.workers:
        try:
            if worker.alive() and worker_executors(worker):
                return worker, True
        except Exception:  # noqa: BLE001 - a worker that does not answer is not the target
            continue
    return ctx.cluster.workers[0], False


def worker_kill(ctx: FaultContext) -> Outcome:
    """Kill the worker that runs an executor of the stream job, then start a new one."""
    from fmslab.cluster.standalone import WORKER_PREFIX, alive_workers, kill_worker, start_worker

    cluster = ctx.cluster
    expected = len(cluster.workers)
    worker, had_executor = _target(ctx)
    injected = time.monotonic()
    kill_worker(worker)
    seen = wait_until(lambda: alive_workers(cluster.ui_url) < expected, 120.0, 0.2)
    detected = time.monotonic() if seen else None
    ctx.hold(ctx.seconds)
    index = int(worker.name.removeprefix(WORKER_PREFIX))
    ended = time.monotonic()
    start_worker(index, cluster.master_url, ctx.state)
    back = wait_until(lambda: alive_workers(cluster.ui_url) >= expected, 180.0, 0.5)
    recovered = ctx.wait_recovered(ended) if back else None
    facts = {"killed": worker.name, "worker_had_executor": had_executor}
    return Outcome(injected, ended, detected, recovered, facts)
