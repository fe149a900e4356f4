"""The hour partitions of a zone as they are on storage: directory, data files, sizes."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from fmslab.lake.layout import Partition, is_data_file, parse_partition, zone_of
from fmslab.lake.storage import Entry, Lake, LakeError, hidden
from fmslab.lake.zones import Zone


@dataclass(frozen=True)
class PartitionFiles:
    """One hour partition and the data files in it."""

    partition: Partition
    directory: str  # as on storage (a Spark writer may have written hour=7, not hour=07)
    files: tuple[Entry, ...]

    @property
    def bytes(self) -> int:
        """Total size of the partition's data files."""
        return sum(entry.size for entry in self.files)


def _walk_data(lake: Lake, path: str) -> Iterator[Entry]:
    # Skip hidden entries: staging files (.x.tmp), _SUCCESS, Spark's _spark_metadata log.
    for entry in lake.ls(path):
        if hidden(entry.name):
            continue
        if entry.is_file:
            if is_data_file(entry.path):
                yield entry
        else:
            yield from _walk_data(lake, entry.path)


def list_partitions(lake: Lake, zone: str | Zone) -> list[PartitionFiles]:
    """Every hour partition of a zone that holds data files, in path order."""
    spec = zone_of(zone)
    if not lake.exists(spec.name):
        return []
    groups: dict[str, list[Entry]] = {}
    for entry in _walk_data(lake, spec.name):
        groups.setdefault(posixpath.dirname(entry.path), []).append(entry)
    found = []
    for directory, files in sorted(groups.items()):
        try:
            partition = parse_partition(directory)
        except LakeError:
            continue  # a data file outside the partition layout is not a partition's
        found.append(PartitionFiles(partition, directory, tuple(files)))
    return found
