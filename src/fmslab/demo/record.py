"""`fmslab demo --record`: the session as a report, HTML (the printed rows) and JSON (rows and
figures), so what was shown can be handed out and checked afterwards."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fmslab.demo.running import DemoRecord

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 60rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; min-width: 32rem; }
td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.8rem; }
td.value { text-align: right; font-variant-numeric: tabular-nums; }
p.proves { color: #444; margin: 0.3rem 0; } p.skipped { color: #a15c00; margin: 0.3rem 0; }
"""


def default_path(reports_dir: Path) -> Path:
    """`<reports>/demo-<UTC time>.html`."""
    return Path(reports_dir) / f"demo-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.html"


def render_html(record: DemoRecord) -> str:
    """The demo as one HTML page: each step's title, what it proves, its rows."""
    e = html.escape
    options = ", ".join(f"{k}={v}" for k, v in record.options.items())
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>fmslab demo</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>fmslab demo · recorded session</h1>",
        f"<p>started {e(record.started_at)} · {record.seconds:.1f} s · {e(options)}</p>",
    ]
    for step in record.steps:
        parts.append(f"<h2>{step.number} · {e(step.title)}</h2>")
        parts.append(f"<p class='proves'>proves: {e(step.proves)}</p><table>")
        parts += [
            f"<tr><td>{e(label)}</td><td class='value'>{e(value)}</td></tr>"
            for label, value in step.rows
        ]
        parts.append("</table>")
        parts += [f"<p class='proves'>note: {e(line)}</p>" for line in step.notes]
        parts += [f"<p class='skipped'>skipped: {e(line)}</p>" for line in step.skipped]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_record(record: DemoRecord, path: Path) -> tuple[Path, Path]:
    """Write `path` (HTML; `.html` added when missing) and the JSON beside it."""
    path = Path(path)
    html_path = path if path.suffix == ".html" else path.with_name(path.name + ".html")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(record), encoding="utf-8")
    json_path = html_path.with_suffix(".json")
    json_path.write_text(json.dumps(record.to_dict(), indent=2, default=str), encoding="utf-8")
    return html_path, json_path
