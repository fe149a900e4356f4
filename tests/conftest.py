"""Shared fixtures: free ports, a private state directory, services stopped by pid afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fmslab.broker.embedded import embedded_broker
from fmslab.services import Service, free_port, http_ok, start_service, stop_service
from fmslab.simulator.process import simulator_command

StartService = Callable[..., Service]


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A private state directory (pids, logs) for the services one test starts."""
    path = tmp_path / "state"
    path.mkdir()
    return path


@pytest.fixture
def services(state_dir: Path) -> Iterator[StartService]:
    """Start background services for one test; every one is stopped by pid when the test ends."""
    started: list[Service] = []

    def start(name: str, cmd: list[str], **kwargs: object) -> Service:
        service = start_service(name, cmd, state_dir=state_dir, **kwargs)  # type: ignore[arg-type]
        started.append(service)
        return service

    yield start
    for service in reversed(started):
        stop_service(service, state_dir)


@pytest.fixture
def start_simulator(services: StartService, tmp_path: Path) -> Callable[..., str]:
    """Start `fmslab api` on a free port; returns its base URL. Options map to CLI flags."""

    def start(
        *,
        seed: int = 7,
        devices: int = 5,
        interval: float = 10.0,
        faults: str = "none",
        clock: str = "virtual",
        extra: tuple[str, ...] = (),
    ) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = simulator_command(
            port,
            seed=seed,
            devices=devices,
            interval=interval,
            faults=faults,
            clock=clock,
            log_dir=tmp_path / f"api-{port}-log",
        )
        cmd += list(extra)
        services(f"api-{port}", cmd, port=port, ready=http_ok(f"{url}/healthz"), timeout=30)
        return url

    return start


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """Bootstrap address of a fresh Tansu broker (memory storage), stopped by pid afterwards."""
    state = tmp_path / "broker-state"
    state.mkdir()
    with embedded_broker(state_dir=state) as bootstrap:
        yield bootstrap
