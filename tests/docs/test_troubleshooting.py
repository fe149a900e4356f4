"""docs/troubleshooting.md quotes what the project really prints: each failure is triggered here
for real and its message must equal the guide's quoted block.

Only the values that change from run to run (temporary folders, free ports, the compose file's
memory sum) are replaced by the guide's placeholders (`<TMP>`, `<PORT>`, ...) before comparing.
Docker is the one stand-in (no engine on this machine): `docker_standin.py` answers the Engine API
and the CLI as the real ones do. The workers' Python is another stand-in: only one Python minor
version is installed here, so `python3.12` is a script answering `--version` as Python 3.12 does.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fmslab.broker.embedded import embedded_broker
from fmslab.docs.troubleshooting import troubleshooting_entries
from fmslab.lake.storage import LakeError
from fmslab.lake.webhdfs import HdfsLake
from fmslab.services import fmslab_command, free_port, http_ok, running, wait_until
from fmslab.stack.compose import load_stack
from fmslab.stack.engine import plan
from tests.docs.docker_standin import write_cli
from tests.lake.conftest import STANDIN as WEBHDFS_STANDIN
from tests.lake.test_webhdfs_redirect import _unresolvable

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "troubleshooting.md"
DOCKER_STANDIN = Path(__file__).with_name("docker_standin.py")

pytestmark = pytest.mark.slow  # `fmslab` subprocesses, a broker, Spark's preflight


def quoted() -> dict[str, str]:
    """The guide's quoted messages by entry key (`<!-- message: KEY -->` before the block)."""
    return {entry.key: entry.message for entry in troubleshooting_entries(GUIDE)}


def as_quoted(printed: str, **values: str) -> str:
    """`printed` with each run-dependent value replaced by its placeholder (`TMP="/tmp/x"` ->
    `<TMP>`), longest value first so a path is not cut by a shorter one inside it."""
    text = printed.strip()
    for name, value in sorted(values.items(), key=lambda item: -len(item[1])):
        text = text.replace(value, f"<{name}>")
    return text


def fmslab(*args: str, env: dict[str, str], timeout: float = 120) -> str:
    """Run `fmslab ARGS`, expect it to fail (exit 1, no traceback), return its stderr."""
    result = subprocess.run(
        fmslab_command(*args), capture_output=True, text=True, timeout=timeout, env=env
    )
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Tansu broker for the failures that need one (their preflight asks it first)."""
    with embedded_broker(state_dir=tmp_path_factory.mktemp("broker")) as bootstrap:
        yield bootstrap


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "FMSLAB_STATE_DIR": str(tmp_path / "state"), **extra}


def _stream(tmp_path: Path, bootstrap: str) -> tuple[str, ...]:
    return (
        "stream", "--available-now", "--bootstrap", bootstrap,
        "--checkpoint", str(tmp_path / "checkpoint"), "--lake-dir", str(tmp_path / "lake"),
    )  # fmt: skip


def test_every_entry_has_its_quoted_message() -> None:
    entries = troubleshooting_entries(GUIDE)
    assert all(e.symptom and e.cause and e.fix and e.message for e in entries)
    keys = [e.key for e in entries]
    assert len(keys) == len(set(keys))
    assert len({e.title for e in entries}) == 7  # seven failures, one quoted by two commands
    assert set(keys) == {
        "no-jdk",
        "port-taken",
        "broker-not-ready",
        "docker-memory",
        "docker-memory-doctor",
        "checkpoint-mismatch",
        "webhdfs-redirect",
        "python-mismatch",
    }


def test_no_jdk(tmp_path: Path, broker: str) -> None:
    printed = fmslab(*_stream(tmp_path, broker), env=_env(tmp_path, JAVA_HOME=str(tmp_path)))
    assert as_quoted(printed, TMP=str(tmp_path)) == quoted()["no-jdk"]


def test_port_taken(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = str(holder.getsockname()[1])
        printed = fmslab("up", env=_env(tmp_path, FMSLAB_API_PORT=port))
    assert as_quoted(printed, PORT=port) == quoted()["port-taken"]


def test_broker_not_ready(tmp_path: Path) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"  # nothing listens there (yet)
    printed = fmslab(*_stream(tmp_path, bootstrap), env=_env(tmp_path))
    assert as_quoted(printed, BOOTSTRAP=bootstrap) == quoted()["broker-not-ready"]


def test_checkpoint_mismatch(tmp_path: Path, broker: str) -> None:
    foreign = tmp_path / "checkpoint"  # Spark's layout as another query leaves it, no mark
    (foreign / "offsets").mkdir(parents=True)
    (foreign / "metadata").write_text('{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427"}\n')
    printed = fmslab(*_stream(tmp_path, broker), env=_env(tmp_path))
    assert as_quoted(printed, TMP=str(tmp_path)) == quoted()["checkpoint-mismatch"]


def test_python_mismatch(tmp_path: Path, broker: str) -> None:
    worker = tmp_path / "bin" / "python3.12"
    worker.parent.mkdir()
    worker.write_text('#!/bin/sh\n[ "$1" = --version ] && echo "Python 3.12.3" && exit 0\nexit 2\n')
    worker.chmod(0o755)
    env = _env(tmp_path, PYSPARK_PYTHON=str(worker))
    printed = fmslab(*_stream(tmp_path, broker), env=env)
    driver = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert as_quoted(printed, TMP=str(tmp_path), DRIVER=driver) == quoted()["python-mismatch"]


def test_webhdfs_redirect(tmp_path: Path) -> None:
    port, datanode_port, host = free_port(), free_port(), _unresolvable("datanode")
    cmd = [
        sys.executable, str(WEBHDFS_STANDIN), "--root", str(tmp_path / "hdfs"),
        "--port", str(port), "--datanode-port", str(datanode_port), "--datanode-host", host,
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    ready = http_ok(f"{url}/webhdfs/v1/?op=GETFILESTATUS")
    with (
        running("webhdfs", cmd, state_dir=tmp_path / "state", port=port, ready=ready),
        pytest.raises(LakeError) as err,
    ):
        HdfsLake(url, "/fms", timeout=10).create_new("raw/part-0.json", b"{}")
    # The guide names the stack's host, `datanode`; where it resolves the stand-in used another.
    message = f"LakeError: {err.value}".replace(host, "datanode")
    assert message == quoted()["webhdfs-redirect"]


def test_docker_memory(tmp_path: Path) -> None:
    port, memory_mib = free_port(), 2048  # Docker Desktop's default on many laptops
    bin_dir = tmp_path / "bin"
    write_cli(bin_dir, memory_mib)
    cmd = [
        sys.executable,
        str(DOCKER_STANDIN),
        "--port",
        str(port),
        "--memory-mib",
        str(memory_mib),
    ]
    ready = http_ok(f"http://127.0.0.1:{port}/_ping")
    needed = str(plan(load_stack(), []).memory_mib)
    env = _env(
        tmp_path,
        PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        DOCKER_HOST=f"tcp://127.0.0.1:{port}",
    )
    with running("docker-engine", cmd, state_dir=tmp_path / "state", port=port, ready=ready):
        assert wait_until(ready, 10)
        printed = fmslab("stack", "up", env=env)
    assert as_quoted(printed, NEEDED=needed) == quoted()["docker-memory"]


def test_a_mismatch_inside_a_running_query_gets_the_same_fix() -> None:
    # What a Spark cluster reports when a task's Python worker is another version (the text of
    # pyspark's PYTHON_VERSION_MISMATCH error class, inside the query's exception).
    from fmslab.streaming.failures import explain

    text = (
        "[STREAM_FAILED] Query terminated with exception: Job aborted.\nTraceback (most recent "
        'call last):\n  File "worker.py", line 1, in main\n'
        "pyspark.errors.exceptions.base.PySparkRuntimeError: [PYTHON_VERSION_MISMATCH] Python in "
        "worker has different version: 3.12 than that in driver: 3.11, PySpark cannot run with "
        "different minor versions.\nPlease check environment variables PYSPARK_PYTHON and "
        "PYSPARK_DRIVER_PYTHON are correctly set."
    )
    failure = explain(RuntimeError(text), bootstrap="b:1", checkpoint=Path("ck"))
    assert failure.cause.startswith("the workers' Python is 3.12, the driver's 3.11")
    assert failure.fix.startswith("unset PYSPARK_PYTHON")
    assert "unset PYSPARK_PYTHON" in quoted()["python-mismatch"]


def test_docker_memory_in_the_doctor(tmp_path: Path) -> None:
    from tests.docs.docker_standin import ENGINE_VERSION

    write_cli(tmp_path / "bin", 2048)  # the doctor asks the CLI: `docker info --format ...`
    env = _env(tmp_path, PATH=f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        fmslab_command("doctor", "--json"), capture_output=True, text=True, env=env, timeout=120
    )
    lines = [line.strip() for line in done.stdout.splitlines()]
    at = next(i for i, line in enumerate(lines) if line.startswith('"detail": "engine '))
    printed = "\n".join(lines[at : at + 2])
    needed = str(plan(load_stack(), []).memory_mib)
    assert (
        as_quoted(printed, ENGINE=ENGINE_VERSION, NEEDED=needed) == quoted()["docker-memory-doctor"]
    )
