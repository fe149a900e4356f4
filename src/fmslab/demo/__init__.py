"""`fmslab demo`: a scripted live walkthrough of the running pipeline, for a presentation.

    preflight (ports free, JDK)  ->  up: broker, stream job, simulator (failure episodes),
    Alertmanager + Prometheus (when installed), `fmslab alerts`, collector
    ->  1 health  2 collection  3 topic contents  4 stream progress  5 lake  6 quality
        7 an alert and its notification  ->  down (by pid, also on Ctrl-C or an error)

Each step prints what it proves and its live figures; `--record PATH` writes the same steps,
rows and figures as JSON and HTML (`fmslab.demo.record`).
"""

from fmslab.demo.session import DemoError, DemoOptions, DemoRecord, run_demo

__all__ = ["DemoError", "DemoOptions", "DemoRecord", "run_demo"]
