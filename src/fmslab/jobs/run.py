"""The main job (`fmslab run`, `make run`): simulator -> bounded poll -> quality rules -> report."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from fmslab.config import Settings
from fmslab.jobs.poll import PollResult, poll_devices
from fmslab.quality import check_readings
from fmslab.quality.result import QualityResult
from fmslab.services import free_port, port_in_use
from fmslab.simulator.process import simulator


@dataclass
class RunOptions:
    """What one run of the main job does."""

    duration: float = 60.0
    interval: float = 10.0
    devices: int = 5
    faults: str = "default"
    progress: bool = True


@dataclass
class RunOutcome:
    """The measured result of one run, and where its report was written."""

    poll: PollResult
    quality: QualityResult
    report_json: Path
    report_md: Path


def _api_port(settings: Settings, console: Console) -> int:
    if not port_in_use(settings.api_port, settings.host):
        return settings.api_port
    port = free_port(settings.host)
    console.print(f"[yellow]port {settings.api_port} is taken; the simulator uses {port}[/]")
    return port


def _poll_with_progress(url: str, options: RunOptions) -> PollResult:
    ticks = max(1, int(options.duration // options.interval))
    with tqdm(total=ticks, unit="poll", desc="collecting", disable=not options.progress) as bar:

        def on_tick(_tick: int, result: PollResult) -> None:
            bar.update(1)
            bar.set_postfix(readings=len(result.payloads), errors=sum(result.errors.values()))

        return poll_devices(
            url,
            devices=options.devices,
            interval=options.interval,
            duration=options.duration,
            on_tick=on_tick,
        )


def run_main_job(settings: Settings, options: RunOptions, console: Console) -> RunOutcome:
    """Start the simulator, poll it for a while, apply the quality rules, write the report."""
    port = _api_port(settings, console)
    console.print(
        f"FMS API simulator on {settings.host}:{port} · {options.devices} devices · "
        f"every {options.interval:g}s for {options.duration:g}s · faults={options.faults}"
    )
    with simulator(
        port=port,
        seed=settings.seed,
        devices=options.devices,
        interval=options.interval,
        faults=options.faults,
        clock="realtime",
        state_dir=settings.state_dir,
    ) as url:
        poll = _poll_with_progress(url, options)
    quality = check_readings(poll.payloads, interval=options.interval)
    json_path, md_path = write_reports(settings.reports_dir, poll, quality)
    print_summary(console, poll, quality)
    console.print(f"report written to {json_path} and {md_path}")
    return RunOutcome(poll, quality, json_path, md_path)


def write_reports(reports_dir: Path, poll: PollResult, quality: QualityResult) -> tuple[Path, Path]:
    """Write the quality report as JSON (machine-readable) and Markdown (for people)."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "requests": poll.requests,
        "payloads": len(poll.payloads),
        "api_errors": dict(poll.errors),
        **quality.to_json(),
    }
    json_path = reports_dir / "quality-report.json"
    json_path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    md_path = reports_dir / "quality-report.md"
    md_path.write_text(
        "# Quality report of the last `fmslab run`\n\n"
        f"Requests: {poll.requests} · payloads: {len(poll.payloads)} · "
        f"API errors: {dict(poll.errors) or 'none'}\n\n" + quality.report.to_markdown() + "\n"
    )
    return json_path, md_path


def print_summary(console: Console, poll: PollResult, quality: QualityResult) -> None:
    """Print the collection figures, the zone counts and the quality report table."""
    table = Table(title="Collection")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("requests", str(poll.requests))
    table.add_row("payloads received", str(len(poll.payloads)))
    for kind, count in sorted(poll.errors.items()):
        table.add_row(f"API error {kind}", str(count))
    for zone, count in sorted(quality.report.zone_counts.items()):
        table.add_row(f"zone {zone}", str(count))
    console.print(table)
    console.print(quality.report.table())
