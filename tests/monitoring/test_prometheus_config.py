"""Prometheus and Alertmanager configuration: generated from one template and data/, checked and
unit-tested with the engines' own tools (promtool, amtool)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fmslab.config import project_root
from fmslab.monitoring import render
from fmslab.streaming.udfs import load_thresholds
from fmslab.thresholds import alert_thresholds, load_alert_thresholds
from tests.monitoring.tools import run

ROOT = project_root()
RULE_TESTS = ROOT / "stack/prometheus/tests/fms_rules_test.yml"


def test_committed_stack_files_equal_what_the_templates_and_data_render() -> None:
    for relative, text in render.stack_files().items():
        committed = (ROOT / relative).read_text(encoding="utf-8")
        assert committed == text, f"{relative} is stale: run `fmslab monitor render` and commit"


def test_rule_thresholds_come_from_data(tmp_path: Path) -> None:
    t = alert_thresholds()
    assert t.sensor_above == {"sensor1": 90.0, "sensor2": 85.0, "sensor3": 130.0}
    assert load_thresholds().critical_above == tuple(t.sensor_above.values())  # the UDFs too
    assert t.quality_score_below == 0.70
    # Change the data: the rendered rules change with it (no number is typed twice).
    data = yaml.safe_load((ROOT / "data/alert_thresholds.yaml").read_text(encoding="utf-8"))
    data["sensors"]["sensor1"]["above"] = 77.5
    data["for"]["sensor"] = "45s"
    changed = tmp_path / "alert_thresholds.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rules = yaml.safe_load(render.render_rules(load_alert_thresholds(changed)))
    temperature = next(
        r for g in rules["groups"] for r in g["rules"] if r["alert"] == "TemperatureHigh"
    )
    assert temperature["expr"].endswith("> 77.5")
    assert temperature["for"] == "45s"


def test_an_unknown_placeholder_is_an_error() -> None:
    with pytest.raises(KeyError, match="nope"):
        render.render_text("a: %{nope}", {})
    assert render.render_text("100%% of %{x}", {"x": "it"}) == "100% of it"


def test_promtool_checks_the_stack_and_embedded_configs(tmp_path: Path) -> None:
    done = run("promtool", "check", "config", str(ROOT / render.PROMETHEUS_FILE))
    assert done.returncode == 0, done.stdout + done.stderr
    embedded = render.PrometheusValues(
        targets={name: f"127.0.0.1:{9000 + i}" for i, name in enumerate(render.STACK_TARGETS)},
        rule_files=str(ROOT / render.RULES_FILE),
    )
    path = tmp_path / "prometheus.yml"
    path.write_text(render.render_prometheus(embedded), encoding="utf-8")
    done = run("promtool", "check", "config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 9 rules found" in done.stdout


def test_every_rule_is_unit_tested_firing_and_not_firing() -> None:
    rules = yaml.safe_load((ROOT / render.RULES_FILE).read_text(encoding="utf-8"))
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    cases = [
        case
        for test in yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    firing = {c["alertname"] for c in cases if c["exp_alerts"]}
    quiet = {c["alertname"] for c in cases if not c["exp_alerts"]}
    assert firing == names and quiet == names
    done = run("promtool", "test", "rules", str(RULE_TESTS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout
    print(f"{len(names)} rules, {len(cases)} promtool rule test cases passed")


def test_amtool_accepts_the_alertmanager_config() -> None:
    done = run("amtool", "check-config", str(ROOT / render.ALERTMANAGER_FILE))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 inhibit rules" in done.stdout


ROUTES = [
    ("warning", "slack"),
    ("error", "slack-and-email"),
    ("critical", "slack-and-email"),
    ("info", "log-only"),
    (None, "log-only"),  # no severity label: nobody is told
]


@pytest.mark.parametrize(("severity", "receiver"), ROUTES)
def test_routing_by_severity(severity: str | None, receiver: str) -> None:
    labels = ["alertname=TemperatureHigh", "device=1"]
    labels += [f"severity={severity}"] if severity else []
    config = f"--config.file={ROOT / render.ALERTMANAGER_FILE}"
    done = run(
        "amtool", "config", "routes", "test", config, f"--verify.receivers={receiver}", *labels
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # And amtool really verifies: the wrong receiver fails.
    wrong = "slack" if receiver != "slack" else "slack-and-email"
    done = run("amtool", "config", "routes", "test", config, f"--verify.receivers={wrong}", *labels)
    assert done.returncode == 1, done.stdout
