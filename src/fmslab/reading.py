"""The FMS reading as the API sends it: its field names, in one place for every module.

See docs/architecture.md (domain facts) for types and ranges; the quality rules
(data/quality_rules.yaml) hold what is valid.
"""

from __future__ import annotations

SENSORS = ("sensor1", "sensor2", "sensor3")  # temperature °C, humidity %, pressure PSI
MOTORS = ("motor1", "motor2", "motor3")  # main, auxiliary, cooling motor RPM
VALUE_FIELDS = SENSORS + MOTORS
READING_FIELDS = ("time", "DeviceId", *VALUE_FIELDS, "isFail")  # the API's order
MISSING_SENTINEL = -1  # the device's "read failure" value, treated as missing
