"""The compose file's Kafka rules: listeners, the KRaft quorum, replication and heap."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

import yaml

from fmslab.stack.compose import Service, Stack
from fmslab.stack.findings import Finding

COMPOSE = "stack/docker-compose.yml"
LOOPBACK = "127.0.0.1"


def _finding(rule: str, key: str, problem: str, fix: str, file: str = COMPOSE) -> Finding:
    return Finding(rule, file, key, problem, fix)


def _listeners(value: str) -> dict[str, tuple[str, int]]:
    found = {}
    for item in filter(None, (v.strip() for v in value.split(","))):
        match = re.fullmatch(r"([A-Za-z_]+)://([^:]*):(\d+)", item)
        if match:
            found[match.group(1)] = (match.group(2), int(match.group(3)))
    return found


def kafka_services(stack: Stack) -> list[Service]:
    """The services running a Kafka node (they declare KAFKA_PROCESS_ROLES)."""
    return [s for s in stack.services.values() if "KAFKA_PROCESS_ROLES" in s.environment]


def advertised_listeners(stack: Stack) -> Iterator[Finding]:
    """A host listener advertises the port it is published on; internal ones the service name."""
    for s in kafka_services(stack):
        key = f"services.{s.name}.environment.KAFKA_ADVERTISED_LISTENERS"
        for name, (host, port) in _listeners(
            s.environment.get("KAFKA_ADVERTISED_LISTENERS", "")
        ).items():
            published = {hp for p in s.ports if p.container_port == port for hp in p.host_ports}
            if host in ("localhost", LOOPBACK):
                if published != {port}:
                    yield _finding(
                        "advertised-port",
                        key,
                        f"{name} advertises {host}:{port}, but the service publishes "
                        f"{sorted(published) or 'nothing'} for container port {port}: clients "
                        "on the host are sent to a port nobody listens on",
                        f'publish `"{LOOPBACK}:{port}:{port}"` and listen on :{port}',
                    )
            elif host != s.hostname:
                yield _finding(
                    "advertised-port",
                    key,
                    f"{name} advertises {host}:{port}, but containers know this broker as "
                    f"{s.hostname!r}",
                    f"advertise `{name}://{s.hostname}:{port}`",
                )


def _voters(value: str) -> dict[int, tuple[str, int]]:
    voters = {}
    for item in filter(None, (v.strip() for v in value.split(","))):
        match = re.fullmatch(r"(\d+)@([^:]+):(\d+)", item)
        if match:
            voters[int(match.group(1))] = (match.group(2), int(match.group(3)))
    return voters


def _cluster_id_ok(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value + "==")) == 16 and len(value) == 22
    except (binascii.Error, ValueError):
        return False


def kraft_quorum(stack: Stack) -> Iterator[Finding]:
    """One CLUSTER_ID and one voter list: exactly the nodes with the controller role."""
    nodes = kafka_services(stack)
    if not nodes:
        return
    ids = {s.environment.get("CLUSTER_ID", "") for s in nodes}
    if len(ids) != 1 or not _cluster_id_ok(next(iter(ids))):
        yield _finding(
            "kraft",
            f"services.{nodes[0].name}.environment.CLUSTER_ID",
            "the Kafka nodes need one CLUSTER_ID, a base64 UUID of 22 characters; "
            f"found {sorted(ids)}",
            "set the same CLUSTER_ID (e.g. from `kafka-storage.sh random-uuid`) on every node",
        )
    voter_lists = {s.environment.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "") for s in nodes}
    if len(voter_lists) != 1:
        yield _finding(
            "kraft",
            "environment.KAFKA_CONTROLLER_QUORUM_VOTERS",
            f"the nodes disagree on the controller quorum: {sorted(voter_lists)}",
            "give every Kafka node the same KAFKA_CONTROLLER_QUORUM_VOTERS",
        )
    voters = _voters(next(iter(voter_lists)))
    controllers = {
        int(s.environment.get("KAFKA_NODE_ID", -1)): s
        for s in nodes
        if "controller" in s.environment.get("KAFKA_PROCESS_ROLES", "")
    }
    yield from _voters_match_controllers(voters, controllers)


def _voters_match_controllers(
    voters: dict[int, tuple[str, int]], controllers: dict[int, Service]
) -> Iterator[Finding]:
    for node_id, (host, port) in voters.items():
        node = controllers.get(node_id)
        key = "environment.KAFKA_CONTROLLER_QUORUM_VOTERS"
        if node is None:
            yield _finding(
                "kraft",
                key,
                f"voter {node_id}@{host}:{port} is not a node with the controller role",
                "list only controllers, or add `controller` to KAFKA_PROCESS_ROLES of node "
                f"{node_id}",
            )
            continue
        listeners = _listeners(node.environment.get("KAFKA_LISTENERS", ""))
        if host != node.hostname or listeners.get("CONTROLLER", ("", -1))[1] != port:
            yield _finding(
                "kraft",
                key,
                f"voter {node_id}@{host}:{port} does not match {node.name}'s CONTROLLER listener",
                f"write {node_id}@{node.hostname}:{listeners.get('CONTROLLER', ('', 9093))[1]}",
            )
    for node_id, node in controllers.items():
        if node_id not in voters:
            yield _finding(
                "kraft",
                f"services.{node.name}.environment.KAFKA_PROCESS_ROLES",
                f"{node.name} has the controller role but is not a voter",
                f"add {node_id}@{node.hostname}:9093 to KAFKA_CONTROLLER_QUORUM_VOTERS",
            )


REPLICATION_KEYS = (
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
    "KAFKA_DEFAULT_REPLICATION_FACTOR",
    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
)


# Kafka's defaults where a key is unset: internal topics want 3 replicas and 2 in sync.
MIN_ISR_DEFAULTS = {
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": 2,
    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": 2,
    "KAFKA_MIN_INSYNC_REPLICAS": 1,
}


def replication_factors(stack: Stack) -> Iterator[Finding]:
    """Internal topics' replication fits the brokers; min ISR leaves room for one broker down."""
    brokers = [s for s in kafka_services(stack) if "broker" in s.environment["KAFKA_PROCESS_ROLES"]]
    for s in brokers:
        env = s.environment
        for name in REPLICATION_KEYS:
            if name not in env or int(env[name]) > len(brokers):
                yield _finding(
                    "replication",
                    f"services.{s.name}.environment.{name}",
                    f"{name} is {env.get(name, 'unset (Kafka: 3)')} with {len(brokers)} brokers: "
                    "the internal topic cannot be created",
                    f"set {name}: {len(brokers)}",
                )
        yield from _min_isr(s, len(brokers))


def _min_isr(service: Service, brokers: int) -> Iterator[Finding]:
    for name, default in MIN_ISR_DEFAULTS.items():
        isr = int(service.environment.get(name, default))
        if isr >= brokers > 1:
            yield _finding(
                "replication",
                f"services.{service.name}.environment.{name}",
                f"{name} is {isr} with {brokers} brokers: one broker down stops these writes",
                f"set {name}: {brokers - 1}",
            )


def heap_limits(stack: Stack) -> Iterator[Finding]:
    """Kafka's start script defaults to a 1 GB heap: each node sets KAFKA_HEAP_OPTS."""
    for s in kafka_services(stack):
        if "-Xmx" not in s.environment.get("KAFKA_HEAP_OPTS", ""):
            yield _finding(
                "heap",
                f"services.{s.name}.environment.KAFKA_HEAP_OPTS",
                "no heap limit: Kafka starts with 1 GB and the container is killed (exit 137)",
                'set KAFKA_HEAP_OPTS: "-Xms192m -Xmx192m" (half the memory limit)',
            )


def topics_fit_brokers(stack: Stack) -> Iterator[Finding]:
    """data/topics.yaml asks for no more replicas than the stack has brokers."""
    path = stack.folder.parent / "data" / "topics.yaml"
    if not path.is_file():
        return
    brokers = sum("broker" in s.environment["KAFKA_PROCESS_ROLES"] for s in kafka_services(stack))
    for topic in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("topics", []):
        if int(topic.get("replication", 1)) > brokers:
            yield _finding(
                "replication",
                f"topics[{topic.get('name')}].replication",
                f"replication {topic['replication']} with {brokers} brokers: CreateTopics fails",
                f"set replication: {brokers} (or add brokers)",
                file="data/topics.yaml",
            )
