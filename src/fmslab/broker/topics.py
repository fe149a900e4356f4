"""The course's Kafka topics: their definitions (data/topics.yaml) and administration.

Topics are created through the Kafka admin API (CreateTopics), which Tansu and Apache Kafka both
serve, so the same call sets up the embedded broker and the stack.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from fmslab.broker.offsets import OffsetsError, end_offsets_of
from fmslab.config import data_dir, load_settings

DAY_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class TopicSpec:
    """One topic of the course: name, partitions, replication on the stack, retention."""

    name: str
    partitions: int
    replication: int
    retention_days: int | None  # None: the broker's default retention
    content: str = ""

    @property
    def retention_ms(self) -> int | None:
        """Retention in milliseconds (the `retention.ms` topic config), None for the default."""
        return None if self.retention_days is None else self.retention_days * DAY_MS

    def new_topic(self, replication: int) -> NewTopic:
        """The admin-API request that creates this topic with `replication` replicas."""
        retention = self.retention_ms
        return NewTopic(
            self.name,
            num_partitions=self.partitions,
            replication_factor=replication,
            topic_configs={} if retention is None else {"retention.ms": str(retention)},
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


def topic_spec(name: str, partitions: int | None = None) -> TopicSpec:
    """The course's definition of `name`, or one for a topic of the student's own.

    `partitions` overrides the course's count; a topic the course does not define gets it (default
    1), the course's replication on the stack and the broker's default retention.
    """
    if partitions is not None and partitions < 1:
        raise ValueError(f"a topic needs at least 1 partition, not {partitions}")
    specs = load_topics()
    for spec in specs:
        if spec.name == name:
            return spec if partitions is None else replace(spec, partitions=partitions)
    replication = max(spec.replication for spec in specs)
    return TopicSpec(name, partitions or 1, replication, None, "created by the student")


def _select(names: list[str] | None, partitions: int | None = None) -> list[TopicSpec]:
    if names is None:
        if partitions is not None:
            raise ValueError("name the topics to create with that partition count")
        return load_topics()
    return [topic_spec(name, partitions) for name in names]


def list_topics(bootstrap: str) -> list[str]:
    """Names of the topics on the broker (internal ones excluded), sorted."""
    admin = _admin(bootstrap)
    try:
        return sorted(name for name in admin.list_topics() if not name.startswith("__"))
    finally:
        admin.close()


def create_topics(
    bootstrap: str,
    names: list[str] | None = None,
    replication: int | None = None,
    partitions: int | None = None,
) -> list[str]:
    """Create the topics `names` (default: the course's four) that do not exist yet.

    Returns those created. A course topic gets its definition; any other name is created too,
    with `partitions` (default 1). Idempotent: existing topics are left as they are (their
    partition count included). `replication` defaults to the mode's.
    """
    specs = _select(names, partitions)
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


def _described(name: str, ends: dict[int, int]) -> dict:
    partitions = [{"partition": p, "end_offset": offset} for p, offset in sorted(ends.items())]
    return {"name": name, "partitions": partitions}


def _describe_one(bootstrap: str, name: str) -> dict:
    try:
        return _described(name, end_offsets_of(bootstrap, [name])[name])
    except (KafkaError, OffsetsError) as err:
        return {"name": name, "partitions": [], "error": str(err)}


def describe_topics(bootstrap: str, names: list[str] | None = None) -> list[dict]:
    """Per topic (default: all on the broker), its partitions with their end offsets.

    Shape: `[{"name": ..., "partitions": [{"partition": p, "end_offset": n}, ...]}]`. A topic
    whose offsets cannot be read (unknown, or a batch nothing here can decode) gets an `error`
    and no partitions; the other topics are still described.
    """
    names = sorted(names) if names is not None else list_topics(bootstrap)
    try:
        ends = end_offsets_of(bootstrap, names)  # one consumer for all: the usual, fast path
    except (KafkaError, OffsetsError):
        return [_describe_one(bootstrap, name) for name in names]  # find which topic fails
    return [_described(name, ends[name]) for name in names]
