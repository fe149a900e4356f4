"""fmslab: the FMS big-data pipeline course library."""

__version__ = "0.1.0"
