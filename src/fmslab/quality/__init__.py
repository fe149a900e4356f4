"""Data-quality rules (one definition) and their pandas implementation."""
