"""Notebook helpers: the FMS API a notebook starts answers, and is gone after stop()."""

from __future__ import annotations

import httpx
import pytest

from fmslab.notebook import fms_api, start_fms_api
from fmslab.services import port_in_use


@pytest.mark.slow
def test_start_fms_api_serves_seeded_readings_and_stops():
    api = start_fms_api("embedded", seed=11, devices=3, chapter="test")
    port = int(api.url.rsplit(":", 1)[1])
    try:
        health = httpx.get(f"{api.url}/healthz", timeout=5).json()
        assert health["seed"] == 11 and health["devices"] == 3 and health["clock"] == "virtual"
        assert httpx.get(f"{api.url}/3/", timeout=5).json()["DeviceId"] == 3
        assert httpx.get(f"{api.url}/4/", timeout=5).status_code == 404
    finally:
        api.stop()
    assert not port_in_use(port)
    api.stop()  # a second stop is harmless


@pytest.mark.slow
def test_same_seed_same_first_readings():
    def first_readings(seed: int) -> list[dict]:
        with fms_api(seed=seed, devices=2, chapter="test") as url:
            return [httpx.get(f"{url}/{d}/", timeout=5).json() for d in (1, 2)]

    assert first_readings(5) == first_readings(5)


def test_unknown_mode_is_a_clear_error():
    with pytest.raises(ValueError, match="mode must be"), fms_api("cluster"):
        pass
