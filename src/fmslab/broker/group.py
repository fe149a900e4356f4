"""A consumer group you can watch (chapter 7): members in threads that split a topic's partitions.

Each member pauses what it is assigned until every member has its share, then reads. So no member
reads a record that a later rebalance hands to another member, and the split shown is exact. Tansu
makes a joining member wait about one session timeout (docs/architecture.md, decisions): expect
a few seconds.
"""

from __future__ import annotations

import threading
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener

from fmslab.broker.clients import make_consumer
from fmslab.broker.offsets import partitions_of


class GroupError(RuntimeError):
    """The group did not settle, or its members did not read what the topic holds, in time."""


class _PauseOnAssign(ConsumerRebalanceListener):
    def __init__(self, member: GroupMember) -> None:
        self.member = member

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        if not self.member.stopping:  # leaving at the end keeps the last split for display
            self.member.assigned = set()

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        if not self.member.go.is_set():
            self.member.consumer.pause(*assigned)
        self.member.assigned = set(assigned)


class GroupMember(threading.Thread):
    """One member of `group` reading `topic` in its own thread; remembers what it read."""

    def __init__(
        self, bootstrap: str, topic: str, group: str, name: str, go: threading.Event
    ) -> None:
        super().__init__(name=name, daemon=True)
        self.topic, self.group, self.go = topic, group, go
        self.assigned: set[TopicPartition] = set()
        self.records: list[tuple[int, int, bytes | None, bytes | None]] = []
        self.error: BaseException | None = None
        self._halt = threading.Event()
        self.consumer: KafkaConsumer = make_consumer(bootstrap, group_id=group)
        self.consumer.subscribe([topic], listener=_PauseOnAssign(self))

    def run(self) -> None:
        try:
            while not self._halt.is_set():
                if self.go.is_set() and self.consumer.paused():
                    self.consumer.resume(*self.consumer.paused())
                for tp, batch in self.consumer.poll(timeout_ms=100).items():
                    self.records.extend((tp.partition, r.offset, r.key, r.value) for r in batch)
                if self.go.is_set() and self.records:
                    self.consumer.commit()  # the group's offsets: lag is measured from them
        except BaseException as exc:  # handed to the notebook thread by `stop()`
            self.error = exc
        finally:
            self.consumer.close(autocommit=False)

    @property
    def stopping(self) -> bool:
        """True once `stop()` was called."""
        return self._halt.is_set()

    @property
    def partitions(self) -> list[int]:
        """The partitions this member owns, sorted."""
        return sorted(tp.partition for tp in self.assigned)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop reading, leave the group, and re-raise what went wrong in the thread."""
        self._halt.set()
        self.join(timeout)
        if self.error is not None:
            raise GroupError(f"{self.name} failed: {self.error}") from self.error


def start_group(
    bootstrap: str, topic: str, group: str, members: int = 2, timeout: float = 40.0
) -> list[GroupMember]:
    """Start `members` members of `group` on `topic`, wait until they split its partitions
    (disjoint, none left over), then let them read. Stop them with `stop_group`.

    Raises `OffsetsError` when the topic does not exist, `ValueError` for more members than
    partitions, `GroupError` when the split takes too long.
    """
    probe = make_consumer(bootstrap, group_id=None)  # a consumer is not thread-safe: a private one
    try:
        partitions = partitions_of(probe, topic)
    finally:
        probe.close()
    if not 1 <= members <= len(partitions):
        raise ValueError(f"{topic!r} has {len(partitions)} partitions: 1 to that many members")
    go = threading.Event()
    started = [GroupMember(bootstrap, topic, group, f"member-{n + 1}", go) for n in range(members)]
    for member in started:
        member.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        owned = [set(m.partitions) for m in started]
        union = set().union(*owned)
        if all(owned) and sum(map(len, owned)) == len(union) == len(partitions):
            go.set()
            return started
        time.sleep(0.1)
    stop_group(started)
    raise GroupError(f"group {group!r} did not split {topic!r} within {timeout:.0f}s")


def wait_for_records(members: list[GroupMember], expected: int, timeout: float = 30.0) -> int:
    """Wait until the members have read `expected` records in all; returns how many they read."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        read = sum(len(m.records) for m in members)
        if read >= expected:
            return read
        time.sleep(0.1)
    return sum(len(m.records) for m in members)


def stop_group(members: list[GroupMember]) -> None:
    """Stop every member (each leaves the group and closes its connections)."""
    errors = []
    for member in members:
        try:
            member.stop()
        except GroupError as err:
            errors.append(err)
    if errors:
        raise errors[0]
