"""`fmslab stream` fails in two lines, cause and fix, never with a traceback: no broker, no JDK,
a checkpoint it did not write.
(The failures inside a running query are explained by fmslab.streaming.failures: see
test_codecs_stream.py, which triggers one for real.)"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from fmslab.services import fmslab_command, free_port
from fmslab.streaming.failures import CHECKPOINT_MARK, claim_checkpoint

pytestmark = pytest.mark.slow  # `fmslab` subprocesses


def _stream(tmp_path: Path, bootstrap: str, **env: str) -> subprocess.CompletedProcess:
    args = ("stream", "--available-now", "--bootstrap", bootstrap)
    args += ("--checkpoint", str(tmp_path / "checkpoint"), "--lake-dir", str(tmp_path / "lake"))
    environment = {**os.environ, "FMSLAB_STATE_DIR": str(tmp_path / "state"), **env}
    return subprocess.run(
        fmslab_command(*args), capture_output=True, text=True, timeout=120, env=environment
    )


def _two_lines(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("fix: ")
    return lines


def test_no_broker_is_named_with_the_fix(tmp_path: Path) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"  # nothing listens there
    error, fix = _two_lines(_stream(tmp_path, bootstrap))
    assert bootstrap in error
    assert "fmslab broker start" in fix


def test_no_jdk_is_named_with_the_fix(tmp_path: Path, broker: str) -> None:
    error, fix = _two_lines(_stream(tmp_path, broker, JAVA_HOME=str(tmp_path / "no-jdk")))
    assert "No java found" in error and "no-jdk" in error
    assert "JDK 17" in fix


def test_a_checkpoint_without_the_stream_jobs_mark_is_refused(tmp_path: Path, broker: str) -> None:
    # Spark's layout (metadata, offsets/) as another query leaves it, without fmslab's mark.
    foreign = tmp_path / "checkpoint"
    (foreign / "offsets").mkdir(parents=True)
    (foreign / "metadata").write_text('{"id":"1b4e28ba-2fa1-11d2-883f-0016d3cca427"}\n')
    error, fix = _two_lines(_stream(tmp_path, broker))
    assert "was not written by `fmslab stream`" in error and str(foreign) in error
    assert "new --checkpoint" in fix
    assert not (foreign / CHECKPOINT_MARK).exists()


def test_a_new_checkpoint_is_marked_and_then_accepted(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    assert claim_checkpoint(fresh) is None
    assert (fresh / CHECKPOINT_MARK).is_file()
    (fresh / "offsets").mkdir()  # Spark's first batch
    assert claim_checkpoint(fresh) is None
    (fresh / CHECKPOINT_MARK).write_text("{}")
    refused = claim_checkpoint(fresh)
    assert refused is not None and "new --checkpoint" in refused.fix
