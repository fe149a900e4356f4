"""The end-to-end tests share the jobs tests' private pipeline settings."""

from tests.jobs.conftest import pipeline_env  # noqa: F401  (a fixture, used by name)
