"""Commands of the lake area: `fmslab lake ls|du|cat|compact|retention`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from fmslab.lake.storage import Lake, LakeError

lake_app = typer.Typer(
    help="The data lake: zones, partitions, records, compaction, retention.",
    no_args_is_help=True,
)

LAKE_DIR = typer.Option(
    None, "--lake-dir", help="Use this local lake directory (default: settings; HDFS on the stack)."
)
AS_JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
NOW = typer.Option(None, "--now", help="Take this ISO time as now (default: the current time).")
DRY_RUN = typer.Option(False, "--dry-run", help="Only report what would be done.")
ZONES = typer.Argument(None, help="Zones to process (default: all).", show_default=False)


def _open(lake_dir: Path | None) -> Lake:
    from fmslab.lake.local import LocalLake
    from fmslab.lake.storage import open_lake

    return LocalLake(lake_dir) if lake_dir is not None else open_lake()


@contextmanager
def _lake_errors() -> Iterator[None]:
    try:
        yield
    except LakeError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err


def _emit(rows: list[dict[str, Any]], as_json: bool, title: str, footer: str = "") -> None:
    if as_json:
        typer.echo(json.dumps(rows, indent=2, default=str))
        return
    console = Console(width=160)
    if not rows:
        console.print(f"{title}: nothing to show")
        if footer:
            console.print(footer)
        return
    table = Table(title=title)
    for column in rows[0]:
        numeric = isinstance(rows[0][column], int | float)
        table.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(str(value) for value in row.values()))
    console.print(table)
    if footer:
        console.print(footer)


def _zones(names: list[str] | None) -> list[str]:
    from fmslab.lake.zones import default_policy

    policy = default_policy()
    return [policy.zone(name).name for name in names] if names else list(policy.zones)


@lake_app.command("ls")
def ls(
    target: str = typer.Argument(
        None,
        help="A zone, a path inside one (processed/device_id=1) or any lake folder; "
        "default: every zone.",
    ),
    lake_dir: Path | None = LAKE_DIR,
    as_json: bool = AS_JSON,
) -> None:
    """List zones (partitions, files, bytes) or the hour partitions of a zone."""
    from fmslab.lake.partitions import list_partitions
    from fmslab.lake.storage import clean_path
    from fmslab.lake.zones import default_policy

    with _lake_errors():
        lake = _open(lake_dir)
        if not target:
            rows = []
            for zone in default_policy().zones.values():
                parts = list_partitions(lake, zone)
                rows.append(
                    {
                        "zone": zone.name,
                        "partitions": len(parts),
                        "files": sum(len(p.files) for p in parts),
                        "bytes": sum(p.bytes for p in parts),
                        "retention_days": zone.retention_days,
                    }
                )
            _emit(rows, as_json, f"lake {lake.location}")
            return
        prefix = clean_path(target)
        if prefix.split("/", 1)[0] not in default_policy().zones:
            # Not a zone (a folder made in chapter 6, say): list it like `hdfs dfs -ls`.
            rows = [asdict(entry) for entry in lake.ls(prefix)]
            _emit(rows, as_json, f"{prefix} in {lake.location}")
            return
        zone = default_policy().zone(prefix.split("/", 1)[0])
        parts = [
            p for p in list_partitions(lake, zone) if f"{p.directory}/".startswith(f"{prefix}/")
        ]
        rows = [{"partition": p.directory, "files": len(p.files), "bytes": p.bytes} for p in parts]
        footer = f"{len(parts)} partitions, {sum(len(p.files) for p in parts)} files"
        _emit(rows, as_json, f"{prefix} in {lake.location}", footer)


@lake_app.command("du")
def du(
    path: str = typer.Argument(None, help="A path in the lake (default: each zone and the total)."),
    lake_dir: Path | None = LAKE_DIR,
    as_json: bool = AS_JSON,
) -> None:
    """Space used: bytes, files and directories per zone (or under one path)."""
    with _lake_errors():
        lake = _open(lake_dir)
        paths = [path] if path else [z for z in _zones(None) if lake.exists(z)] + [""]
        rows = [{"path": p or "(total)", **asdict(lake.du(p))} for p in paths]
        _emit(rows, as_json, f"usage of {lake.location}")


def _cat_file(lake: Lake, path: str) -> bool:
    # A non-Parquet file (a sample put there in chapter 6) is shown as text.
    entry = lake.stat(path)
    if entry is None or not entry.is_file or path.endswith(".parquet"):
        return False
    typer.echo(lake.cat_text(path), nl=False)
    return True


@lake_app.command("cat")
def cat(
    target: str = typer.Argument(
        ..., help="A zone, or a partition in one (processed/device_id=1/date=2024-01-15/hour=14)."
    ),
    limit: int = typer.Option(20, "--limit", min=0, help="Show at most this many records."),
    lake_dir: Path | None = LAKE_DIR,
    as_json: bool = AS_JSON,
) -> None:
    """Show the records of a zone or a partition (partition columns included)."""
    from fmslab.lake.layout import parse_partition_values
    from fmslab.lake.records import read_zone
    from fmslab.lake.storage import clean_path
    from fmslab.lake.zones import default_policy

    with _lake_errors():
        lake = _open(lake_dir)
        path = clean_path(target)
        if _cat_file(lake, path):
            return
        zone = default_policy().zone(path.split("/", 1)[0])
        frame = read_zone(lake, zone, filters=parse_partition_values(path))
        shown = frame.head(limit)
        if as_json:
            if not shown.empty:  # JSON lines, one record per line
                typer.echo(shown.to_json(orient="records", lines=True, date_format="iso").strip())
            return
        rows = json.loads(shown.to_json(orient="records", date_format="iso"))
        _emit(rows, False, path, f"{len(shown)} of {len(frame)} records")


def _for_zones(names: list[str] | None, run: Callable[[str], list[Any]]) -> list[dict[str, Any]]:
    return [asdict(item) for zone in _zones(names) for item in run(zone)]


@lake_app.command("compact")
def compact(
    zones: list[str] = ZONES,
    now: str = NOW,
    grace_minutes: int = typer.Option(
        None,
        "--grace-minutes",
        min=0,
        help="An hour closes this long after its end (default: data).",
    ),
    dry_run: bool = DRY_RUN,
    lake_dir: Path | None = LAKE_DIR,
    as_json: bool = AS_JSON,
) -> None:
    """Merge the small files of each closed hour partition into one file; open hours are kept."""
    from fmslab.lake.compaction import compact_zone

    grace = None if grace_minutes is None else timedelta(minutes=grace_minutes)
    with _lake_errors():
        lake = _open(lake_dir)
        rows = _for_zones(zones, lambda zone: compact_zone(lake, zone, now, grace, dry_run))
    done = [r for r in rows if r["status"] in ("compacted", "would-compact")]
    footer = (
        f"{'would compact' if dry_run else 'compacted'} {len(done)} partitions: "
        f"files {sum(r['files_before'] for r in done)} -> {sum(r['files_after'] for r in done)}, "
        f"rows {sum(r['rows_before'] for r in done)} -> {sum(r['rows_after'] for r in done)}; "
        f"{sum(r['status'] == 'open' for r in rows)} open hours left alone"
    )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table_rows = [
        {
            "zone": r["zone"],
            "partition": r["partition"].split("/", 1)[1],
            "status": r["status"],
            "files": f"{r['files_before']} -> {r['files_after']}",
            "rows": f"{r['rows_before']} -> {r['rows_after']}",
        }
        for r in rows
    ]
    _emit(table_rows, False, "compaction (dry run)" if dry_run else "compaction", footer)


@lake_app.command("retention")
def retention(
    zones: list[str] = ZONES,
    now: str = NOW,
    dry_run: bool = DRY_RUN,
    lake_dir: Path | None = LAKE_DIR,
    as_json: bool = AS_JSON,
) -> None:
    """Delete date partitions older than their zone's retention (--dry-run lists them)."""
    from fmslab.lake.retention import apply_retention

    with _lake_errors():
        lake = _open(lake_dir)
        rows = _for_zones(zones, lambda zone: apply_retention(lake, zone, now, dry_run))
    verb = "would delete" if dry_run else "deleted"
    footer = (
        f"{verb} {len(rows)} date partitions: {sum(r['files'] for r in rows)} files, "
        f"{sum(r['bytes'] for r in rows)} bytes"
    )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    _emit(rows, False, "retention (dry run)" if dry_run else "retention", footer)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `fmslab` command."""
    app.add_typer(lake_app, name="lake")
