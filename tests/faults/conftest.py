"""The fault tests share the jobs tests' private pipeline settings (free ports, own folders)."""

from tests.jobs.conftest import pipeline_env  # noqa: F401  (a fixture, used by name)
