"""The embedded pipeline as managed background services: `fmslab up|down|status`.

Four services, each a `python -m fmslab ...` subprocess (the broker: the Tansu binary) recorded by
`fmslab.services` under the state directory, started in this order and stopped in reverse:

    api        the FMS API simulator          health: GET /healthz answers 2xx
    broker     Tansu (topics created)         health: the Kafka port accepts connections
    stream     `fmslab stream` (Spark)        health: alive and its checkpoint started
    collector  `fmslab collect` + /metrics    health: GET /metrics answers 2xx

The stream job starts before the collector and `up` waits until it has committed its first
micro-batch (`stream_ready`), so no reading waits for Spark's start-up. Each `up`
starts a fresh (memory-only) broker, so it gives the stream job a fresh checkpoint too: an old
checkpoint would be ahead of the new broker's offsets. Ports come from the settings (FMSLAB_*).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fmslab.config import Settings
from fmslab.services import (
    Service,
    ServiceError,
    fmslab_command,
    http_ok,
    port_open,
    read_service,
    start_service,
    stop_service,
    wait_until,
)

ORDER = ("api", "broker", "stream", "collector")
STREAM_START_TIMEOUT = 120.0


@dataclass
class PipelineOptions:
    """What the embedded pipeline runs: devices, poll interval, faults, stream trigger."""

    devices: int = 5
    interval: float = 10.0
    faults: str = "default"
    trigger: str = "1s"
    wait_for_stream: bool = True  # False: start Spark and go on (the caller waits, or not)
    polls: int | None = None  # the collector stops after this many polls per device (a plan)


def archive_dir(settings: Settings) -> Path:
    """The collector's landing archive (as `CollectorConfig.from_settings` places it)."""
    return Path(settings.lake_dir or "lake") / "landing"


def _state(settings: Settings) -> Path:
    return Path(settings.state_dir or ".fmslab")


def service_env(settings: Settings) -> dict[str, str]:
    """FMSLAB_* variables that give a child process these settings (its own folders, ports)."""
    env = {
        "FMSLAB_MODE": settings.mode,
        "FMSLAB_HOST": settings.host,
        "FMSLAB_API_PORT": str(settings.api_port),
        "FMSLAB_BROKER_PORT": str(settings.broker_port),
        "FMSLAB_METRICS_PORT": str(settings.metrics_port),
        "FMSLAB_STREAM_METRICS_PORT": str(settings.stream_metrics_port),
        "FMSLAB_SEED": str(settings.seed),
    }
    for name in ("state_dir", "lake_dir", "reports_dir", "log_dir"):
        value = getattr(settings, name)
        if value is not None:
            env[f"FMSLAB_{name.upper()}"] = str(Path(value).resolve())
    if settings.spark_master:  # the stream job's executors on a standalone cluster
        env["FMSLAB_SPARK_MASTER"] = settings.spark_master
    return env


def _checkpoint_started(checkpoint: Path) -> bool:
    return (checkpoint / "metadata").is_file()


def _batch_ids(folder: Path) -> list[int]:
    return [int(p.name) for p in folder.glob("*") if p.name.isdigit()] if folder.is_dir() else []


def stream_checkpoint(service: Service) -> Path:
    """The checkpoint directory of a recorded stream job."""
    return Path(service.cmd[service.cmd.index("--checkpoint") + 1])


def stream_idle(service: Service) -> bool:
    """Whether the stream job committed every batch it planned (none is being written)."""
    checkpoint = stream_checkpoint(service)
    planned = _batch_ids(checkpoint / "offsets")
    return max(planned, default=-1) == max(_batch_ids(checkpoint / "commits"), default=-1)


def first_batch_committed(checkpoint: Path) -> bool:
    """Whether a stream job with this checkpoint has committed a micro-batch (Spark is up and
    has read the topic once; the first batch runs even when the topic is empty)."""
    return bool(_batch_ids(checkpoint / "commits"))


def stream_ready(service: Service) -> bool:
    """Whether a recorded stream job has committed its first micro-batch."""
    return first_batch_committed(stream_checkpoint(service))


def _health(name: str, service: Service) -> bool:
    """Whether a recorded service is alive and answers its health check."""
    if not service.alive():
        return False
    try:
        if name == "api":
            return http_ok(f"{service.url}/healthz")()
        if name == "broker":
            return port_open(int(service.port or 0))()
        if name == "collector":
            return http_ok(f"{service.url}/metrics")()
    except Exception:  # a refused or slow health check means unhealthy, not a crash
        return False
    return _checkpoint_started(stream_checkpoint(service))


def _start_api(settings: Settings, options: PipelineOptions) -> Service:
    url = f"http://{settings.host}:{settings.api_port}"
    cmd = fmslab_command(
        "api",
        "--port", str(settings.api_port),
        "--seed", str(settings.seed),
        "--devices", str(options.devices),
        "--interval", str(options.interval),
        "--faults", options.faults,
        "--clock", "realtime",
        "--log-dir", str(Path(settings.log_dir or _state(settings) / "log") / "api"),
    )  # fmt: skip
    return start_service(
        "api", cmd, state_dir=_state(settings), port=settings.api_port, url=url,
        ready=http_ok(f"{url}/healthz"), timeout=60, env=service_env(settings),
    )  # fmt: skip


def _start_broker(settings: Settings, _options: PipelineOptions) -> Service:
    from fmslab.broker.embedded import start_broker
    from fmslab.broker.topics import create_topics

    service = start_broker(settings.broker_port, state_dir=_state(settings))
    create_topics(f"{settings.host}:{settings.broker_port}")
    return service


def _start_stream(settings: Settings, options: PipelineOptions) -> Service:
    # A fresh checkpoint per broker lifetime (see the module docstring).
    checkpoint = _state(settings) / "checkpoints" / f"stream-{int(time.time() * 1000)}"
    cmd = fmslab_command(
        "stream",
        "--bootstrap", f"{settings.host}:{settings.broker_port}",
        "--checkpoint", str(checkpoint),
        "--lake-dir", str(settings.lake_dir),
        "--trigger", options.trigger,
    )  # fmt: skip
    return start_service(
        "stream", cmd, state_dir=_state(settings),
        ready=(lambda: first_batch_committed(checkpoint)) if options.wait_for_stream else None,
        timeout=STREAM_START_TIMEOUT, env=service_env(settings),
    )  # fmt: skip


def _start_collector(settings: Settings, options: PipelineOptions) -> Service:
    url = f"http://{settings.host}:{settings.metrics_port}"
    cmd = fmslab_command(
        "collect",
        "--api", f"http://{settings.host}:{settings.api_port}",
        "--bootstrap", f"{settings.host}:{settings.broker_port}",
        "--devices", str(options.devices),
        "--interval", str(options.interval),
        "--metrics-port", str(settings.metrics_port),
        "--archive-dir", str(archive_dir(settings)),
        "--seed", str(settings.seed),
        *(("--polls", str(options.polls)) if options.polls else ()),
    )  # fmt: skip
    return start_service(
        "collector", cmd, state_dir=_state(settings), port=settings.metrics_port, url=url,
        ready=http_ok(f"{url}/metrics"), timeout=60, env=service_env(settings),
    )  # fmt: skip


_STARTERS = {
    "api": _start_api,
    "broker": _start_broker,
    "stream": _start_stream,
    "collector": _start_collector,
}


def up(
    settings: Settings, options: PipelineOptions | None = None, names: tuple[str, ...] = ORDER
) -> list[Service]:
    """Start the services `names` (default: all) in order and wait until each is healthy.

    Raises `ServiceError` when one is already running or fails to start; whatever this call
    started is stopped again first, so a failed `up` leaves nothing behind.
    """
    options = options or PipelineOptions()
    unknown = [name for name in names if name not in ORDER]
    if unknown:
        raise ServiceError(f"unknown services: {', '.join(unknown)} (known: {', '.join(ORDER)})")
    names = tuple(name for name in ORDER if name in names)
    running = [name for name in names if (s := read_service(name, _state(settings))) and s.alive()]
    if running:
        raise ServiceError(f"already running: {', '.join(running)}; run `fmslab down` first")
    started: list[Service] = []
    try:
        for name in names:
            started.append(_STARTERS[name](settings, options))
    except Exception:
        for service in reversed(started):
            stop_service(service, _state(settings))
        raise
    return started


def restart(settings: Settings, name: str, service: Service | None = None) -> Service:
    """Start a stopped (or killed) service again with its recorded command line (or `service`'s,
    when its record is gone). The stream job resumes from its checkpoint; the broker comes back
    empty, with its topics.
    """
    state = _state(settings)
    service = service or read_service(name, state)
    if service is None:
        raise ServiceError(f"no {name} service was recorded under {state}")
    stop_service(service, state)  # clears the record (and the process, if it still runs)
    if name == "broker":
        return _start_broker(settings, PipelineOptions())
    ready = {
        "api": http_ok(f"{service.url}/healthz"),
        "collector": http_ok(f"{service.url}/metrics"),
    }.get(name, lambda: True)
    return start_service(
        name, service.cmd, state_dir=state, port=service.port, url=service.url,
        ready=ready, timeout=60, env=service_env(settings),
    )  # fmt: skip


def down(settings: Settings, timeout: float = 20.0, names: tuple[str, ...] = ORDER) -> list[str]:
    """Stop every recorded service (or those in `names`) by pid, in reverse order; returns the
    names that ran. Stopping only the collector and the api keeps Spark up for the next load.

    The collector flushes its producer and archive on SIGTERM; Spark's batch in flight is
    replayed from the checkpoint on the next start.
    """
    stopped = []
    for name in (name for name in reversed(ORDER) if name in names):
        service = read_service(name, _state(settings))
        if service is not None and stop_service(service, _state(settings), timeout=timeout):
            stopped.append(name)
    return stopped


def status(settings: Settings) -> list[dict[str, Any]]:
    """Per service: name, pid, port, alive, healthy (None fields when it was never started)."""
    rows = []
    for name in ORDER:
        service = read_service(name, _state(settings))
        if service is None:
            rows.append({"name": name, "pid": None, "port": None, "alive": False, "healthy": False})
            continue
        rows.append(
            {
                "name": name,
                "pid": service.pid,
                "port": service.port,
                "alive": service.alive(),
                "healthy": _health(name, service),
                "log": service.log,
            }
        )
    return rows


def wait_healthy(settings: Settings, timeout: float = 30.0) -> bool:
    """Wait until every service is healthy."""
    return wait_until(lambda: all(row["healthy"] for row in status(settings)), timeout, 0.5)
