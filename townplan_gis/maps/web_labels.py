"""Labels on the web map: road names along the roads and project ids on the projects.

The same candidates as the print plan (:mod:`townplan_gis.maps.print_labels`), placed by the browser:
after every zoom or pan each label is shown only when the map is zoomed in far enough (project ids from
zoom 15; a road's name once its drawn length on screen exceeds the name), when it lies inside the map
and when it does not overlap a label of higher priority (project ids by verdict, worst first, then
roads by class and length). Text is set with ``textContent``, so a name can never become markup. A
toggleable overlay, "标注" / "Labels".
"""

from __future__ import annotations

import html
import logging
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.template import Template

from townplan_gis.core.crs import shift_to_gcj02
from townplan_gis.maps.layers import js_literal
from townplan_gis.maps.print_labels import project_candidates, road_candidates
from townplan_gis.maps.styles import load_styles

__all__ = ["LABELS_CSS", "LABELS_JS", "MAX_LABELS", "LabelLayer", "label_items", "layer_name"]

log = logging.getLogger(__name__)

#: More labels than this are not sent to the page (a county's projects): the layer would stall panning.
MAX_LABELS = 3000


def _settings() -> dict[str, Any]:
    return dict(load_styles().get("labels", {}))


def layer_name(lang: str) -> str:
    """Name of the labels overlay in the layer list (``[labels] name`` of the style file)."""
    return str(_settings().get("name", {}).get(lang, "Labels"))


def label_items(
    roads: gpd.GeoDataFrame | None,
    projects: gpd.GeoDataFrame | None,
    *,
    gcj02: bool = False,
    precision: int = 6,
) -> list[list[Any]]:
    """``[text, lat, lon, rotation°, min zoom, road length m, kind, further anchors]`` per label,
    highest priority first (``kind`` 0 = project id, 1 = road name; rotation counter-clockwise from
    east; further anchors ``[[lat, lon, rotation°], …]`` tried in order when the first collides)."""
    cands = []
    for gdf, make in ((projects, project_candidates), (roads, road_candidates)):
        if gdf is not None and len(gdf) and gdf.crs is not None:
            cands += make(gdf, gdf.total_bounds)
    if not cands:
        return []
    cands.sort(key=lambda c: c.rank)
    if len(cands) > MAX_LABELS:
        log.info("map labels: %d candidates, the first %d by priority sent", len(cands), MAX_LABELS)
        cands = cands[:MAX_LABELS]
    crs = (projects if projects is not None and len(projects) else roads).crs  # type: ignore[union-attr]
    # Every candidate anchor in one reprojection: the first is tried first, the others (further
    # along a street, on another lamp of a group) when it collides.
    flat = [a for c in cands for a in c.anchors]
    pts = gpd.GeoSeries(shapely.points([a[:2] for a in flat]), crs=crs).to_crs(4326)
    if gcj02:
        pts = shift_to_gcj02(pts)
    xy = np.round(shapely.get_coordinates(pts.array), precision)
    zooms = _settings()
    z_road = float(zooms.get("road_min_zoom", 14))
    z_project = float(zooms.get("project_min_zoom", 14.5))
    out = []
    k = 0
    for c in cands:
        road = c.kind == "road"
        spots = [
            [float(xy[k + i, 1]), float(xy[k + i, 0]), round(a[2], 1)]
            for i, a in enumerate(c.anchors)
        ]
        k += len(c.anchors)
        first = spots[0]
        out.append(
            [
                c.text,
                first[0],
                first[1],
                first[2],
                z_road if road else z_project,
                round(c.length_m, 1),
                1 if road else 0,
                spots[1:],
            ]
        )
    return out


class LabelLayer(folium.map.Layer):
    """The labels overlay: :data:`LABELS_JS` places and declutters ``items``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = townplan.labels({{ this.items_js }}, {{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, items: list[list[Any]], *, name: str, show: bool = True) -> None:
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "TownplanLabels"
        self.items = items
        self.items_js = js_literal(items)


LABELS_JS = """
townplan.labels = function (items, map) {
  var T = townplan, group = L.layerGroup(), marks = [];
  items.forEach(function (it) {
    var span = document.createElement('span');
    span.className = 'tp-label ' + (it[6] ? 'tp-label-road' : 'tp-label-project');
    span.textContent = it[0];
    span.style.transform = 'translate(-50%, -50%) rotate(' + (-it[3]) + 'deg)';
    var icon = L.divIcon({className: 'tp-label-icon', html: span, iconSize: [0, 0]});
    var m = L.marker([it[1], it[2]], {icon: icon, interactive: false, keyboard: false, pane: 'tpLabels'});
    m.tp = it;
    marks.push(m);
    group.addLayer(m);
  });
  if (!map.getPane('tpLabels')) { map.createPane('tpLabels').style.zIndex = 640; }
  function hits(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }
  function declutter() {
    if (!map.hasLayer(group)) { return; }
    var z = map.getZoom(), box = map.getContainer().getBoundingClientRect(), shown = [];
    var mpp = 40075016.686 * Math.cos(map.getCenter().lat * Math.PI / 180) / Math.pow(2, z + 8);
    T.labelsShown = [];
    marks.forEach(function (m) {
      var el = m.getElement();
      if (!el) { return; }
      var it = m.tp, span = el.firstChild;
      if (z < it[4]) { el.style.display = 'none'; return; }
      el.style.display = '';
      var spots = [[it[1], it[2], it[3]]].concat(it[7] || []), ok = false, r;
      for (var a = 0; !ok && a < spots.length; a++) {
        m.setLatLng([spots[a][0], spots[a][1]]);
        span.style.transform = 'translate(-50%, -50%) rotate(' + (-spots[a][2]) + 'deg)';
        r = span.getBoundingClientRect();
        ok = r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
        if (ok && it[6]) { ok = it[5] / mpp >= Math.max(r.width, r.height) * 1.1; }
        for (var i = 0; ok && i < shown.length; i++) { if (hits(r, shown[i])) { ok = false; } }
      }
      if (ok) { shown.push(r); T.labelsShown.push(it[0]); } else { el.style.display = 'none'; }
    });
  }
  group.on('add', function () { setTimeout(declutter, 0); });
  map.on('zoomend moveend resize', declutter);
  map.whenReady(function () { setTimeout(declutter, 0); });
  T.declutter = declutter;
  T.objs = T.objs || {};
  T.objs.labels = group;
  return group;
};
"""

LABELS_CSS = """
.tp-label-icon { background: none; border: none; }
.tp-label { position: absolute; left: 0; top: 0; white-space: nowrap; pointer-events: none;
  font: 12px/1.2 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; color: #333;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 3px #fff; }
.tp-label-project { font-weight: 700; color: #111; font-size: 12.5px; }
.tp-label-road { color: #444; font-size: 11.5px; }
"""
