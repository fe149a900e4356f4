"""The course's Kafka topics: their definitions (data/topics.yaml) and administration.

Topics are created through the Kafka admin API (CreateTopics), which Tansu and Apache Kafka both
serve, so the same call sets up the embedded broker and the stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from fmslab.broker.offsets import end_offsets_of
from fmslab.config import data_dir, load_settings

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """One topic of the course: name, partitions, replication on the stack, retention."""

    name: str
    partitions: int
    replication: int
    retention_days: int
    content: str = ""

    @property
    def retention_ms(self) -> int:
        """Retention in milliseconds (the `retention.ms` topic config)."""
        return self.retention_days * DAY_MS

    def new_topic(self, replication: int) -> NewTopic:
        """The admin-API request that creates this topic with `replication` replicas."""
        return NewTopic(
            self.name,
            num_partitions=self.partitions,
            replication_factor=replication,
            topic_configs={"retention.ms": str(self.retention_ms)},
        )


def load_topics(path: Path | None = None) -> list[TopicSpec]:
    """The course's topic definitions (default: data/topics.yaml)."""
    path = path or data_dir() / "topics.yaml"
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    return [TopicSpec(**entry) for entry in raw["topics"]]


def default_replication(spec: TopicSpec) -> int:
    """Replicas for the current mode: 1 on the embedded broker, the spec's count on the stack."""
    return spec.replication if load_settings().mode == "stack" else 1


def _admin(bootstrap: str) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=bootstrap, client_id="fmslab-admin")


def _select(names: list[str] | None) -> list[TopicSpec]:
    specs = load_topics()
    if names is None:
        return specs
    known = {spec.name: spec for spec in specs}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown topic(s) {unknown}; the course defines {sorted(known)}")
    return [known[name] for name in names]


def list_topics(bootstrap: str) -> list[str]:
    """Names of the topics on the broker (internal ones excluded), sorted."""
    admin = _admin(bootstrap)
    try:
        return sorted(name for name in admin.list_topics() if not name.startswith("__"))
    finally:
        admin.close()


def create_topics(
    bootstrap: str, names: list[str] | None = None, replication: int | None = None
) -> list[str]:
    """Create the course's topics (all, or `names`) that do not exist yet; returns those created.

    Idempotent: existing topics are left as they are. `replication` defaults to the mode's.
    """
    specs = _select(names)
    admin = _admin(bootstrap)
    created = []
    try:
        existing = set(admin.list_topics())
        for spec in specs:
            if spec.name in existing:
                continue
            replicas = replication if replication is not None else default_replication(spec)
            try:
                admin.create_topics([spec.new_topic(replicas)])
            except TopicAlreadyExistsError:
                continue  # created by someone else since we listed
            created.append(spec.name)
    finally:
        admin.close()
    return created


def describe_topics(bootstrap: str, names: list[str] | None = None) -> list[dict]:
    """Per topic (default: all on the broker), its partitions with their end offsets.

    Shape: `[{"name": ..., "partitions": [{"partition": p, "end_offset": n}, ...]}]`.
    """
    names = sorted(names) if names is not None else list_topics(bootstrap)
    ends = end_offsets_of(bootstrap, names)
    return [
        {
            "name": name,
            "partitions": [
                {"partition": p, "end_offset": offset} for p, offset in sorted(ends[name].items())
            ],
        }
        for name in names
    ]
