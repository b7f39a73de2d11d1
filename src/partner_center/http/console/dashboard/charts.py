"""Charts drawn on the server as SVG with pygal (readable without JavaScript: no pygal script
is embedded; each chart also comes with its numbers as a table).

Drawing is pure (the same numbers and labels give the same SVG) and costs pygal 10 to 30 ms a
chart, so the last ``CACHED`` drawings are kept: a dashboard reloaded, or seen by another
member, whose figures have not changed is not drawn again."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

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


#: pygal writes its configuration into the SVG as an inline script, which the console's
#: Content-Security-Policy (scripts from the site only) blocks and the browser reports as an
#: error on every dashboard load; the charts need no script, so it is left out.
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL)


def _svg(chart: pygal.graph.graph.Graph) -> Markup:
    svg: str = _SCRIPT.sub("", chart.render(is_unicode=True, disable_xml_declaration=True))
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
    return _pie(tuple((label, Decimal(value)) for label, value in parts))


def bars(labels: list[str], series: list[tuple[str, list[Decimal]]]) -> Markup | None:
    if not labels:
        return None
    return _xy("bar", tuple(labels), tuple((n, tuple(v)) for n, v in series))


def line(labels: list[str], series: list[tuple[str, list[Decimal]]]) -> Markup | None:
    if not labels:
        return None
    return _xy("line", tuple(labels), tuple((n, tuple(v)) for n, v in series))


CACHED = 256
_Series = tuple[tuple[str, tuple[Decimal, ...]], ...]


@lru_cache(maxsize=CACHED)
def _pie(parts: tuple[tuple[str, Decimal], ...]) -> Markup:
    chart = pygal.Pie(inner_radius=0.45, **_config())
    for label, value in parts:
        chart.add(label, float(value))
    return _svg(chart)


@lru_cache(maxsize=CACHED)
def _xy(kind: str, labels: tuple[str, ...], series: _Series) -> Markup:
    chart = (
        pygal.Bar(x_label_rotation=20, **_config()) if kind == "bar" else pygal.Line(**_config())
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, [float(v) for v in values])
    return _svg(chart)
