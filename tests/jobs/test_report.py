"""The run report: figures from the lake's quality rows, HTML with embedded charts."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pandas as pd

from fmslab.jobs.progress import weighted_quality
from fmslab.jobs.report import summary_rows, write_reports

FIGURES = {
    "started_at": "2026-01-01T00:00:00+00:00",
    "options": {"duration": 60.0, "interval": 10.0, "devices": 2, "faults": "none", "seed": 3},
    "collected": 12,
    "readings_per_device": {"1": 6, "2": 6},
    "zones": {"processed": 10, "alerts": 1, "quarantine": 1},
    "dropped_duplicates": 0,
    "exactly_once": {"stored_once": 12, "stored_twice": 0, "not_stored": 0},
    "quality": {
        "score": 0.9,
        "dimensions": {"completeness": 1.0, "accuracy": 0.9, "consistency": 1.0, "timeliness": 0.7},
        "batches": 2,
    },
    "latency_seconds": {"count": 3, "p50": 2.0, "p95": 3.0, "max": 3.0},
    "reconcile": {"backfilled": 0},
    "seconds": {"total": 70.0},
}


def test_quality_is_weighted_by_each_batch_records() -> None:
    rows = pd.DataFrame(
        {
            "records": [30, 10],
            "score": [1.0, 0.6],
            "completeness": [1.0, 0.6],
            "accuracy": [1.0, 1.0],
            "consistency": [1.0, 1.0],
            "timeliness": [0.5, 0.1],
        }
    )
    score, dims = weighted_quality(rows)
    assert score == 0.9  # (30 * 1.0 + 10 * 0.6) / 40
    assert dims["completeness"] == 0.9 and dims["timeliness"] == 0.4
    assert weighted_quality(pd.DataFrame()) == (None, {})


def test_reports_hold_the_figures_and_decodable_charts(tmp_path: Path) -> None:
    json_path, html_path = write_reports(tmp_path, FIGURES, [1.0, 2.0, 3.0], {"timeliness": 0.9})
    assert json.loads(json_path.read_text())["collected"] == 12
    page = html_path.read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 4  # per device, per zone, dimensions, latency
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in images)
    labels = dict(summary_rows(FIGURES))
    assert labels["readings collected (archived)"] == 12
    assert labels["stored in quarantine"] == 1
    assert "latency p95 (s)" in page
