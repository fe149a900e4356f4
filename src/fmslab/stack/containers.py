"""The stack's containers as the engine reports them (docker SDK): health, URLs, logs."""

from __future__ import annotations

from dataclasses import dataclass

from fmslab.stack.engine import PROJECT, URLS, StackError, engine_client


@dataclass(frozen=True)
class ContainerState:
    """One container of the stack: its service, state, health and the URLs it serves."""

    service: str
    name: str
    state: str  # running, exited, ...
    health: str  # healthy, starting, unhealthy, or "-" without a healthcheck
    urls: tuple[str, ...]


def _urls(service: str, ports: dict) -> tuple[str, ...]:
    found = []
    for container_port, bindings in sorted((ports or {}).items()):
        port = int(container_port.split("/")[0])
        label = URLS.get((service, port))
        for binding in bindings or []:
            if label:
                found.append(f"{label}: http://{binding['HostIp']}:{binding['HostPort']}")
    return tuple(found)


def stack_containers(client=None) -> list[ContainerState]:
    """Every container of the `fmslab` compose project, sorted by service."""
    client = client or engine_client()
    states = []
    for container in client.containers.list(
        all=True, filters={"label": f"com.docker.compose.project={PROJECT}"}
    ):
        attrs = container.attrs
        service = container.labels.get("com.docker.compose.service", container.name)
        health = (attrs["State"].get("Health") or {}).get("Status", "-")
        ports = attrs.get("NetworkSettings", {}).get("Ports")
        states.append(
            ContainerState(
                service, container.name, attrs["State"]["Status"], health, _urls(service, ports)
            )
        )
    return sorted(states, key=lambda s: (s.service, s.name))


def service_logs(service: str, tail: int = 100, client=None) -> str:
    """The last `tail` log lines of every container of one service."""
    client = client or engine_client()
    containers = client.containers.list(
        all=True,
        filters={
            "label": [
                f"com.docker.compose.project={PROJECT}",
                f"com.docker.compose.service={service}",
            ]
        },
    )
    if not containers:
        raise StackError(
            f"no container of service {service!r}: is the stack up? "
            "(`fmslab stack status` lists the containers)"
        )
    parts = []
    for container in containers:
        text = container.logs(tail=tail, timestamps=False).decode("utf-8", "replace")
        parts.append(f"== {container.name} ==\n{text}")
    return "\n".join(parts)
