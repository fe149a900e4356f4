"""The rules file holds docs/architecture.md, domain facts as data, and bad rule data is refused."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest
import yaml

from fmslab.config import data_dir
from fmslab.quality import check_readings
from fmslab.quality.rules import QualityRules, load_rules
from tests.quality.quality_crafting import reading


def test_rules_match_the_design(rules: QualityRules) -> None:
    fields = rules.fields
    assert fields["DeviceId"].range == (1, 5) and fields["DeviceId"].range_action == "REJECT"
    assert {n: fields[n].range for n in ("sensor1", "sensor2", "sensor3")} == {
        "sensor1": (0, 100),
        "sensor2": (0, 100),
        "sensor3": (0, 150),
    }
    assert [fields[n].range[1] for n in ("motor1", "motor2", "motor3")] == [2000, 1500, 1800]
    assert fields["time"].null_action == fields["DeviceId"].null_action == "REJECT"
    assert all(fields[f"sensor{i}"].null_action == "INTERPOLATE" for i in (1, 2, 3))
    assert all(fields[f"motor{i}"].null_action == "DEFAULT" for i in (1, 2, 3))
    assert all(fields[f"motor{i}"].default == 0 for i in (1, 2, 3))
    assert fields["isFail"].null_action == "DEFAULT" and fields["isFail"].default is False
    assert {fields[f"sensor{i}"].outlier.zscore for i in (1, 2, 3)} == {3.0}
    assert {fields[f"motor{i}"].outlier.zscore for i in (1, 2, 3)} == {2.5}
    assert rules.outliers.window == 100 and rules.outliers.iqr_k == 1.5
    kpis = rules.kpis
    assert (kpis.completeness, kpis.accuracy, kpis.consistency, kpis.timeliness) == (
        0.99,
        0.95,
        0.98,
        0.90,
    )
    assert kpis.max_duplicate_ratio == 0.02
    zones = rules.routing.zones
    assert [zones[z].retention_days for z in ("processed", "alerts", "quarantine")] == [
        365,
        1095,
        30,
    ]
    assert rules.timeliness.max_processing_seconds == 30
    assert rules.timeliness.interval_seconds == 10
    assert rules.timeliness.interval_tolerance_seconds == 2


def test_default_path_is_the_data_dir(rules: QualityRules) -> None:
    assert load_rules(data_dir() / "quality_rules.yaml") == rules


def _write(tmp_path: Path, mutate) -> Path:
    raw = yaml.safe_load((data_dir() / "quality_rules.yaml").read_text())
    mutate(raw)
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r["fields"]["DeviceId"].update(null_action="DEFAULT", default=1),
        lambda r: r["fields"]["motor1"].pop("default"),
        lambda r: r["fields"]["isFail"].update(null_action="INTERPOLATE"),
        lambda r: r["fields"]["sensor1"].update(range=[100, 0]),
        lambda r: r["fields"]["sensor1"].update(null_action="GUESS"),
        lambda r: r["routing"]["zones"].pop("quarantine"),
        lambda r: r.update(unexpected=1),
        lambda r: r["routing"].update(alert_field="motor1"),
    ],
    ids=[
        "key-not-reject",
        "default-missing",
        "bool-interpolate",
        "range",
        "action",
        "zone",
        "key",
        "alert",
    ],
)
def test_bad_rule_data_is_refused(tmp_path: Path, mutate) -> None:
    with pytest.raises(pydantic.ValidationError):
        load_rules(_write(tmp_path, mutate))


def test_changed_rule_data_is_honoured(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda r: r["fields"]["DeviceId"].update(range=[1, 50]))
    assert load_rules(path).fields["DeviceId"].range == (1, 50)


def test_unparsable_rules_file_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("fields: [unclosed\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_rules(path)


def test_for_devices_widens_the_device_range(rules: QualityRules) -> None:
    wide = rules.for_devices(50)
    assert wide.fields["DeviceId"].range == (1, 50)
    assert rules.fields["DeviceId"].range == (1, 5)  # the loaded rules are unchanged
    assert check_readings([reading(device=50)], rules=wide).routed[0].zone == "processed"
    assert check_readings([reading(device=51)], rules=wide).routed[0].zone == "quarantine"
    with pytest.raises(ValueError):
        rules.for_devices(0)
