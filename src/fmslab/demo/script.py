"""The demo script: the steps in order, what each shows and what it proves (for the talk, the
chapter and `fmslab demo`), and a recorded demo turned into a paragraph with its figures."""

from __future__ import annotations

from typing import Any

import pandas as pd

# key -> (title, what it shows, what it proves)
SCRIPT: dict[str, tuple[str, str, str]] = {
    "health": (
        "Health of every service",
        "pid and health check of the simulator, broker, stream job, collector, notifier, "
        "Alertmanager and Prometheus",
        "each service runs (by pid) and answers its own health check",
    ),
    "collection": (
        "Collection: FMS API -> collector -> fms-raw-data",
        "readings collected, devices polled, the rate",
        "the collector polls every device on time; the landing archive counts each reading it "
        "delivered to the broker",
    ),
    "topic": (
        "Topic contents: fms-raw-data",
        "records per partition and the first records with their partition and offset",
        "every collected reading is a record on the broker, keyed by device, with its "
        "partition and offset",
    ),
    "stream": (
        "Stream progress: Spark Structured Streaming",
        "micro-batches committed, input rows read",
        "Spark reads the topic in micro-batches and commits each one to its checkpoint (exactly "
        "once); its progress events count the rows it read",
    ),
    "lake": (
        "The lake: files and rows per zone",
        "Parquet files and rows of every zone, duplicates dropped",
        "each reading landed in exactly one reading zone (processed, alerts for isFail, "
        "quarantine with its reasons); aggregates and quality reports beside them",
    ),
    "quality": (
        "Data quality: score and reasons",
        "the quality score, its four dimensions, the reasons readings were flagged",
        "every micro-batch is scored on four dimensions, and every flagged reading keeps the "
        "reasons it was flagged for",
    ),
    "alert": (
        "An alert and its notification",
        "the first failing reading, the notifier's deliveries, Slack and e-mail received",
        "a failing reading (isFail) becomes an alert event, the notifier raises it in "
        "Alertmanager, and Alertmanager pages Slack and e-mail",
    ),
}


def demo_steps() -> pd.DataFrame:
    """The script as a table: step number, key, title, what it shows, what it proves."""
    rows = [
        {"step": n, "key": key, "title": title, "shows": shows, "proves": proves}
        for n, (key, (title, shows, proves)) in enumerate(SCRIPT.items(), start=1)
    ]
    return pd.DataFrame(rows).set_index("step")


def _figures(record: dict[str, Any], key: str) -> dict[str, Any]:
    return next((s["figures"] for s in record["steps"] if s["key"] == key), {})


def demo_summary(record: dict[str, Any]) -> str:
    """One paragraph of a recorded demo (its JSON), every figure taken from the record."""
    collection, topic = _figures(record, "collection"), _figures(record, "topic")
    lake, quality = _figures(record, "lake"), _figures(record, "quality")
    alert, health = _figures(record, "alert"), _figures(record, "health")
    score = quality.get("score")
    text = (
        f"{health.get('healthy')} of {health.get('services')} services were healthy. "
        f"The collector took {collection.get('collected')} readings from "
        f"{collection.get('devices')} devices; the topic held {topic.get('records')} records, "
        f"Spark read {_figures(record, 'stream').get('input_rows')} rows and the lake stored "
        f"{lake.get('stored')} readings ({lake.get('duplicates', 0)} duplicates dropped). "
        f"The quality score was {'-' if score is None else f'{score:.1%}'}. "
        f"{alert.get('failing', 0)} failing readings reached the alerts zone"
    )
    if "emails" in alert:
        text += f"; Alertmanager sent {alert['slack']} Slack messages and {alert['emails']} e-mails"
    elif alert.get("failing"):
        text += "; no notification was sent (Alertmanager was not installed)"
    return text + "."
