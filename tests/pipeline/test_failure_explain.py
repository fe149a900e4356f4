"""`explain` finds the cause in the texts Spark 4 really gives a failed query (captured from
`fmslab stream` runs: a checkpoint of another query; a Python data source error), and the fix."""

from __future__ import annotations

import errno
from pathlib import Path

from fmslab.streaming.failures import explain, python_cause, spark_cause

CHECKPOINT = Path("ck")
# The first line of the StreamingQueryException of `fmslab stream --checkpoint DIR`, where DIR
# was written by a query with another stateful operator (a groupBy count).
OTHER_QUERY = (
    "[STREAM_FAILED] Query [id = faca91ef, runId = 3f548242] terminated with exception: "
    "[STREAMING_STATEFUL_OPERATOR_NOT_MATCH_IN_STATE_METADATA] Streaming stateful operator name "
    "does not match with the operator in state metadata. This likely to happen when user "
    "adds/removes/changes stateful operator of existing streaming query.\n"
    "Stateful operators in the metadata: [(OperatorId: 0 -> OperatorName: stateStoreSave)]"
)
# The shape of a Python data source failure: Spark's classes, the traceback, then the JVM's.
SOURCE_ERROR = (
    "[STREAM_FAILED] Query [id = 1, runId = 2] terminated with exception: "
    "[PYTHON_STREAMING_DATA_SOURCE_RUNTIME_ERROR] Failed when Python streaming data source "
    "perform latestOffset: Traceback (most recent call last):\n"
    '  File "kafka_source.py", line 398, in latestOffset\n'
    "    check_not_behind(self.opts.topic, begin, end)\n"
    "kafka.errors.NoBrokersAvailable: NoBrokersAvailable\n"
    " SQLSTATE: 38000\n"
    "JVM stacktrace:\n"
    "\tat org.apache.spark.sql.errors.QueryExecutionErrors$.x(QueryExecutionErrors.scala:1)\n"
    "java.lang.IllegalStateException: not ours\n"
)


def test_a_checkpoint_of_another_query_is_named_with_the_fix() -> None:
    assert spark_cause(OTHER_QUERY) == (
        "STREAMING_STATEFUL_OPERATOR_NOT_MATCH_IN_STATE_METADATA",
        "Streaming stateful operator name does not match with the operator in state metadata",
    )
    error, fix = explain(RuntimeError(OTHER_QUERY), bootstrap="b:1", checkpoint=CHECKPOINT).lines()
    assert error.startswith("error: the checkpoint ck does not fit this query (written by another")
    assert "new --checkpoint" in fix


def test_the_cause_of_a_data_source_error_is_the_tracebacks_last_python_line() -> None:
    assert python_cause(SOURCE_ERROR) == ("NoBrokersAvailable", "NoBrokersAvailable")
    failure = explain(RuntimeError(SOURCE_ERROR), bootstrap="h:9", checkpoint=CHECKPOINT)
    assert failure.cause == "the Kafka broker at h:9 stopped answering (NoBrokersAvailable)"
    assert "fmslab broker start" in failure.fix
    logs = failure.lines(Path("err.log"), Path("jvm.log"))
    assert logs[1].endswith("Full error: err.log (JVM log: jvm.log)")


def test_a_port_in_use_and_an_unknown_error_still_get_two_lines() -> None:
    busy = OSError(errno.EADDRINUSE, "Address already in use")
    assert "in use" in explain(busy, bootstrap="b", checkpoint=CHECKPOINT).cause
    error, fix = explain(ValueError("odd"), bootstrap="b", checkpoint=CHECKPOINT).lines()
    assert (error, fix) == ("error: ValueError: odd", "fix: see the full error.")
