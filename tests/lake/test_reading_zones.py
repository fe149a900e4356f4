"""READING_ZONES, which every count of stored readings sums, is the rules' set of stored zones."""

from fmslab.lake.zones import READING_ZONES
from fmslab.quality.rules import load_rules


def test_reading_zones_are_the_routing_zones_that_store_readings() -> None:
    zones = load_rules().routing.zones
    stored = {name for name, zone in zones.items() if zone.retention_days > 0}
    assert set(READING_ZONES) == stored, (READING_ZONES, sorted(zones))
    assert "dropped" in zones and "dropped" not in READING_ZONES  # copies are counted, not stored
