"""Tables of the stack computed from its compose file: services, ports, volumes, memory, graph.

Chapter 04 shows these, so every figure it states comes from stack/docker-compose.yml itself.
"""

from __future__ import annotations

import pandas as pd

from fmslab.stack.compose import CORE, Stack
from fmslab.stack.kafka_rules import kafka_services

MIB = 1024**2


def services_table(stack: Stack) -> pd.DataFrame:
    """One row per service: profile, image, memory limit and whether it has a healthcheck."""
    rows = []
    for s in stack.services.values():
        rows.append(
            {
                "service": s.name,
                "profile": s.profile,
                "image": s.image,
                "memory (MiB)": (s.memory_limit or 0) // MIB,
                "healthcheck": "yes" if s.raw.get("healthcheck") else "one-shot",
            }
        )
    return pd.DataFrame(rows).set_index("service")


def ports_table(stack: Stack) -> pd.DataFrame:
    """Every published port: service, container port, host address and port(s)."""
    rows = [
        {
            "service": s.name,
            "container port": p.container_port,
            "host": p.host_ip or "(all interfaces)",
            "host port": "-".join(map(str, (p.host_ports[0], p.host_ports[-1])))
            if len(p.host_ports) > 1
            else str(p.host_ports[0]),
        }
        for s in stack.services.values()
        for p in s.ports
        if p.host_ports
    ]
    return pd.DataFrame(rows).set_index("service")


def volumes_table(stack: Stack) -> pd.DataFrame:
    """Named volumes and bind mounts: which service keeps what where."""
    named = set(stack.volumes())
    rows = []
    for s in stack.services.values():
        for mount in s.raw.get("volumes") or []:
            source, target = str(mount).split(":")[:2]
            kind = "named volume" if source in named else "bind mount (from the checkout)"
            rows.append({"service": s.name, "source": source, "mounted at": target, "kind": kind})
    return pd.DataFrame(rows).set_index("service")


def memory_table(stack: Stack) -> pd.DataFrame:
    """Memory limits per profile: what each adds to `core`, the running total, and the budget."""
    budget = stack.settings.get("budget_mib", {})
    rows, total = [], 0
    for profile in stack.profiles:
        members = [s for s in stack.services.values() if s.profile == profile]
        added = stack.memory_mib(members)
        total += added
        rows.append(
            {
                "profile": profile if profile == CORE else f"+ {profile}",
                "services": ", ".join(s.name for s in members),
                "adds (MiB)": added,
                "total (MiB)": total,
            }
        )
    frame = pd.DataFrame(rows).set_index("profile")
    frame.attrs["budget_mib"] = budget
    return frame


def dependency_table(stack: Stack) -> pd.DataFrame:
    """The service graph: what each service waits for, and for which condition."""
    rows = [
        {"service": s.name, "waits for": dep, "condition": spec.get("condition", "started")}
        for s in stack.services.values()
        for dep, spec in s.depends_on.items()
    ]
    return pd.DataFrame(rows).set_index("service")


def start_order(stack: Stack) -> list[list[str]]:
    """The services in waves: each wave waits only for services of earlier waves."""
    pending = {s.name: set(s.depends_on) for s in stack.services.values()}
    waves: list[list[str]] = []
    done: set[str] = set()
    while pending:
        wave = sorted(name for name, deps in pending.items() if deps <= done)
        if not wave:
            raise ValueError(f"depends_on has a cycle among {sorted(pending)}")
        waves.append(wave)
        done.update(wave)
        for name in wave:
            del pending[name]
    return waves


def listeners_table(stack: Stack) -> pd.DataFrame:
    """Each Kafka node's roles and advertised listeners, next to the ports it publishes."""
    rows = []
    for s in kafka_services(stack):
        env = s.environment
        rows.append(
            {
                "service": s.name,
                "node id": int(env["KAFKA_NODE_ID"]),
                "roles": env["KAFKA_PROCESS_ROLES"],
                "advertised": env["KAFKA_ADVERTISED_LISTENERS"].replace(",", ", "),
                "published": ", ".join(p.spec for p in s.ports),
            }
        )
    return pd.DataFrame(rows).set_index("service")


def quorum_table(max_voters: int = 5) -> pd.DataFrame:
    """KRaft (Raft) majorities: with n voters a majority is n//2 + 1, so n - majority may fail."""
    rows = [
        {"voters": n, "majority": n // 2 + 1, "failures tolerated": n - (n // 2 + 1)}
        for n in range(1, max_voters + 1)
    ]
    return pd.DataFrame(rows).set_index("voters")


# What stands in for each stack service in embedded mode (docs/architecture.md §2).
EMBEDDED_COUNTERPART = {
    "kafka-1": "Tansu, one embedded Kafka-protocol broker (fmslab broker start)",
    "kafka-2": "(none: one broker, replication 1)",
    "topic-init": "fmslab topics create (replication 1)",
    "namenode": "./lake, a local folder with the HDFS layout; WebHDFS stand-in in tests",
    "datanode": "(the local folder)",
    "spark-master": "local[*], or fmslab cluster up (pyspark's own master, chapter 06)",
    "spark-worker": "the local driver, or workers of fmslab cluster up",
    "jupyter": "make lab (JupyterLab on the host)",
    "fms-api": "fmslab api (the same simulator)",
    "collector": "fmslab collect",
    "stream": "fmslab stream (Kafka read through a Python data source, no connector jar)",
    "alerts": "fmslab alerts",
    "prometheus": "the prometheus binary when installed (fmslab monitor up)",
    "alertmanager": "the alertmanager binary when installed",
    "mailpit": "aiosmtpd in tests",
    "grafana": "(none: dashboards are checked as files)",
    "kafka-ui": "(none: fmslab topics describe)",
}


def counterparts_table(stack: Stack) -> pd.DataFrame:
    """Every stack service beside what runs in its place without Docker."""
    rows = [
        {
            "service": name,
            "profile": s.profile,
            "without Docker": EMBEDDED_COUNTERPART.get(name, "?"),
        }
        for name, s in stack.services.items()
    ]
    return pd.DataFrame(rows).set_index("service")
