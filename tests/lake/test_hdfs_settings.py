"""WebHDFS endpoint, root and user are settings (environment or `.env`), read by `open_lake`."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from fmslab.config import Settings, data_dir, load_settings
from fmslab.lake.records import read_zone, write_records
from fmslab.lake.storage import open_lake
from fmslab.lake.webhdfs import HdfsLake

HDFS_VARS = ("FMSLAB_HDFS_URL", "FMSLAB_HDFS_ROOT", "FMSLAB_HDFS_USER")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project root of its own (for `.env`), with no HDFS variable in the environment."""
    (tmp_path / "data").symlink_to(data_dir())  # the course's data files (lake zones) stay found
    monkeypatch.setenv("FMSLAB_HOME", str(tmp_path))
    for name in HDFS_VARS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_defaults_are_the_stacks_namenode(home: Path) -> None:
    settings = load_settings()
    assert (settings.hdfs_url, settings.hdfs_root, settings.hdfs_user) == (
        "http://namenode:9870",
        "/fms",
        None,
    )
    assert Settings().hdfs_url == settings.hdfs_url


def test_dotenv_sets_them_and_the_environment_wins(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (home / ".env").write_text(
        "FMSLAB_HDFS_URL=http://nn.example:9870\nFMSLAB_HDFS_ROOT=/lake\nFMSLAB_HDFS_USER='etl'\n"
    )
    settings = load_settings()
    assert (settings.hdfs_url, settings.hdfs_root, settings.hdfs_user) == (
        "http://nn.example:9870",
        "/lake",
        "etl",
    )
    monkeypatch.setenv("FMSLAB_HDFS_ROOT", "/other")
    monkeypatch.setenv("FMSLAB_HDFS_USER", "")  # empty: no user, the login name is used
    settings = load_settings()
    assert (settings.hdfs_root, settings.hdfs_user) == ("/other", None)


def test_open_lake_reaches_hdfs_with_the_settings_alone(
    home: Path, webhdfs: str, make_readings
) -> None:
    root = f"/fms-{uuid.uuid4().hex[:8]}"
    settings = Settings(mode="stack", hdfs_url=webhdfs, hdfs_root=root, hdfs_user="alice")
    lake = open_lake(settings)
    assert isinstance(lake, HdfsLake) and (lake.url, lake.root) == (webhdfs, root)
    # The user name reaches the namenode: WebHDFS answers the home folder of the caller.
    assert lake.client._get_home_directory("/").json()["Path"] == "/user/alice"
    readings = make_readings(seed=3, devices=2)
    write_records(lake, "processed", readings)
    again = open_lake(load_settings().with_(mode="stack", hdfs_url=webhdfs, hdfs_root=root))
    assert len(read_zone(again, "processed")) == len(readings)
