"""Run the simulator as a background process for the length of a `with` block (notebooks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fmslab.services import fmslab_command, free_port, http_ok, running

START_TIMEOUT = 60.0


def simulator_command(
    port: int,
    *,
    seed: int,
    devices: int = 5,
    interval: float = 10.0,
    faults: str = "none",
    clock: str = "virtual",
    log_dir: Path | None = None,
    start: str | None = None,
) -> list[str]:
    """The `fmslab api` command line for these settings."""
    args = [
        "api",
        "--port", str(port),
        "--seed", str(seed),
        "--devices", str(devices),
        "--interval", str(interval),
        "--faults", faults,
        "--clock", clock,
    ]  # fmt: skip
    if log_dir is not None:
        args += ["--log-dir", str(log_dir)]
    if start is not None:
        args += ["--start", start]
    return fmslab_command(*args)


@contextmanager
def simulator(
    port: int | None = None,
    *,
    seed: int,
    devices: int = 5,
    interval: float = 10.0,
    faults: str = "none",
    clock: str = "virtual",
    state_dir: Path,
    log_dir: Path | None = None,
    start: str | None = None,
) -> Iterator[str]:
    """Start `fmslab api` on `port` (a free one when None), yield its base URL, stop it by pid."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = simulator_command(
        port,
        seed=seed,
        devices=devices,
        interval=interval,
        faults=faults,
        clock=clock,
        log_dir=log_dir,
        start=start,
    )
    with running(
        f"api-{port}",
        cmd,
        state_dir=Path(state_dir),
        port=port,
        url=url,
        ready=http_ok(f"{url}/healthz"),
        timeout=START_TIMEOUT,
    ):
        yield url
