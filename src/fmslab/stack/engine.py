"""The Docker side of the stack: is an engine there, with Compose and enough memory?

`up`/`down` drive the `docker compose` CLI; `status`/`logs` read containers through the `docker`
Python SDK. Every problem is a `StackError` whose message says the cause and the fix.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fmslab.stack.compose import CORE, Stack, load_stack

PROJECT = "fmslab"  # the compose file's `name:`, the containers' com.docker.compose.project label
MIB = 1024**2
WAIT_TIMEOUT = 600  # seconds for every service to become healthy after the build
# What a student opens in a browser, per service and container port.
URLS = {
    ("jupyter", 8888): "JupyterLab",
    ("spark-master", 8080): "Spark master UI",
    ("spark-worker", 8081): "Spark worker UI",
    ("namenode", 9870): "NameNode UI / WebHDFS",
    ("prometheus", 9090): "Prometheus",
    ("alertmanager", 9093): "Alertmanager",
    ("grafana", 3000): "Grafana",
    ("kafka-ui", 8080): "Kafka UI",
    ("mailpit", 8025): "Mailpit (e-mails)",
    ("fms-api", 9872): "FMS API",
}


class StackError(RuntimeError):
    """The stack cannot be driven here; the message names the cause and the fix."""


def docker_cli() -> str:
    """The docker CLI's path, or a StackError saying how to install it."""
    exe = shutil.which("docker")
    if exe is None:
        raise StackError(
            "the docker command is not installed: install Docker Desktop (macOS, Windows) or "
            "Docker Engine with its compose plugin (Linux), then run this again"
        )
    return exe


def compose_version(exe: str) -> str:
    """`docker compose version`, or a StackError when the Compose v2 plugin is missing."""
    done = subprocess.run(
        [exe, "compose", "version", "--short"], capture_output=True, text=True, timeout=30
    )
    if done.returncode != 0:
        raise StackError(
            "Docker Compose v2 is missing (`docker compose` is not a docker command here): "
            "install the docker-compose-plugin package, or Docker Desktop, which includes it"
        )
    return done.stdout.strip()


def engine_client():  # -> docker.DockerClient (imported lazily: only stack commands need it)
    """A client of a running engine, or a StackError saying how to start one."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except DockerException as err:
        raise StackError(
            f"no Docker engine answers ({_reason(err)}): start Docker Desktop, or "
            "`sudo systemctl start docker` on Linux; `fmslab stack validate` needs no engine"
        ) from err
    return client


def _reason(err: Exception) -> str:
    text = str(err)
    return text if len(text) < 160 else text[:157] + "..."


def memory_problem(engine_bytes: int, needed_mib: int, profiles: list[str]) -> str | None:
    """Why the engine's memory is too small for these profiles (None when it is enough)."""
    have = engine_bytes // MIB
    if have >= needed_mib:
        return None
    names = ", ".join(profiles) or CORE
    return (
        f"the Docker engine has {have} MiB of memory, the profiles {names} need {needed_mib} MiB: "
        "give Docker more memory (Docker Desktop: Settings > Resources) or start fewer profiles"
    )


@dataclass(frozen=True)
class Plan:
    """What `up` starts: the profiles, the number of workers, and their memory."""

    profiles: list[str]
    workers: int
    memory_mib: int


def plan(stack: Stack, profiles: list[str], workers: int = 1) -> Plan:
    """The services of `profiles` (core always) with `workers` Spark workers, and their memory."""
    unknown = sorted(set(profiles) - set(stack.profiles))
    if unknown:
        raise StackError(
            f"no profile {', '.join(unknown)} in the compose file: choose from "
            f"{', '.join(p for p in stack.profiles if p != CORE)}"
        )
    services = [s for s in stack.services.values() if s.profile in (CORE, *profiles)]
    worker = stack.services.get("spark-worker")
    extra = (workers - 1) * (worker.memory_limit or 0) // MIB if worker else 0
    return Plan(profiles, workers, stack.memory_mib(services) + extra)


# Secrets each profile needs from stack/.env (core always runs).
REQUIRED_SECRETS = {CORE: ("JUPYTER_TOKEN",), "ui": ("GRAFANA_ADMIN_PASSWORD",)}


def check_env_file(folder: Path, profiles: list[str]) -> None:
    """stack/.env holds the secrets the started profiles need; without them `up` fails late."""
    path = folder / ".env"
    if not path.is_file():
        raise StackError(
            f"{path} is missing: copy stack/.env.example to stack/.env and fill in JUPYTER_TOKEN "
            "(and GRAFANA_ADMIN_PASSWORD for the ui profile)"
        )
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.lstrip().startswith("#"):
            values[key.strip()] = value.strip().strip("'\"")
    needed = [key for p in (CORE, *profiles) for key in REQUIRED_SECRETS.get(p, ())]
    missing = [key for key in needed if not values.get(key)]
    if missing:
        raise StackError(
            f"{path} sets no {', '.join(missing)}: give each a value (any long random string)"
        )


def compose_command(stack: Stack, profiles: list[str]) -> list[str]:
    """`docker compose` with this stack's file, project folder and profiles."""
    cmd = [docker_cli(), "compose", "-f", str(stack.path), "--project-directory", str(stack.folder)]
    for profile in profiles:
        cmd += ["--profile", profile]
    return cmd


def preflight(stack: Stack, wanted: Plan):
    """Every check `up` makes before it starts anything; returns the engine client."""
    compose_version(docker_cli())
    client = engine_client()
    problem = memory_problem(
        int(client.info().get("MemTotal", 0)), wanted.memory_mib, wanted.profiles
    )
    if problem:
        raise StackError(problem)
    check_env_file(stack.folder, wanted.profiles)
    return client


def up(profiles: list[str], workers: int = 1, stack: Stack | None = None) -> Plan:
    """Build the course image and start the stack; returns when every service is healthy."""
    stack = stack or load_stack()
    wanted = plan(stack, profiles, workers)
    preflight(stack, wanted)
    # --wait returns when every service is healthy; the timeout keeps a broken one from hanging it.
    cmd = compose_command(stack, profiles) + ["up", "--detach", "--build", "--wait"]
    cmd += ["--wait-timeout", str(WAIT_TIMEOUT)]
    cmd += ["--scale", f"spark-worker={workers}"]
    if subprocess.run(cmd).returncode != 0:
        raise StackError(
            "docker compose up failed (see its output above): `fmslab stack status` shows which "
            "service is unhealthy and `fmslab stack logs SERVICE` why"
        )
    return wanted


def down(volumes: bool = False, stack: Stack | None = None) -> None:
    """Stop and remove every container of the stack (every profile); `volumes` drops the data."""
    stack = stack or load_stack()
    compose_version(docker_cli())
    engine_client()
    cmd = compose_command(stack, ["*"]) + ["down", "--remove-orphans"]
    if volumes:
        cmd.append("--volumes")
    if subprocess.run(cmd).returncode != 0:
        raise StackError("docker compose down failed (see its output above)")
