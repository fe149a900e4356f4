"""The stack's compose file as data: services, profiles, images, ports, memory limits.

Chapter 04 and `fmslab stack validate` read the stack from here, so every table they show is
computed from the file itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fmslab.config import project_root

CORE = "core"  # the services without a profile
_UNITS = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def stack_dir(root: Path | None = None) -> Path:
    """The folder holding docker-compose.yml and the services' configuration."""
    return (root or project_root()) / "stack"


def parse_memory(value: str | int) -> int:
    """Bytes from a Compose memory value (`512m`, `1g`, `1.5g`, a number of bytes)."""
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"\s*([\d.]+)\s*([bkmg])?b?\s*", str(value).lower())
    if not match:
        raise ValueError(f"not a memory size: {value!r} (use e.g. 512m or 1g)")
    return int(float(match.group(1)) * _UNITS[match.group(2) or "b"])


@dataclass(frozen=True)
class PortMapping:
    """One published port: host address, host port(s) and the container port."""

    host_ip: str | None
    host_ports: tuple[int, ...]
    container_port: int
    spec: str  # as written in the file

    @classmethod
    def parse(cls, entry: str | int | dict) -> PortMapping:
        """A short (`127.0.0.1:9092:9092`, `8081-8084:8081`) or long-syntax ports entry."""
        if isinstance(entry, dict):
            published = str(entry.get("published", ""))
            return cls(
                entry.get("host_ip"),
                _port_range(published) if published else (),
                int(entry["target"]),
                str(entry),
            )
        text = str(entry).split("/")[0]  # drop /tcp
        parts = text.rsplit(":", 2) if text.count(":") >= 2 else [None, *text.split(":")]
        if len(parts) == 2:  # "9092" alone: no host side
            parts = [None, None, parts[1]]
        host_ip, host, container = parts
        return cls(
            host_ip,
            _port_range(host) if host else (),
            int(container),
            str(entry),
        )


def _port_range(text: str) -> tuple[int, ...]:
    low, _, high = text.partition("-")
    return tuple(range(int(low), int(high or low) + 1))


@dataclass
class Service:
    """One service of the compose file, with the fields the course's rules look at."""

    name: str
    raw: dict[str, Any]
    profiles: tuple[str, ...] = ()
    ports: list[PortMapping] = field(default_factory=list)

    @property
    def image(self) -> str | None:
        return self.raw.get("image")

    @property
    def hostname(self) -> str:
        return self.raw.get("hostname") or self.name

    @property
    def environment(self) -> dict[str, str]:
        env = self.raw.get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
        return {str(k): "" if v is None else str(v) for k, v in env.items()}

    @property
    def one_shot(self) -> bool:
        """A job that runs once and exits (`restart: "no"`), so it has no health to check."""
        return str(self.raw.get("restart", "")).lower() == "no"

    @property
    def memory_limit(self) -> int | None:
        """The memory limit in bytes (deploy.resources.limits.memory or mem_limit), or None."""
        limits = ((self.raw.get("deploy") or {}).get("resources") or {}).get("limits") or {}
        value = limits.get("memory", self.raw.get("mem_limit"))
        return None if value is None else parse_memory(value)

    @property
    def profile(self) -> str:
        """The profile a student names to start it (`core` when it has none)."""
        return self.profiles[0] if self.profiles else CORE

    @property
    def container_ports(self) -> set[int]:
        """Ports the service listens on inside the network (published or exposed)."""
        exposed = {int(str(p).split("/")[0]) for p in self.raw.get("expose") or []}
        return {p.container_port for p in self.ports} | exposed

    @property
    def depends_on(self) -> dict[str, dict[str, Any]]:
        deps = self.raw.get("depends_on") or {}
        if isinstance(deps, list):
            return {name: {} for name in deps}
        return {name: dict(spec or {}) for name, spec in deps.items()}


@dataclass
class Stack:
    """The compose file of the stack: its services and the course's `x-fmslab` settings."""

    path: Path
    raw: dict[str, Any]
    services: dict[str, Service]

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def settings(self) -> dict[str, Any]:
        return self.raw.get("x-fmslab") or {}

    @property
    def profiles(self) -> list[str]:
        """`core`, then every profile named in the file, in order of first appearance."""
        names = [CORE]
        for service in self.services.values():
            names.extend(p for p in service.profiles if p not in names)
        return names

    def in_profile(self, profile: str) -> list[Service]:
        """The services a `--profile` starts (with `core`, which always starts)."""
        return [s for s in self.services.values() if s.profile in (CORE, profile)]

    def memory_mib(self, services: list[Service]) -> int:
        """The sum of the memory limits of some services, in MiB (unlimited ones count 0)."""
        return sum(s.memory_limit or 0 for s in services) // 1024**2

    def volumes(self) -> list[str]:
        return list((self.raw.get("volumes") or {}).keys())


def load_stack(path: Path | None = None) -> Stack:
    """The compose file at `path` (default: stack/docker-compose.yml of the checkout)."""
    path = path or stack_dir() / "docker-compose.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    services = {}
    for name, spec in (raw.get("services") or {}).items():
        spec = spec or {}
        services[name] = Service(
            name,
            spec,
            tuple(spec.get("profiles") or ()),
            [PortMapping.parse(p) for p in spec.get("ports") or []],
        )
    return Stack(path, raw, services)
