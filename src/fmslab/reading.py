"""The FMS reading as the API sends it: its field names, in one place for every module.

See docs/architecture.md §6 for types and ranges; the quality rules (data/quality_rules.yaml) hold
what is valid.
"""

from __future__ import annotations

SENSORS = ("sensor1", "sensor2", "sensor3")  # temperature °C, humidity %, pressure PSI
MOTORS = ("motor1", "motor2", "motor3")  # main, auxiliary, cooling motor RPM
VALUE_FIELDS = SENSORS + MOTORS
READING_FIELDS = ("time", "DeviceId", *VALUE_FIELDS, "isFail")  # the API's order
MISSING_SENTINEL = -1  # the device's "read failure" value, treated as missing
# What each value field measures and its unit (axis labels, captions).
QUANTITIES = {
    "sensor1": ("temperature", "°C"),
    "sensor2": ("humidity", "%"),
    "sensor3": ("pressure", "PSI"),
    "motor1": ("main motor speed", "RPM"),
    "motor2": ("auxiliary motor speed", "RPM"),
    "motor3": ("cooling motor speed", "RPM"),
}


def axis_label(name: str, prefix: str = "") -> str:
    """`sensor1 temperature (°C)`: a value field's axis label with its unit."""
    quantity, unit = QUANTITIES[name]
    return f"{prefix}{name} {quantity} ({unit})"
