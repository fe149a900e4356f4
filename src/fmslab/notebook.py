"""Small notebook-side helpers: quiet, stable output settings and scratch folders.

Every chapter notebook calls `setup()` first, so tables look the same on every machine and no
library chatter lands in stored outputs (nbval compares them).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

QUIET_LOGGERS = ("httpx", "httpcore", "urllib3", "kafka", "py4j", "matplotlib", "uvicorn")


def setup(*, width: int = 120, max_rows: int = 30) -> None:
    """Stable pandas/matplotlib display options and quiet library loggers."""
    import matplotlib
    import pandas as pd

    pd.set_option("display.width", width)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.max_rows", max_rows)
    pd.set_option("display.max_colwidth", 80)
    pd.set_option("display.precision", 2)
    # Same figure size and resolution everywhere; nbval does not compare images, only their repr.
    matplotlib.rcParams.update({"figure.figsize": (8, 3.5), "figure.dpi": 80})
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # py4j logs its internal retries with module-level `logging.info(...)`, which installs a
    # stderr handler on the root logger the first time (logging.basicConfig): from then on every
    # library's warnings would land in cells. A do-nothing root handler keeps that from happening.
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def scratch_dir(chapter: str) -> Path:
    """A fresh private folder for one notebook run's state (pids, logs, checkpoints)."""
    return Path(tempfile.mkdtemp(prefix=f"fmslab-{chapter}-"))


@contextlib.contextmanager
def fms_api(
    mode: str = "embedded",
    *,
    seed: int = 42,
    devices: int = 5,
    faults: str = "none",
    interval: float = 10.0,
    chapter: str = "nb",
) -> Iterator[str]:
    """The FMS API's base URL for a `with` block.

    Embedded mode starts a private simulator (virtual clock, seeded, a free port) and stops it by
    pid afterwards, or when the kernel dies, even by SIGKILL (`fmslab.services.running`); stack
    mode uses the running `fms-api` container from the settings.
    """
    if mode == "stack":
        from fmslab.config import load_settings

        yield load_settings().with_(mode="stack").api_url
        return
    if mode != "embedded":
        raise ValueError(f"mode must be 'embedded' or 'stack', not {mode!r}")
    from fmslab.simulator.process import simulator

    state = scratch_dir(chapter)
    with simulator(
        seed=seed,
        devices=devices,
        interval=interval,
        faults=faults,
        clock="virtual",
        state_dir=state,
        log_dir=state / "api-log",
    ) as url:
        yield url


class RunningApi:
    """An FMS API kept running across notebook cells; `stop()` ends it (so does kernel exit)."""

    def __init__(self, mode: str = "embedded", **options: object) -> None:
        self._stack = contextlib.ExitStack()
        self.url: str = self._stack.enter_context(fms_api(mode, **options))  # type: ignore[arg-type]
        atexit.register(self.stop)  # a failed notebook must not leave the simulator behind

    def stop(self) -> None:
        """Stop the simulator (a no-op the second time)."""
        self._stack.close()


def start_fms_api(mode: str = "embedded", **options: object) -> RunningApi:
    """Start the FMS API for the following cells (see `fms_api` for the options)."""
    return RunningApi(mode, **options)
