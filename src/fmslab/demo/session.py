"""The demo's session: start the embedded pipeline (and monitoring where installed), walk the
steps, stop everything by pid at the end, also on Ctrl-C or an error."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from fmslab.config import Settings
from fmslab.demo.preflight import DemoError, check_jdk, check_ports
from fmslab.demo.running import Demo, DemoOptions, DemoRecord
from fmslab.demo.script import SCRIPT
from fmslab.demo.step import Step, show
from fmslab.services import ServiceError

__all__ = ["DemoError", "DemoOptions", "DemoRecord", "Demo", "run_demo"]


STEPS = tuple(SCRIPT)


def _step_functions() -> dict[str, Callable[[Demo, int], Step]]:
    from fmslab.demo import alert, collection, health, lake, quality, stream, topic

    modules = {"health": health, "collection": collection, "topic": topic, "stream": stream,
               "lake": lake, "quality": quality, "alert": alert}  # fmt: skip
    return {key: modules[key].show for key in STEPS}


def run_demo(
    settings: Settings,
    options: DemoOptions | None = None,
    console: Console | None = None,
    record: Path | None = None,
) -> DemoRecord:
    """Run the walkthrough; with `record` also write it as HTML and JSON (`record` names the
    HTML; the JSON beside it). Raises DemoError (two lines) when it cannot start."""
    options = options or DemoOptions()
    console = console or Console()
    check_ports(settings)
    java = check_jdk()
    began = time.monotonic()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    summary = {k: getattr(options, k) for k in ("duration", "devices", "interval", "faults")}
    result = DemoRecord(started, summary | {"seed": settings.seed, "java": java})
    console.print(
        f"fmslab demo: {options.devices} devices every {options.interval:g} s, "
        f"faults={options.faults}, seed={settings.seed}"
    )
    demo = Demo(settings, options, console)
    try:
        try:
            mark = time.monotonic()
            demo.start()
            result.phases["start"] = round(time.monotonic() - mark, 1)
        except ServiceError as err:
            first = str(err).splitlines()[0]
            fix = "fix: read the log it names; `fmslab doctor` checks the machine"
            raise DemoError(f"{first}\n{fix}") from err
        for number, (key, function) in enumerate(_step_functions().items(), start=1):
            mark = time.monotonic()
            step = function(demo, number)
            result.phases[key] = round(time.monotonic() - mark, 1)
            show(console, step)
            result.steps.append(step)
    finally:
        demo.stop()
    result.seconds = round(time.monotonic() - began, 1)
    console.print(f"demo done in {result.seconds:.1f} s; every service stopped")
    if record is not None:
        from fmslab.demo.record import write_record

        html, data = write_record(result, record)
        console.print(f"recorded: {html} and {data}")
    return result
