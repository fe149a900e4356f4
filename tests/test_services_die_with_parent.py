"""Context-managed services die with the Python process that started them, even on SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from fmslab.services import Service, pid_alive, stop_service, wait_until

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only"
)

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]
# SIGTERM lets a service shut down cleanly; the simulator (uvicorn) needs ~0.2 s, over 1 s when
# four agents share two cores.
GRACE = 10.0

# The owner starts one service the way the course does, says so, then waits to be killed.
OWNER = textwrap.dedent(
    """
    import json, sys, threading, time
    from pathlib import Path

    state, ready, how, sleeper = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4:]
    if how == "broker":
        from fmslab.broker.embedded import embedded_broker
        block = embedded_broker(state_dir=state)
        block.__enter__()
    elif how == "notebook":
        from fmslab.notebook import start_fms_api
        api = start_fms_api(seed=1, devices=1)  # its scratch folder is under $TMPDIR
    elif how == "thread":
        from fmslab.services import running
        # Started from a short-lived thread that ends at once: PR_SET_PDEATHSIG follows the
        # thread that forked, so the service must not have been forked by this one.
        blocks = [running("sleeper", sleeper, state_dir=state)]  # kept: no exit on collection
        worker = threading.Thread(target=blocks[0].__enter__)
        worker.start()
        worker.join()
        time.sleep(1.0)  # long enough for a wrongly armed signal to have arrived
    elif how == "daemon":
        from fmslab.services import start_service
        start_service("sleeper", sleeper, state_dir=state)  # like `fmslab up`: outlives us
    ready.write_text("ready")
    time.sleep(600)
    """
)


def _services(root: Path) -> list[tuple[Service, Path]]:
    """Every service recorded under `root` with its state folder."""
    found = []
    for record in root.rglob("services/*.json"):
        found.append((Service(**json.loads(record.read_text())), record.parent.parent))
    return found


@pytest.fixture
def owner(tmp_path: Path) -> Iterator:
    """Start an owner process of a given kind; whatever it left is stopped by pid afterwards."""
    procs: list[subprocess.Popen] = []

    def start(how: str) -> tuple[subprocess.Popen, list[Service]]:
        ready = tmp_path / f"{how}.ready"
        proc = subprocess.Popen(
            [sys.executable, "-c", OWNER, str(tmp_path / "state"), str(ready), how, *SLEEPER],
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
        procs.append(proc)
        assert wait_until(lambda: ready.exists() or proc.poll() is not None, 60)
        assert proc.poll() is None, f"the owner exited with {proc.returncode}"
        services = [service for service, _ in _services(tmp_path)]
        assert len(services) == 1 and services[0].alive(), services
        return proc, services

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()
    for service, state in _services(tmp_path):
        stop_service(service, state)


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)  # no `finally`, no atexit: only the kernel can clean up
    proc.wait()


@pytest.mark.parametrize("how", ["broker", "notebook"])
def test_a_context_managed_service_dies_with_its_killed_owner(owner, how: str) -> None:
    proc, (service,) = owner(how)
    _kill(proc)
    assert wait_until(lambda: not pid_alive(service.pid), GRACE), (
        f"{service.name} outlived its owner"
    )


def test_a_service_started_from_a_thread_outlives_the_thread_not_the_owner(owner) -> None:
    proc, (service,) = owner("thread")
    assert service.alive()  # the starting thread has ended, the service runs on
    _kill(proc)
    assert wait_until(lambda: not pid_alive(service.pid), GRACE)


def test_a_daemon_outlives_its_owner_until_stopped_by_pid(owner, tmp_path: Path) -> None:
    proc, (service,) = owner("daemon")
    _kill(proc)
    assert not wait_until(lambda: not pid_alive(service.pid), 2.0)  # `fmslab up` semantics
    assert stop_service(service, tmp_path / "state")
    assert not pid_alive(service.pid)
