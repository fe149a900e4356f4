"""Settings: `FMSLAB_*` variables and `.env` through pydantic-settings, same fields and defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fmslab.config import Settings, SettingsError, load_settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root of its own (for `.env`) and no FMSLAB_* variable but FMSLAB_HOME."""
    for name in [n for n in os.environ if n.startswith("FMSLAB_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("FMSLAB_HOME", str(tmp_path))
    return tmp_path


def test_defaults_and_derived_paths(home: Path) -> None:
    settings = load_settings()
    assert (settings.mode, settings.host, settings.seed) == ("embedded", "127.0.0.1", 42)
    assert (settings.api_port, settings.broker_port, settings.metrics_port) == (9872, 9092, 9873)
    assert settings.root == home
    assert (settings.state_dir, settings.lake_dir) == (home / ".fmslab", home / "lake")
    assert (settings.reports_dir, settings.log_dir) == (home / "reports", home / ".fmslab/log")
    assert settings.api_url == "http://127.0.0.1:9872"
    assert settings.bootstrap == "127.0.0.1:9092"
    assert settings == Settings()


def test_environment_beats_dotenv_and_types_are_converted(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / ".env").write_text(
        "# a comment\nFMSLAB_API_PORT=7000\nFMSLAB_SEED='7'\nFMSLAB_LAKE_DIR=/data/lake\n"
        "FMSLAB_SLACK_WEBHOOK=https://hooks.example/secret\nOTHER=1\n"
    )
    monkeypatch.setenv("FMSLAB_API_PORT", "7001")
    monkeypatch.setenv("FMSLAB_MODE", "stack")
    settings = load_settings()
    assert (settings.api_port, settings.seed, settings.mode) == (7001, 7, "stack")
    assert settings.lake_dir == Path("/data/lake")
    assert settings.state_dir == home / ".fmslab"  # not given: still under the root
    assert settings.api_url == "http://fms-api:7001"


def test_an_empty_variable_means_the_default(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / ".env").write_text("FMSLAB_STATE_DIR=/elsewhere\n")
    monkeypatch.setenv("FMSLAB_STATE_DIR", "")
    assert load_settings().state_dir == home / ".fmslab"


def test_a_bad_value_names_the_variable(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FMSLAB_MODE", "cluster")
    (home / ".env").write_text("FMSLAB_BROKER_PORT=ninety\n")
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert "FMSLAB_MODE='cluster'" in message and "'embedded' or 'stack'" in message
    assert "FMSLAB_BROKER_PORT='ninety'" in message


def test_settings_built_in_code_ignore_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FMSLAB_MODE", "stack")
    (home / ".env").write_text("FMSLAB_SEED=9\n")
    settings = Settings(lake_dir=home / "l")
    assert (settings.mode, settings.seed) == ("embedded", 42)
    changed = settings.with_(mode="stack", seed=3)
    assert (changed.mode, changed.seed, changed.lake_dir) == ("stack", 3, home / "l")
    with pytest.raises(ValueError):
        settings.with_(mode="cluster")
    with pytest.raises(ValueError):
        Settings(no_such_setting=1)
