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
    """Every entry of the guide that quotes a message, in the guide's order."""
    text = (path or project_root() / GUIDE).read_text(encoding="utf-8")
    entries = []
    for section in re.split(r"\n(?=## )", text):
        found = _MESSAGE.search(section)
        if not section.startswith("## ") or found is None:
            continue
        parts = {name: " ".join(body.split()) for name, body in _PART.findall(section)}
        title = section.splitlines()[0].removeprefix("## ").strip()
        entries.append(
            Entry(
                found.group(1),
                title,
                parts.get("Symptom", ""),
                found.group(2).strip(),
                parts.get("Cause", ""),
                parts.get("Fix", ""),
            )
        )
    return entries
