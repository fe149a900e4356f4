"""Reports of a batch run: a terminal table, summary.json and summary.html in the output folder."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from fmslab.instructor.runner import NotebookResult

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; }
pre { margin: 0; font-size: 12px; white-space: pre-wrap; max-width: 50em; }
tr.passed td.status, tr.full td.status { background: #d9f2d9; }
tr.failed td.status, tr.timeout td.status, tr.leftovers td.status, tr.error td.status,
tr.partial td.status, tr.zero td.status, tr.invalid td.status { background: #f8d7da; }
tr.not-run td.status { background: #eee; }
"""


def html_page(title: str, intro: str, columns: Sequence[str], rows: Sequence[dict]) -> str:
    """A self-contained HTML page with one table; each row is {"class": ..., "cells": [...]}.

    A cell is text (escaped) or ("pre", text) for preformatted text, or ("num", text).
    """
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row["cells"]):
            kind, text = cell if isinstance(cell, tuple) else ("", cell)
            value = html.escape(str(text))
            css = "status" if i == row.get("status_column", 1) else kind
            inner = f"<pre>{value}</pre>" if kind == "pre" else value
            cells.append(f'<td class="{css}">{inner}</td>')
        body.append(f'<tr class="{html.escape(row["class"])}">{"".join(cells)}</tr>')
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>\n"
        f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(body) + "\n</tbody></table>"
        "</body></html>\n"
    )


def notebook_label(path: str) -> str:
    """A notebook as folder/name (solutions and labs share names)."""
    return f"{Path(path).parent.name}/{Path(path).name}"


def _failure_text(result: NotebookResult) -> str:
    parts = []
    if result.failed_cell is not None:
        parts.append(f"cell {result.failed_cell}")
    if result.error:
        parts.append(result.error)
    return ": ".join(parts)


def summary_table(results: Sequence[NotebookResult], title: str = "Notebook run") -> Table:
    """The run's summary as a rich table."""
    table = Table(title=title)
    for name in ("notebook", "status", "seconds", "peak MB", "failure"):
        table.add_column(
            name, justify="right" if name in ("seconds", "peak MB") else "left", overflow="fold"
        )
    colour = {"passed": "green", "not run": "dim"}
    for r in results:
        style = colour.get(r.status, "red")
        table.add_row(
            notebook_label(r.notebook),
            f"[{style}]{r.status}[/]",
            f"{r.seconds:.1f}",
            f"{r.peak_memory_mb:.0f}",
            _failure_text(r),
        )
    return table


def write_summary(results: Sequence[NotebookResult], out: Path, *, command: str = "") -> list[Path]:
    """Write summary.json and summary.html into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    failed = sum(not r.ok for r in results)
    document = {
        "command": command,
        "notebooks": len(results),
        "passed": len(results) - failed,
        "failed": failed,
        "exit_code": 1 if failed else 0,
        "results": [r.as_dict() for r in results],
    }
    json_path, html_path = out / "summary.json", out / "summary.html"
    json_path.write_text(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    rows = [
        {
            "class": r.status.replace(" ", "-"),
            "cells": [
                notebook_label(r.notebook),
                r.status,
                ("num", f"{r.seconds:.1f}"),
                ("num", f"{r.peak_memory_mb:.0f}"),
                "" if r.failed_cell is None else ("num", r.failed_cell),
                ("pre", r.cell_source),
                ("pre", r.error),
            ],
        }
        for r in results
    ]
    intro = f"{document['passed']} of {len(results)} notebooks passed. {command}".strip()
    columns = ["notebook", "status", "wall time (s)", "peak memory (MB)", "failing cell"]
    columns += ["cell source (excerpt)", "error"]
    html_path.write_text(html_page("Notebook run", intro, columns, rows), encoding="utf-8")
    return [json_path, html_path]


def print_summary(results: Sequence[NotebookResult], console: Console | None = None) -> None:
    """Print the summary table."""
    (console or Console()).print(summary_table(results))
