"""Faults in a running embedded pipeline: the stream job killed, the memory-only broker restarted.

One pipeline (real simulator, Tansu, collector, Spark stream job), two faults in turn:

1. SIGKILL the stream job's process group mid-run and start it again on its checkpoint: every
   reading reaches the lake exactly once (by reading_id), with no reconcile.
2. Restart the broker, which forgets every record: after `fmslab reconcile` the lake holds every
   archived reading exactly once, and a second reconcile backfills nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmslab.collector.archive import iter_archive
from fmslab.jobs import orchestration
from fmslab.jobs.reconcile import reconcile
from fmslab.lake.local import LocalLake
from fmslab.services import pid_alive, read_service, stop_service, wait_until
from tests.jobs.conftest import settings_of
from tests.jobs.test_run import assert_exactly_once

FIRST_BATCH_TIMEOUT = 180.0  # Spark's first stateful batch is slow on a busy 2-core machine


def _committed(settings, at_least: int = 1) -> bool:
    stream = read_service("stream", Path(settings.state_dir))
    checkpoint = orchestration.stream_checkpoint(stream)
    return len([p for p in (checkpoint / "commits").glob("*") if p.name.isdigit()]) >= at_least


def _batch_ids(folder: Path) -> set[int]:
    """The micro-batch ids logged in a checkpoint folder (`offsets` or `commits`)."""
    return {int(p.name) for p in folder.glob("[0-9]*") if p.name.isdigit()}


def _reconcile_cli(env: dict[str, str]) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "fmslab", "reconcile", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_stream_kill_and_broker_restart_keep_every_reading_exactly_once(pipeline_env) -> None:
    settings = settings_of(pipeline_env)
    state, lake_dir = Path(settings.state_dir), Path(settings.lake_dir)
    archive = orchestration.archive_dir(settings)
    options = orchestration.PipelineOptions(interval=1.0, faults="none")
    orchestration.up(settings, options)
    assert wait_until(lambda: _committed(settings), FIRST_BATCH_TIMEOUT, 0.5)

    # 1. Kill the stream job while a batch is in flight, restart it. Spark writes a batch's
    # offsets when it plans the batch and its commit when the batch is written: planned but not
    # committed is mid-batch. The kill follows the check within a millisecond; a batch takes far
    # longer, and the frozen checkpoint afterwards proves where the kill landed.
    stream = read_service("stream", state)
    assert wait_until(lambda: not orchestration.stream_idle(stream), 60.0, 0.01), "no batch ran"
    os.killpg(stream.pid, signal.SIGKILL)
    assert wait_until(lambda: not pid_alive(stream.pid), 10.0)
    checkpoint = orchestration.stream_checkpoint(stream)
    killed_batch = max(_batch_ids(checkpoint / "offsets"))
    assert killed_batch not in _batch_ids(checkpoint / "commits"), "killed between batches"
    time.sleep(2)  # the collector goes on producing meanwhile
    restarted = orchestration.restart(settings, "stream")
    assert restarted.pid != stream.pid
    commits = len(list((orchestration.stream_checkpoint(restarted) / "commits").glob("[0-9]*")))
    assert wait_until(lambda: _committed(settings, commits + 1), FIRST_BATCH_TIMEOUT, 0.5)
    # The restarted job ran the interrupted batch again from its planned offsets.
    assert killed_batch in _batch_ids(orchestration.stream_checkpoint(restarted) / "commits")
    collector = read_service("collector", state)
    stop_service(collector, state)
    lake = LocalLake(lake_dir)

    def drained() -> bool:
        return orchestration.stream_idle(restarted) and (
            reconcile(archive, lake, dry_run=True).missing == 0
        )

    assert wait_until(drained, FIRST_BATCH_TIMEOUT, 1.0)
    first_count = assert_exactly_once(archive, lake_dir)
    assert first_count > 0

    # 2. Restart the broker (it forgets everything), collect on, stop, reconcile.
    orchestration.restart(settings, "collector", collector)
    orchestration.restart(settings, "broker")
    assert wait_until(lambda: len(list(iter_archive(archive))) >= first_count + 20, 60, 0.5)
    orchestration.down(settings)
    first = _reconcile_cli(pipeline_env)
    assert first["archived"] >= first_count + 20
    assert first["backfilled"] > 0  # what the lost broker held, or got after the loss
    assert first["in_lake"] + first["duplicates"] + first["missing"] == first["archived"]
    assert assert_exactly_once(archive, lake_dir) == first["archived"]
    second = _reconcile_cli(pipeline_env)
    assert (second["missing"], second["backfilled"]) == (0, 0)
    assert second["in_lake"] + second["duplicates"] == second["archived"]
