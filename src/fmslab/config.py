"""One settings object for every part of the course: mode, endpoints, paths, seeds.

`load_settings()` reads `FMSLAB_<FIELD>` environment variables and the git-ignored `.env` of the
project root (the environment wins), through pydantic-settings, so the mode changes endpoints,
never logic. `Settings(...)` alone is exactly what its arguments say (plus the defaults): tests
and notebooks build one without the machine's environment leaking in.

A new setting is one annotated field below; its variable is `FMSLAB_` + the field name in
capitals (`stream_metrics_port` -> `FMSLAB_STREAM_METRICS_PORT`). An empty variable means "the
default", so `FMSLAB_HDFS_USER=` in the environment undoes a user set in `.env`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

Mode = Literal["embedded", "stack"]

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_HDFS_URL = "http://namenode:9870"  # the stack's namenode, WebHDFS port
DEFAULT_HDFS_ROOT = "/fms"
ENV_PREFIX = "FMSLAB_"
# Path settings left unset default to these folders under `root`.
_DEFAULT_DIRS = {
    "state_dir": ".fmslab",
    "lake_dir": "lake",
    "reports_dir": "reports",
    "log_dir": ".fmslab/log",
}


class SettingsError(ValueError):
    """A setting from the environment or `.env` has a value that is not allowed."""


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


class Settings(BaseSettings):
    """Endpoints, paths and seeds for one run of the course."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    mode: Mode = "embedded"
    host: str = "127.0.0.1"
    api_port: int = 9872
    broker_port: int = 9092
    metrics_port: int = 9873
    stream_metrics_port: int = 9874  # the stream job's /metrics (0: none)
    seed: int = 42
    root: Path = Field(default_factory=project_root)
    state_dir: Path | None = None
    lake_dir: Path | None = None
    reports_dir: Path | None = None
    log_dir: Path | None = None
    hdfs_url: str = DEFAULT_HDFS_URL  # WebHDFS of the stack's lake
    hdfs_root: str = DEFAULT_HDFS_ROOT  # the lake's root folder on HDFS
    hdfs_user: str | None = None  # HDFS user name (None: the local login name)
    spark_master: str | None = None  # a standalone master (spark://HOST:PORT); None: by mode

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only the arguments: `load_settings` is where the environment and `.env` come in.
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value != ""}
        return data

    @model_validator(mode="after")
    def _paths_under_root(self) -> Settings:
        # The model is frozen once built; filling in derived defaults is part of building it.
        for name, sub in _DEFAULT_DIRS.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, self.root / sub)
        return self

    @property
    def api_url(self) -> str:
        """Base URL of the FMS API (simulator)."""
        host = "fms-api" if self.mode == "stack" else self.host
        return f"http://{host}:{self.api_port}"

    @property
    def bootstrap(self) -> str:
        """Kafka bootstrap servers."""
        if self.mode == "stack":
            return "kafka-1:19092,kafka-2:19092"  # the brokers' internal listeners (stack/)
        return f"{self.host}:{self.broker_port}"

    def with_(self, **changes: object) -> Settings:
        """A copy with some values changed (validated like the original)."""
        return type(self)(**{**dict(self), **changes})


def environment_values(env_file: Path | None = None) -> dict[str, Any]:
    """The settings given by `FMSLAB_*` variables and the `.env` file (environment wins)."""
    env_file = env_file if env_file is not None else project_root() / ".env"
    from_file = DotEnvSettingsSource(Settings, env_file=env_file)()
    values = {**from_file, **EnvSettingsSource(Settings)()}
    # `.env` may hold other variables (secrets for other tools): only the settings are taken.
    return {name: value for name, value in values.items() if name in Settings.model_fields}


def load_settings() -> Settings:
    """Settings from the environment and `.env` (environment wins)."""
    try:
        return Settings(**environment_values())
    except ValidationError as exc:
        problems = "; ".join(
            f"{ENV_PREFIX}{'_'.join(map(str, e['loc'])).upper()}={e.get('input')!r}: {e['msg']}"
            for e in exc.errors()
        )
        raise SettingsError(f"{problems} (set it in the environment or .env)") from None
