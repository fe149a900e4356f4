"""The project's own rules for the compose file: what no schema can catch.

Each rule takes the loaded `Stack` and returns findings; `RULES` lists them in report order.
The Kafka rules (listeners, quorum, replication, heap) live in `kafka_rules`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from fmslab.stack.compose import CORE, Stack
from fmslab.stack.findings import Finding
from fmslab.stack.kafka_rules import (
    advertised_listeners,
    heap_limits,
    kraft_quorum,
    replication_factors,
    topics_fit_brokers,
)

COMPOSE = "stack/docker-compose.yml"
SECRET_KEY = re.compile(r"(PASSWORD|TOKEN|SECRET|WEBHOOK|API_KEY|PRIVATE_KEY)", re.I)
LOOPBACK = "127.0.0.1"


def _finding(rule: str, key: str, problem: str, fix: str, file: str = COMPOSE) -> Finding:
    return Finding(rule, file, key, problem, fix)


def pinned_tags(stack: Stack) -> Iterator[Finding]:
    """Every image has an explicit tag (or digest) other than `latest`."""
    for s in stack.services.values():
        key = f"services.{s.name}.image"
        if not s.image:
            yield _finding("pinned-tag", key, "no image", "give the service an `image: NAME:TAG`")
            continue
        name, _, tag = (
            s.image.rpartition(":") if ":" in s.image.split("/")[-1] else (s.image, "", "")
        )
        if "@sha256:" in s.image:
            continue
        if not tag or tag == "latest":
            yield _finding(
                "pinned-tag",
                key,
                f"image {s.image!r} is not pinned (no tag, or `latest`)",
                f"pin a release tag, e.g. `{name or s.image}:X.Y.Z`",
            )


def healthchecks(stack: Stack) -> Iterator[Finding]:
    """Every long-running service has a healthcheck (one-shot jobs have `restart: "no"`)."""
    for s in stack.services.values():
        check = s.raw.get("healthcheck") or {}
        if s.one_shot:
            continue
        if not check.get("test") or check.get("disable"):
            yield _finding(
                "healthcheck",
                f"services.{s.name}.healthcheck",
                "a long-running service has no healthcheck",
                "add `healthcheck: {test: [...], interval, retries, start_period}` "
                '(or mark a one-shot job `restart: "no"`)',
            )


def dependencies_wait_for_health(stack: Stack) -> Iterator[Finding]:
    """depends_on waits for health (or, on a one-shot job, for its successful end)."""
    for s in stack.services.values():
        for dep, spec in s.depends_on.items():
            key = f"services.{s.name}.depends_on.{dep}"
            if dep not in stack.services:
                yield _finding("depends-on", key, f"no service {dep!r}", "name an existing service")
                continue
            wanted = (
                "service_completed_successfully"
                if stack.services[dep].one_shot
                else "service_healthy"
            )
            if spec.get("condition") != wanted:
                yield _finding(
                    "depends-on",
                    key,
                    f"starts when {dep} has merely started, not when it is ready",
                    f"use `{dep}: {{condition: {wanted}}}`",
                )


def one_shots_adopted(stack: Stack) -> Iterator[Finding]:
    """A core service awaits each one-shot job, or `docker compose up --wait` fails on its exit."""
    for job in (s for s in stack.services.values() if s.one_shot):
        adopters = [
            s.name
            for s in stack.in_profile(CORE)
            if not s.one_shot
            and s.depends_on.get(job.name, {}).get("condition") == "service_completed_successfully"
        ]
        if not adopters:
            yield _finding(
                "depends-on",
                f"services.{job.name}",
                "no core service waits for this one-shot job: `up --wait` reports its exit as a "
                "failure (docker/compose#10596)",
                f"add `{job.name}: {{condition: service_completed_successfully}}` to the "
                "depends_on of a core service (e.g. jupyter)",
            )


def memory_limits(stack: Stack) -> Iterator[Finding]:
    """Every service has a memory limit."""
    for s in stack.services.values():
        if s.memory_limit is None:
            yield _finding(
                "memory-limit",
                f"services.{s.name}.deploy.resources.limits.memory",
                "no memory limit: one service can take the whole Docker VM",
                "add `deploy: {resources: {limits: {memory: 256m}}}` sized for the service",
            )


def memory_budget(stack: Stack) -> Iterator[Finding]:
    """The limits add up within x-fmslab.budget_mib: `core` alone, and every profile at once."""
    budget = stack.settings.get("budget_mib") or {}
    if not {CORE, "all"} <= set(budget):
        yield _finding(
            "memory-budget",
            "x-fmslab.budget_mib",
            "no memory budget for `core` and `all`",
            "add `x-fmslab: {budget_mib: {core: 4096, all: 6144}}`",
        )
        return
    sums = {
        CORE: stack.memory_mib(stack.in_profile(CORE)),
        "all": stack.memory_mib(list(stack.services.values())),
    }
    for name, total in sums.items():
        if total > int(budget[name]):
            biggest = max(
                (s for s in stack.services.values() if name == "all" or s.profile == CORE),
                key=lambda s: s.memory_limit or 0,
            )
            yield _finding(
                "memory-budget",
                f"x-fmslab.budget_mib.{name}",
                f"the memory limits of {name!r} add up to {total} MiB, over its "
                f"{budget[name]} MiB budget",
                f"lower limits (the largest is {biggest.name}) or move services to a profile",
            )


def host_ports_on_loopback(stack: Stack) -> Iterator[Finding]:
    """Every published port is bound to 127.0.0.1, never to all interfaces."""
    for s in stack.services.values():
        for port in s.ports:
            if port.host_ports and port.host_ip != LOOPBACK:
                yield _finding(
                    "loopback",
                    f"services.{s.name}.ports[{port.spec}]",
                    "published on every interface: anyone on the network reaches it",
                    f'write `"{LOOPBACK}:{port.host_ports[0]}:{port.container_port}"`',
                )


def secrets_from_env(stack: Stack) -> Iterator[Finding]:
    """Passwords, tokens and webhooks come from stack/.env (`${VAR}`), never typed in the file."""
    for s in stack.services.values():
        for name, value in s.environment.items():
            if SECRET_KEY.search(name) and value and "${" not in value:
                yield _finding(
                    "secret",
                    f"services.{s.name}.environment.{name}",
                    "a secret is written in the committed compose file",
                    f"write `{name}: ${{{name}:?set it in stack/.env}}` and put the value in "
                    "the git-ignored stack/.env",
                )
        command = " ".join(map(str, s.raw.get("command") or []))
        for match in re.finditer(r"(token|password)=([^\s$]+)", command, re.I):
            yield _finding(
                "secret",
                f"services.{s.name}.command",
                f"a {match.group(1).lower()} is written in the command",
                "take it from stack/.env: `--...token=${JUPYTER_TOKEN:?...}`",
            )


def env_example_has_no_values(stack: Stack) -> Iterator[Finding]:
    """.env.example names the secrets and leaves them empty."""
    example = stack.folder / ".env.example"
    if not example.is_file():
        yield _finding(
            "secret",
            "stack/.env.example",
            "no .env.example: students cannot know which secrets to set",
            "commit stack/.env.example with every variable and empty secret values",
            file="stack/.env.example",
        )
        return
    for number, line in enumerate(example.read_text(encoding="utf-8").splitlines(), 1):
        key, _, value = line.partition("=")
        if not line.lstrip().startswith("#") and SECRET_KEY.search(key) and value.strip():
            yield _finding(
                "secret",
                f"line {number} ({key.strip()})",
                "the example file holds a secret value",
                f"leave it empty: `{key.strip()}=`",
                file="stack/.env.example",
            )


def drivers_reachable(stack: Stack) -> Iterator[Finding]:
    """A Spark driver advertises its own service name, so executors can connect back to it."""
    for s in stack.services.values():
        args = s.environment.get("PYSPARK_SUBMIT_ARGS")
        if args is None:
            continue
        host = re.search(r"spark\.driver\.host=(\S+)", args)
        if host is None or host.group(1) != s.hostname or "hostname" not in s.raw:
            yield _finding(
                "driver-host",
                f"services.{s.name}.environment.PYSPARK_SUBMIT_ARGS",
                f"the driver in {s.name} advertises "
                f"{host.group(1) if host else 'its container id'}: executors cannot connect back",
                f"set `hostname: {s.name}` and `--conf spark.driver.host={s.name}`",
            )


Rule = Callable[[Stack], Iterator[Finding]]
RULES: tuple[Rule, ...] = (
    pinned_tags,
    healthchecks,
    dependencies_wait_for_health,
    one_shots_adopted,
    memory_limits,
    memory_budget,
    host_ports_on_loopback,
    advertised_listeners,
    kraft_quorum,
    replication_factors,
    topics_fit_brokers,
    heap_limits,
    drivers_reachable,
    secrets_from_env,
    env_example_has_no_values,
)


def compose_findings(stack: Stack) -> list[Finding]:
    """Every finding of the project's compose rules."""
    return [finding for rule in RULES for finding in rule(stack)]
