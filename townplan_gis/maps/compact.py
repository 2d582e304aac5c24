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

import base64
import html
import json
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from branca.element import Element
from folium.template import Template

from townplan_gis.core.crs import analysis_crs, wgs84_to_gcj02
from townplan_gis.core.errors import CRSError, TownPlanError
from townplan_gis.maps.layers import FieldSpec, add_assets, display_frame, js_literal
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

_MAGIC = b"TPC1"
_POINT, _LINE, _RING = 0, 1, 2
_MULTI_OR_COLLECTION = (4, 5, 6, 7)


def _varints(values: np.ndarray) -> bytes:
    """Unsigned LEB128 varints of non-negative integers, vectorised (one pass per output byte)."""
    v = np.asarray(values, dtype=np.uint64)
    if len(v) == 0:
        return b""
    nbytes = np.ones(len(v), dtype=np.int64)
    rest = v >> np.uint64(7)
    while rest.any():
        nbytes += rest > 0
        rest >>= np.uint64(7)
    ends = np.cumsum(nbytes)
    starts = ends - nbytes
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for k in range(int(nbytes.max())):
        m = nbytes > k
        byte = ((v[m] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        more = (nbytes[m] - 1 > k).astype(np.uint8) << 7
        out[starts[m] + k] = byte | more
    return out.tobytes()


def _zigzag(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def _single_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every single-part geometry (point, line, ring, polygon) with the index of its feature."""
    out_g, out_f = [], []
    todo, feat = geoms, np.arange(len(geoms))
    while len(todo):
        parts, i = shapely.get_parts(todo, return_index=True)
        f = feat[i]
        multi = np.isin(shapely.get_type_id(parts), _MULTI_OR_COLLECTION)
        out_g.append(parts[~multi])
        out_f.append(f[~multi])
        todo, feat = parts[multi], f[multi]
    g, f = np.concatenate(out_g), np.concatenate(out_f)
    keep = ~shapely.is_empty(g)
    g, f = g[keep], f[keep]
    order = np.argsort(f, kind="stable")
    return g[order], f[order]


def display_geometries(gdf: gpd.GeoDataFrame, *, simplify_m: float | None = None) -> gpd.GeoSeries:
    """The non-empty geometries of a layer, simplified as the GeoJSON overlays simplify them.

    Same rows and the same simplification as :func:`townplan_gis.maps.layers.to_display`, without its
    reprojection and rounding, which :func:`encode_geometry` does on the coordinate arrays alone
    (no geometry is rebuilt: at 10⁵ features that halves the time).
    """
    if gdf.crs is None:
        raise CRSError(
            "a map layer has no CRS, so it cannot be placed on a web map. Fix: set its CRS "
            "(gdf.set_crs('EPSG:4490')) or read it through tp.Town, which checks CRSs."
        )
    geoms = gdf.geometry
    geoms = geoms[~(geoms.isna() | geoms.is_empty)]
    if simplify_m:
        # As to_display: Douglas–Peucker in metres, in a metric CRS, before reprojection.
        if geoms.crs.is_geographic:
            geoms = geoms.to_crs(analysis_crs(gpd.GeoDataFrame(geometry=geoms)))
        geoms = gpd.GeoSeries(
            shapely.simplify(geoms.array, simplify_m, preserve_topology=True),
            index=geoms.index,
            crs=geoms.crs,
        )
    return geoms


def encode_geometry(
    geoms: gpd.GeoSeries, *, precision: int = 6, gcj02: bool = False, layer: str = "layer"
) -> tuple[dict, list[bytes]]:
    """Varint sections of a layer's geometry (see the module docstring) and their header entries.

    Parameters
    ----------
    geoms : GeoSeries
        Non-empty geometries with a CRS (from :func:`display_geometries`); reprojected to EPSG:4326
        vertex by vertex, as ``to_crs`` would.
    precision : int, default 6
        Decimals of a degree kept; coordinates become ``round(lon · 10^precision) − ox``, the
        integers of the GeoJSON overlays.
    gcj02 : bool, default False
        Shift every vertex WGS84→GCJ-02 (Gaode/AMap basemaps), before rounding.
    layer : str
        Layer name for error messages.

    Returns
    -------
    header : dict
        ``n``, ``scale``, ``ox``, ``oy``, ``counts`` (paths, vertices) and ``bounds`` (west, south,
        east, north of the rounded display coordinates).
    sections : list of bytes
        Paths per feature, path headers (``vertices · 4 + type``; 0 point, 1 line, 2 ring), and the
        zigzag coordinate deltas (x, y per vertex; the first vertex of a path relative to the first
        vertex of the previous path, the others to the previous vertex). A ring's closing vertex is
        implied; exteriors run anticlockwise and holes clockwise in longitude/latitude, so a nonzero
        fill keeps every hole open.
    """
    arr = np.asarray(geoms.array, dtype=object)
    singles, feat = _single_parts(arr)
    types = shapely.get_type_id(singles)
    poly = types == 3
    rings, ri = shapely.get_rings(singles[poly], return_index=True)
    poly_pos = np.flatnonzero(poly)[ri]
    exterior = np.r_[True, ri[1:] != ri[:-1]] if len(ri) else np.zeros(0, bool)
    other_pos = np.flatnonzero(~poly)
    paths = np.concatenate([rings, singles[~poly]])
    pos = np.concatenate([poly_pos, other_pos])
    ptype = np.concatenate([np.full(len(rings), _RING), np.where(types[~poly] == 0, _POINT, _LINE)])
    outer = np.concatenate([exterior, np.zeros(len(other_pos), bool)])
    order = np.argsort(pos, kind="stable")  # rings of a polygon keep their order: exterior first
    paths, ptype, pfeat, outer = paths[order], ptype[order], feat[pos[order]], outer[order]

    coords, ci = shapely.get_coordinates(paths, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        rows = list(pd.unique(np.asarray(geoms.index)[pfeat[ci[bad]]]))[:10]
        raise TownPlanError(
            f"map layer '{layer}': rows {rows} have NaN or infinite coordinates, which cannot be "
            "drawn. Fix: repair or drop those geometries (tp.Town checks layers on load)."
        )
    counts = np.bincount(ci, minlength=len(paths))
    # A ring's closing vertex repeats its first: drop it, the page closes rings itself.
    closed = (ptype == _RING) & (counts > 1)
    keep = np.ones(len(coords), dtype=bool)
    keep[(np.cumsum(counts) - 1)[closed]] = False
    coords = coords[keep]
    counts = counts - closed
    nonempty = counts > 0
    counts, ptype, pfeat, outer = (
        counts[nonempty],
        ptype[nonempty],
        pfeat[nonempty],
        outer[nonempty],
    )

    # Reproject, shift and round exactly as to_display does, on the arrays alone.
    if geoms.crs is None:
        raise CRSError(f"map layer '{layer}' has no CRS, so it cannot be placed on a web map.")
    x, y = coords[:, 0], coords[:, 1]
    if not pyproj.CRS(geoms.crs).equals(pyproj.CRS(4326)):
        x, y = pyproj.Transformer.from_crs(geoms.crs, 4326, always_xy=True).transform(x, y)
    if gcj02:
        x, y = wgs84_to_gcj02(np.asarray(x), np.asarray(y))
    scale = 10**precision
    lonlat = np.round(np.column_stack([x, y]), precision)
    q = np.round(lonlat * scale).astype(np.int64)
    ox, oy = (int(v) for v in q.min(axis=0)) if len(q) else (0, 0)
    q -= np.array([ox, oy], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    q = q[_oriented(q, starts, counts, ptype == _RING, outer)]

    delta = np.empty_like(q)
    if len(q):
        delta[0] = q[0]
        delta[1:] = q[1:] - q[:-1]
        delta[starts[1:]] = q[starts[1:]] - q[starts[:-1]]
    npaths = np.bincount(pfeat, minlength=len(arr))
    bounds = [float(v) for v in (*lonlat.min(axis=0), *lonlat.max(axis=0))] if len(lonlat) else None
    header = {
        "n": len(arr),
        "scale": scale,
        "ox": ox,
        "oy": oy,
        "counts": [len(counts), int(counts.sum())],
        "bounds": bounds,
    }
    sections = [
        _varints(npaths),
        _varints(counts.astype(np.uint64) * 4 + ptype.astype(np.uint64)),
        _varints(_zigzag(delta.reshape(-1))),
    ]
    return header, sections


def _oriented(
    q: np.ndarray, starts: np.ndarray, counts: np.ndarray, ring: np.ndarray, outer: np.ndarray
) -> np.ndarray:
    """Vertex order that runs exterior rings anticlockwise and holes clockwise (shoelace sign)."""
    order = np.arange(len(q))
    if not ring.any():
        return order
    x, y = q[:, 0].astype(float), q[:, 1].astype(float)
    nxt = order + 1
    ends = starts + counts - 1
    nxt[ends] = starts  # each path's last vertex wraps to its first
    cross = x * y[nxt] - x[nxt] * y
    area = np.add.reduceat(cross, starts) if len(starts) else np.zeros(0)
    flip = ring & (counts > 2) & np.where(outer, area < 0, area > 0)
    if flip.any():
        s, c = starts[flip], counts[flip]
        at = np.repeat(s, c) + _ranges(c)
        order[at] = np.repeat(2 * s + c - 1, c) - at
    return order


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``[0..c0-1, 0..c1-1, …]`` without a Python loop."""
    total = int(counts.sum())
    ends = np.cumsum(counts)
    return np.arange(total) - np.repeat(ends - counts, counts)


def _codes(n_values: int, codes: np.ndarray) -> tuple[bytes, int]:
    width = 1 if n_values <= 0xFF else 2 if n_values <= 0xFFFF else 4
    dtype = {1: "<u1", 2: "<u2", 4: "<u4"}[width]
    return np.asarray(codes).astype(dtype).tobytes(), width


def display_columns(
    rows: pd.DataFrame, fields: Sequence[FieldSpec], *, lang: str
) -> list[tuple[list[str | None], np.ndarray]]:
    """Dictionary-coded popup columns: ``display_frame`` applied to each column's distinct values.

    Formatting each distinct value once gives exactly the strings of
    :func:`townplan_gis.maps.layers.display_frame` (the same function formats them) at the cost of
    the distinct values only: a county's verdicts, grades, clauses and project types have a handful.

    Returns
    -------
    list of (table, codes)
        Per field: ``table[0]`` is ``None`` (missing), ``codes`` index ``table``, aligned to ``rows``.
    """
    out: list[tuple[list[str | None], np.ndarray]] = []
    for field in fields:
        column = field[0]
        if column not in rows:
            out.append(([None], np.zeros(len(rows), dtype=np.int64)))
            continue
        idx, uniques = pd.factorize(rows[column], use_na_sentinel=True)
        shown = display_frame(pd.DataFrame({column: uniques}), [field], lang=lang)[column]
        # Distinct raw values can show the same text (1.04 and 1.0 at one decimal): merge them.
        k2, table = pd.factorize(
            pd.Series(shown.to_numpy(object), dtype=object), use_na_sentinel=True
        )
        codes = np.where(idx < 0, 0, k2[np.maximum(idx, 0)] + 1 if len(k2) else 0)
        strings: list[str | None] = [None, *(str(t) for t in table)]
        out.append((strings, codes))
    return out


def _utf16_lengths(table: Sequence[str | None]) -> np.ndarray:
    """Length + 1 of each string in UTF-16 code units (0 for ``None``), vectorised.

    A code point above U+FFFF (rare CJK extension characters such as 𠀋) takes two units.
    """
    strings = [t for t in table if t is not None]
    n_chars = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    points = np.frombuffer("".join(strings).encode("utf-32-le"), dtype=np.uint32)
    wide = (points > 0xFFFF).astype(np.int64)
    starts = np.cumsum(n_chars) - n_chars
    extra = np.zeros(len(strings), dtype=np.int64)
    nonempty = n_chars > 0
    if wide.any() and nonempty.any():
        extra[nonempty] = np.add.reduceat(wide, starts[nonempty])
    out = np.zeros(len(table), dtype=np.uint64)
    present = np.array([t is not None for t in table], dtype=bool)
    out[present] = (n_chars + extra + 1).astype(np.uint64)
    return out


def encode_layer(
    geoms: gpd.GeoSeries,
    codes: np.ndarray,
    values: pd.DataFrame | list[tuple[list[str | None], np.ndarray]],
    *,
    precision: int = 6,
    gcj02: bool = False,
    layer: str = "layer",
    level: int = 4,
) -> Payload:
    """One compact layer payload: geometry, style classes and display columns, deflated, base64.

    Parameters
    ----------
    geoms : GeoSeries
        Non-empty geometries with a CRS (from :func:`display_geometries`).
    codes : numpy.ndarray of int
        Style class of each feature (from :func:`townplan_gis.maps.styles.classify`), aligned.
    values : DataFrame or list
        Display strings of the popup fields (from ``display_frame``), aligned, ``None`` where
        missing; or the same already dictionary-coded by :func:`display_columns`.
    precision : int, default 6
        Decimals of a degree kept.
    gcj02 : bool, default False
        Shift every vertex WGS84→GCJ-02 (Gaode/AMap basemaps).
    layer : str
        Layer name for error messages.
    level : int, default 4
        zlib compression level (4: within 1 % of level 9's size at an eighth of its time).

    Returns
    -------
    Payload
        ``text``: base64 of ``TPC1``, the header length (uint32 LE), the JSON header, then the sections,
        each aligned to 4 bytes; the whole raw-deflate compressed. Per popup column three
        sections: the codes (1, 2 or 4 bytes each), the varint lengths of its distinct strings in
        UTF-16 code units + 1 (0: missing), and their UTF-8 text, itself raw-deflated. ``bounds``: west, south, east,
        north of the display coordinates (``None`` without vertices); ``n``: features.
    """
    n_rows = (
        len(values)
        if isinstance(values, pd.DataFrame)
        else min((len(c) for _t, c in values), default=len(geoms))
    )
    if len(codes) != len(geoms) or n_rows != len(geoms):
        raise TownPlanError(
            f"map layer '{layer}': {len(geoms)} geometries but {len(codes)} style codes and "
            f"{n_rows} popup rows; they must be aligned."
        )
    header, sections = encode_geometry(geoms, precision=precision, gcj02=gcj02, layer=layer)
    names = ["npaths", "paths", "coords"]
    n_classes = int(np.max(codes)) + 1 if len(codes) else 1
    cls, width = _codes(n_classes, codes)
    sections.append(cls)
    if isinstance(values, pd.DataFrame):
        coded = []
        for column in values.columns:
            idx, uniques = pd.factorize(values[column].astype(object), use_na_sentinel=True)
            coded.append(([None, *(str(u) for u in uniques)], idx + 1))
    else:
        coded = values
    cols: list[dict[str, Any]] = []
    for table, column_codes in coded:
        # The distinct strings stay UTF-8 bytes in the page until a popup needs one: their lengths
        # in UTF-16 code units (JavaScript string units) + 1, 0 for missing, cut the decoded text.
        lengths = _utf16_lengths(table)
        # Deflated on its own: the page inflates a column's text only when a popup first needs it
        # (a county's reasons are megabytes that most sessions never read).
        z = zlib.compressobj(level, zlib.DEFLATED, -15)
        text = "".join(t for t in table if t is not None).encode("utf-8")
        text = z.compress(text) + z.flush()
        data, w = _codes(len(table), column_codes)
        cols.append({"n": len(table), "w": w})
        sections += [data, _varints(lengths), text]
    offsets, blob, at = [], [], 0
    for sec in sections:
        offsets.append((at, len(sec)))
        blob.append(sec + b"\0" * (-len(sec) % 4))
        at += len(sec) + (-len(sec) % 4)
    header["sections"] = {name: list(offsets[i]) for i, name in enumerate(names)}
    header["sections"]["cls"] = [*offsets[3], width]
    for i, c in enumerate(cols):
        c["codes"], c["lens"], c["text"] = (list(offsets[4 + 3 * i + k]) for k in range(3))
    header["cols"] = cols
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    head += b" " * (-(8 + len(head)) % 4)  # sections start 4-byte aligned
    raw = _MAGIC + struct.pack("<I", len(head)) + head + b"".join(blob)
    z = zlib.compressobj(level, zlib.DEFLATED, -15)
    packed = z.compress(raw) + z.flush()
    return Payload(base64.b64encode(packed).decode("ascii"), header["bounds"], header["n"])


@dataclass(frozen=True)
class Payload:
    """A compact layer payload (base64 text), the bounds of its display coordinates, its size."""

    text: str
    bounds: list[float] | None
    n: int


def decode_payload(text: str | Payload) -> dict:
    """Decode a payload in Python (what the page does; for tests and inspection).

    Returns
    -------
    dict
        ``n``, ``npaths``, ``path_types``, ``path_vertices``, ``lonlat`` (float, degrees), ``cls``
        and ``columns`` (lists of display values, ``None`` where missing).
    """
    if isinstance(text, Payload):
        text = text.text
    raw = zlib.decompress(base64.b64decode(text), -15)
    if raw[:4] != _MAGIC:
        raise TownPlanError("not a townplan compact layer payload (TPC1).")
    (hlen,) = struct.unpack("<I", raw[4:8])
    h: dict[str, Any] = json.loads(raw[8 : 8 + hlen].decode("utf-8"))
    base = 8 + hlen

    def varints(name: str) -> list[int]:
        return varints_at(*h["sections"][name])

    def varints_at(off: int, ln: int) -> list[int]:
        out, v, shift = [], 0, 0
        for b in raw[base + off : base + off + ln]:
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                out.append(v)
                v, shift = 0, 0
        return out

    npaths = varints("npaths")
    heads = varints("paths")
    zz = varints("coords")
    deltas = [(v >> 1) ^ -(v & 1) for v in zz]
    lonlat, at, fx, fy = [], 0, 0, 0
    for hv in heads:
        n = hv // 4
        for k in range(n):
            dx, dy = deltas[at], deltas[at + 1]
            at += 2
            if k == 0:
                fx, fy = fx + dx, fy + dy
                x, y = fx, fy
            else:
                x, y = x + dx, y + dy
            lonlat.append(((h["ox"] + x) / h["scale"], (h["oy"] + y) / h["scale"]))
    off, ln, w = h["sections"]["cls"]
    dt = {1: "<u1", 2: "<u2", 4: "<u4"}
    cls = np.frombuffer(raw[base + off : base + off + ln], dtype=dt[w]).tolist()
    columns = []
    for c in h["cols"]:
        off, ln = c["codes"]
        codes = np.frombuffer(raw[base + off : base + off + ln], dtype=dt[c["w"]])
        off, ln = c["lens"]
        lengths = varints_at(off, ln)
        off, ln = c["text"]
        utf16 = zlib.decompress(raw[base + off : base + off + ln], -15).decode().encode("utf-16-le")
        table: list[str | None] = []
        at16 = 0
        for n16 in lengths:
            if n16 == 0:
                table.append(None)
                continue
            table.append(utf16[2 * at16 : 2 * (at16 + n16 - 1)].decode("utf-16-le"))
            at16 += n16 - 1
        columns.append([table[i] for i in codes])
    return {
        "n": h["n"],
        "npaths": npaths,
        "path_types": [hv % 4 for hv in heads],
        "path_vertices": [hv // 4 for hv in heads],
        "lonlat": np.array(lonlat, dtype=float).reshape(-1, 2),
        "cls": cls,
        "columns": columns,
    }


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
    return resources.files("townplan_gis.maps").joinpath("static", path).read_text("utf-8")


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
