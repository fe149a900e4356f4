"""The error handler: real failures (a stopped broker, no JDK, bad JSON) get their severity."""

from __future__ import annotations

import errno
import json
import logging
from pathlib import Path

import httpx
import pytest

from fmslab.broker.clients import require_broker
from fmslab.jobs.errors import ErrorHandler, Incident, Severity, classify, is_retryable
from fmslab.services import free_port
from fmslab.streaming.session import check_java


def _raised(action) -> BaseException:
    with pytest.raises(Exception) as info:
        action()
    return info.value


def test_an_unreachable_broker_is_high() -> None:
    exc = _raised(lambda: require_broker(f"127.0.0.1:{free_port()}"))
    assert classify(exc) == (Severity.HIGH, "broker_unreachable")


def test_an_unreachable_api_is_high_and_a_timeout_medium() -> None:
    exc = _raised(lambda: httpx.get(f"http://127.0.0.1:{free_port()}/1/", timeout=2))
    assert classify(exc) == (Severity.HIGH, "service_unreachable")
    assert classify(httpx.ReadTimeout("slow")) == (Severity.MEDIUM, "transient")


def test_malformed_data_is_low() -> None:
    assert classify(_raised(lambda: json.loads('{"DeviceId": 1,'))) == (
        Severity.LOW,
        "malformed_data",
    )
    assert classify(_raised(lambda: b"\xff".decode("utf-8")))[0] is Severity.LOW


def test_a_missing_jdk_is_critical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))  # a JDK that is not there
    exc = _raised(check_java)
    assert classify(exc) == (Severity.CRITICAL, "environment")


def test_a_full_disk_is_critical_and_unknown_errors_medium() -> None:
    assert classify(OSError(errno.ENOSPC, "No space left on device")) == (
        Severity.CRITICAL,
        "disk",
    )
    assert classify(KeyError("x")) == (Severity.MEDIUM, "unexpected")


def test_only_transient_and_unreachable_are_retried() -> None:
    assert [s for s in Severity if is_retryable(s)] == [Severity.MEDIUM, Severity.HIGH]


def test_high_and_above_reach_the_notifier_and_everything_is_recorded() -> None:
    sent: list[Incident] = []
    handler = ErrorHandler(sent.append)
    handler.handle(_raised(lambda: json.loads("{")), step="processing")
    handler.handle(TimeoutError("slow"), step="collection")
    broker = handler.handle(
        _raised(lambda: require_broker(f"127.0.0.1:{free_port()}")), step="collection"
    )
    handler.handle(OSError(errno.ENOSPC, "disk full"), step="processing")
    assert [i.severity for i in sent] == [Severity.HIGH, Severity.CRITICAL]
    assert broker.notified and broker.step == "collection" and "no Kafka broker" in broker.message
    assert handler.counts() == {"LOW": 1, "MEDIUM": 1, "HIGH": 1, "CRITICAL": 1}
    assert [i.notified for i in handler.incidents] == [False, False, True, True]
    assert broker.as_dict()["severity"] == "HIGH"


def test_a_failing_notifier_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(incident: Incident) -> None:
        raise RuntimeError("webhook down")

    handler = ErrorHandler(broken)
    with caplog.at_level(logging.ERROR, logger="fmslab.jobs.errors"):
        incident = handler.handle(ConnectionRefusedError("refused"), step="collection")
    assert incident.severity is Severity.HIGH and not incident.notified
    assert "the notifier failed" in caplog.text


def test_the_default_notifier_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="fmslab.jobs.errors"):
        ErrorHandler().handle(ConnectionRefusedError("refused"), step="processing")
    assert "HIGH service_unreachable in processing: ConnectionRefusedError: refused" in caplog.text
