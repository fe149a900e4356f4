"""The failure students hit: the namenode redirects data to a datanode host they cannot resolve.

A WebHDFS stand-in whose namenode names its datanode `datanode` (as the stack's does, seen from
outside the Compose network) answers metadata calls, but every CREATE and OPEN is redirected to a
host this machine cannot resolve; the lake's error must then say what to do.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fmslab.lake.storage import LakeError
from fmslab.lake.webhdfs import HdfsLake
from fmslab.services import free_port, http_ok, running
from tests.lake.conftest import STANDIN


def _unresolvable(name: str) -> str:
    # The stack's own name where it does not resolve (as on a student's laptop); otherwise a name
    # that never resolves anywhere (RFC 6761 reserves .invalid).
    try:
        socket.getaddrinfo(name, None)
    except socket.gaierror:
        return name
    return f"{name}.invalid"


@pytest.fixture(scope="module")
def outside_the_network(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path, str]]:
    """(namenode URL, the stand-in's storage folder, the datanode host it redirects to)."""
    base = tmp_path_factory.mktemp("webhdfs-redirect")
    port, datanode_port, host = free_port(), free_port(), _unresolvable("datanode")
    cmd = [
        sys.executable, str(STANDIN),
        "--root", str(base / "hdfs"),
        "--port", str(port),
        "--datanode-port", str(datanode_port),
        "--datanode-host", host,
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    with running(
        f"webhdfs-redirect-{port}",
        cmd,
        state_dir=base / "state",
        port=port,
        ready=http_ok(f"{url}/webhdfs/v1/?op=GETFILESTATUS"),
        timeout=30,
    ):
        yield url, base / "hdfs", host


def test_writes_and_reads_fail_on_the_redirect_and_the_error_names_the_fix(
    outside_the_network: tuple[str, Path, str],
) -> None:
    url, storage, host = outside_the_network
    lake = HdfsLake(url, "/fms", timeout=10)
    lake.mkdir("raw/device_id=1")  # the namenode itself answers: metadata never redirects
    assert [e.name for e in lake.ls("raw")] == ["device_id=1"]

    with pytest.raises(LakeError) as created:
        lake.create_new("raw/device_id=1/part-0.json", b"{}")
    (storage / "fms" / "raw" / "landed.json").write_text("{}")  # as if written from inside
    with pytest.raises(LakeError) as opened:
        lake.cat("raw/landed.json")

    for err in (created.value, opened.value):
        message = str(err)
        assert f"redirected the data to datanode host {host!r}" in message, message
        assert "cannot resolve" in message
        assert "inside the stack's network (the jupyter container" in message
        assert f"add `127.0.0.1 {host}` to /etc/hosts" in message
    assert not (storage / "fms" / "raw" / "device_id=1" / "part-0.json").exists()


def test_an_unreachable_namenode_is_not_mistaken_for_the_redirect(tmp_path: Path) -> None:
    lake = HdfsLake(f"http://127.0.0.1:{free_port()}", "/fms", timeout=5)
    with pytest.raises(LakeError) as err:
        lake.create_new("x.json", b"{}")
    assert "cannot reach WebHDFS at http://127.0.0.1:" in str(err.value)
    assert "redirected" not in str(err.value)
