"""Prometheus and Alertmanager configuration rendered from stack/ templates and data/ thresholds.

One template per file, two sets of values: the stack's (service names, container paths) written
into `stack/` by `fmslab monitor render`, and the embedded run's (local ports, a temporary
folder) written by `fmslab monitor up`. Alert thresholds and `for` durations come from
`fmslab.thresholds`; a test renders the stack files again and requires them unchanged.

Placeholders are `%{name}` (`%%` is a literal `%`), so PromQL and the engines' own `{{ }}`
templates pass through untouched; an unknown placeholder is an error, not a silent blank.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path

from fmslab.config import project_root
from fmslab.thresholds import AlertThresholds, alert_thresholds

PROMETHEUS_TEMPLATE = Path("stack/prometheus/templates/prometheus.yml.tmpl")
RULES_TEMPLATE = Path("stack/prometheus/templates/rules.yml.tmpl")
ALERTMANAGER_TEMPLATE = Path("stack/alertmanager/alertmanager.yml.tmpl")
PROMETHEUS_FILE = Path("stack/prometheus/prometheus.yml")
RULES_FILE = Path("stack/prometheus/rules/fms.yml")
ALERTMANAGER_FILE = Path("stack/alertmanager/alertmanager.yml")

STACK_TARGETS = {
    "api": "fms-api:9872",
    "collector": "collector:9873",
    "stream": "stream:9874",
    "alerts": "alerts:9875",
    "prometheus": "prometheus:9090",
    "alertmanager": "alertmanager:9093",
}


class _Template(string.Template):
    delimiter = "%"
    pattern = (
        r"%(?:(?P<escaped>%)|\{(?P<braced>[a-z_][a-z0-9_]*)\}|(?P<named>(?!))|(?P<invalid>(?!)))"  # noqa: E501
    )


def render_text(template: str, values: dict[str, str]) -> str:
    """Fill `%{name}` placeholders; KeyError names a placeholder without a value."""
    return _Template(template).substitute(values)


def placeholders(template: str) -> set[str]:
    """The placeholder names a template uses."""
    return set(re.findall(r"%\{([a-z_][a-z0-9_]*)\}", template))


@dataclass
class PrometheusValues:
    """Where Prometheus finds its targets and rules, and how often it looks."""

    targets: dict[str, str] = field(default_factory=lambda: dict(STACK_TARGETS))
    rule_files: str = "/etc/prometheus/rules/*.yml"
    scrape_interval: str = "15s"
    scrape_timeout: str = "10s"
    evaluation_interval: str = "15s"

    def as_dict(self) -> dict[str, str]:
        """The template's values."""
        return {
            **self.targets,
            "rule_files": self.rule_files,
            "scrape_interval": self.scrape_interval,
            "scrape_timeout": self.scrape_timeout,
            "evaluation_interval": self.evaluation_interval,
        }


@dataclass
class AlertmanagerValues:
    """Receivers' endpoints and the timing of grouping and repeats."""

    slack_url_file: str = "/alertmanager/secrets/slack-webhook-url"  # written at start (compose)
    smtp_smarthost: str = "mailpit:1025"
    smtp_from: str = "fms-alerts@fmslab.local"
    smtp_require_tls: bool = False
    smtp_username: str | None = None
    smtp_password_file: str | None = None
    email_to: str = "factory-manager@fmslab.local"
    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat_critical: str = "1h"
    repeat_warning: str = "4h"

    def as_dict(self) -> dict[str, str]:
        """The template's values (SMTP auth lines only when a user name is set)."""
        auth = ""
        if self.smtp_username:
            auth = f'\n  smtp_auth_username: "{self.smtp_username}"'
            if self.smtp_password_file:
                auth += f'\n  smtp_auth_password_file: "{self.smtp_password_file}"'
        return {
            "slack_url_file": self.slack_url_file,
            "smtp_smarthost": self.smtp_smarthost,
            "smtp_from": self.smtp_from,
            "smtp_require_tls": "true" if self.smtp_require_tls else "false",
            "smtp_auth": auth,
            "email_to": self.email_to,
            "group_wait": self.group_wait,
            "group_interval": self.group_interval,
            "repeat_critical": self.repeat_critical,
            "repeat_warning": self.repeat_warning,
        }


def _template(relative: Path, root: Path | None) -> str:
    return ((root or project_root()) / relative).read_text(encoding="utf-8")


def render_rules(
    thresholds: AlertThresholds | None = None,
    for_overrides: dict[str, str] | None = None,
    root: Path | None = None,
) -> str:
    """The alert rules; `for_overrides` (e.g. {"sensor": "2s"}) shortens `for` in tests."""
    values = (thresholds or alert_thresholds()).as_template_values()
    values |= {f"for_{key}": value for key, value in (for_overrides or {}).items()}
    return render_text(_template(RULES_TEMPLATE, root), values)


def render_prometheus(values: PrometheusValues | None = None, root: Path | None = None) -> str:
    """prometheus.yml for the given targets (default: the stack's)."""
    return render_text(
        _template(PROMETHEUS_TEMPLATE, root), (values or PrometheusValues()).as_dict()
    )


def render_alertmanager(values: AlertmanagerValues | None = None, root: Path | None = None) -> str:
    """alertmanager.yml for the given receivers (default: the stack's)."""
    template = _template(ALERTMANAGER_TEMPLATE, root)
    return render_text(template, (values or AlertmanagerValues()).as_dict())


def stack_files(root: Path | None = None) -> dict[Path, str]:
    """The stack's generated files (relative path -> text)."""
    return {
        PROMETHEUS_FILE: render_prometheus(root=root),
        RULES_FILE: render_rules(root=root),
        ALERTMANAGER_FILE: render_alertmanager(root=root),
    }


def write_stack_files(root: Path | None = None) -> list[Path]:
    """Write the stack's generated files under `root`; returns the paths that changed."""
    base = root or project_root()
    changed = []
    for relative, text in stack_files(root).items():
        path = base / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
