"""Background services the course starts (simulator, broker, collector, ...), managed by pid.

Every service started here records its pid, port and log file in a state directory, waits until it
is ready, and is stopped by pid (its whole process group), so nothing is left running.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx


class ServiceError(RuntimeError):
    """A service could not be started, reached or stopped."""


@dataclass
class Service:
    """A running background process started by the course."""

    name: str
    pid: int
    cmd: list[str]
    log: str
    port: int | None = None
    url: str | None = None

    def alive(self) -> bool:
        """Whether the process still runs (and is not a zombie)."""
        return pid_alive(self.pid)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    """Whether `pid` is a live process (zombies count as dead)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        with contextlib.suppress(OSError, IndexError):
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll `check` until it returns True or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return True
        time.sleep(interval)
    return False


def http_ok(url: str) -> Callable[[], bool]:
    """A readiness check: `url` answers with a 2xx status."""

    def check() -> bool:
        return httpx.get(url, timeout=1.0).is_success

    return check


def port_open(port: int, host: str = "127.0.0.1") -> Callable[[], bool]:
    """A readiness check: something listens on host:port."""
    return lambda: port_in_use(port, host)


def _state_file(state_dir: Path, name: str) -> Path:
    return Path(state_dir) / "services" / f"{name}.json"


def start_service(
    name: str,
    cmd: Sequence[str],
    *,
    state_dir: Path,
    ready: Callable[[], bool] | None = None,
    port: int | None = None,
    url: str | None = None,
    timeout: float = 30.0,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Service:
    """Start `cmd` in the background, record it under `state_dir`, and wait until `ready()`."""
    state = _state_file(state_dir, name)
    existing = read_service(name, state_dir)
    if existing and existing.alive():
        raise ServiceError(f"{name} already runs (pid {existing.pid}); stop it first")
    if port is not None and port_in_use(port):
        raise ServiceError(f"port {port} is already in use; pick another port for {name}")
    log_path = Path(state_dir) / "log" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    state.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(cmd),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so stop() reaches its children
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
    service = Service(name, proc.pid, list(cmd), str(log_path), port, url)
    state.write_text(json.dumps(asdict(service)))
    if ready is not None and not wait_until(lambda: proc.poll() is None and ready(), timeout):
        tail = log_tail(log_path)
        stop_service(service, state_dir)
        raise ServiceError(f"{name} did not become ready within {timeout:.0f}s. Log tail:\n{tail}")
    return service


def log_tail(path: Path | str, lines: int = 20) -> str:
    """The last lines of a log file (empty when it does not exist)."""
    with contextlib.suppress(OSError):
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    return ""


def read_service(name: str, state_dir: Path) -> Service | None:
    """The recorded service `name`, or None when none was started."""
    state = _state_file(state_dir, name)
    if not state.is_file():
        return None
    try:
        return Service(**json.loads(state.read_text()))
    except (ValueError, TypeError):
        return None


def stop_service(service: Service | str, state_dir: Path, timeout: float = 10.0) -> bool:
    """Stop a service by pid: SIGTERM to its group, SIGKILL after `timeout`. True if it ran."""
    if isinstance(service, str):
        found = read_service(service, state_dir)
        if found is None:
            return False
        service = found
    was_alive = service.alive()
    if was_alive:
        _signal_group(service.pid, signal.SIGTERM)
        if not wait_until(lambda: not service.alive(), timeout):
            _signal_group(service.pid, signal.SIGKILL)
            wait_until(lambda: not service.alive(), 5.0)
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(service.pid, os.WNOHANG)  # reap it if it is our child
    _state_file(state_dir, service.name).unlink(missing_ok=True)
    return was_alive


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


@contextlib.contextmanager
def running(
    name: str, cmd: Sequence[str], *, state_dir: Path, **kwargs: object
) -> Iterator[Service]:
    """Run a service for the length of a `with` block, and stop it by pid afterwards."""
    service = start_service(name, cmd, state_dir=state_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield service
    finally:
        stop_service(service, state_dir)


def fmslab_command(*args: str) -> list[str]:
    """The command line that runs `fmslab ARGS` with this interpreter."""
    return [sys.executable, "-m", "fmslab", *args]
