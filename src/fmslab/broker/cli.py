"""Commands of the broker area: `fmslab broker ...`, `fmslab topics ...`, `fmslab consume ...`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from kafka.errors import KafkaError

from fmslab.broker.clients import BrokerUnreachable, require_broker
from fmslab.broker.consumers import BadRecord, consume_and_analyze, filter_topic, reading_filter
from fmslab.broker.embedded import (
    BrokerError,
    bootstrap_of,
    broker_status,
    start_broker,
    stop_broker,
)
from fmslab.broker.offsets import OffsetsError
from fmslab.broker.topics import (
    create_topics,
    describe_topics,
    list_topics,
    load_topics,
    topic_spec,
)
from fmslab.config import load_settings

broker_app = typer.Typer(help="The embedded Kafka-protocol broker (Tansu).", no_args_is_help=True)

topics_app = typer.Typer(help="The course's Kafka topics.", no_args_is_help=True)
consume_app = typer.Typer(
    help="The course's consumers: analysis and filtering.", no_args_is_help=True
)

STATE_DIR = typer.Option(None, "--state-dir", help="Where pid, port and log are recorded.")
BOOTSTRAP = typer.Option(None, "--bootstrap", help="HOST:PORT (default: from the settings).")
AS_JSON = typer.Option(False, "--json", help="Print JSON.")


def _bootstrap(value: str | None) -> str:
    try:
        return require_broker(value or load_settings().bootstrap)
    except BrokerUnreachable as err:
        raise _fail(err) from err


def _fail(err: Exception) -> typer.Exit:
    typer.echo(f"error: {err}", err=True)
    return typer.Exit(1)


@broker_app.command("start")
def start(
    port: int = typer.Option(None, "--port", help="Port on 127.0.0.1 (default: settings, 9092)."),
    state_dir: Path = STATE_DIR,
) -> None:
    """Start the embedded broker in the background and wait until it accepts connections."""
    try:
        service = start_broker(port, state_dir=state_dir)
    except BrokerError as err:
        raise _fail(err) from err
    typer.echo(f"broker running on {bootstrap_of(service)} (pid {service.pid}, log {service.log})")


@broker_app.command("stop")
def stop(state_dir: Path = STATE_DIR) -> None:
    """Stop the embedded broker by its recorded pid."""
    if stop_broker(state_dir):
        typer.echo("broker stopped")
    else:
        typer.echo("no broker was running")


@broker_app.command("status")
def status(
    state_dir: Path = STATE_DIR,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Say whether the embedded broker runs, and where. Exit code 1 when it does not."""
    service = broker_status(state_dir)
    if as_json:
        info = {"running": service is not None}
        if service is not None:
            info.update(pid=service.pid, port=service.port, bootstrap=bootstrap_of(service))
            info["log"] = service.log
        typer.echo(json.dumps(info))
    elif service is None:
        typer.echo("broker not running")
    else:
        typer.echo(f"broker running on {bootstrap_of(service)} (pid {service.pid})")
    if service is None:
        raise typer.Exit(1)


@topics_app.command("create")
def topics_create(
    bootstrap: str = BOOTSTRAP,
    names: list[str] = typer.Argument(None, help="Topics to create (default: the course's four)."),
    partitions: int = typer.Option(
        None,
        "--partitions",
        min=1,
        help="Partitions of the named topics (default: course's, or 1).",
    ),
    replication: int = typer.Option(None, help="Replicas (default: 1 embedded, 2 on the stack)."),
) -> None:
    """Create topics that do not exist yet (safe to run again): the course's four, or any named."""
    try:
        specs = [topic_spec(name, partitions) for name in names] if names else None
        created = create_topics(_bootstrap(bootstrap), names or None, replication, partitions)
    except (KafkaError, ValueError) as err:
        raise _fail(err) from err
    for spec in specs or load_topics():
        if spec.name in created:
            typer.echo(f"{spec.name:<22} created  partitions={spec.partitions}")
        else:
            typer.echo(f"{spec.name:<22} exists   (left as it is)")


@topics_app.command("list")
def topics_list(bootstrap: str = BOOTSTRAP) -> None:
    """List the topics on the broker."""
    try:
        names = list_topics(_bootstrap(bootstrap))
    except KafkaError as err:
        raise _fail(err) from err
    for name in names:
        typer.echo(name)


@topics_app.command("describe")
def topics_describe(bootstrap: str = BOOTSTRAP, as_json: bool = AS_JSON) -> None:
    """Per topic, its partitions and their end offsets (records written).

    A topic that cannot be read is reported with its error; the others are still shown, and the
    exit code is 1."""
    try:
        topics = describe_topics(_bootstrap(bootstrap))
    except (KafkaError, OffsetsError) as err:
        raise _fail(err) from err
    if as_json:
        typer.echo(json.dumps({"topics": topics}))
    else:
        _print_topics(topics)
    if any("error" in topic for topic in topics):
        raise typer.Exit(1)


def _print_topics(topics: list[dict]) -> None:
    specs = {spec.name: spec for spec in load_topics()}
    for topic in topics:
        if "error" in topic:
            typer.echo(f"{topic['name']}: error: {topic['error']}", err=True)
            continue
        spec = specs.get(topic["name"])
        note = f"  (course: retention {spec.retention_days} d)" if spec else ""
        total = sum(p["end_offset"] for p in topic["partitions"])
        typer.echo(f"{topic['name']}: {len(topic['partitions'])} partitions, {total} records{note}")
        for part in topic["partitions"]:
            typer.echo(f"  partition {part['partition']}: end offset {part['end_offset']}")


def _report_bad(bad: list[BadRecord]) -> None:
    for record in bad[:10]:
        typer.echo(f"bad payload p{record.partition}@{record.offset}: {record.reason}", err=True)
    if len(bad) > 10:
        typer.echo(f"... and {len(bad) - 10} more bad payloads", err=True)


MAX_RECORDS = typer.Option(None, "--max-records", help="Stop after this many records.")
TIMEOUT = typer.Option(10.0, "--timeout", help="Give up after this many seconds.")


@consume_app.command("analyze")
def consume_analyze(
    topic: str = typer.Option("fms-raw-data", "--topic"),
    bootstrap: str = BOOTSTRAP,
    max_records: int = MAX_RECORDS,
    timeout: float = TIMEOUT,
    as_json: bool = AS_JSON,
) -> None:
    """Read readings from a topic: sensor average, motor total, alerts, NORMAL/CRITICAL."""
    try:
        result = consume_and_analyze(_bootstrap(bootstrap), topic, max_records, timeout)
    except (KafkaError, OffsetsError) as err:
        raise _fail(err) from err
    if as_json:
        typer.echo(json.dumps({**result.summary(), "analyses": result.readings}))
    else:
        for r in result.readings:
            alerts = "; ".join(r["alerts"]) or "-"
            typer.echo(
                f"device {r['device_id']} {r['time']} avg={r['sensor_avg']} "
                f"motors={r['motor_total']} {r['status']} alerts: {alerts}"
            )
        typer.echo(json.dumps(result.summary()))
    _report_bad(result.bad)


@consume_app.command("filter")
def consume_filter(
    source: str = typer.Option("fms-raw-data", "--source"),
    target: str = typer.Option(..., "--target", help="Topic that receives the kept readings."),
    device: list[int] = typer.Option(None, "--device", help="Keep these DeviceIds (repeat)."),
    min_sensor1: float = typer.Option(None, "--min-sensor1", help="Keep sensor1 >= this."),
    sensor1_above: float = typer.Option(None, "--sensor1-above", help="Keep sensor1 > this."),
    failed: bool = typer.Option(False, "--failed", help="Keep only isFail readings."),
    critical: bool = typer.Option(False, "--critical", help="Keep only CRITICAL readings."),
    bootstrap: str = BOOTSTRAP,
    max_records: int = MAX_RECORDS,
    timeout: float = TIMEOUT,
) -> None:
    """Copy the readings of one topic that match the conditions to another topic."""
    keep = reading_filter(
        devices=device or None,
        min_sensor1=min_sensor1,
        failed_only=failed,
        critical_only=critical,
        sensor1_above=sensor1_above,
    )
    try:
        stats = filter_topic(_bootstrap(bootstrap), source, target, keep, max_records, timeout)
    except (KafkaError, OffsetsError) as err:
        raise _fail(err) from err
    typer.echo(json.dumps({"source": source, "target": target, **stats.summary()}))
    _report_bad(stats.bad)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `fmslab` command."""
    app.add_typer(broker_app, name="broker")
    app.add_typer(topics_app, name="topics")
    app.add_typer(consume_app, name="consume")
