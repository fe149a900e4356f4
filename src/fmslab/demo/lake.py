"""Step 5: the lake: Parquet files and rows per zone (HDFS layout, local folder here)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fmslab.demo.step import Step
from fmslab.lake.zones import READING_ZONES

if TYPE_CHECKING:
    from fmslab.demo.running import Demo

ZONES = ("processed", "alerts", "quarantine", "aggregates", "quality")


def show(demo: Demo, number: int) -> Step:
    """Files and rows of every zone, read back with `fmslab.lake`."""
    from fmslab.lake.records import read_zone
    from fmslab.lake.storage import open_lake

    step = Step.of(number, "lake")
    lake, root = open_lake(demo.settings), Path(demo.settings.lake_dir or "lake")
    zones, frames = {}, {}
    for zone in ZONES:
        files = len(list((root / zone).glob("**/*.parquet")))
        frames[zone] = read_zone(lake, zone)
        zones[zone] = {"files": files, "rows": len(frames[zone])}
        step.rows.append((zone, f"{len(frames[zone])} rows in {files} files"))
    step.figures["zones"] = zones
    stored = sum(zones[z]["rows"] for z in READING_ZONES)
    step.add("readings stored (reading zones)", stored, key="stored")
    # A reading polled twice (same device and time) is stored once and counted as a duplicate.
    quality = frames["quality"]
    dropped = int(quality["duplicates"].sum()) if "duplicates" in quality.columns else 0
    step.add("duplicates dropped (quality reports)", dropped, key="duplicates")
    step.add("stored + dropped", stored + dropped, key="accounted")
    return step
