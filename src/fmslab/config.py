"""One settings object for every part of the course: mode, endpoints, paths, seeds.

Values come from `FMSLAB_*` environment variables (or a git-ignored `.env`), so the mode changes
endpoints, never logic.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

Mode = Literal["embedded", "stack"]

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_HDFS_URL = "http://namenode:9870"  # the stack's namenode, WebHDFS port
DEFAULT_HDFS_ROOT = "/fms"


def project_root() -> Path:
    """The checkout's root (the folder holding `data/`), or the working directory when installed."""
    env = os.environ.get("FMSLAB_HOME")
    if env:
        return Path(env)
    for parent in PACKAGE_DIR.parents:
        if (parent / "data").is_dir() and (parent / "pyproject.toml").is_file():
            return parent
    return Path.cwd()


def data_dir() -> Path:
    """The course's data folder: device profiles, quality rules, requirements, samples."""
    return project_root() / "data"


def _load_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    pairs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip().strip("'\"")
    return pairs


def _env(name: str, default: str, extra: dict[str, str]) -> str:
    return os.environ.get(name, extra.get(name, default))


@dataclass(frozen=True)
class Settings:
    """Endpoints, paths and seeds for one run of the course."""

    mode: Mode = "embedded"
    host: str = "127.0.0.1"
    api_port: int = 9872
    broker_port: int = 9092
    metrics_port: int = 9873
    stream_metrics_port: int = 9874  # the stream job's /metrics (0: none)
    seed: int = 42
    root: Path = field(default_factory=project_root)
    state_dir: Path | None = None
    lake_dir: Path | None = None
    reports_dir: Path | None = None
    log_dir: Path | None = None
    hdfs_url: str = DEFAULT_HDFS_URL  # WebHDFS of the stack's lake
    hdfs_root: str = DEFAULT_HDFS_ROOT  # the lake's root folder on HDFS
    hdfs_user: str | None = None  # HDFS user name (None: the local login name)

    def __post_init__(self) -> None:
        # Paths default to folders under the root; the class is frozen, hence object.__setattr__.
        defaults = {
            "state_dir": ".fmslab",
            "lake_dir": "lake",
            "reports_dir": "reports",
            "log_dir": ".fmslab/log",
        }
        for name, sub in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.root / sub)

    @property
    def api_url(self) -> str:
        """Base URL of the FMS API (simulator)."""
        host = "fms-api" if self.mode == "stack" else self.host
        return f"http://{host}:{self.api_port}"

    @property
    def bootstrap(self) -> str:
        """Kafka bootstrap servers."""
        if self.mode == "stack":
            return "kafka1:9092,kafka2:9092"
        return f"{self.host}:{self.broker_port}"

    def with_(self, **changes: object) -> Settings:
        """A copy with some values changed."""
        return replace(self, **changes)


def load_settings() -> Settings:
    """Settings from the environment and `.env` (environment wins)."""
    extra = _load_dotenv(project_root() / ".env")
    mode = _env("FMSLAB_MODE", "embedded", extra)
    if mode not in ("embedded", "stack"):
        raise ValueError(f"FMSLAB_MODE must be 'embedded' or 'stack', not {mode!r}")
    root = Path(_env("FMSLAB_HOME", str(project_root()), extra))
    paths = {
        name: Path(extra_value)
        for name, key in (
            ("state_dir", "FMSLAB_STATE_DIR"),
            ("lake_dir", "FMSLAB_LAKE_DIR"),
            ("reports_dir", "FMSLAB_REPORTS_DIR"),
            ("log_dir", "FMSLAB_LOG_DIR"),
        )
        if (extra_value := _env(key, "", extra))
    }
    return Settings(
        mode=mode,  # type: ignore[arg-type]
        host=_env("FMSLAB_HOST", "127.0.0.1", extra),
        api_port=int(_env("FMSLAB_API_PORT", "9872", extra)),
        broker_port=int(_env("FMSLAB_BROKER_PORT", "9092", extra)),
        metrics_port=int(_env("FMSLAB_METRICS_PORT", "9873", extra)),
        stream_metrics_port=int(_env("FMSLAB_STREAM_METRICS_PORT", "9874", extra)),
        seed=int(_env("FMSLAB_SEED", "42", extra)),
        root=root,
        hdfs_url=_env("FMSLAB_HDFS_URL", DEFAULT_HDFS_URL, extra),
        hdfs_root=_env("FMSLAB_HDFS_ROOT", DEFAULT_HDFS_ROOT, extra),
        hdfs_user=_env("FMSLAB_HDFS_USER", "", extra) or None,
        **paths,
    )
