"""Lake fixtures: the same contract tests run on the local backend and on HDFS over WebHDFS.

The HDFS backend talks to a WebHDFS stand-in (webhdfs_standin.py) started once per session as a
real process on free ports and stopped by pid; each test gets its own lake root in it.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fmslab.lake.local import LocalLake
from fmslab.lake.storage import Lake
from fmslab.lake.webhdfs import HdfsLake
from fmslab.services import free_port, http_ok, port_open, running

STANDIN = Path(__file__).with_name("webhdfs_standin.py")


@pytest.fixture(scope="session")
def webhdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a running WebHDFS stand-in (namenode port; the datanode has its own)."""
    base = tmp_path_factory.mktemp("webhdfs")
    port, datanode_port = free_port(), free_port()
    cmd = [
        sys.executable, str(STANDIN),
        "--root", str(base / "hdfs"),
        "--port", str(port),
        "--datanode-port", str(datanode_port),
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    ready = http_ok(f"{url}/webhdfs/v1/?op=GETFILESTATUS")
    datanode_ready = port_open(datanode_port)
    with running(
        f"webhdfs-{port}",
        cmd,
        state_dir=base / "state",
        port=port,
        ready=lambda: ready() and datanode_ready(),
        timeout=30,
    ):
        yield url


@pytest.fixture(params=["local", "hdfs"])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    """An empty lake on each backend."""
    if request.param == "local":
        return LocalLake(tmp_path / "lake")
    url = request.getfixturevalue("webhdfs")
    return HdfsLake(url, f"/fms-{uuid.uuid4().hex[:8]}")


def _make_readings(
    start: str = "2024-01-15T13:00:00Z", minutes: int = 120, devices: int = 3, seed: int = 7
) -> pd.DataFrame:
    """Readings every minute per device from `start`, with seeded sensor values."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(pd.Timestamp(start), periods=minutes, freq="1min")
    rows = [
        {
            "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "DeviceId": device,
            "sensor1": round(float(rng.normal(80.0, 5.0)), 2),
            "motor1": int(rng.normal(1200, 100)),
            "isFail": bool(rng.random() < 0.05),
        }
        for when in times
        for device in range(1, devices + 1)
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def make_readings() -> Callable[..., pd.DataFrame]:
    """A factory of seeded readings: make_readings(start, minutes, devices, seed)."""
    return _make_readings


@pytest.fixture
def readings() -> pd.DataFrame:
    """Two hours (13:00-14:59 UTC, 2024-01-15) of readings from three devices: 360 rows."""
    return _make_readings()
