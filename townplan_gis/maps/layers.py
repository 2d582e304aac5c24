"""Fast, safe GeoJSON overlays for Leaflet: one compact FeatureCollection text per layer.

Why not ``folium.GeoJson(gdf, style_function=...)``: folium turns a style function into a JavaScript
``switch`` with one case per feature, evaluated once per feature (O(n²); +70 s at 100k features), and
builds the GeoJSON through Python dicts. Here the GeoJSON text is made with vectorised
``shapely.to_geojson`` on coordinates rounded in one ``shapely.transform`` call, each feature carries only
a style-class index and its display values, and the browser looks the style up in a small table (O(n)).
Popups and tooltips are built lazily on hover/click by a helper that HTML-escapes every value, so user
strings never reach the page as markup. Source of the measured costs: ``docs/engineering.md#large-maps``
and ``docs/engineering.md#offline-maps``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.template import Template

from townplan_gis.core.crs import analysis_crs, shift_to_gcj02
from townplan_gis.core.errors import CRSError
from townplan_gis.core.vocab import label, unit_label
from townplan_gis.fiveline.grade import MU_M2
from townplan_gis.maps.styles import StyleClass

__all__ = ["FieldSpec", "LeafletGeoJson", "add_assets", "display_frame", "js_literal", "to_display"]

# (column, label, format); format is one of: text, num0, num1, num2, int, pct, bool, area (m² and 亩),
# the same with "+" appended to hide zeros, or a dict mapping raw values to display labels.
FieldSpec = tuple[str, str, Any]


def js_literal(value: Any) -> str:
    """JSON text safe to embed inside ``<script>``: ``<``, ``>`` and ``&`` become ``\\u`` escapes."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _escape_script(text)


def _escape_script(text: str) -> str:
    # These characters only occur inside JSON strings, where \u escapes mean the same thing.
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def to_display(
    gdf: gpd.GeoDataFrame,
    *,
    simplify_m: float | None = None,
    precision: int = 6,
    gcj02: bool = False,
) -> gpd.GeoSeries:
    """Geometries ready for a web map: non-empty, optionally simplified, WGS 84, maybe GCJ-02, rounded.

    Parameters
    ----------
    gdf : GeoDataFrame
        Any CRS; read, never modified.
    simplify_m : float, optional
        Douglas–Peucker tolerance in metres, topology-preserving, applied in a metric CRS *before*
        reprojection (in degrees a tolerance would mean different distances north–south and east–west).
    precision : int, default 6
        Decimal places kept in longitude/latitude; 6 decimals ≈ 0.1 m.
    gcj02 : bool, default False
        Shift every vertex WGS84→GCJ-02, for display over Gaode/AMap tiles only.

    Returns
    -------
    GeoSeries
        EPSG:4326, only the rows with a non-empty geometry (index kept).
    """
    if gdf.crs is None:
        raise CRSError(
            "a map layer has no CRS, so it cannot be placed on a web map. Fix: set its CRS "
            "(gdf.set_crs('EPSG:4490')) or read it through tp.Town, which checks CRSs."
        )
    geoms = gdf.geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    if simplify_m:
        if geoms.crs.is_geographic:
            geoms = geoms.to_crs(analysis_crs(gpd.GeoDataFrame(geometry=geoms)))
        geoms = gpd.GeoSeries(
            shapely.simplify(geoms.array, simplify_m, preserve_topology=True),
            index=geoms.index,
            crs=geoms.crs,
        )
    geoms = geoms.to_crs(4326)
    if gcj02:
        geoms = shift_to_gcj02(geoms)
    rounded = shapely.transform(geoms.array, lambda c: np.round(c, precision))
    return gpd.GeoSeries(rounded, index=geoms.index, crs=4326)


def _fmt_number(values: pd.Series, decimals: int) -> pd.Series:
    num = pd.to_numeric(values, errors="coerce")
    out = num.map(lambda v: f"{v:,.{decimals}f}", na_action="ignore")
    return out.astype("object").where(num.notna(), None)


def display_frame(df: pd.DataFrame, fields: Sequence[FieldSpec], *, lang: str) -> pd.DataFrame:
    """Display strings of the popup fields, one column per field, ``None`` where missing.

    Strings are *not* HTML-escaped here: escaping happens in the browser at render time, so the
    JSON carries the user's text unchanged and is escaped exactly once.
    """
    mu = unit_label("mu", lang)
    yes_no = {True: label("bool", True, lang), False: label("bool", False, lang)}
    out = {}
    for column, _label, fmt in fields:
        if column not in df:
            out[column] = pd.Series(None, index=df.index, dtype="object")
            continue
        s = df[column]
        if isinstance(fmt, str) and fmt.endswith("+"):
            # "+" formats hide zeros: a project's overlap with each of the five lines is mostly 0.
            fmt = fmt[:-1]
            num = pd.to_numeric(s, errors="coerce")
            s = num.where(num != 0)
        if isinstance(fmt, dict):
            raw = s.astype("object")
            # object dtype: pandas 3 infers `str` for the mapped labels, where a missing value stays
            # NaN through .where(…, None) and then shows as the text "nan".
            shown = raw.map(lambda v, m=fmt: m.get(v, v) if isinstance(v, str) else v).astype(
                object
            )
            col = shown.where(raw.notna(), None).map(lambda v: None if v is None else str(v))
        elif fmt in ("num0", "num1", "num2"):
            col = _fmt_number(s, int(fmt[-1]))
        elif fmt == "int":
            col = _fmt_number(s, 0)
        elif fmt == "pct":
            n = _fmt_number(s, 1)
            col = n.where(n.isna(), n + " %")
        elif fmt == "area":
            m2 = _fmt_number(s, 1)
            mus = _fmt_number(pd.to_numeric(s, errors="coerce") / MU_M2, 2)
            col = (m2 + " m² (" + mus + f" {mu})").where(m2.notna(), None)
        elif fmt == "bool":
            col = s.map(lambda v: yes_no.get(bool(v)) if pd.notna(v) else None).astype("object")
        else:
            col = (
                s.astype("object")
                .where(s.notna(), None)
                .map(lambda v: None if v is None else str(v))
            )
        out[column] = col.astype("object").where(col.notna(), None)
    return pd.DataFrame(out, index=df.index)


_TRAILING_ZERO = re.compile(r"\.0(?=[,\]])")


def feature_collection(
    geoms: gpd.GeoSeries, codes: np.ndarray, values: pd.DataFrame, *, precision: int = 6
) -> tuple[str, dict[str, int]]:
    """GeoJSON FeatureCollection text with integer coordinates, and the origin to decode them.

    Coordinates are written as integers ``round(lon·10^p) − ox`` and ``round(lat·10^p) − oy`` (``p`` =
    ``precision``): ``321235,31235`` instead of ``110.321235,34.831235`` cuts the page by about a third.
    The browser decodes them in Leaflet's ``coordsToLatLng`` as ``(ox + x) / 10^p``, exact to the
    rounding already applied. ``properties = {"s": style class, "p": [display values]}``.

    Returns
    -------
    text : str
        FeatureCollection text, safe inside ``<script>``.
    origin : dict
        ``{"ox": int, "oy": int, "scale": 10**precision}``.
    """
    scale = 10**precision
    if len(geoms) == 0:
        return '{"type":"FeatureCollection","features":[]}', {"ox": 0, "oy": 0, "scale": scale}
    x0, y0 = geoms.total_bounds[:2]
    ox, oy = int(np.floor(x0 * scale)), int(np.floor(y0 * scale))
    offset = np.array([ox, oy], dtype=float)
    ints = shapely.transform(geoms.array, lambda c: np.round(c * scale) - offset)
    gj = shapely.to_geojson(ints)
    rows = (
        json.loads(values.to_json(orient="values", force_ascii=False)) if values.shape[1] else None
    )
    parts = []
    for i, g in enumerate(gj):
        p = json.dumps(rows[i], ensure_ascii=False, separators=(",", ":")) if rows else "[]"
        parts.append(
            f'{{"type":"Feature","geometry":{g},"properties":{{"s":{int(codes[i])},"p":{p}}}}}'
        )
    text = _TRAILING_ZERO.sub(
        "", '{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}"
    )
    return _escape_script(text), {"ox": ox, "oy": oy, "scale": scale}


class LeafletGeoJson(folium.map.Layer):
    """A toggleable overlay drawn from pre-built GeoJSON text with per-class styles.

    Parameters
    ----------
    data : str
        FeatureCollection text from :func:`feature_collection`.
    name : str
        Layer name shown in the layer control (escaped here).
    classes : list of StyleClass
        Style table; each feature's ``properties.s`` indexes it.
    fields : list of str
        Popup labels, in the order of ``properties.p``.
    tooltip : list of int
        Positions in ``properties.p`` joined for the tooltip.
    canvas : bool
        Draw on a Canvas renderer (large layers) instead of SVG.
    n_features : int
        Number of features drawn (checked by the browser tests).
    origin : dict, optional
        Integer-coordinate origin from :func:`feature_collection`.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = townplan.layer({{ this.data }}, {{ this.options_js }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        data: str,
        *,
        name: str,
        classes: Sequence[StyleClass],
        fields: Sequence[str],
        tooltip: Sequence[int],
        canvas: bool = False,
        n_features: int = 0,
        show: bool = True,
        layer_id: str = "",
        origin: dict[str, int] | None = None,
    ) -> None:
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "TownplanGeoJson"
        self.data = data
        self.n_features = n_features
        self.options_js = js_literal(
            {
                "id": layer_id or name,
                "title": name,
                "styles": [c.style for c in classes],
                "fields": list(fields),
                "tip": list(tooltip),
                "canvas": bool(canvas),
                **(origin or {"ox": 0, "oy": 0, "scale": 1}),
            }
        )


_HELPERS_JS = """
window.townplan = window.townplan || (function () {
  var T = {layers: {}, drawn: 0, ready: false};
  var ESC = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '/': '&#47;', '`': '&#96;', '=': '&#61;'};
  function esc(v) { return String(v).replace(/[&<>"'\\/`=]/g, function (c) { return ESC[c]; }); }
  T.esc = esc;
  function has(v) { return v !== null && v !== undefined && v !== ''; }
  T.popup = function (f, o) {
    var p = f.properties.p, h = '';
    for (var i = 0; i < o.fields.length; i++) {
      if (has(p[i])) { h += '<tr><th>' + esc(o.fields[i]) + '</th><td>' + esc(p[i]) + '</td></tr>'; }
    }
    return '<div class="tp-popup"><div class="tp-popup-title">' + esc(o.title) + '</div><table>' + h + '</table></div>';
  };
  T.tip = function (f, o) {
    var p = f.properties.p, parts = [];
    for (var i = 0; i < o.tip.length; i++) { if (has(p[o.tip[i]])) { parts.push(esc(p[o.tip[i]])); } }
    return parts.length ? parts.join(' · ') : esc(o.title);
  };
  T.styleOf = function (f, o) {
    var s = o.styles[f.properties.s], t = f.geometry.type;
    // A line project is drawn at its own width (lineWeight), not the outline width of an area;
    // each of a group of points (120 lamps) is a small dot, so the group does not hide the street.
    // (GeoJSON layers re-apply this style after creating a circle marker, radius included.)
    if ((t === 'LineString' || t === 'MultiLineString') && s.lineWeight) { return L.extend({}, s, {weight: s.lineWeight}); }
    if (t === 'MultiPoint' && s.groupRadius) { return L.extend({}, s, {radius: s.groupRadius, weight: Math.min(s.weight || 1, 1)}); }
    return s;
  };
  T.layer = function (data, o) {
    var renderer = o.canvas ? L.canvas({padding: 0.5}) : L.svg({padding: 0.5});
    var lyr = L.geoJSON(data, {
      renderer: renderer,
      coordsToLatLng: function (c) { return new L.LatLng((o.oy + c[1]) / o.scale, (o.ox + c[0]) / o.scale); },
      style: function (f) { return T.styleOf(f, o); },
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, L.extend({renderer: renderer}, T.styleOf(f, o)));
      },
      onEachFeature: function (f, l) {
        l.bindTooltip(function () { return T.tip(f, o); }, {sticky: true});
        l.bindPopup(function () { return T.popup(f, o); }, {maxWidth: 460});
      }
    });
    // A MultiPoint becomes a group of circle markers: count the drawn leaves, not the features.
    var n = 0;
    (function count(g) { g.eachLayer(function (l) { if (l.eachLayer) { count(l); } else { n += 1; } }); })(lyr);
    T.layers[o.id] = {features: lyr.getLayers().length, paths: n};
    T.objs = T.objs || {};
    T.objs[o.id] = lyr;
    T.drawn += n;
    return lyr;
  };
  return T;
})();
"""

_HELPERS_CSS = """
.tp-popup { font: 13px/1.45 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; }
.tp-popup-title { font-weight: 600; margin-bottom: 4px; border-bottom: 1px solid #ddd; }
.tp-popup table { border-collapse: collapse; }
.tp-popup th { text-align: left; font-weight: 500; color: #555; padding: 1px 10px 1px 0; vertical-align: top; white-space: nowrap; }
.tp-popup td { padding: 1px 0; max-width: 300px; word-break: break-word; }
.tp-legend { background: rgba(255,255,255,0.94); padding: 8px 10px; border-radius: 5px; box-shadow: 0 1px 5px rgba(0,0,0,0.35);
  font: 12px/1.5 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; max-height: 60vh; overflow-y: auto; min-width: 140px;
  box-sizing: border-box; }
.tp-legend summary { cursor: pointer; }
.tp-legend h4 { display: inline; margin: 0 0 4px; font-size: 13px; }
.tp-legend .tp-group { font-weight: 600; margin-top: 5px; }
.tp-legend .tp-row { display: flex; align-items: center; gap: 6px; white-space: nowrap; }
.tp-legend .tp-sw { display: inline-block; width: 22px; height: 14px; flex: none; box-sizing: border-box; }
.tp-legend .tp-pt { width: 12px; height: 12px; border-radius: 50%; margin: 0 5px; }
"""


def add_assets(m: folium.Map) -> None:
    """Put the popup/tooltip helper script and the legend CSS in the page header, once per figure."""
    root: Any = m.get_root()  # a branca Figure, marked once it has the assets
    if getattr(root, "_townplan_assets", False):
        return
    root.header.add_child(Element(f"<script>{_HELPERS_JS}</script>"), name="townplan_helpers_js")
    root.header.add_child(Element(f"<style>{_HELPERS_CSS}</style>"), name="townplan_helpers_css")
    root._townplan_assets = True


class ReadyFlag(MacroElement):
    """Marks the end of the map script: ``townplan.ready`` becomes true once every layer was added."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            townplan.ready = true;
        {% endmacro %}
        """
    )
