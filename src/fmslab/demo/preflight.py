"""Checks before anything starts, so a demo fails in two lines instead of half-way through."""

from __future__ import annotations

from fmslab.config import Settings
from fmslab.services import port_in_use


class DemoError(RuntimeError):
    """The demo cannot run; the message is two lines: the cause, then the fix."""


def ports(settings: Settings) -> dict[str, int]:
    """The fixed ports the demo's services bind (the rest are free ports picked at start)."""
    return {
        "FMS API": settings.api_port,
        "broker": settings.broker_port,
        "collector metrics": settings.metrics_port,
        "stream metrics": settings.stream_metrics_port,
    }


def check_ports(settings: Settings) -> None:
    """Raise DemoError naming the first port already taken and the variable that moves it."""
    variables = {
        "FMS API": "FMSLAB_API_PORT",
        "broker": "FMSLAB_BROKER_PORT",
        "collector metrics": "FMSLAB_METRICS_PORT",
        "stream metrics": "FMSLAB_STREAM_METRICS_PORT",
    }
    for name, port in ports(settings).items():
        if port and port_in_use(port, settings.host):
            raise DemoError(
                f"port {port} ({name}) is already in use on {settings.host}\n"
                f"fix: stop what uses it (`fmslab down`, `fmslab status`) or set "
                f"{variables[name]} to a free port"
            )


def check_jdk() -> str:
    """The JDK Spark will use, or DemoError with the fix."""
    from fmslab.streaming.session import JavaNotFoundError, check_java

    try:
        return check_java()
    except JavaNotFoundError as err:
        cause = str(err).split(". ", 1)[0]
        raise DemoError(
            f"{cause}: the stream job (Spark) needs a JDK 17 or 21\n"
            "fix: `sudo apt-get install openjdk-17-jdk` (or conda `openjdk=17`), set JAVA_HOME; "
            "`fmslab doctor` checks it"
        ) from err
