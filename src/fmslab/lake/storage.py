"""One storage interface for the lake, two backends: a local directory and HDFS (WebHDFS).

Paths are POSIX-style and relative to the lake root (`processed/device_id=1/date=2024-01-15`);
an absolute path or one that climbs out of the root (`..`) is refused with a `LakeError`.

The interface lives in `interface`, the backends in `local` and `webhdfs` (they import the
interface, never this module); this module picks the backend of the run and re-exports the
interface, so callers import everything from `fmslab.lake.storage`.
"""

from __future__ import annotations

from pathlib import Path

from fmslab.config import Settings, load_settings
from fmslab.lake.interface import Entry, Lake, LakeError, Usage, clean_path, hidden

__all__ = ["Entry", "Lake", "LakeError", "Usage", "clean_path", "hidden", "open_lake"]


def open_lake(settings: Settings | None = None) -> Lake:
    """The lake of this run: the local directory `settings.lake_dir` (embedded) or HDFS (stack).

    HDFS is reached at `settings.hdfs_url` (WebHDFS), under `hdfs_root`, as `hdfs_user`
    (`FMSLAB_HDFS_URL`, `FMSLAB_HDFS_ROOT`, `FMSLAB_HDFS_USER`, in the environment or `.env`).
    """
    settings = settings or load_settings()
    if settings.mode == "stack":
        from fmslab.lake.webhdfs import HdfsLake

        return HdfsLake(settings.hdfs_url, settings.hdfs_root, user=settings.hdfs_user)
    from fmslab.lake.local import LocalLake

    return LocalLake(Path(settings.lake_dir or "lake"))
