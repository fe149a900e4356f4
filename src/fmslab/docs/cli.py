"""`fmslab docs diagram [--check]`: regenerate docs/architecture.md's diagram from the config."""

from __future__ import annotations

from pathlib import Path

import typer

docs_app = typer.Typer(help="Documents generated from the configuration.", no_args_is_help=True)


@docs_app.command()
def diagram(
    check: bool = typer.Option(False, "--check", help="Only say whether the document is stale."),
    png: Path | None = typer.Option(None, help="Also draw the diagram to this PNG file."),
) -> None:
    """Write the architecture diagram and tables into docs/architecture.md (from the config)."""
    from fmslab.docs.architecture import DOCUMENT, update_document

    try:
        current = update_document(check=check)
    except ValueError as err:
        typer.echo(f"error: {err}", err=True)
        typer.echo(f"fix: add the two marker lines to {DOCUMENT} where the diagram goes", err=True)
        raise typer.Exit(1) from err
    if png is not None:
        from fmslab.docs.architecture import architecture
        from fmslab.docs.charts import draw_architecture

        draw_architecture(architecture()).savefig(png, dpi=110)
        typer.echo(f"drew {png}")
    if check and not current:
        typer.echo(f"error: {DOCUMENT}'s diagram differs from the configuration", err=True)
        typer.echo("fix: run `fmslab docs diagram` and commit the document", err=True)
        raise typer.Exit(1)
    typer.echo(f"{DOCUMENT}: {'up to date' if current else 'updated'}")


def register(app: typer.Typer) -> None:
    """Add `fmslab docs ...` to the main command."""
    app.add_typer(docs_app, name="docs")
