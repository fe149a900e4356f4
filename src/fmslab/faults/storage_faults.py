"""The lake made unwritable for the fault's duration.

`chmod` is what a full or read-only disk looks like, but root ignores permissions (this course's
containers and CI often run as root: `os.geteuid() == 0`), so the fault replaces the processed
zone's directory by a regular file instead (the directory is moved aside, then put back): every
write under it fails with "not a directory" for any user. The collector's landing archive (a
sibling folder) is untouched: it must keep accepting readings meanwhile.

Detect: from the injection to the stream job's first failed health check or log line about the
write; recover: from the lake's repair to every service healthy and a reading collected after the
repair readable in the lake (the runner restarts a stream job that stopped on the failed batch:
`fmslab up` does not supervise, an operator does).
"""

from __future__ import annotations

import time
from pathlib import Path

from fmslab.faults.context import FaultContext, Outcome
from fmslab.services import pid_alive

ZONE = "processed"


def break_zone(lake_dir: Path, zone: str = ZONE) -> Path:
    """Move the zone's directory aside and put a file in its place; returns where it went."""
    folder = Path(lake_dir) / zone
    aside = folder.with_name(f".{zone}.unwritable")
    folder.mkdir(parents=True, exist_ok=True)
    folder.rename(aside)
    folder.write_text("fmslab faults: this zone is unwritable on purpose (lake-unwritable)\n")
    return aside


def repair_zone(lake_dir: Path, aside: Path, zone: str = ZONE) -> None:
    """Undo `break_zone`."""
    folder = Path(lake_dir) / zone
    folder.unlink()
    aside.rename(folder)


def lake_unwritable(ctx: FaultContext) -> Outcome:
    """Replace the processed zone by a file for the fault's duration, then repair it."""
    lake_dir = Path(ctx.settings.lake_dir or "lake")
    injected = time.monotonic()
    aside = break_zone(lake_dir)
    try:
        ctx.hold(ctx.seconds)
    finally:
        repair_zone(lake_dir, aside)
    ended = time.monotonic()
    line = ctx.logs.first_matching(injected, r"not a directory|cannot write|lake")
    unhealthy = ctx.health.first_unhealthy(injected, ("stream",))
    found = [m for m in (unhealthy, line.at if line else None) if m is not None]
    stream = ctx.service("stream")
    stopped = not pid_alive(stream.pid)
    if stopped:
        ctx.restart("stream", stream)
    recovered = ctx.wait_recovered(ended)
    facts = {"stream_stopped": stopped, "method": "zone directory replaced by a file"}
    return Outcome(injected, ended, min(found) if found else None, recovered, facts)
