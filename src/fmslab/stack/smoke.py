"""`fmslab stack smoke`: the stack end to end, where a Docker engine runs.

Up (core + pipeline), wait for health, run chapters 07 and 09 in stack mode through papermill
inside the `jupyter` container (the driver must be inside the network), check that readings
reached HDFS, then down. Without an engine it reports why it skipped.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field

from fmslab.stack import engine
from fmslab.stack.compose import Stack, load_stack

CHAPTERS = ("notebooks/07_realtime_streaming.ipynb", "notebooks/09_integrated_pipeline.ipynb")
PROFILES = ["pipeline"]
HDFS_CHECK = (
    "from fmslab.lake.webhdfs import HdfsLake; "
    "print(HdfsLake('http://namenode:9870', '/fms').du().files)"
)


@dataclass
class SmokeResult:
    """What the smoke run did: skipped (and why) or the steps it passed."""

    skipped: str | None = None
    steps: list[str] = field(default_factory=list)


def availability() -> str | None:
    """Why the stack cannot run here (None when an engine with Compose answers)."""
    try:
        engine.compose_version(engine.docker_cli())
        engine.engine_client()
    except engine.StackError as err:
        return str(err)
    return None


def _exec(stack: Stack, *command: str) -> str:
    cmd = engine.compose_command(stack, PROFILES) + ["exec", "-T", "jupyter", *command]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise engine.StackError(f"{' '.join(command[:2])} failed in jupyter: {done.stderr[-800:]}")
    return done.stdout


def smoke(keep: bool = False) -> SmokeResult:
    """Run the smoke test, or skip it with the reason when no engine runs."""
    reason = availability()
    if reason:
        return SmokeResult(skipped=reason)
    stack = load_stack()
    result = SmokeResult()
    try:  # down even when up fails half-way: no containers left behind
        engine.up(PROFILES, stack=stack)
        result.steps.append("stack up, every service healthy")
        for chapter in CHAPTERS:
            out = f"/tmp/smoke-{chapter.rsplit('/', 1)[-1]}"
            _exec(stack, "papermill", chapter, out, "-p", "mode", "stack", "-k", "python3")
            result.steps.append(f"{chapter} ran in stack mode")
        files = int(_exec(stack, "python", "-c", HDFS_CHECK).strip().splitlines()[-1])
        if files == 0:
            raise engine.StackError(
                "no file reached HDFS under /fms: see `fmslab stack logs stream`"
            )
        result.steps.append(f"HDFS holds {files} files under /fms")
    finally:
        if not keep:
            engine.down(stack=stack)
            result.steps.append("stack down")
    return result
