"""Map controls of the plan map: fullscreen, measure (metres, m², 亩) and a metric-only scale bar."""

from __future__ import annotations

import folium
from branca.element import MacroElement
from folium.plugins import Fullscreen, MeasureControl
from folium.template import Template

__all__ = ["MetricScale", "add_controls"]


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres and kilometres only (folium's shows feet and miles too)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            L.control.scale({metric: true, imperial: false, maxWidth: 160}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


def add_controls(m: folium.Map, lang: str) -> None:
    """Fullscreen and measure (m, km, m², 亩) controls, top left."""
    zh = lang == "zh"
    Fullscreen(
        position="topleft",
        title="全屏" if zh else "Full screen",
        title_cancel="退出全屏" if zh else "Exit full screen",
    ).add_to(m)
    MeasureControl(
        position="topleft",
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="sqmeters",
        secondary_area_unit="mu",
        # 1 亩 = 10000/15 m² exactly (docs/sources.md#units): factor from m² is 15/10000.
        units={"mu": {"factor": 0.0015, "display": "亩" if zh else "mu", "decimals": 2}},
        localization="cn" if zh else "en",
    ).add_to(m)
