"""docs/architecture.md's generated section is what the configuration says, and stays so."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from fmslab.broker.topics import load_topics  # noqa: E402
from fmslab.config import Settings  # noqa: E402
from fmslab.docs.architecture import (  # noqa: E402
    BEGIN,
    END,
    architecture,
    architecture_mermaid,
    update_document,
)
from fmslab.docs.charts import draw_architecture  # noqa: E402
from fmslab.lake.zones import load_policy  # noqa: E402
from fmslab.stack.compose import load_stack  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "architecture.md"
DEFAULTS = Settings.model_construct()


def test_the_committed_document_is_what_the_configuration_generates() -> None:
    assert update_document(DOCUMENT, check=True), "run `fmslab docs diagram` and commit"


def test_a_changed_setting_makes_the_document_stale(tmp_path: Path) -> None:
    copy = tmp_path / "architecture.md"
    copy.write_text(DOCUMENT.read_text(encoding="utf-8"), encoding="utf-8")
    moved = DEFAULTS.model_copy(update={"api_port": 19872})
    assert not update_document(copy, check=True, settings=moved)
    assert copy.read_text() == DOCUMENT.read_text()  # --check writes nothing
    assert not update_document(copy, settings=moved)  # rewrites it
    text = copy.read_text()
    assert "| api | FMS API simulator (HTTP) | 19872 | `FMSLAB_API_PORT` |" in text
    assert text.count(BEGIN) == text.count(END) == 1
    assert update_document(copy, check=True, settings=moved)


def test_the_diagram_names_every_topic_zone_service_and_port() -> None:
    arch = architecture(DEFAULTS)
    text = architecture_mermaid(arch)
    for topic in load_topics():
        assert f"{topic.name}<br/>{topic.partitions} partition" in text
    for zone in load_policy().zones:
        assert f'zone_{zone}[("{zone}")]' in text
    assert "collector -- produce --> fms_raw_data" in text
    assert "fms_raw_data -- consume --> stream" in text
    assert arch.service_on(DEFAULTS.api_port) == "api"
    assert arch.service_on(DEFAULTS.broker_port) == "broker"
    # A port only the stack publishes is found among the stack's services.
    grafana = load_stack().services["grafana"].ports[0].host_ports[0]
    assert arch.service_on(grafana) == "grafana"
    assert arch.service_on(1) is None


def test_the_check_command_agrees(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fmslab.cli import app

    png = tmp_path / "a.png"
    env = {"FMSLAB_API_PORT": "19999"}  # the document uses the defaults only
    done = CliRunner().invoke(app, ["docs", "diagram", "--check", "--png", str(png)], env=env)
    assert done.exit_code == 0, done.output
    assert "up to date" in done.output and png.stat().st_size > 10_000


def test_the_drawing_shows_every_box_without_overlaps(tmp_path: Path) -> None:
    arch = architecture(DEFAULTS)
    fig = draw_architecture(arch)
    try:
        ax = fig.axes[0]
        assert ax.get_title()
        texts = " ".join(t.get_text() for t in ax.texts)
        for name in [*(t.name for t in arch.topics), *arch.zones, f":{DEFAULTS.api_port}"]:
            assert name in texts
        fig.canvas.draw()
        boxes = [p.get_window_extent() for p in ax.patches]
        assert len(boxes) == 3 + len(arch.topics) + len(arch.zones)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not (a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1)
        figure_box = fig.bbox
        assert all(figure_box.x0 <= b.x0 and b.x1 <= figure_box.x1 for b in boxes)
        fig.savefig(tmp_path / "architecture.png")
    finally:
        plt.close(fig)


@pytest.mark.parametrize("marker", [BEGIN, END])
def test_a_document_without_markers_is_refused(tmp_path: Path, marker: str) -> None:
    broken = tmp_path / "architecture.md"
    broken.write_text(DOCUMENT.read_text().replace(marker, ""))
    with pytest.raises(ValueError, match="markers"):
        update_document(broken, check=True)
