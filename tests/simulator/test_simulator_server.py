"""The `fmslab api` server over real HTTP: format, ids, clocks, HTTP faults, metrics and logs."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from fmslab.config import data_dir
from fmslab.services import fmslab_command, wait_until
from fmslab.simulator import simulate_readings
from tests.simulator.sim_checks import FIELDS, parse_time, well_typed

StartSimulator = Callable[..., str]

# Each test starts a server process (a few seconds of interpreter start-up and imports).
pytestmark = pytest.mark.slow


def metric_samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The simulator's metrics: (sample name, sorted labels) -> value."""
    text = httpx.get(f"{url}/metrics", timeout=5).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def log_dir_of(url: str, tmp_path: Path) -> Path:
    """The --log-dir the start_simulator fixture gave the server at `url`."""
    return tmp_path / f"api-{url.rsplit(':', 1)[1]}-log"


def test_reading_matches_the_original_api(start_simulator: StartSimulator) -> None:
    url = start_simulator(seed=7)
    sample = json.loads((data_dir() / "sample_reading.json").read_text())
    with httpx.Client(base_url=url, timeout=5) as client:
        for device in range(1, 6):
            for path in (f"/{device}/", f"/{device}"):  # with and without the trailing slash
                response = client.get(path)
                assert response.status_code == 200
                assert response.headers["content-type"] == "application/json"
                reading = response.json()
                assert list(reading) == list(sample) == list(FIELDS)
                assert well_typed(reading), reading
                assert reading["DeviceId"] == device
                for name in FIELDS[2:8]:  # sensors and motors: floats, 2 decimals at most
                    assert re.fullmatch(r"-?\d+\.\d{1,2}", json.dumps(reading[name])), reading
        for bad in ("0", "6", "abc", "-1", "1.5", "99999999999999999999"):
            response = client.get(f"/{bad}/")
            assert response.status_code == 404, bad
            assert response.json() == {
                "error": "unknown device",
                "detail": "valid DeviceId values are 1..5",
            }
    metrics = metric_samples(url)
    assert not [key for key in metrics if key[0] == "fms_api_faults_injected_total"]
    assert metrics[("fms_api_readings_generated_total", (("device", "5"),))] == 2
    assert metrics[("fms_api_requests_total", (("device", "unknown"), ("status", "404")))] == 6


def test_virtual_clock_serves_the_seeded_sequence(start_simulator: StartSimulator) -> None:
    url = start_simulator(seed=7, clock="virtual")
    count = 6
    expected = simulate_readings(seed=7, count=count)
    other_seed = simulate_readings(seed=8, count=count)
    with httpx.Client(base_url=url, timeout=5) as client:
        got = [client.get(f"/{d}/").json() for _ in range(count) for d in range(1, 6)]
    assert got == expected
    assert got != other_seed
    times = [parse_time(r["time"]) for r in got[::5]]  # device 1 advances 10 s per request
    assert [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)] == [10.0] * 5
    assert got[0]["time"] == "2024-01-15T14:30:00Z"


def test_realtime_clock_gives_one_reading_per_interval(start_simulator: StartSimulator) -> None:
    url = start_simulator(seed=7, clock="realtime", interval=10.0)
    with httpx.Client(base_url=url, timeout=5) as client:
        for _ in range(3):  # a slot boundary may fall between the two requests; then try again
            first, second = client.get("/2/").json(), client.get("/2/").json()
            if first["time"] == second["time"]:
                break
        assert first == second
        slot_time = parse_time(first["time"]).timestamp()
        assert slot_time % 10 == 0
        assert 0 <= time.time() - slot_time < 15
        assert client.get("/healthz").json()["clock"] == "realtime"


def test_errors_profile_fails_requests_but_retries_succeed(start_simulator: StartSimulator) -> None:
    url = start_simulator(seed=7, faults="errors")
    statuses: Counter[int] = Counter()
    readings = []
    with httpx.Client(base_url=url, timeout=5) as client:
        while len(readings) < 25:  # retry until 25 readings of device 1 came through
            response = client.get("/1/")
            statuses[response.status_code] += 1
            assert statuses[response.status_code] < 200, statuses
            if response.status_code == 429:
                assert response.headers["retry-after"] == "1"
                assert response.json()["error"] == "too many requests"
            elif response.status_code == 500:
                assert response.json()["error"] == "internal server error"
            else:
                assert response.status_code == 200
                readings.append(response.json())
        client.get("/abc/")
    assert statuses[429] > 0 and statuses[500] > 0
    # errors do not consume readings: the successful ones are the seeded sequence without gaps
    expected = simulate_readings(seed=7, count=25)[::5]
    assert readings == expected
    metrics = metric_samples(url)
    requests = "fms_api_requests_total"
    for status in (200, 429, 500):
        key = (requests, (("device", "1"), ("status", str(status))))
        assert metrics[key] == statuses[status]
    assert metrics[(requests, (("device", "unknown"), ("status", "404")))] == 1
    faults = "fms_api_faults_injected_total"
    assert metrics[(faults, (("kind", "http_429"),))] == statuses[429]
    assert metrics[(faults, (("kind", "http_500"),))] == statuses[500]
    assert metrics[("fms_api_readings_generated_total", (("device", "1"),))] == 25


def test_latency_and_payload_faults_are_counted(start_simulator: StartSimulator) -> None:
    url = start_simulator(seed=7, faults="latency,duplicates")
    slow = 0
    with httpx.Client(base_url=url, timeout=5) as client:
        for _ in range(20):
            started = time.perf_counter()
            assert client.get("/3/").status_code == 200
            slow += time.perf_counter() - started >= 0.2
    expected = simulate_readings(seed=7, count=20, faults="duplicates")[2::5]
    duplicates = sum(a == b for a, b in zip(expected, expected[1:], strict=False))
    metrics = metric_samples(url)
    assert slow > 0
    assert metrics[("fms_api_faults_injected_total", (("kind", "latency"),))] >= slow
    assert duplicates > 0
    assert metrics[("fms_api_faults_injected_total", (("kind", "duplicates"),))] == duplicates


def test_logs_are_written_per_request_and_per_device(
    start_simulator: StartSimulator, tmp_path: Path
) -> None:
    url = start_simulator(seed=7, faults="malformed")
    with httpx.Client(base_url=url, timeout=5) as client:
        bodies = [client.get("/4/").text for _ in range(30)]
        client.get("/nope/")
    log_dir = log_dir_of(url, tmp_path)
    data_logs = log_dir / "devices" / "4"
    access_log = log_dir / "access.log"

    def data_lines() -> list[dict]:
        files = sorted(data_logs.glob("*.log"))
        return [json.loads(line) for f in files for line in f.read_text().splitlines()]

    assert wait_until(lambda: len(data_lines()) == 30, timeout=5)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}\.log", f.name) for f in data_logs.iterdir())
    assert sorted(p.name for p in (log_dir / "devices").iterdir()) == ["4"]  # nothing for "nope"
    lines = data_lines()
    assert [line["slot"] for line in lines] == list(range(30))
    for line, body in zip(lines, bodies, strict=True):
        if "raw" in line:  # a malformed body is logged as the raw text served
            assert line["raw"] == body and line["faults"] == ["malformed"]
        else:
            assert line["reading"] == json.loads(body) and line["faults"] == []
    assert any("raw" in line for line in lines)

    def access() -> list[dict]:
        return [json.loads(line) for line in access_log.read_text().splitlines()]

    assert wait_until(lambda: any(a["path"] == "/nope/" for a in access()), timeout=5)
    entries = [a for a in access() if a["path"] in ("/4/", "/nope/")]
    assert [a["status"] for a in entries] == [200] * 30 + [404]
    for entry in entries:
        assert set(entry) == {"time", "method", "path", "status", "latency_ms", "client"}
        assert entry["method"] == "GET" and entry["client"] == "127.0.0.1"
        assert entry["latency_ms"] >= 0


def test_extra_devices_are_served_deterministically(start_simulator: StartSimulator) -> None:
    url = start_simulator(seed=9, devices=8)
    expected = simulate_readings(seed=9, devices=8, count=3)
    with httpx.Client(base_url=url, timeout=5) as client:
        got = [client.get(f"/{d}/").json() for _ in range(3) for d in range(1, 9)]
        assert client.get("/9/").status_code == 404
        devices = client.get("/devices").json()
        health = client.get("/healthz").json()
    assert got == expected
    assert [r["DeviceId"] for r in got[5:8]] == [6, 7, 8]
    assert [d["DeviceId"] for d in devices] == list(range(1, 9))
    assert [d["derived_from"] for d in devices[5:]] == [1, 2, 3]
    assert health == {
        "status": "ok",
        "devices": 8,
        "clock": "virtual",
        "seed": 9,
        "faults": "none",
        "interval": 10.0,
        "start": "2024-01-15T14:30:00Z",
    }


@pytest.mark.slow
def test_bad_options_give_a_clear_error() -> None:
    result = subprocess.run(
        fmslab_command("api", "--faults", "none,bogus", "--port", "1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "unknown fault profile 'bogus'" in result.stderr


def test_fault_profiles_switch_while_serving(start_simulator: StartSimulator) -> None:
    """PUT /faults makes the data go bad and clean again without a restart (the bad-device fault);
    an unknown profile is a 400 naming the known ones, and the running profiles stay."""
    url = start_simulator(seed=7, faults="none", clock="virtual", interval=10.0)
    with httpx.Client(base_url=url, timeout=5) as client:
        clean = [parse_time(client.get("/1/").json()["time"]) for _ in range(20)]
        assert clean == sorted(clean) and len(set(clean)) == 20  # in order, no copies
        switched = client.put("/faults", params={"profiles": "duplicates,disorder"})
        assert switched.status_code == 200 and switched.json()["faults"] == "duplicates,disorder"
        bad = [parse_time(client.get("/1/").json()["time"]) for _ in range(200)]
        assert len(set(bad)) < len(bad)  # copies of a reading
        assert any(b < a for a, b in zip(bad, bad[1:], strict=False))  # a time older than the last
        wrong = client.put("/faults", params={"profiles": "nonsense"})
        assert wrong.status_code == 400 and "known profiles" in wrong.json()["error"]
        assert client.get("/healthz").json()["faults"] == "duplicates,disorder"
        assert client.put("/faults", params={"profiles": "none"}).json()["faults"] == "none"
        again = [parse_time(client.get("/1/").json()["time"]) for _ in range(20)]
        assert again == sorted(again) and len(set(again)) == 20
