"""Fixtures of the quality tests (the crafting helpers are in quality_crafting.py)."""

from __future__ import annotations

import pytest

from fmslab.quality.rules import QualityRules, load_rules


@pytest.fixture(scope="session")
def rules() -> QualityRules:
    """The course's rules, as loaded from data/quality_rules.yaml."""
    return load_rules()
