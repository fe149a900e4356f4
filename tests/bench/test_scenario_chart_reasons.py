"""The max chart names why a step was not sustained, from the step's own figures."""

from fmslab.bench.scenario_chart import _why

STEP = {"rate_msg_s": 500.0, "achieved_msg_s": 487.3, "p95_s": 3.0, "lost": 0, "duplicates": 0}


def test_loss_comes_first() -> None:
    assert _why({**STEP, "lost": 2, "p95_s": 9.0}, 5.0) == "lost 2, duplicated 0"


def test_a_slow_p95_is_named_with_its_limit() -> None:
    assert _why({**STEP, "p95_s": 7.902}, 5.0) == "p95 7.902 s > 5 s"


def test_otherwise_the_rate_fell_short() -> None:
    assert _why(STEP, 5.0) == "achieved 487.3 of 500 msg/s"
