"""FMS API simulator: device models, fault injection and the HTTP server.

Library use (notebooks, tests, other parts of the course)::

    from fmslab.simulator import load_profiles, reading_for, simulate_readings

    profiles = load_profiles(5)
    reading_for(profiles[0], 0, seed=42, start="2024-01-15T14:30:00Z")
    simulate_readings(seed=42, count=10, faults="duplicates,malformed")
"""

from fmslab.simulator.faults import FaultPlan, load_fault_plan
from fmslab.simulator.feed import simulate_readings
from fmslab.simulator.profiles import DeviceProfile, FieldProfile, load_profiles
from fmslab.simulator.readings import reading_for

__all__ = [
    "DeviceProfile",
    "FaultPlan",
    "FieldProfile",
    "load_fault_plan",
    "load_profiles",
    "reading_for",
    "simulate_readings",
]
