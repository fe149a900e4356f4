"""`fmslab stack validate` names file, key and fix for each kind of mistake.

Every test breaks one thing in a private copy of stack/ (tmp dir) and runs the real checks on it;
the real stack passing is checked through the command in test_commands.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from fmslab.stack import tools
from fmslab.stack.findings import Finding, Skipped
from fmslab.stack.validate import validate

COMPOSE = "stack/docker-compose.yml"


def only(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def rules_of(root: Path) -> list[Finding]:
    """The project's own rules (no external tool) on a checkout copy."""
    return validate(root, tools=False).findings


@pytest.mark.parametrize(
    ("service", "image"),
    [("kafka-2", "apache/kafka:latest"), ("grafana", "grafana/grafana")],
)
def test_an_unpinned_image_is_named_with_its_key(edit_compose, service: str, image: str) -> None:
    root = edit_compose(lambda c: c["services"][service].update(image=image))
    (finding,) = only(rules_of(root), "pinned-tag")
    assert (finding.file, finding.key) == (COMPOSE, f"services.{service}.image")
    assert image in finding.problem and "pin a release tag" in finding.fix


def test_missing_healthcheck_and_a_depends_on_that_does_not_wait(edit_compose) -> None:
    def change(c: dict) -> None:
        del c["services"]["namenode"]["healthcheck"]
        c["services"]["kafka-2"]["depends_on"] = ["kafka-1"]

    findings = rules_of(edit_compose(change))
    (health,) = only(findings, "healthcheck")
    assert health.key == "services.namenode.healthcheck" and "healthcheck:" in health.fix
    depends = {f.key: f for f in only(findings, "depends-on")}
    assert "services.kafka-2.depends_on.kafka-1" in depends
    assert "condition: service_healthy" in depends["services.kafka-2.depends_on.kafka-1"].fix
    # datanode waits for namenode's health, which namenode no longer has a check for
    assert all(f.key.startswith("services.") for f in depends.values())


def test_missing_memory_limit_and_a_budget_overrun(edit_compose) -> None:
    def change(c: dict) -> None:
        del c["services"]["fms-api"]["deploy"]
        c["services"]["spark-worker"]["deploy"]["resources"]["limits"]["memory"] = "2g"

    findings = rules_of(edit_compose(change))
    (limit,) = only(findings, "memory-limit")
    assert limit.key == "services.fms-api.deploy.resources.limits.memory"
    budget = {f.key: f for f in only(findings, "memory-budget")}
    # 3936 - 128 (no limit now) - 1152 + 2048 = 4704 MiB in core, over its 4096
    assert "4704 MiB" in budget["x-fmslab.budget_mib.core"].problem
    assert "spark-worker" in budget["x-fmslab.budget_mib.core"].fix


def test_a_port_on_every_interface(edit_compose) -> None:
    root = edit_compose(lambda c: c["services"]["grafana"].update(ports=["3000:3000"]))
    (finding,) = only(rules_of(root), "loopback")
    assert finding.key == "services.grafana.ports[3000:3000]"
    assert '"127.0.0.1:3000:3000"' in finding.fix


def test_advertised_port_differs_from_the_published_one(edit_compose) -> None:
    root = edit_compose(lambda c: c["services"]["kafka-2"].update(ports=["127.0.0.1:9095:9094"]))
    (finding,) = only(rules_of(root), "advertised-port")
    assert finding.key == "services.kafka-2.environment.KAFKA_ADVERTISED_LISTENERS"
    assert "localhost:9094" in finding.problem and "[9095]" in finding.problem
    assert '"127.0.0.1:9094:9094"' in finding.fix


def test_an_internal_listener_advertising_localhost_to_containers(edit_compose) -> None:
    listeners = "PLAINTEXT://kafka1:19092,PLAINTEXT_HOST://localhost:9092"
    root = edit_compose(
        lambda c: c["services"]["kafka-1"]["environment"].update(
            KAFKA_ADVERTISED_LISTENERS=listeners
        )
    )
    (finding,) = only(rules_of(root), "advertised-port")
    assert "'kafka-1'" in finding.problem and "PLAINTEXT://kafka-1:19092" in finding.fix


def test_voters_that_do_not_match_the_controller_role(edit_compose) -> None:
    def change(c: dict) -> None:
        for name in ("kafka-1", "kafka-2"):
            c["services"][name]["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"] = (
                "1@kafka-1:9093,2@kafka-2:9093"
            )

    findings = only(rules_of(edit_compose(change)), "kraft")
    (finding,) = findings
    assert "voter 2@kafka-2:9093 is not a node with the controller role" in finding.problem
    assert "KAFKA_PROCESS_ROLES" in finding.fix


def test_a_controller_left_out_of_the_voters_and_two_cluster_ids(edit_compose) -> None:
    def change(c: dict) -> None:
        env = c["services"]["kafka-2"]["environment"]
        env["KAFKA_PROCESS_ROLES"] = "broker,controller"
        env["CLUSTER_ID"] = "another-cluster"

    findings = {f.key: f for f in only(rules_of(edit_compose(change)), "kraft")}
    assert "kafka-2 has the controller role but is not a voter" in (
        findings["services.kafka-2.environment.KAFKA_PROCESS_ROLES"].problem
    )
    assert "random-uuid" in findings["services.kafka-1.environment.CLUSTER_ID"].fix


def test_replication_above_the_broker_count_and_no_heap_limit(edit_compose) -> None:
    def change(c: dict) -> None:
        env = c["services"]["kafka-1"]["environment"]
        env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] = 3
        del env["KAFKA_HEAP_OPTS"]
        c["services"]["kafka-2"]["environment"]["KAFKA_MIN_INSYNC_REPLICAS"] = 2

    findings = rules_of(edit_compose(change))
    replication, isr = only(findings, "replication")
    assert replication.key.endswith("kafka-1.environment.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR")
    assert "2 brokers" in replication.problem and replication.fix.endswith(": 2")
    assert isr.key == "services.kafka-2.environment.KAFKA_MIN_INSYNC_REPLICAS"
    assert "one broker down stops these writes" in isr.problem and isr.fix.endswith(": 1")
    (heap,) = only(findings, "heap")
    assert heap.key == "services.kafka-1.environment.KAFKA_HEAP_OPTS" and "-Xmx" in heap.fix


def test_a_secret_typed_into_the_compose_file_or_the_example(edit_compose) -> None:
    root = edit_compose(
        lambda c: c["services"]["grafana"]["environment"].update(
            GF_SECURITY_ADMIN_PASSWORD="hunter2"
        )
    )
    example = root / "stack" / ".env.example"
    example.write_text(example.read_text().replace("JUPYTER_TOKEN=", "JUPYTER_TOKEN=abc123"))
    findings = only(rules_of(root), "secret")
    keys = {(f.file, f.key) for f in findings}
    assert (COMPOSE, "services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD") in keys
    example_finding = next(f for f in findings if f.file == "stack/.env.example")
    assert (
        "JUPYTER_TOKEN" in example_finding.key
        and example_finding.fix == "leave it empty: `JUPYTER_TOKEN=`"
    )


def test_a_committed_or_unignored_env_file(stack_copy: Path) -> None:
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=stack_copy, check=True)
    (stack_copy / "stack" / ".env").write_text("JUPYTER_TOKEN=secret\n")
    (finding,) = tools.committed_env(stack_copy)
    assert finding.file == ".gitignore" and "add `.env`" in finding.fix
    subprocess.run([*git, "add", "-f", "stack/.env"], cwd=stack_copy, check=True)
    (finding,) = tools.committed_env(stack_copy)
    assert finding.file == "stack/.env" and "git rm --cached" in finding.fix


def test_spark_python_and_connector_versions_must_match(stack_copy: Path, edit_compose) -> None:
    dockerfile = stack_copy / "stack" / "Dockerfile"
    text = dockerfile.read_text()
    dockerfile.write_text(
        text.replace("ARG SPARK_VERSION=4.3.0", "ARG SPARK_VERSION=4.0.1").replace(
            "python:3.11.14-slim", "python:3.12.12-slim"
        )
    )
    edit_compose(lambda c: c["services"]["spark-worker"].update(image="apache/spark:4.0.1"))
    findings = {f.key: f for f in only(rules_of(stack_copy), "versions")}
    assert "pyspark 4.3.0" in findings["ARG SPARK_VERSION"].problem
    assert findings["ARG SPARK_VERSION"].fix == (
        "set `ARG SPARK_VERSION=4.3.0` (the connector must match Spark exactly)"
    )
    assert "spark-sql-kafka-0-10_2.13:4.3.0" in findings["--packages"].fix
    assert "Python is 3.12" in findings["FROM"].problem
    assert "apache/spark:4.0.1" in findings["services.spark-worker.image"].problem


def test_scrape_targets_must_be_services_on_their_ports(stack_copy: Path) -> None:
    config = stack_copy / "stack" / "prometheus" / "prometheus.yml"
    config.write_text(
        config.read_text()
        .replace('"collector:9873"', '"localhost:9873"')
        .replace('"stream:9874"', '"stream:8000"')
    )
    findings = {f.key: f for f in only(rules_of(stack_copy), "scrape")}
    assert set(findings) == {
        "scrape_configs[collector].targets[localhost:9873]",
        "scrape_configs[stream].targets[stream:8000]",
    }
    assert "no service" in findings["scrape_configs[collector].targets[localhost:9873]"].problem
    assert "stream:9874" in findings["scrape_configs[stream].targets[stream:8000]"].fix


def test_grafana_inputs_unknown_uids_bad_json_and_no_provisioned_uid(stack_copy: Path) -> None:
    grafana = stack_copy / "stack" / "grafana"
    panel = {"datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}}
    other = {"datasource": {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}}
    (grafana / "dashboards" / "exported.json").write_text(json.dumps({"panels": [panel, other]}))
    (grafana / "dashboards" / "broken.json").write_text('{"panels": [')
    source = grafana / "provisioning" / "datasources" / "prometheus.yml"
    source.write_text(source.read_text().replace("uid: fms-prometheus", "uid: prom"))
    findings = only(rules_of(stack_copy), "grafana")
    by_key = {(f.file.rsplit("/", 1)[-1], f.key): f for f in findings}
    assert ("exported.json", "${DS_PROMETHEUS}") in by_key
    assert "fms-prometheus" in by_key[("exported.json", "datasource.uid 'P1809F7CD0C75ACF3'")].fix
    assert by_key[("broken.json", "line 1")].problem.startswith("not JSON")
    assert ("datasources", "datasources[].uid") in by_key


def test_compose_spec_schema_violation(edit_compose) -> None:
    root = edit_compose(
        lambda c: c["services"]["mailpit"].update(helthcheck={"test": ["CMD", "x"]})
    )
    (finding,) = [f for f in tools.compose_schema(root) if isinstance(f, Finding)]
    assert finding.rule == "compose-spec" and finding.file == COMPOSE
    assert "helthcheck" in finding.problem and finding.key == "$.services.mailpit"


def test_hadolint_names_the_dockerfile_line(stack_copy: Path) -> None:
    dockerfile = stack_copy / "stack" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace(" --no-install-recommends", ""))
    findings = [f for f in tools.dockerfile_lint(stack_copy) if isinstance(f, Finding)]
    assert [f.problem.split(":")[0] for f in findings] == ["DL3015"]
    assert findings[0].key.startswith("line ") and "hadolint/wiki/DL3015" in findings[0].fix


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not on PATH")
def test_promtool_rejects_a_broken_rule(stack_copy: Path) -> None:
    rule = stack_copy / "stack" / "prometheus" / "rules" / "broken.yml"
    rule.write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: up ==\n")
    (finding,) = [f for f in tools.prometheus_files(stack_copy) if isinstance(f, Finding)]
    assert finding.key == "promtool check rules" and "broken.yml" in finding.problem


@pytest.mark.skipif(shutil.which("amtool") is None, reason="amtool not on PATH")
def test_amtool_rejects_a_route_to_no_receiver(stack_copy: Path) -> None:
    config = stack_copy / "stack" / "alertmanager" / "alertmanager.yml"
    text = config.read_text()
    assert "- receiver: slack\n" in text
    config.write_text(text.replace("- receiver: slack\n", "- receiver: nobody\n"))
    (finding,) = [f for f in tools.alertmanager_file(stack_copy) if isinstance(f, Finding)]
    assert finding.file == "stack/alertmanager/alertmanager.yml" and "nobody" in finding.problem


def test_tools_missing_are_reported_as_skipped(stack_copy: Path) -> None:
    # A checkout that is not a git repository: the .env check says why it did not run.
    (item,) = tools.committed_env(stack_copy)
    assert isinstance(item, Skipped) and item.reason == "not a git checkout"


def test_a_compose_file_that_is_not_yaml(stack_copy: Path) -> None:
    compose = stack_copy / COMPOSE
    lines = compose.read_text().splitlines()
    lines[60] = "      KAFKA_CONTROLLER_LISTENER_NAMES: [CONTROLLER"  # an unclosed flow list
    compose.write_text("\n".join(lines))
    (finding,) = validate(stack_copy, tools=False).findings
    assert (
        finding.rule == "yaml" and finding.key.startswith("line ") and "not YAML" in finding.problem
    )


def test_a_driver_executors_cannot_reach_and_topics_over_the_broker_count(edit_compose) -> None:
    def change(c: dict) -> None:
        del c["services"]["jupyter"]["hostname"]
        env = c["services"]["stream"]["environment"]
        env["PYSPARK_SUBMIT_ARGS"] = env["PYSPARK_SUBMIT_ARGS"].replace(
            "host=stream", "host=localhost"
        )

    root = edit_compose(change)
    topics = root / "data" / "topics.yaml"
    topics.write_text(topics.read_text().replace("replication: 2", "replication: 3", 1))
    findings = rules_of(root)
    drivers = {f.key: f for f in only(findings, "driver-host")}
    assert set(drivers) == {
        "services.jupyter.environment.PYSPARK_SUBMIT_ARGS",
        "services.stream.environment.PYSPARK_SUBMIT_ARGS",
    }
    assert (
        "advertises localhost" in drivers["services.stream.environment.PYSPARK_SUBMIT_ARGS"].problem
    )
    assert (
        "spark.driver.host=jupyter"
        in drivers["services.jupyter.environment.PYSPARK_SUBMIT_ARGS"].fix
    )
    (topic,) = [f for f in findings if f.file == "data/topics.yaml"]
    assert topic.key == "topics[fms-raw-data].replication" and topic.fix.startswith(
        "set replication: 2"
    )


def test_a_one_shot_job_no_core_service_waits_for(edit_compose) -> None:
    root = edit_compose(lambda c: c["services"]["jupyter"]["depends_on"].pop("topic-init"))
    (finding,) = only(rules_of(root), "depends-on")
    assert finding.key == "services.topic-init" and "10596" in finding.problem
    assert "condition: service_completed_successfully" in finding.fix
