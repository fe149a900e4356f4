"""`python -m fmslab` runs the `fmslab` command."""

from fmslab.cli import app

if __name__ == "__main__":
    app()
