"""The before/after map: two synchronised Leaflet maps side by side, one self-contained offline page.

Left the older vintage, right the newer; panning or zooming one moves the other (a few lines of this
module's own script, no plugin). The features removed (grey, dashed) on the left, added (red) and the
new parts of changed ones on the right, changed (blue) on both, between the vintages (:func:`townplan_gis.construction.compare`), with a popup naming each.
Leaflet is inlined from the ``xstatic-leaflet`` package as :mod:`.offline` does; the page loads nothing
from the network and has no basemap (tiles would need one), so it opens on an office intranet.
Measured facts: docs/engineering.md#offline-maps.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from townplan_gis.core.vocab import label, layer_label
from townplan_gis.maps.offline import OfflineAssetError

__all__ = ["BASE_STYLES", "compare_map_html", "save_compare_map"]

#: How each layer of a vintage is drawn under the changes (muted: the changes are the subject).
BASE_STYLES: dict[str, dict[str, Any]] = {
    "boundary": {"color": "#57606a", "weight": 1.5, "dashArray": "6 4", "fillOpacity": 0},
    "builtup": {"color": "#8c959f", "weight": 1, "fillColor": "#eaeef2", "fillOpacity": 0.5},
    "water": {"color": "#54aeff", "weight": 0.5, "fillColor": "#b6e3ff", "fillOpacity": 0.8},
    "green": {"color": "#4ac26b", "weight": 0.5, "fillColor": "#aceebb", "fillOpacity": 0.8},
    "residential": {"color": "#d4a72c", "weight": 0.5, "fillColor": "#fff8c5", "fillOpacity": 0.7},
    "roads": {"color": "#6e7781", "weight": 2},
    "control_lines": {"color": "#cf222e", "weight": 0.6, "fillOpacity": 0.04, "dashArray": "2 3"},
    "heritage": {"color": "#8250df", "weight": 1, "radius": 4, "fillOpacity": 0.6},
    "facilities": {"color": "#0969da", "weight": 1, "radius": 3, "fillOpacity": 0.6},
    "streetlights": {"color": "#bf8700", "weight": 0, "radius": 1.5, "fillOpacity": 0.8},
    "canopy": {"color": "#2da44e", "weight": 0, "radius": 1.5, "fillOpacity": 0.6},
    "projects": {"color": "#24292f", "weight": 1.2, "fillOpacity": 0.05, "radius": 3},
}
# On by default; the rest can be switched on in each map's layer control.
_SHOWN = ("boundary", "builtup", "water", "green", "residential", "roads", "projects")
_CHANGE_STYLES = {
    "added": {
        "color": "#d1242f",
        "weight": 3.5,
        "fillColor": "#d1242f",
        "fillOpacity": 0.45,
        "radius": 4,
    },
    "removed": {
        "color": "#57606a",
        "weight": 3,
        "dashArray": "5 4",
        "fillColor": "#8c959f",
        "fillOpacity": 0.35,
        "radius": 4,
    },
    "changed": {
        "color": "#0969da",
        "weight": 3.5,
        "fillColor": "#0969da",
        "fillOpacity": 0.35,
        "radius": 4,
    },
}


def _leaflet() -> tuple[str, str]:
    try:
        from xstatic.pkg import leaflet
    except ImportError as exc:
        raise OfflineAssetError(
            "the Python package xstatic-leaflet is needed for an offline map. Fix: pip install "
            "xstatic-leaflet."
        ) from exc
    base = Path(leaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text("utf-8").replace("</script", "<\\/script")
    css = (base / "leaflet.css").read_text("utf-8")
    # Leaflet's stylesheet points its control icons at image files beside it; the page shows the
    # layer control as text instead, so no url() is left that a browser would fetch.
    import re

    css = re.sub(r"url\([^)]*\)", "none", css)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # its comments cite bug trackers by URL
    return js, css


def _features(gdf: gpd.GeoDataFrame, props: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """GeoJSON features in WGS 84 (6 decimals, ~0.1 m), with the given properties."""
    if len(gdf) == 0:
        return []
    geoms = gdf.geometry.to_crs(4326) if gdf.crs is not None else gdf.geometry
    arr = np.asarray(geoms.array, dtype=object)
    ok = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    out = []
    texts = shapely.to_geojson(shapely.set_precision(arr[ok], 1e-6))
    for i, text in zip(np.flatnonzero(ok), texts, strict=True):
        out.append(
            {
                "type": "Feature",
                "geometry": json.loads(text),
                "properties": {k: v[i] for k, v in props.items()},
            }
        )
    return out


def _names(gdf: gpd.GeoDataFrame) -> list[str]:
    names = gdf["name"] if "name" in gdf.columns else [None] * len(gdf)
    return ["" if n is None or (isinstance(n, float) and np.isnan(n)) else str(n) for n in names]


def _vintage(layers: dict[str, gpd.GeoDataFrame], lang: str) -> list[dict[str, Any]]:
    out = []
    for kind, style in BASE_STYLES.items():
        gdf = layers.get(kind)
        if gdf is None or len(gdf) == 0:
            continue
        title = layer_label(kind, lang)
        feats = _features(gdf, {"n": _names(gdf), "l": [title] * len(gdf)})
        out.append(
            {
                "kind": kind,
                "title": title,
                "style": style,
                "shown": kind in _SHOWN,
                "features": feats,
            }
        )
    return out


def _changes(changes: gpd.GeoDataFrame, lang: str, which: tuple[str, ...]) -> list[dict[str, Any]]:
    """Overlays of the changes of kinds ``which``, one per (change, layer): a town's hundreds of new
    street lights would bury its two new parks, so point layers start switched off."""
    out = []
    for change in which:
        style = _CHANGE_STYLES[change]
        part = changes[changes["change"] == change]
        for kind in dict.fromkeys(part["layer"]):
            rows = part[part["layer"] == kind]
            small = kind in ("canopy", "streetlights")
            feats = _features(
                rows,
                {
                    "n": _names(rows),
                    "l": [layer_label(kind, lang)] * len(rows),
                    "c": [label("feature_change", change, lang)] * len(rows),
                    "w": [str(w) if w else "" for w in rows["columns"]],
                },
            )
            what = f"{label('feature_change', change, lang)}·{layer_label(kind, lang)}"
            count = f"（{len(rows)}）" if lang == "zh" else f" ({len(rows)})"
            st = {**style, "radius": 2} if small else style
            out.append(
                {
                    "kind": f"{change}-{kind}",
                    "title": what + count,
                    "style": st,
                    "shown": kind in _SHOWN and kind != "projects",
                    "features": feats,
                }
            )
    return out


def _pieces(pieces: gpd.GeoDataFrame, lang: str) -> list[dict[str, Any]]:
    """The new parts of changed features (a road extended, a park enlarged), on the after map."""
    part = pieces[pieces["change"] == "added"]
    if len(part) == 0:
        return []
    feats = _features(
        part,
        {
            "n": _names(part),
            "l": [layer_label(k, lang) for k in part["layer"]],
            "c": ["新增部分" if lang == "zh" else "new part"] * len(part),
            "w": [""] * len(part),
        },
    )
    title = "新增部分" if lang == "zh" else "New parts"
    return [
        {
            "kind": "pieces",
            "title": title,
            "shown": True,
            "features": feats,
            "style": {**_CHANGE_STYLES["added"], "weight": 4.5},
        }
    ]


_SCRIPT = """
(function () {
  var DATA = %(data)s;
  function layer(spec) {
    var st = spec.style;
    return L.geoJSON(spec.features, {
      style: function () { return st; },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, st); },
      onEachFeature: function (f, lyr) {
        var p = f.properties, t = [];
        if (p.c) t.push('<b>' + esc(p.c) + '</b>');
        t.push(esc(p.l) + (p.n ? '：' + esc(p.n) : ''));
        if (p.w) t.push(esc(DATA.changedWord) + '：' + esc(p.w));
        lyr.bindPopup(t.join('<br>'));
      }
    });
  }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]; }); }
  function build(id, vintage) {
    var map = L.map(id, {preferCanvas: true, zoomSnap: 0.25, attributionControl: false});
    var overlays = {};
    vintage.forEach(function (spec) {
      var l = layer(spec);
      overlays[spec.title] = l;
      if (spec.shown) l.addTo(map);
    });
    L.control.layers(null, overlays, {collapsed: true}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);
    return map;
  }
  var a = build('map-before', DATA.before), b = build('map-after', DATA.after);
  a.fitBounds(DATA.bounds); b.fitBounds(DATA.bounds);
  var busy = false;
  function follow(src, dst) {
    src.on('move zoom', function () {
      if (busy) return;
      busy = true;
      dst.setView(src.getCenter(), src.getZoom(), {animate: false});
      busy = false;
    });
  }
  follow(a, b); follow(b, a);
  window.townplanCompare = {before: a, after: b};
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="%(lang)s"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%(title)s</title>
<style>%(leaflet_css)s</style>
<style>
html, body { margin: 0; height: 100%%; font-family: "Noto Sans CJK SC", "Microsoft YaHei",
  "PingFang SC", sans-serif; color: #1f2328; }
header { padding: 6px 12px; border-bottom: 1px solid #d0d7de; }
header h1 { font-size: 18px; margin: 0; } header p { margin: 2px 0; font-size: 12px; color: #57606a; }
.pair { display: flex; height: calc(100%% - 64px); }
.side { flex: 1; display: flex; flex-direction: column; border-right: 1px solid #d0d7de; }
.side h2 { font-size: 14px; margin: 0; padding: 4px 10px; background: #eef1f4; }
.map { flex: 1; background: #f6f8fa; }
.leaflet-control-layers { font-size: 12px; }
.leaflet-control-layers-toggle { width: auto !important; height: auto !important;
  padding: 4px 8px; text-decoration: none; color: #1f2328; }
.leaflet-control-layers-toggle::after { content: "%(layers_word)s"; font-size: 13px; }
.legend span { display: inline-block; width: 14px; height: 4px; margin: 0 4px 2px 10px; }
</style></head>
<body>
<header><h1>%(title)s</h1><p>%(note)s <span class="legend">%(legend)s</span></p></header>
<div class="pair">
<div class="side"><h2>%(before)s</h2><div id="map-before" class="map"></div></div>
<div class="side"><h2>%(after)s</h2><div id="map-after" class="map"></div></div>
</div>
<script>%(leaflet_js)s</script>
<script>%(script)s</script>
</body></html>
"""


def compare_map_html(
    comparison: Any,
    *,
    lang: str = "zh",
    title: str | None = None,
    note: str = "",
    labels: tuple[str, str] | None = None,
) -> str:
    """The before/after page of a :class:`~townplan_gis.construction.Comparison` (see module).

    Parameters
    ----------
    comparison : Comparison
        From :func:`townplan_gis.construction.compare` (it keeps both vintages' layers).
    lang : {"zh", "en"}
    title, note : str, optional
        The page's heading and the line under it.
    labels : (str, str), optional
        The two maps' headings (default the vintages' labels, ``蒲州镇 2016``).

    Returns
    -------
    str
        One HTML page: Leaflet inlined, the data inlined as GeoJSON (WGS 84), no network URL.
    """
    layers = comparison.map_layers()
    if not layers["before"] and not layers["after"]:
        from townplan_gis.core.errors import TownPlanError

        raise TownPlanError("compare map: the comparison holds no layers of either vintage.")
    before = _vintage(layers["before"], lang)
    after = _vintage(layers["after"], lang)
    extent = [
        g
        for g in (layers["after"].get("builtup"), layers["after"].get("boundary"))
        if g is not None
    ]
    frame = extent[0] if extent else comparison.changes
    x0, y0, x1, y1 = frame.to_crs(4326).total_bounds
    data = {
        "before": before + _changes(comparison.changes, lang, ("removed", "changed")),
        "after": after
        + _changes(comparison.changes, lang, ("added", "changed"))
        + _pieces(comparison.pieces, lang),
        "bounds": [[y0, x0], [y1, x1]],
        "changedWord": "改变内容" if lang == "zh" else "changed",
    }
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    legend = "".join(
        f'<span style="background:{s["color"]}"></span>{html.escape(label("feature_change", k, lang))}'
        for k, s in _CHANGE_STYLES.items()
    )
    js, css = _leaflet()
    b_label, a_label = labels or (comparison.before, comparison.after)
    return _PAGE % {
        "lang": "zh-CN" if lang == "zh" else "en",
        "title": html.escape(title or f"{comparison.before} → {comparison.after}"),
        "note": html.escape(note),
        "legend": legend,
        "before": html.escape(b_label),
        "layers_word": "图层" if lang == "zh" else "Layers",
        "after": html.escape(a_label),
        "leaflet_css": css,
        "leaflet_js": js,
        "script": _SCRIPT % {"data": blob},
    }


def save_compare_map(comparison: Any, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`compare_map_html` to ``path`` (UTF-8); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(compare_map_html(comparison, **kwargs), encoding="utf-8")
    return path
