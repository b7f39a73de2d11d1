"""Charts drawn on the server as SVG with pygal (readable without JavaScript: no pygal script
is embedded; each chart also comes with its numbers as a table)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pygal
from markupsafe import Markup
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1d2330",
    foreground_strong="#1d2330",
    foreground_subtle="#555e6e",
    colors=("#0b5cad", "#c7000b", "#1f7a3a", "#8a5a00", "#6b3fa0", "#2a7f8f"),
    font_family="system-ui, 'Noto Sans CJK SC', sans-serif",
)


def _svg(chart: pygal.graph.graph.Graph) -> Markup:
    svg: str = chart.render(is_unicode=True, disable_xml_declaration=True)
    return Markup(svg)  # noqa: S704  (pygal's own SVG; the labels it holds are escaped by pygal)


def _config() -> dict[str, object]:
    """The caption is the page's (``figcaption``), not the SVG's."""
    return {
        "style": STYLE,
        "js": [],
        "width": 640,
        "height": 320,
        "legend_at_bottom": True,
        "print_values": False,
        "disable_xml_declaration": True,
    }


def pie(parts: Sequence[tuple[str, int | Decimal]]) -> Markup | None:
    """A donut of ``parts``; None when every part is 0 (the page says so in words)."""
    if not any(value for _label, value in parts):
        return None
    chart = pygal.Pie(inner_radius=0.45, **_config())
    for label, value in parts:
        chart.add(label, float(value))
    return _svg(chart)


def bars(labels: list[str], series: list[tuple[str, list[Decimal]]]) -> Markup | None:
    if not labels:
        return None
    chart = pygal.Bar(x_label_rotation=20, **_config())
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, [float(v) for v in values])
    return _svg(chart)


def line(labels: list[str], series: list[tuple[str, list[Decimal]]]) -> Markup | None:
    if not labels:
        return None
    chart = pygal.Line(**_config())
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, [float(v) for v in values])
    return _svg(chart)
