"""The lock pins every dependency; the image's Spark, the connector and pyspark are one version."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version

import yaml

from fmslab.stack.compose import load_stack
from fmslab.stack.versions import SPARK_SERVICES, dockerfile_versions, locked_versions
from tests.stack.conftest import ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _lock() -> tuple[dict[str, str], str]:
    return locked_versions((ROOT / "requirements.lock").read_text())


def test_every_dependency_of_pyproject_is_pinned_in_the_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins, _ = _lock()
    normalized = {name.replace("_", "-").replace(".", "-"): v for name, v in pins.items()}
    missing = [r for r in wanted if _name(r).replace(".", "-") not in normalized]
    assert not missing, f"not in requirements.lock (run `make lock`): {missing}"
    # The lock pins exact versions only, and this environment was installed from it.
    assert all(re.fullmatch(r"[\w.+!]+", v) for v in pins.values())
    assert version("pyspark") == pins["pyspark"], "the venv's pyspark is not the locked one"


def test_image_spark_connector_and_locked_pyspark_are_one_version() -> None:
    pins, python = _lock()
    image = dockerfile_versions((ROOT / "stack" / "Dockerfile").read_text())
    assert image.spark == pins["pyspark"], (image.spark, pins["pyspark"])
    assert image.connector == f"spark-sql-kafka-0-10_2.13:{pins['pyspark']}", image.connector
    assert image.python == python == "3.11", (image.base, python)
    stack = load_stack(ROOT / "stack" / "docker-compose.yml")
    images = {stack.services[name].image for name in SPARK_SERVICES}
    assert images == {stack.settings["course_image"]}, images  # master, worker, driver: one image
    assert stack.services["spark-master"].raw["build"]["dockerfile"] == "stack/Dockerfile"


def test_make_ci_conda_and_the_image_install_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert '-c requirements.lock -e ".[dev]"' in makefile
    assert re.search(r"^lock:.*\n\t.*uv pip compile pyproject.toml --extra dev", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()  # CI goes through make
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-c requirements.lock" in pip
    assert (
        'pip install -c requirements.lock -e ".[dev]"'
        in (ROOT / "stack" / "Dockerfile").read_text()
    )
