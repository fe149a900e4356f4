"""Fixtures of the cluster tests: a real standalone master and two workers for the folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fmslab.cluster.standalone import Cluster, standalone_cluster


@pytest.fixture(scope="package")
def cluster_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The state dir of the module's cluster (pids, logs, worker folders)."""
    return Path(tmp_path_factory.mktemp("cluster-state"))


@pytest.fixture(scope="package")
def cluster(cluster_state: Path) -> Iterator[Cluster]:
    """One master and two workers (1 core, 1 GB each) for the folder, stopped by pid afterwards."""
    with standalone_cluster(2, state_dir=cluster_state) as running:
        yield running
