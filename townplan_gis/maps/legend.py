"""The map legend: a Leaflet control listing each drawn layer's classes with swatches.

Built in Python with every label HTML-escaped (labels may come from user data: unknown class values are
shown as they are), then inserted as a ready-made, inert HTML string.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from branca.element import MacroElement
from folium.template import Template

from townplan_gis.maps.layers import js_literal
from townplan_gis.maps.styles import StyleClass

__all__ = ["Legend", "LegendGroup", "legend_html"]


@dataclass(frozen=True)
class LegendGroup:
    """One layer in the legend: its name, geometry kind (point/line/polygon) and classes shown."""

    name: str
    geometry: str
    classes: Sequence[StyleClass]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _rgba(colour: str, alpha: float) -> str:
    c = colour.lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    try:
        r, g, b = (int(c[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return _e(colour)
    return f"rgba({r},{g},{b},{alpha:.2f})"


def _swatch(geometry: str, style: dict) -> str:
    colour = style.get("color", "#3388ff")
    fill = style.get("fillColor", colour)
    dashed = "dashed" if style.get("dashArray") else "solid"
    if geometry == "line":
        weight = max(1.0, min(float(style.get("weight", 2)), 8.0))
        css = f"height:0;border-top:{weight:.1f}px {dashed} {_e(colour)};"
        return f'<span class="tp-sw" style="{css}"></span>'
    if geometry == "point":
        css = f"background:{_rgba(fill, max(float(style.get('fillOpacity', 0.8)), 0.5))};border:1.5px solid {_e(colour)};"
        return f'<span class="tp-sw tp-pt" style="{css}"></span>'
    alpha = max(float(style.get("fillOpacity", 0.2)), 0.06)
    weight = max(1.0, min(float(style.get("weight", 2)), 3.0))
    css = f"background:{_rgba(fill, alpha)};border:{weight:.0f}px {dashed} {_e(colour)};"
    return f'<span class="tp-sw" style="{css}"></span>'


def legend_html(groups: Sequence[LegendGroup], *, title: str) -> str:
    """The legend's inner HTML (escaped)."""
    # <details> lets the reader fold the legend away on a small screen, without any script.
    parts = [f"<details open><summary><h4>{_e(title)}</h4></summary>"]
    for group in groups:
        classes = list(group.classes)
        if len(classes) == 1 and classes[0].label in ("", group.name):
            parts.append(
                f'<div class="tp-row tp-group">{_swatch(group.geometry, classes[0].style)}'
                f"<span>{_e(group.name)}</span></div>"
            )
            continue
        parts.append(f'<div class="tp-group">{_e(group.name)}</div>')
        for c in classes:
            parts.append(
                f'<div class="tp-row">{_swatch(group.geometry, c.style)}<span>{_e(c.label)}</span></div>'
            )
    parts.append("</details>")
    return "".join(parts)


class Legend(MacroElement):
    """A bottom-left Leaflet control holding :func:`legend_html`; it stays visible in fullscreen."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: "bottomleft"});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", "tp-legend leaflet-control");
                div.innerHTML = {{ this.html_js }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, groups: Sequence[LegendGroup], *, title: str) -> None:
        super().__init__()
        self._name = "TownplanLegend"
        self.html_js = js_literal(legend_html(groups, title=title))
