"""The `fmslab api` command: run the simulated FMS API."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from fmslab.simulator.clock import DEFAULT_START


class ClockChoice(StrEnum):
    """How reading times advance."""

    realtime = "realtime"
    virtual = "virtual"


def api(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(9872, help="Port to listen on."),
    devices: int = typer.Option(5, min=1, max=100_000, help="Devices 1..N (6+ are derived)."),
    seed: int | None = typer.Option(
        None, min=0, max=2**63 - 1, help="Random seed (default: the settings' seed)."
    ),
    interval: float = typer.Option(10.0, min=0.001, help="Seconds between readings of a device."),
    faults: str = typer.Option(
        "none",
        help="Fault profiles, comma-separated: none, default, episodes, latency, errors, "
        "malformed, missing, types, duplicates, disorder, skew, chaos "
        "(data/fault_profiles.yaml).",
    ),
    clock: ClockChoice = typer.Option(
        ClockChoice.realtime,
        help="realtime: the slot of the wall clock (same reading within an interval); "
        "virtual: each GET serves a device's next slot, starting at --start.",
    ),
    start: str = typer.Option(DEFAULT_START, help="Time of slot 0 with the virtual clock."),
    log_dir: Path | None = typer.Option(
        None, help="Access and per-device data logs (default: <settings.log_dir>/api)."
    ),
) -> None:
    """Run the simulated FMS API: GET /{DeviceId}/ returns one sensor reading."""
    import uvicorn

    from fmslab.config import load_settings
    from fmslab.simulator.app import create_app
    from fmslab.simulator.faults import FaultProfileError
    from fmslab.simulator.fleet import SimulatorConfig

    settings = load_settings()
    try:
        config = SimulatorConfig(
            seed=settings.seed if seed is None else seed,
            devices=devices,
            interval=interval,
            faults=faults,
            clock=clock.value,
            start=start,
        )
        app = create_app(config, log_dir or Path(settings.log_dir) / "api")
    except (ValueError, FaultProfileError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(
        f"FMS API simulator on http://{host}:{port} ({devices} devices, seed {config.seed}, "
        f"clock {config.clock}, faults {config.faults})"
    )
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `fmslab` command."""
    app.command("api")(api)
