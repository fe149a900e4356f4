"""The monitoring files the stack mounts: scrape targets and Grafana provisioning."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from fmslab.stack.compose import Stack
from fmslab.stack.findings import Finding

DATASOURCE_UID = "fms-prometheus"
PROMETHEUS = "stack/prometheus/prometheus.yml"


def scrape_targets(config: dict) -> list[tuple[str, str]]:
    """(job, host:port) of every static scrape target."""
    return [
        (job.get("job_name", "?"), str(target))
        for job in config.get("scrape_configs") or []
        for static in job.get("static_configs") or []
        for target in static.get("targets") or []
    ]


def scrape_findings(stack: Stack) -> Iterator[Finding]:
    """Every scrape target is a service of the stack, on a port that service listens on."""
    path = stack.folder / "prometheus" / "prometheus.yml"
    if not path.is_file():
        yield Finding("scrape", PROMETHEUS, "file", "missing", "restore the Prometheus config")
        return
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for job, target in scrape_targets(config):
        host, _, port = target.rpartition(":")
        service = stack.services.get(host) or next(
            (s for s in stack.services.values() if s.hostname == host), None
        )
        key = f"scrape_configs[{job}].targets[{target}]"
        if service is None:
            yield Finding(
                "scrape",
                PROMETHEUS,
                key,
                f"{host!r} is no service of the stack: Prometheus cannot resolve it",
                f"use a service name: {', '.join(sorted(stack.services))}",
            )
        elif not port.isdigit() or int(port) not in service.container_ports:
            yield Finding(
                "scrape",
                PROMETHEUS,
                key,
                f"{service.name} listens on {sorted(service.container_ports)}, not {port}",
                f"scrape {service.name}:{min(service.container_ports, default='PORT')}, or "
                "publish/expose that port",
            )


def _uids(node: object) -> Iterator[str]:
    # Every data-source uid a dashboard or provisioning file names, at any depth.
    if isinstance(node, dict):
        source = node.get("datasource")
        if isinstance(source, dict) and "uid" in source:
            yield str(source["uid"])
        for value in node.values():
            yield from _uids(value)
    elif isinstance(node, list):
        for value in node:
            yield from _uids(value)


def grafana_findings(stack: Stack) -> Iterator[Finding]:
    """Dashboards parse, name only the provisioned uid, and hold no `${DS_...}` inputs."""
    grafana = stack.folder / "grafana"
    yield from _datasource_findings(grafana / "provisioning" / "datasources")
    for path in sorted((grafana / "dashboards").glob("**/*.json")):
        name = f"stack/grafana/dashboards/{path.name}"
        text = path.read_text(encoding="utf-8")
        try:
            dashboard = json.loads(text)
        except json.JSONDecodeError as err:
            yield Finding(
                "grafana", name, f"line {err.lineno}", f"not JSON: {err.msg}", "fix the JSON"
            )
            continue
        for match in sorted(set(re.findall(r"\$\{DS_[A-Z0-9_]+\}", text))):
            yield Finding(
                "grafana",
                name,
                match,
                "an exported dashboard's input: file provisioning never resolves it",
                f'use the data source {{"type": "prometheus", "uid": "{DATASOURCE_UID}"}}',
            )
        for uid in sorted(set(_uids(dashboard)) - {DATASOURCE_UID}):
            if not uid.startswith("${"):
                yield Finding(
                    "grafana",
                    name,
                    f"datasource.uid {uid!r}",
                    "names a data source that is not provisioned",
                    f"use uid {DATASOURCE_UID!r}",
                )


def _datasource_findings(folder: Path) -> Iterator[Finding]:
    uids = []
    for path in sorted(folder.glob("*.y*ml")):
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        uids += [d.get("uid") for d in config.get("datasources") or []]
    if DATASOURCE_UID not in uids:
        yield Finding(
            "grafana",
            "stack/grafana/provisioning/datasources",
            "datasources[].uid",
            f"no provisioned data source has uid {DATASOURCE_UID!r} (found {uids})",
            f"give the Prometheus data source `uid: {DATASOURCE_UID}`",
        )
