"""`fmslab notebooks run` and `fmslab grade`: the instructors' commands."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import typer

from fmslab.config import project_root

DEFAULT_OUT = Path("reports") / "notebook-runs"
MISSING = "papermill/nbclient are missing: install the notebook tools with pip install -e '.[dev]'"


def parse_value(text: str) -> object:
    """A -p value as papermill's CLI reads it: YAML (42 -> int, 0.5 -> float, true -> bool)."""
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def _require_notebook_tools() -> None:
    try:
        import nbclient  # noqa: F401
        import papermill  # noqa: F401
    except ImportError as exc:
        typer.echo(f"error: {MISSING}", err=True)
        raise typer.Exit(2) from exc


def register(app: typer.Typer) -> None:
    """Add `fmslab notebooks run` and `fmslab grade` to the `fmslab` command."""
    _grade_command(app)
    notebooks_app = typer.Typer(help="Run course notebooks in batch (papermill).")
    app.add_typer(notebooks_app, name="notebooks")

    @notebooks_app.command(
        "run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )
    def run_command(
        ctx: typer.Context,
        kind: str = typer.Option("chapters", help="chapters | solutions | labs"),
        mode: str = typer.Option(None, help="embedded | stack (passed as the `mode` parameter)."),
        out: Path = typer.Option(DEFAULT_OUT, help="Folder for executed copies and the summary."),
        timeout: float = typer.Option(300, help="Seconds one cell may run."),
        notebook_timeout: float = typer.Option(1800, help="Seconds one notebook may run."),
        keep_going: bool = typer.Option(False, help="Run the rest after a failure."),
    ) -> None:
        """Execute notebooks one after another with papermill and write summary.json/.html.

        Arguments: [PATTERN...] [-p NAME VALUE]... A pattern is a part of a name (01, quality),
        a glob or a notebook's path (default: every notebook of --kind). Each -p parameter must
        be in the parameters cell of every chosen notebook.
        """
        _require_notebook_tools()
        from fmslab.instructor.report import print_summary, write_summary
        from fmslab.instructor.runner import RunError, check_parameters, run_batch, select_notebooks

        if mode not in (None, "embedded", "stack"):
            _fail(f"--mode must be embedded or stack, not {mode!r}")
        try:
            patterns, parameters = split_arguments(ctx.args)
            paths = select_notebooks(project_root(), kind, patterns)
            check_parameters(paths, parameters)
            results = run_batch(
                paths,
                out,
                parameters,
                cell_timeout=timeout,
                notebook_timeout=notebook_timeout,
                keep_going=keep_going,
                mode=mode,
                announce=lambda line: typer.echo(line, err=True),
            )
        except RunError as exc:
            _fail(str(exc))
        print_summary(results)
        command = "fmslab " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        for path in write_summary(results, out, command=command):
            typer.echo(f"wrote: {path}")
        if not all(r.ok for r in results):
            raise typer.Exit(1)


def _grade_command(app: typer.Typer) -> None:
    @app.command("grade")
    def grade_command(
        submissions: list[Path] = typer.Argument(..., help="Submitted lab notebooks."),
        out: Path = typer.Option(Path("reports") / "grades", help="Folder for the reports."),
        lab: str = typer.Option(None, help="The lab every submission should be (01 or a name)."),
        labs: Path = typer.Option(None, help="Folder of the generated labs (default: labs/)."),
        cell_timeout: float = typer.Option(60, help="Seconds one cell may run."),
        timeout: float = typer.Option(600, help="Seconds one submission may run."),
    ) -> None:
        """Run each submission in a fresh kernel and score it by the lab's check cells."""
        _require_notebook_tools()
        from rich.console import Console

        from fmslab.instructor.grade_report import grades_table, write_grades
        from fmslab.instructor.grading import grade_submission, load_references

        labs_dir = (labs or project_root() / "labs").resolve()
        references = load_references(labs_dir)
        if not references:
            _fail(f"no generated labs in {labs_dir}: run fmslab labs generate")
        if lab is not None and not any(n == lab or n.startswith(f"{lab}_") for n in references):
            _fail(f"--lab {lab}: no such lab (there are: {', '.join(references)})")
        grades = []
        for number, path in enumerate(submissions, start=1):
            typer.echo(f"[{number}/{len(submissions)}] grading {path}", err=True)
            grades.append(
                grade_submission(
                    path,
                    references,
                    labs_dir,
                    out,
                    lab=lab,
                    cell_timeout=cell_timeout,
                    notebook_timeout=timeout,
                )
            )
        Console().print(grades_table(grades))
        for written in write_grades(grades, out):
            typer.echo(f"wrote: {written}")


def split_arguments(args: list[str]) -> tuple[list[str], dict[str, object]]:
    """Patterns and `-p NAME VALUE` parameters (papermill's syntax; typer has no 2-value lists)."""
    from fmslab.instructor.runner import RunError

    patterns: list[str] = []
    parameters: dict[str, object] = {}
    rest = list(args)
    while rest:
        item = rest.pop(0)
        if item not in ("-p", "--parameter"):
            if item.startswith("-"):
                raise RunError(f"unknown option {item} (see fmslab notebooks run --help)")
            patterns.append(item)
            continue
        if len(rest) < 2 or not rest[0].isidentifier():
            raise RunError("-p takes a name and a value: -p NAME VALUE")
        name, value = rest.pop(0), rest.pop(0)
        parameters[name] = parse_value(value)
    return patterns, parameters


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
