"""Background services the course starts (simulator, broker, collector, ...), managed by pid.

Every service started here records its pid, port and log file in a state directory, waits until it
is ready, and is stopped by pid (its whole process group), so nothing is left running.

A service that belongs to a `with` block (`running`, the embedded broker, the notebook helpers)
also dies with the Python process that started it, even when that process is SIGKILLed and its
`finally` never runs (a notebook kernel killed from the UI): on Linux the child asks the kernel
for SIGTERM when its parent dies (`prctl(PR_SET_PDEATHSIG)`). Daemons of `fmslab up` must outlive
the command that started them, so they do not. Elsewhere (macOS, Windows) the option does nothing.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import json
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST_PORT = 10_000


def _ephemeral_low() -> int:
    """The first port of the range the system hands out to sockets bound to port 0."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 49_152  # the IANA dynamic range, which macOS and Windows use


def _can_bind(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on `host`.

    Chosen below the system's ephemeral range: a port from that range can be handed to any
    socket bound to port 0 (Spark's JVM binds several) between this call and the start of the
    service that was given it, which then finds it taken."""
    low = _ephemeral_low()
    if low > _LOWEST_PORT + 1000:
        rng = random.SystemRandom()  # ports, not data: distinct across processes, not seeded
        for _ in range(200):
            port = rng.randrange(_LOWEST_PORT, low)
            if _can_bind(host, port):
                return port
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


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _parent_death_hook() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child get SIGTERM when this process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved here, not in the forked child
    parent = os.getpid()

    def die_with_parent() -> None:
        if prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            os._exit(126)  # pragma: no cover - only an invalid signal number fails
        if os.getppid() != parent:  # the parent died before prctl: nobody will signal us
            os._exit(1)

    return die_with_parent


# PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not the process
# (prctl(2): "the 'parent' in this case is considered to be the thread that created this
# process"). A service started from a short-lived thread (a thread pool, a test helper) would be
# killed with that thread, so such starts are handed to one daemon thread that lives as long as
# the process. The main thread lives as long as the process too, so it starts its own.
_spawn_requests: queue.SimpleQueue[tuple[concurrent.futures.Future, dict]] = queue.SimpleQueue()
_spawner_lock = threading.Lock()
_spawner: threading.Thread | None = None


def _spawner_loop() -> None:
    while True:
        future, kwargs = _spawn_requests.get()
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(subprocess.Popen(**kwargs))
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                future.set_exception(exc)


def _popen_from_long_lived_thread(**kwargs: object) -> subprocess.Popen:
    global _spawner
    if threading.current_thread() is threading.main_thread():
        return subprocess.Popen(**kwargs)  # type: ignore[call-overload]
    with _spawner_lock:
        if _spawner is None or not _spawner.is_alive():
            _spawner = threading.Thread(target=_spawner_loop, name="fmslab-spawner", daemon=True)
            _spawner.start()
    future: concurrent.futures.Future = concurrent.futures.Future()
    _spawn_requests.put((future, kwargs))
    return future.result()


def _popen(cmd: list[str], *, die_with_parent: bool, **kwargs: object) -> subprocess.Popen:
    hook = _parent_death_hook() if die_with_parent else None
    if hook is None:
        return subprocess.Popen(cmd, **kwargs)  # type: ignore[call-overload]
    return _popen_from_long_lived_thread(args=cmd, preexec_fn=hook, **kwargs)


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
    die_with_parent: bool = False,
) -> Service:
    """Start `cmd` in the background, record it under `state_dir`, and wait until `ready()`.

    With `die_with_parent` the service gets SIGTERM when this Python process dies, however it
    dies (Linux; see the module's docstring): for services owned by a `with` block, never for
    daemons that must outlive their command.
    """
    state = _state_file(state_dir, name)
    existing = read_service(name, state_dir)
    if existing and existing.alive():
        raise ServiceError(f"{name} already runs (pid {existing.pid}); stop it first")
    if port is not None and port_in_use(port):
        raise ServiceError(
            f"port {port} is already in use, so {name} cannot start\n"
            f"fix: stop what listens there (`fmslab down`; `ss -ltnp 'sport = :{port}'` names it) "
            "or move the service to another port (FMSLAB_*_PORT in .env)"
        )
    log_path = Path(state_dir) / "log" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    state.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        proc = _popen(
            list(cmd),
            die_with_parent=die_with_parent,
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
    name: str,
    cmd: Sequence[str],
    *,
    state_dir: Path,
    die_with_parent: bool = True,
    **kwargs: object,
) -> Iterator[Service]:
    """Run a service for the length of a `with` block, and stop it by pid afterwards.

    It also dies with this process when the block never ends (the process is killed), unless
    `die_with_parent=False`.
    """
    service = start_service(
        name, cmd, state_dir=state_dir, die_with_parent=die_with_parent, **kwargs
    )  # type: ignore[arg-type]
    try:
        yield service
    finally:
        stop_service(service, state_dir)


def fmslab_command(*args: str) -> list[str]:
    """The command line that runs `fmslab ARGS` with this interpreter."""
    return [sys.executable, "-m", "fmslab", *args]


class MetricsEndpoint:
    """A Prometheus registry served over HTTP; subclasses set `self.registry` in `__init__`."""

    registry: Any
    _server: Any = None

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Serve /metrics on `host`:`port` (0: a free port); returns the port."""
        from prometheus_client import start_http_server

        self._server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return int(self._server.server_address[1])

    def close(self) -> None:
        """Stop the HTTP server, if one runs."""
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.shutdown()
                self._server.server_close()
            self._server = None
