"""Reports of a grading run: grades.csv (one row per submission), checks.csv (one row per
exercise) and grades.html in the output folder, and a table in the terminal."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from rich.table import Table

from fmslab.instructor.grading import Grade
from fmslab.instructor.report import html_page


def _exercises(grade: Grade) -> str:
    return " ".join(f"{c.exercise}:{c.status}" for c in grade.checks)


def _row_class(grade: Grade) -> str:
    if grade.status != "graded":
        return "invalid"
    if grade.score == grade.total:
        return "full"
    return "zero" if grade.score == 0 else "partial"


def grades_table(grades: Sequence[Grade]) -> Table:
    """The grades as a rich table."""
    table = Table(title="Grades")
    for name in ("submission", "lab", "status", "score", "notes"):
        table.add_column(name, overflow="fold")
    for g in grades:
        colour = {"full": "green", "partial": "yellow"}.get(_row_class(g), "red")
        table.add_row(
            g.submission,
            g.lab,
            g.status,
            f"[{colour}]{g.score}/{g.total}[/]",
            "\n".join(g.notes),
        )
    return table


def write_grades(grades: Sequence[Grade], out: Path) -> list[Path]:
    """Write grades.csv, checks.csv, grades.json and grades.html into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / n for n in ("grades.csv", "checks.csv", "grades.json", "grades.html")]
    with paths[0].open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "lab", "status", "score", "total", "exercises", "notes"])
        for g in grades:
            row = [
                g.submission,
                g.lab,
                g.status,
                g.score,
                g.total,
                _exercises(g),
                "; ".join(g.notes),
            ]
            writer.writerow(row)
    with paths[1].open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "lab", "exercise", "status", "hint"])
        for g in grades:
            for c in g.checks:
                writer.writerow([g.submission, g.lab, c.exercise, c.status, c.hint])
    document = [g.as_dict() for g in grades]
    paths[2].write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    rows = [
        {
            "class": _row_class(g),
            "status_column": 3,
            "cells": [
                g.submission,
                g.lab,
                g.status,
                ("num", f"{g.score}/{g.total}"),
                ("pre", "\n".join(f"{c.exercise}: {c.status} {c.hint}".rstrip() for c in g.checks)),
                ("pre", "\n".join(g.notes)),
            ],
        }
        for g in grades
    ]
    full = sum(_row_class(g) == "full" for g in grades)
    intro = f"{len(grades)} submissions, {full} with full marks."
    columns = ["submission", "lab", "status", "score", "exercises", "notes"]
    paths[3].write_text(html_page("Grades", intro, columns, rows), encoding="utf-8")
    return paths
