"""docs/troubleshooting.md read as data: one entry per failure, with its quoted message.

The guide's entries are `## Title` sections whose message block is marked
`<!-- message: KEY -->`; the paragraphs that start `**Symptom.**`, `**Cause.**` and `**Fix.**`
give the rest. Chapter 12 shows the guide through this, and tests/docs compare each quoted
message with what the project prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fmslab.config import project_root

GUIDE = Path("docs") / "troubleshooting.md"
_MESSAGE = re.compile(r"<!-- message: ([a-z-]+) -->\s*```text\n(.*?)\n```", re.S)
_PART = re.compile(r"\*\*(Symptom|Cause|Fix)\.\*\*\s*(.*?)(?=\n\n|\Z)", re.S)


@dataclass(frozen=True)
class Entry:
    """One failure of the guide."""

    key: str
    title: str
    symptom: str
    message: str
    cause: str
    fix: str


def troubleshooting_entries(path: Path | None = None) -> list[Entry]:
    """One entry per quoted message of the guide, in the guide's order (a section that quotes
    two commands' messages gives two entries with the same title, cause and fix)."""
    text = (path or project_root() / GUIDE).read_text(encoding="utf-8")
    entries = []
    for section in re.split(r"\n(?=## )", text):
        if not section.startswith("## "):
            continue
        parts = {name: " ".join(body.split()) for name, body in _PART.findall(section)}
        title = section.splitlines()[0].removeprefix("## ").strip()
        for key, message in _MESSAGE.findall(section):  # a failure two commands report
            entries.append(
                Entry(
                    key,
                    title,
                    parts.get("Symptom", ""),
                    message.strip(),
                    parts.get("Cause", ""),
                    parts.get("Fix", ""),
                )
            )
    return entries
