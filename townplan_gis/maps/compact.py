"""Compact map layers: county-scale overlays (10⁵ features and more) in one offline HTML page.

The GeoJSON overlays of :mod:`townplan_gis.maps.layers` make one Leaflet object per feature; past a few
tens of thousands of features a page is hundreds of megabytes and the browser stops responding
(10⁵ parcels with their review: 264 MB, built in 49 s). A compact layer carries the same features, the
same style classes and the same popup texts in a form the browser can take at that scale:

* geometry as integers — longitude/latitude rounded to ``10^-precision`` degree exactly as the GeoJSON
  overlays round them — delta-coded along each ring or line, zigzag- and varint-coded, rings oriented so
  a nonzero fill keeps holes open;
* each popup column as a dictionary of its distinct display strings plus one small integer per feature;
* the whole raw-deflate compressed (fflate inflates it in the page) and embedded as base64.

In the page (``maps/static/townplan/compact.js``) each layer is a Leaflet Canvas renderer that paints its
features from typed arrays, batched by style class, and hit-tests clicks and hovers itself; popups and
tooltips are built on demand by the same escaping helpers as the GeoJSON overlays, so they read the same.
Nothing is simplified in Python: vertices closer than half a pixel to the last one drawn are skipped at
paint time (below display resolution at every zoom), and a feature smaller than its marker is drawn as
the marker, so a sub-pixel overlap stays visible at county zoom.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

import folium
from branca.element import Element
from folium.template import Template

from townplan_gis.maps.compact_geometry import display_geometries, encode_geometry
from townplan_gis.maps.compact_payload import Payload, decode_payload, display_columns, encode_layer
from townplan_gis.maps.layers import add_assets, js_literal
from townplan_gis.maps.styles import StyleClass

__all__ = [
    "COMPACT_THRESHOLD",
    "CompactLayer",
    "Payload",
    "add_compact_assets",
    "decode_payload",
    "display_columns",
    "display_geometries",
    "drawn_layers",
    "encode_geometry",
    "encode_layer",
]

#: ``plan_map(renderer="auto")`` draws compact layers when the map has more features than this.
COMPACT_THRESHOLD = 5_000


class CompactLayer(folium.map.Layer):
    """A toggleable overlay painted on a canvas from a compact payload (see module docstring).

    Parameters
    ----------
    payload : str
        ``encode_layer(...).text``.
    name : str
        Layer name shown in the layer control (escaped here).
    classes : list of StyleClass
        Style table; each feature's class code indexes it.
    fields : list of str
        Popup labels, in the order of the payload's columns.
    tooltip : list of int
        Positions of the columns joined for the tooltip.
    draw_order : list of int, optional
        Class indices bottom first (default: the table's order).
    marker_px : float, default 1.5
        Radius of the marker that stands for a feature smaller than twice this size on screen.
    n_features : int
        Number of features in the payload (checked by the browser tests).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = townplan.compact(
                document.getElementById("{{ this.get_name() }}_data").textContent,
                {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        payload: str,
        *,
        name: str,
        classes: Sequence[StyleClass],
        fields: Sequence[str],
        tooltip: Sequence[int],
        draw_order: Sequence[int] | None = None,
        marker_px: float = 1.5,
        n_features: int = 0,
        show: bool = True,
        layer_id: str = "",
    ) -> None:
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "TownplanCompact"
        self.payload = payload
        self.data = _PayloadElement(payload)
        self.n_features = n_features
        self.options_js = js_literal(
            {
                "id": layer_id or name,
                "title": name,
                "styles": [c.style for c in classes],
                "order": list(range(len(classes))) if draw_order is None else list(draw_order),
                "fields": list(fields),
                "tip": list(tooltip),
                "marker": float(marker_px),
            }
        )

    def render(self, **kwargs):
        # The payload sits in the page body as an inert data block, rendered as it is: branca would
        # otherwise compile the megabytes of a rendered script as a Jinja template (seconds).
        self.get_root().html.add_child(self.data, name=f"{self.get_name()}_data")
        self.data.element_id = f"{self.get_name()}_data"
        super().render(**kwargs)


class _PayloadElement(Element):
    """``<script type="application/octet-stream">`` holding a payload, rendered without a template."""

    def __init__(self, payload: str) -> None:
        super().__init__("")
        self.payload = payload
        self.element_id = ""

    def render(self, **kwargs) -> str:
        return (
            f'<script type="application/octet-stream" id="{self.element_id}">'
            f"{self.payload}</script>"
        )


def drawn_layers(m: folium.Map) -> list[tuple[str, str, int]]:
    """``(layer id, layer name, features)`` of every overlay of a plan map, compact or GeoJSON.

    What a command line or a log says the map holds (the names as in the layer control).
    """
    from townplan_gis.maps.layers import LeafletGeoJson

    out = []
    for child in m._children.values():
        if isinstance(child, (CompactLayer, LeafletGeoJson)):
            opts = json.loads(child.options_js)
            out.append((opts["id"], opts["title"], int(child.n_features)))
    return out


def _static(path: str) -> str:
    return resources.files("townplan_gis.maps").joinpath("static").joinpath(path).read_text("utf-8")


@cache
def _compact_js() -> str:
    # fflate is vendored unchanged (MIT, its licence in static/fflate/LICENSE); a literal "</script"
    # inside inlined code would end the element early.
    fflate = _static("fflate/fflate.min.js").replace("</script", "<\\/script")
    own = _static("townplan/compact.js").replace("</script", "<\\/script")
    return (
        f"<script>/* fflate 0.8.3, MIT licence, (c) Arjun Barrett */\n{fflate}</script>\n"
        f"<script>{own}</script>"
    )


def add_compact_assets(m: folium.Map) -> None:
    """Inline fflate and the compact-layer script in the page header, once per figure.

    Both are written into the page itself (not linked), so the page is self-contained whether it is
    saved offline or not.
    """
    add_assets(m)
    root: Any = m.get_root()
    if getattr(root, "_townplan_compact_assets", False):
        return
    root.header.add_child(Element(_compact_js()), name="townplan_compact_js")
    root._townplan_compact_assets = True
