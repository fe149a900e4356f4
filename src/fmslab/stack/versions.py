"""One Spark and one Python across master, workers, driver and connector.

They all run the course image, built from stack/Dockerfile: its Python base, its SPARK_VERSION
(the Kafka connector's version) and the lock's pyspark must agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fmslab.stack.compose import Stack
from fmslab.stack.findings import Finding

SPARK_SERVICES = ("spark-master", "spark-worker", "jupyter", "stream")  # cluster and drivers
LOCK = "requirements.lock"
DOCKERFILE = "stack/Dockerfile"


@dataclass(frozen=True)
class ImageVersions:
    """What stack/Dockerfile builds: its Python, its Spark (connector) version and base image."""

    base: str
    python: str  # major.minor of the base image
    spark: str  # ARG SPARK_VERSION
    connector: str  # the --packages coordinate, with the ARG substituted


def dockerfile_versions(text: str) -> ImageVersions:
    """The versions a Dockerfile pins (empty strings where it pins none)."""
    base = next(iter(re.findall(r"^FROM\s+(\S+)", text, re.M)), "")
    python = re.match(r"python:(\d+\.\d+)", base)
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, re.M))
    coordinate = next(iter(re.findall(r"spark-sql-kafka-0-10_[^\s\"']+", text)), "")
    for name, value in args.items():
        coordinate = coordinate.replace(f"${{{name}}}", value).replace(f"${name}", value)
    return ImageVersions(
        base, python.group(1) if python else "", args.get("SPARK_VERSION", ""), coordinate
    )


def locked_versions(text: str) -> tuple[dict[str, str], str]:
    """The lock's pinned versions {name: version} and the Python it was compiled for."""
    pins = {
        m.group(1).lower(): m.group(2)
        for m in re.finditer(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", text, re.M)
    }
    python = re.search(r"--python-version[ =](\d+\.\d+)", text)
    return pins, python.group(1) if python else ""


def _f(key: str, problem: str, fix: str, file: str = DOCKERFILE) -> Finding:
    return Finding("versions", file, key, problem, fix)


def version_findings(stack: Stack, root: Path) -> Iterator[Finding]:
    """Master, worker and driver share the course image, whose Spark and Python match the lock."""
    image = stack.settings.get("course_image")
    for name in SPARK_SERVICES:
        service = stack.services.get(name)
        if service is None:
            yield _f(
                f"services.{name}", "missing", "restore the service", "stack/docker-compose.yml"
            )
        elif service.image != image or not service.raw.get("build"):
            yield _f(
                f"services.{name}.image",
                f"{name} runs {service.image!r}, not the course image {image!r} built from "
                f"{DOCKERFILE}: its Spark or Python may differ from the others'",
                f"use `<<: *course` (image {image}, build stack/Dockerfile)",
                "stack/docker-compose.yml",
            )
    dockerfile, lock = root / DOCKERFILE, root / LOCK
    if not dockerfile.is_file() or not lock.is_file():
        yield _f("file", f"{DOCKERFILE} or {LOCK} is missing", "restore it (make lock)")
        return
    yield from _image_matches_lock(
        dockerfile_versions(dockerfile.read_text()), *locked_versions(lock.read_text())
    )


def _image_matches_lock(
    image: ImageVersions, pins: dict[str, str], python: str
) -> Iterator[Finding]:
    pyspark = pins.get("pyspark", "")
    if image.spark != pyspark:
        yield _f(
            "ARG SPARK_VERSION",
            f"the connector is built for Spark {image.spark or '?'}, "
            f"the lock pins pyspark {pyspark or '?'}",
            f"set `ARG SPARK_VERSION={pyspark}` (the connector must match Spark exactly)",
        )
    if not image.connector.endswith(f":{pyspark}"):
        yield _f(
            "--packages",
            f"the connector coordinate {image.connector or '(none)'} is not at Spark {pyspark}",
            f"bake org.apache.spark:spark-sql-kafka-0-10_2.13:{pyspark}",
        )
    if image.python != python:
        yield _f(
            "FROM",
            f"the image's Python is {image.python or '?'} ({image.base}), the lock is for Python "
            f"{python or '?'}: driver and executors would run other packages than CI tested",
            f"use a python:{python}.x-slim-bookworm base, or re-lock for {image.python}",
        )
