"""Why the stream job failed, in one or two lines: the cause, the fix, and where the full text is.

A failed streaming query reaches Python as one long StreamingQueryException: Spark's error class,
then (for an error in the Python data source) a Python traceback whose first line is
"Traceback (most recent call last):" and whose cause is its *last* line, then the JVM's stack.
Printing its first line said nothing; `explain` finds the cause and pairs it with the fix.
"""

from __future__ import annotations

import errno
import json
import re
from dataclasses import dataclass
from pathlib import Path

# The last line of a Python traceback: `package.module.ErrorName: message` (CamelCase name).
_PYTHON_ERROR = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?([A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*):\s*(.*)$")
_TRACEBACK = "Traceback (most recent call last):"
# Spark's own error classes: `[CLASS_NAME] message`, the innermost (last) one is the cause.
_SPARK_CLASS = re.compile(r"\[([A-Z][A-Z0-9_]{3,})\]")
# Classes of a checkpoint that does not fit the query (its state, offsets or metadata).
_CHECKPOINT_PREFIXES = ("STATE_STORE", "STATEFUL_", "STREAMING_STATEFUL_", "STREAMING_STATE_")
_CHECKPOINT_PARTS = ("CHECKPOINT", "OFFSET_LOG", "STATE_METADATA")
# Spark's wrapper classes carry no cause of their own: look past them.
_WRAPPERS = {"STREAM_FAILED", "PYTHON_STREAMING_DATA_SOURCE_RUNTIME_ERROR"}
# A task's Python worker of another minor version (raised on the executor, seen in any query).
_VERSION_MISMATCH = re.compile(
    r"\[PYTHON_VERSION_MISMATCH\] Python in worker has different version:? ([\d.]+) than "
    r"that in driver:? ([\d.]+)"
)


@dataclass(frozen=True)
class Failure:
    """What went wrong (`cause`), what to do (`fix`)."""

    cause: str
    fix: str

    def lines(self, log: Path | None = None, jvm_log: Path | None = None) -> list[str]:
        """The two lines a command prints (the second also says where the full text is)."""
        where = f" Full error: {log}" if log else ""
        where += f" (JVM log: {jvm_log})" if jvm_log else ""
        return [f"error: {self.cause}", f"fix: {self.fix}.{where}"]


def python_cause(text: str) -> tuple[str, str] | None:
    """(error name, message) that ends the (last) Python traceback in `text`, if any.

    A traceback's frames are indented; the first line after them that is not is the exception.
    """
    _, found_traceback, rest = text.rpartition(_TRACEBACK)
    if not found_traceback:
        return None
    for line in rest.splitlines()[1:]:
        if not line.startswith(" "):
            match = _PYTHON_ERROR.match(line)
            return (match.group(1), match.group(2).strip()) if match else None
    return None


def spark_cause(text: str) -> tuple[str, str] | None:
    """(error class, first sentence) of the innermost Spark error class in `text`, if any."""
    line = text.split("\n", 1)[0]
    classes = [m for m in _SPARK_CLASS.finditer(line) if m.group(1) not in _WRAPPERS]
    if not classes:
        return None
    last = classes[-1]
    return last.group(1), line[last.end() :].strip().split(". ")[0]


def _from_python(name: str, message: str, bootstrap: str) -> Failure:
    first = message.split(". ")[0]
    if name in ("NoBrokersAvailable", "KafkaConnectionError", "BrokerUnreachable"):
        return Failure(
            f"the Kafka broker at {bootstrap} stopped answering ({name})",
            "start it again (`fmslab broker start`) or pass --bootstrap HOST:PORT, then rerun "
            "with the same --checkpoint: the query resumes where it stopped",
        )
    if "fewer records than this query's checkpoint" in message:
        return Failure(
            f"{first} ({name})",
            "the embedded broker forgot its records on restart: rerun with a new --checkpoint "
            "(`fmslab reconcile` restores from the landing archive what the lake lacks)",
        )
    if "codec" in message and "pip install" in message:
        head, _, fix = message.rpartition("; ")
        return Failure(f"{head} ({name})", fix)
    if "the broker restarted" in message:
        return Failure(
            f"{first} ({name})",
            "the embedded broker forgot its records on restart: rerun with a new --checkpoint "
            "(`fmslab reconcile` restores from the landing archive what the lake lacks)",
        )
    if name == "LakeError":
        return Failure(
            f"{name}: {first}",
            "the lake refused a write: make its folder writable again (a zone directory must be "
            "a directory), then rerun with the same --checkpoint: the batch is replayed",
        )
    return Failure(
        f"{name}: {first}",
        "the stream job's Kafka source failed: check the broker and topic the message names",
    )


def explain(err: BaseException, *, bootstrap: str, checkpoint: Path) -> Failure:
    """The cause and fix of a failure of `fmslab stream` (reading `bootstrap` into `checkpoint`)."""
    if isinstance(err, OSError) and err.errno == errno.EADDRINUSE:
        return Failure(
            f"a port the stream job needs is in use ({err})",
            "stop the process that holds it (`fmslab down`, or `ss -ltnp` to find it) or "
            "choose another port in the settings",
        )
    text = str(err)
    if (mismatch := _VERSION_MISMATCH.search(text)) is not None:
        return Failure(
            f"the workers' Python is {mismatch.group(1)}, the driver's {mismatch.group(2)}: "
            "PySpark cannot run with different minor versions (PYTHON_VERSION_MISMATCH)",
            "unset PYSPARK_PYTHON (the course sets it to the driver's interpreter) or point it "
            "at the driver's Python version, with the same packages, on every worker",
        )
    python = python_cause(text)
    if python is not None:
        return _from_python(*python, bootstrap)
    spark = spark_cause(text)
    if spark is not None:
        name, message = spark
        if name.startswith(_CHECKPOINT_PREFIXES) or any(p in name for p in _CHECKPOINT_PARTS):
            return Failure(
                f"the checkpoint {checkpoint} does not fit this query (written by another "
                f"query, or damaged): {message} ({name})",
                f"pass a new --checkpoint DIR (or delete {checkpoint}); a checkpoint serves "
                "one query only",
            )
        return Failure(f"{message} ({name})", "see the full error for Spark's explanation")
    first = text.splitlines()[0] if text else type(err).__name__
    return Failure(f"{type(err).__name__}: {first}", "see the full error")


CHECKPOINT_MARK = "fmslab-stream.json"
_MARK = {"job": "fmslab stream", "source": "fms-raw-data"}


def claim_checkpoint(checkpoint: Path) -> Failure | None:
    """Mark `checkpoint` as `fmslab stream`'s, or say why it is not (None: it is ours now).

    Spark resumes from any checkpoint whose offsets fit: one written by another query of the same
    topic is taken silently, and the records that query read never reach the lake. So the stream
    job marks its checkpoints and refuses one that holds Spark's offsets without its mark.
    """
    mark = checkpoint / CHECKPOINT_MARK
    if mark.is_file():
        try:
            if json.loads(mark.read_text(encoding="utf-8")) == _MARK:
                return None
        except ValueError:
            pass
        return Failure(f"{mark} is not the stream job's mark", _other_query_fix(checkpoint))
    if (checkpoint / "offsets").is_dir() or (checkpoint / "metadata").is_file():
        return Failure(
            f"the checkpoint {checkpoint} was not written by `fmslab stream` (it has no "
            f"{CHECKPOINT_MARK}): resuming another query's checkpoint skips what that query read",
            _other_query_fix(checkpoint),
        )
    checkpoint.mkdir(parents=True, exist_ok=True)
    mark.write_text(json.dumps(_MARK), encoding="utf-8")
    return None


def _other_query_fix(checkpoint: Path) -> str:
    return (
        f"pass a new --checkpoint DIR (or delete {checkpoint}); a checkpoint serves one query only"
    )


def write_error_log(err: BaseException, path: Path) -> Path:
    """Keep the whole error text (Spark's, Python's traceback and the JVM's stack) in `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{type(err).__name__}: {err}\n", encoding="utf-8")
    return path
