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
    layer: str = ""  # the overlay's id: its legend group hides while the layer is switched off


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
        parts.append(f'<div class="tp-lg" data-layer="{_e(group.layer)}">')
        if len(classes) == 1 and classes[0].label in ("", group.name):
            parts.append(
                f'<div class="tp-row tp-group">{_swatch(group.geometry, classes[0].style)}'
                f"<span>{_e(group.name)}</span></div></div>"
            )
            continue
        parts.append(f'<div class="tp-group">{_e(group.name)}</div>')
        for c in classes:
            parts.append(
                f'<div class="tp-row">{_swatch(group.geometry, c.style)}<span>{_e(c.label)}</span></div>'
            )
        parts.append("</div>")
    parts.append("</details>")
    return "".join(parts)


class Legend(MacroElement):
    """A bottom-left Leaflet control holding :func:`legend_html`; it stays visible in fullscreen.

    It never covers a control: its height is limited to the room between the top-left controls
    (zoom, fullscreen, measure) and the bottom-left ones (scale), and to what keeps it clear of the
    right-hand controls on a narrow screen; with too little room it folds to its title (the reader can
    open it again). A layer switched off hides its group. Refitted on every resize and layer switch.
    """

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
            townplan.fitLegend({{ this._parent.get_name() }}, {{ this.get_name() }}.getContainer());
        {% endmacro %}
        """
    )

    def __init__(self, groups: Sequence[LegendGroup], *, title: str) -> None:
        super().__init__()
        self._name = "TownplanLegend"
        self.html_js = js_literal(legend_html(groups, title=title))


LEGEND_JS = """
townplan.fitLegend = function (map, div) {
  var T = townplan, box = map.getContainer(), details = div.querySelector('details'), userSet = false;
  details.addEventListener('toggle', function () { if (!T._fitting) { userSet = true; fit(); } });
  function rect(el) { return el.getBoundingClientRect(); }
  function hits(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }
  function sync() {
    div.querySelectorAll('.tp-lg').forEach(function (g) {
      var lyr = T.objs && T.objs[g.getAttribute('data-layer')];
      g.style.display = (lyr && !map.hasLayer(lyr)) ? 'none' : '';
    });
  }
  function fit() {
    T._fitting = true;
    sync();
    var top = rect(box).top, bottom = rect(box).bottom, highest = top;
    box.querySelectorAll('.leaflet-top.leaflet-left .leaflet-control').forEach(function (c) {
      highest = Math.max(highest, rect(c).bottom);
    });
    var room = rect(div).bottom - highest - 12;
    div.style.maxHeight = Math.max(room, 0) + 'px';
    // A narrow screen: keep clear of the right-hand controls too.
    box.querySelectorAll('.leaflet-right .leaflet-control').forEach(function (c) {
      var r = rect(c), d = rect(div);
      if (r.height && hits(r, d)) {
        room = Math.min(room, d.bottom - r.bottom - 12);
        div.style.maxHeight = Math.max(room, 0) + 'px';
      }
    });
    if (!userSet) { details.open = room >= 160; }
    // No room at all (a tiny window under an open layer list): it stays folded, even when asked.
    if (room < 40) { details.open = false; }
    // Folded, it is only as wide as its title, which keeps it clear of the right-hand controls.
    div.style.minWidth = details.open ? '' : '0px';
    if (!details.open) { div.style.maxHeight = ''; }
    T._fitting = false;
  }
  T.legendFit = fit;
  map.on('overlayadd overlayremove resize', fit);
  map.whenReady(fit);
  window.addEventListener('load', fit);
  setTimeout(fit, 0);
};
"""
