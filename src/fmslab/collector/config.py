"""Settings of one collector run: where to poll, where to produce, how hard to try."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from fmslab.config import Settings, load_settings

RAW_TOPIC = "fms-raw-data"


class CollectorConfig(BaseModel):
    """Everything a `Collector` needs; defaults follow the course (5 devices every 10 s)."""

    model_config = ConfigDict(frozen=True)

    api_url: str = "http://127.0.0.1:9872"
    bootstrap: str = "127.0.0.1:9092"
    topic: str = RAW_TOPIC
    devices: int = Field(5, ge=1, description="devices 1..N are polled")
    interval: float = Field(10.0, gt=0, description="seconds between two polls of one device")
    polls: int | None = Field(None, ge=1, description="polls per device, then stop (None: no end)")
    timeout: float = Field(2.0, gt=0, description="seconds one HTTP request may take")
    retries: int = Field(3, ge=0, description="retries after the first attempt")
    backoff_initial: float = Field(0.1, ge=0, description="first retry delay, doubled per retry")
    backoff_max: float = Field(2.0, ge=0)
    retry_after_max: float = Field(30.0, ge=0, description="cap on an honoured Retry-After")
    breaker_threshold: int = Field(3, ge=1, description="failed polls in a row that open it")
    breaker_cooldown: float = Field(30.0, ge=0, description="seconds open before a trial poll")
    max_connections: int = Field(16, ge=1, description="HTTP requests in flight at most")
    spool_dir: Path = Path(".fmslab/collector/spool")
    archive_dir: Path = Path("lake/landing")
    quarantine_file: Path = Path(".fmslab/collector/quarantine.jsonl")
    metrics_port: int | None = Field(None, description="serve /metrics on METRICS_HOST:PORT")
    metrics_host: str = Field("127.0.0.1", description="address /metrics listens on")
    probe_interval: float = Field(1.0, gt=0, description="seconds between broker probes")
    delivery_timeout: float = Field(10.0, gt=0, description="seconds until a send counts failed")
    seed: int = 42
    producer_overrides: dict[str, object] = Field(default_factory=dict)

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be http(s)://HOST[:PORT][/PATH], not {value!r}")
        return value

    @model_validator(mode="after")
    def _backoff_order(self) -> CollectorConfig:
        if self.backoff_max < self.backoff_initial:
            raise ValueError("backoff_max must be >= backoff_initial")
        return self

    @property
    def device_ids(self) -> list[int]:
        """The polled DeviceIds."""
        return list(range(1, self.devices + 1))

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **changes: object) -> CollectorConfig:
        """A config whose endpoints and paths come from the course settings."""
        settings = settings or load_settings()
        state = Path(settings.state_dir or ".fmslab")
        values: dict[str, object] = {
            "api_url": settings.api_url,
            "bootstrap": settings.bootstrap,
            "metrics_port": settings.metrics_port,
            "metrics_host": settings.host,  # 0.0.0.0 in a container, so Prometheus reaches it
            "spool_dir": state / "collector" / "spool",
            "archive_dir": Path(settings.lake_dir or "lake") / "landing",
            "quarantine_file": state / "collector" / "quarantine.jsonl",
            "seed": settings.seed,
        }
        values.update({k: v for k, v in changes.items() if v is not None})
        return cls(**values)
