"""`fmslab quality check FILE.jsonl`: run the quality rules over a file of readings."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

quality_app = typer.Typer(
    name="quality",
    help="Data-quality rules: validate readings, route them to zones, report the 4 dimensions.",
    no_args_is_help=True,
)


def read_lines(path: Path) -> list[tuple[int, bytes]]:
    """`(line number, bytes)` of every non-blank line (1-based numbers)."""
    lines = path.read_bytes().split(b"\n")
    return [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]


@quality_app.command("check")
def check(
    file: Path = typer.Argument(..., help="A JSON Lines file of readings (one object per line)."),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object: records, dimensions, score (fractions 0..1)."
    ),
    interval: float = typer.Option(
        10.0, "--interval", min=0.001, help="Expected seconds between two readings of a device."
    ),
    now: str | None = typer.Option(
        None, "--now", help="Processing time (ISO-8601) for the delay and skew checks."
    ),
    devices: int | None = typer.Option(
        None, "--devices", min=1, help="Accept DeviceId 1..N (default: the rules' range, 1..5)."
    ),
    rules_file: Path | None = typer.Option(
        None, "--rules", help="Quality rules YAML (default: data/quality_rules.yaml)."
    ),
) -> None:
    """Validate every line of FILE, route it (processed/alerts/quarantine/dropped), report."""
    from fmslab.quality.rules import load_rules
    from fmslab.quality.validator import QualityValidator

    err = Console(stderr=True)
    if not file.is_file():
        err.print(f"[red]Error:[/] no such file: {file}")
        raise typer.Exit(2)
    try:
        rules = load_rules(rules_file)
        rules = rules.for_devices(devices) if devices else rules
        validator = QualityValidator(rules, interval=interval)
        lines = read_lines(file)
        result = validator.process([line for _, line in lines], now=now)
    except (OSError, ValueError) as exc:
        err.print(f"[red]Error:[/] {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        payload = result.to_json()
        for item, (number, _) in zip(payload["records"], lines, strict=True):
            item["line"] = number
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
        typer.echo(text)
        return
    console = Console()
    console.print(result.report.table())
    console.print(result.report.zone_table())
    console.print(f"{len(lines)} readings from {file}; overall score {result.report.score:.1%}")


def register(app: typer.Typer) -> None:
    """Add `fmslab quality ...` to the `fmslab` command."""
    app.add_typer(quality_app, name="quality")
