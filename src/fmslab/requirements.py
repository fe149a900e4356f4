"""The course's requirements specification (data/requirements.yaml) and NFR targets as checks."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from fmslab.config import data_dir

if TYPE_CHECKING:
    import pandas as pd

_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def load_requirements(path: Path | None = None) -> dict[str, Any]:
    """The requirements specification as a dict (functional, non-functional, quality, ...)."""
    path = path or data_dir() / "requirements.yaml"
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def functional_frame(spec: dict[str, Any]) -> pd.DataFrame:
    """Functional requirements, one row each, acceptance criteria joined by '; '."""
    import pandas as pd

    rows = [
        {
            "id": fr["id"],
            "area": fr["area"],
            "priority": fr["priority"],
            "description": fr["description"],
            "acceptance criteria": "; ".join(fr["acceptance_criteria"]),
        }
        for fr in spec["functional_requirements"]
    ]
    return pd.DataFrame(rows).set_index("id")


def non_functional_frame(spec: dict[str, Any]) -> pd.DataFrame:
    """Non-functional requirements with their target and how the course measures them."""
    import pandas as pd

    rows = [
        {
            "id": nfr["id"],
            "group": nfr["group"],
            "category": nfr["category"],
            "requirement": nfr["requirement"],
            "target": nfr["target"]["text"],
            "measured by": nfr["measured_by"],
            "chapter": nfr["chapter"],
        }
        for nfr in spec["non_functional_requirements"]
    ]
    return pd.DataFrame(rows).set_index("id")


def meets_target(target: dict[str, Any], measured: float | None) -> str:
    """'pass' or 'fail' for a measured figure; 'review' for targets no figure can settle;
    'not measured' when there is no figure yet."""
    op = target.get("op")
    if op == "review":
        return "review"
    if measured is None:
        return "not measured"
    if op not in _COMPARE:
        raise ValueError(f"unknown comparison {op!r} in target {target.get('text')!r}")
    return "pass" if _COMPARE[op](measured, target["value"]) else "fail"
