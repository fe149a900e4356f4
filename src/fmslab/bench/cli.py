"""Commands of the benchmark area: `fmslab bench producer|collector|pipeline ...`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from kafka.errors import KafkaError

from fmslab.bench.collector import run_collector_bench
from fmslab.bench.producer import CLIENTS, BenchConfig, run_producer_benchmark, write_report
from fmslab.broker.clients import BrokerUnreachable, require_broker
from fmslab.broker.embedded import BrokerError, embedded_broker
from fmslab.broker.offsets import OffsetsError
from fmslab.config import load_settings
from fmslab.services import ServiceError

bench_app = typer.Typer(help="Load generation and measurement.", no_args_is_help=True)


def _print_human(result: dict[str, Any]) -> None:
    sync, burst, conc = result["sync"], result["async"], result["concurrent"]
    met = result["meets_targets"]
    machine = result["machine"]
    latency = sync["latency_ms"]
    typer.echo(f"client: {result['client']}   broker: {result['bootstrap']}")
    typer.echo(
        f"machine: {machine['cpus']} CPUs, load {machine['load_average_1m_before']}, "
        f"this process got {machine['cpu_share_before']:.0%} of a core when busy"
    )
    typer.echo(
        f"sync   {sync['messages']} sends: mean {latency['mean']} ms, p95 {latency['p95']} ms, "
        f"max {latency['max']} ms (target p95 <= {result['targets']['sync_p95_ms']} ms: "
        f"{'met' if met['sync_p95_ms'] else 'NOT met'})"
    )
    typer.echo(
        f"async  {burst['messages']} messages in {burst['seconds']} s: {burst['msg_per_s']} msg/s "
        f"(target >= {result['targets']['async_msg_per_s']}: "
        f"{'met' if met['async_msg_per_s'] else 'NOT met'}); "
        f"{burst['msg_per_client_cpu_s']} msg per client CPU-second"
    )
    typer.echo(
        f"concurrent {conc['producers']} x {conc['per_producer']}: acked {conc['acked']}, "
        f"stored {conc['stored']}, lost {conc['lost']}"
    )
    typer.echo(f"no loss in any phase: {result['no_loss']}")


@bench_app.command("producer")
def producer(
    bootstrap: str = typer.Option(
        None, "--bootstrap", help="HOST:PORT; default: start an embedded broker on a free port."
    ),
    client: str = typer.Option("kafka-python", "--client", help=f"One of {', '.join(CLIENTS)}."),
    sync_count: int = typer.Option(1000, "--sync-count", help="Synchronous sends."),
    async_count: int = typer.Option(20_000, "--async-count", help="Messages in the burst."),
    producers: int = typer.Option(5, "--producers", help="Concurrent producers."),
    per_producer: int = typer.Option(200, "--per-producer", help="Messages per producer."),
    output: Path = typer.Option(
        None,
        "--output",
        help="Default: reports/bench-producer.json (-confluent-kafka.json for that client).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Measure producer latency, throughput and loss; writes reports/bench-producer.json."""
    settings = load_settings()
    if client not in CLIENTS:
        typer.echo(f"error: --client must be one of {', '.join(CLIENTS)}", err=True)
        raise typer.Exit(1)
    config = BenchConfig(sync_count, async_count, producers, per_producer, settings.seed, client)
    try:
        if bootstrap:
            result = run_producer_benchmark(require_broker(bootstrap), config)
        else:
            state = Path(settings.state_dir) / "bench-producer"
            with embedded_broker(state_dir=state) as embedded:
                result = run_producer_benchmark(embedded, config)
            result["bootstrap"] = f"embedded Tansu ({embedded})"
    except (BrokerError, BrokerUnreachable, KafkaError, OffsetsError, ImportError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    default_name = (
        "bench-producer.json" if client == "kafka-python" else f"bench-producer-{client}.json"
    )
    path = write_report(result, output or Path(settings.reports_dir) / default_name)
    if as_json:
        typer.echo(json.dumps(result))
    else:
        _print_human(result)
        typer.echo(f"written to {path}")
    if not result["no_loss"]:
        raise typer.Exit(2)


def _print_collector(result: dict[str, Any]) -> None:
    latency = result["poll_to_ack_ms"]
    cpu = result["cpu_ms_per_reading"]
    rows = [
        ("devices x interval", f"{result['devices']} x {result['interval_s']} s"),
        ("duration", f"{result['duration_s']} s"),
        ("target rate", f"{result['target_per_s']} readings/s"),
        ("polls / collected", f"{result['polls']} / {result['collected']}"),
        ("produced (acked)", f"{result['produced']}"),
        ("rate", f"{result['readings_per_s']} readings/s"),
        ("poll->ack p50/p95/max", f"{latency['p50']} / {latency['p95']} / {latency['max']} ms"),
        ("on topic / archived", f"{result['on_topic']} / {result['archived']}"),
        ("spool depth", f"{result['spool_depth']}"),
        ("quarantined", f"{result['quarantined']}"),
        ("errors", json.dumps(result["errors"]) if result["errors"] else "none"),
        ("lost", f"{result['lost']}"),
        ("CPU ms per reading", f"collector {cpu['collector']}, simulator {cpu['simulator']}"),
        ("load average (1 min)", f"{result['load_average_1m']}"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        typer.echo(f"{name:<{width}}  {value}")


@bench_app.command("collector")
def collector(
    devices: int = typer.Option(1000, "--devices", min=1, help="Simulated devices polled."),
    interval: float = typer.Option(1.0, "--interval", min=0.01, help="Seconds between polls."),
    duration: float = typer.Option(10.0, "--duration", min=0.5, help="Seconds of collecting."),
    bootstrap: str = typer.Option(
        None, "--bootstrap", help="HOST:PORT; default: start an embedded broker on a free port."
    ),
    output: Path = typer.Option(None, "--output", help="Default: reports/bench-collector.json."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Poll N simulated devices into Kafka: rate, poll-to-ack latency and loss (measured)."""
    settings = load_settings()
    try:
        broker = require_broker(bootstrap) if bootstrap else None
        result = run_collector_bench(devices, interval, duration, broker, seed=settings.seed)
    except (BrokerError, BrokerUnreachable, ServiceError, KafkaError, OffsetsError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    result["bootstrap"] = bootstrap or "embedded Tansu"
    path = write_report(result, output or Path(settings.reports_dir) / "bench-collector.json")
    if as_json:
        typer.echo(json.dumps(result))
    else:
        _print_collector(result)
        typer.echo(f"written to {path}")
    if result["lost"]:
        raise typer.Exit(2)


def _latency(scenario: dict[str, Any]) -> str:
    x = scenario["latency_s"]
    return (
        f"p50 {x['p50']} / p95 {x['p95']} / p99 {x['p99']} / max {x['max']} s "
        f"({x['count']} samples)"
    )


def _parts(parts: dict[str, float]) -> str:
    return ", ".join(f"{kind} {mb}" for kind, mb in parts.items())


def _met(flag: bool) -> str:
    return "met" if flag else "NOT met"


def _print_pipeline(result: dict[str, Any]) -> None:
    drain, normal, high = (result["scenarios"][k] for k in ("drain", "normal", "high"))
    met, targets, machine = result["meets_targets"], result["targets"], result["machine"]
    rows = [
        ("drain", f"{drain['stored']} of {drain['sent']} in {len(drain['batches'])} batches: "
         f"steady {drain['throughput_msg_s']} msg/s (target >= {targets['throughput_msg_s']}: "
         f"{_met(met['throughput'])}) after a first batch of {drain['first_batch_ms']} ms; "
         f"end to end {drain['end_to_end_msg_s']} msg/s in {drain['seconds']} s"),
        ("normal", f"{normal['devices']} devices every {normal['interval_s']:g} s "
         f"({normal['achieved_rate_msg_s']} msg/s sent): {_latency(normal)} "
         f"(p95 <= {targets['latency_normal_p95_s']:g} s: {_met(met['latency_normal_p95'])})"),
        ("high", f"{high['achieved_rate_msg_s']} msg/s sent (of {high['rate_msg_s']:g}): "
         f"{_latency(high)} (p95 <= {targets['latency_high_p95_s']:g} s: "
         f"{_met(met['latency_high_p95'])})"),
        ("peak memory", f"{result['rss_mb']} MiB PSS (target <= {targets['rss_mb']}: "
         f"{_met(met['rss'])}); " + _parts(result["rss_at_peak_mb"])
         + f"; plain RSS sum {result['rss_sum_mb']} MiB"),
        ("sent/stored", f"{result['sent']} / {result['stored']}"),
        ("lost/dups", f"{result['lost']} / {result['duplicates']}"),
        ("load (1 min)", f"{machine['load_average_1m']} on {machine['cpus']} CPUs"),
    ]  # fmt: skip
    for name, value in rows:
        typer.echo(f"{name:<14}{value}")
    typer.echo(result["notes"])


@bench_app.command("pipeline")
def pipeline(
    backlog: int = typer.Option(60_000, "--backlog", min=1, help="Readings drained at once."),
    batch_size: int = typer.Option(
        20_000, "--batch-size", min=1, help="At most this many readings per drain micro-batch."
    ),
    normal_devices: int = typer.Option(
        5, "--normal-devices", min=1, help="Devices of the normal scenario (staggered sends)."
    ),
    normal_interval: float = typer.Option(
        10.0, "--normal-interval", min=0.01, help="Seconds between two readings of one device."
    ),
    normal_seconds: float = typer.Option(
        60.0, "--normal-seconds", min=0.1, help="Seconds of the normal scenario."
    ),
    high_rate: float = typer.Option(1000.0, "--high-rate", min=1.0, help="Readings per second."),
    high_seconds: float = typer.Option(
        20.0, "--high-seconds", min=0.1, help="Seconds of the high scenario."
    ),
    warmup: int = typer.Option(
        500, "--warmup", min=0, help="Readings that warm the query up first (not counted)."
    ),
    poll: float = typer.Option(0.2, "--poll", min=0.01, help="Seconds between lake looks."),
    output: Path = typer.Option(None, "--output", help="Default: reports/bench-pipeline.json."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Kafka -> Spark -> lake end to end: drain throughput, latency, loss, peak memory."""
    from fmslab.bench.pipeline import BenchPlan, run_pipeline_bench

    settings = load_settings()
    plan = BenchPlan(
        backlog=backlog,
        batch_size=batch_size,
        normal_devices=normal_devices,
        normal_interval=normal_interval,
        normal_seconds=normal_seconds,
        high_rate=high_rate,
        high_seconds=high_seconds,
        warmup=warmup,
        poll=poll,
        seed=settings.seed,
    )
    try:
        result = run_pipeline_bench(plan)
    except (BrokerError, BrokerUnreachable, ServiceError, KafkaError, OffsetsError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    path = write_report(result, output or Path(settings.reports_dir) / "bench-pipeline.json")
    if as_json:
        typer.echo(json.dumps(result))
    else:
        _print_pipeline(result)
        typer.echo(f"written to {path}")
    if result["lost"]:
        raise typer.Exit(2)


def _scenario_table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    latency = result["latency_s"]
    table = Table(title=f"scenario {result['scenario']}{' (short)' if result['short'] else ''}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("devices x interval", f"{result['devices']} x {result['interval_s']:g} s"),
        ("offered / collected / stored", f"{result['offered']} / {result['collected']} / "
         f"{result['stored']}"),
        ("lost / duplicates", f"{result['lost']} / {result['duplicates']}"),
        ("success rate", f"{result['success_rate']:.2%}"),
        ("throughput", f"{result['throughput_msg_s']} msg/s"),
        ("latency p50 / p95 / p99 / max", f"{latency['p50']} / {latency['p95']} / "
         f"{latency['p99']} / {latency['max']} s"),
        ("broker ceiling", f"{result['ceiling']['msg_s']} msg/s ({result['ceiling']['client']})"),
        ("fraction of ceiling", str(result["fraction_of_ceiling"])),
        ("baseline (send().get())", f"{result['baseline']['msg_s']} msg/s"),
        ("vs baseline", f"{result['vs_baseline']} x"),
    ]  # fmt: skip
    if "max_sustained_msg_s" in result:
        rows.append(("max sustained", f"{result['max_sustained_msg_s']} msg/s"))
    for name, part in result["components"].items():
        rows.append((f"{name}: CPU / peak PSS", f"{part['cpu_s']} s / {part['pss_peak_mb']} MiB"))
    for name, met in result["meets_targets"].items():
        rows.append((f"target {name}", "met" if met else "NOT met"))
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    typer.echo(result["notes"])


@bench_app.command("scenario")
def scenario_command(
    name: str = typer.Argument(..., help="normal, peak, stress, scale or max."),
    duration: float = typer.Option(
        None, "--duration", min=0.1, help="Seconds of load (of each step for max)."
    ),
    short: bool = typer.Option(False, "--short", help="The CI form: a few seconds, exact counts."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON only."),
) -> None:
    """Run a load scenario on the real path; writes reports/scenario-NAME.json and .png."""
    from fmslab.bench.scenario import ScenarioError, run_scenario
    from fmslab.bench.scenario_chart import write_scenario_png
    from fmslab.streaming.session import JavaNotFoundError

    settings = load_settings()
    try:
        result = run_scenario(
            name, duration=duration, short=short, settings=settings, progress=not as_json
        )
    except JavaNotFoundError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    except (ScenarioError, ServiceError, BrokerError, BrokerUnreachable, KafkaError) as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    folder = Path(settings.reports_dir)
    path = write_report(result, folder / f"scenario-{name}.json")
    chart = write_scenario_png(result, folder / f"scenario-{name}.png")
    if as_json:
        typer.echo(json.dumps(result))
        return
    _scenario_table(result)
    typer.echo(f"written to {path} and {chart}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `fmslab` command."""
    app.add_typer(bench_app, name="bench")
