"""One step of the demo: what it shows, what it proves, its rows as printed and its figures."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Step:
    """A demo step. `rows` are exactly the (label, value) texts printed; `figures` the numbers
    behind them (the JSON record); `skipped` says plainly what could not run here and why."""

    number: int
    key: str
    title: str
    proves: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what to keep in mind reading the figures

    @classmethod
    def of(cls, number: int, key: str) -> Step:
        """The step `key` of the demo script, numbered `number`."""
        from fmslab.demo.script import SCRIPT

        title, _shows, proves = SCRIPT[key]
        return cls(number, key, title, proves)

    def add(self, label: str, value: Any, key: str | None = None, raw: Any = None) -> None:
        """A printed row; its figure is stored under `key` (the label when None)."""
        self.rows.append((label, _text(value)))
        self.figures[key or label] = value if raw is None else raw

    def to_dict(self) -> dict[str, Any]:
        """The step as JSON-ready data."""
        data = asdict(self)
        data["rows"] = [list(row) for row in self.rows]
        return data


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def show(console: Console, step: Step) -> None:
    """Print a step: its title, what it proves, its rows and what was skipped."""
    console.print(f"{step.number} · {step.title}", style="bold", overflow="fold")
    table = Table()
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in step.rows:
        table.add_row(label, value)
    console.print(table)
    console.print(f"  proves: {step.proves}")
    for line in step.notes:
        console.print(f"  note: {line}")
    for line in step.skipped:
        console.print(f"  [yellow]skipped:[/] {line}")
