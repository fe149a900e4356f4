"""The architecture drawn for the chapter (matplotlib): the same model as the Mermaid text."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from fmslab.docs.architecture import Architecture

# Columns left to right: where each kind of box goes (x of the box's centre, 0..1).
_COLUMNS = {"api": 0.07, "collector": 0.3, "topics": 0.5, "stream": 0.72, "zones": 0.92}
_COLOURS = {"service": "#dbe9f6", "topic": "#fde8c8", "zone": "#dff0d8"}
_WIDTH, _HEIGHT = 0.15, 0.085


def _box(ax, x: float, y: float, text: str, kind: str) -> tuple[float, float]:
    ax.add_patch(
        FancyBboxPatch(
            (x - _WIDTH / 2, y - _HEIGHT / 2),
            _WIDTH,
            _HEIGHT,
            boxstyle="round,pad=0.005",
            facecolor=_COLOURS[kind],
            edgecolor="#444444",
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=8)
    return x, y


def _arrow(ax, start: tuple[float, float], end: tuple[float, float], label: str = "") -> None:
    sign = 1 if end[0] > start[0] else -1
    tail = (start[0] + sign * _WIDTH / 2, start[1])
    head = (end[0] - sign * _WIDTH / 2, end[1])
    ax.annotate("", head, tail, arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 1})
    if label:
        middle = ((tail[0] + head[0]) / 2, (tail[1] + head[1]) / 2 + 0.035)
        ax.text(*middle, label, ha="center", fontsize=7, color="#555555")


def _column(count: int) -> list[float]:
    """`count` heights, evenly spread from top to bottom."""
    if count == 1:
        return [0.5]
    return [0.85 - i * 0.7 / (count - 1) for i in range(count)]


def draw_architecture(arch: Architecture) -> Figure:
    """Services (with their ports), topics and lake zones, and the arrows data takes."""
    fig, ax = plt.subplots(figsize=(12, 5.5))
    ax.set_axis_off()
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(0, 1)
    ports = {s.name: s.port for s in arch.services}
    where = {
        "api": _box(ax, _COLUMNS["api"], 0.5, f"api\nFMS API :{ports['api']}", "service"),
        "collector": _box(
            ax, _COLUMNS["collector"], 0.5, f"collector\n/metrics :{ports['collector']}", "service"
        ),
        "stream": _box(
            ax, _COLUMNS["stream"], 0.5, f"stream (Spark)\n/metrics :{ports['stream']}", "service"
        ),
    }
    for topic, y in zip(arch.topics, _column(len(arch.topics)), strict=True):
        text = f"{topic.name}\n{topic.partitions} part."
        where[topic.name] = _box(ax, _COLUMNS["topics"], y, text, "topic")
    for zone, y in zip(arch.zones, _column(len(arch.zones)), strict=True):
        where[f"zone:{zone}"] = _box(ax, _COLUMNS["zones"], y, zone, "zone")
    ax.text(_COLUMNS["topics"], 0.97, f"broker :{ports['broker']}", ha="center", fontsize=9)
    ax.text(_COLUMNS["zones"], 0.97, "lake (Parquet)", ha="center", fontsize=9)
    _arrow(ax, where["collector"], where["api"], "HTTP GET")
    for topic in arch.topics:
        for producer in topic.producers:
            _arrow(
                ax, where[producer], where[topic.name], "produce" if producer != "stream" else ""
            )
        for consumer in topic.consumers:
            _arrow(ax, where[topic.name], where[consumer], "consume")
    for zone in arch.stream_zones:
        _arrow(ax, where["stream"], where[f"zone:{zone}"])
    ax.set_title("The embedded pipeline from its configuration: services, ports, topics, zones")
    return fig
