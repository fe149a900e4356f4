"""`fmslab stack validate`: every check of the stack's files that needs no Docker engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from fmslab.config import project_root
from fmslab.stack.compose import load_stack
from fmslab.stack.findings import Finding, Skipped
from fmslab.stack.monitoring_files import grafana_findings, scrape_findings
from fmslab.stack.rules import compose_findings
from fmslab.stack.tools import TOOL_CHECKS
from fmslab.stack.versions import version_findings


@dataclass
class Report:
    """The findings of one validation, and the checks that could not run here."""

    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def text(self) -> str:
        """The report as a student reads it: findings, then skipped checks, then the verdict."""
        lines = [str(f) for f in self.findings] + [str(s) for s in self.skipped]
        verdict = "stack OK" if self.ok else f"{len(self.findings)} finding(s)"
        return "\n".join([*lines, verdict])


def validate(root: Path | None = None, *, tools: bool = True) -> Report:
    """Check stack/ under `root` (the checkout): schema, Dockerfile, monitoring files, rules.

    `tools=False` runs only the project's own rules (no external checker), e.g. in a notebook.
    """
    root = root or project_root()
    compose = root / "stack" / "docker-compose.yml"
    report = Report()
    if not compose.is_file():
        report.findings.append(
            Finding(
                "file", "stack/docker-compose.yml", "file", "missing", "restore stack/ from git"
            )
        )
        return report
    try:
        stack = load_stack(compose)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        problem = str(getattr(err, "problem", None) or err)
        report.findings.append(
            Finding(
                "yaml", "stack/docker-compose.yml", where, f"not YAML: {problem}", "fix the YAML"
            )
        )
        return report
    report.findings += compose_findings(stack)
    report.findings += version_findings(stack, root)
    report.findings += scrape_findings(stack)
    report.findings += grafana_findings(stack)
    for check in TOOL_CHECKS if tools else ():
        for item in check(root):
            (report.skipped if isinstance(item, Skipped) else report.findings).append(item)
    return report
