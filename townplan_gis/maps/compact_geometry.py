"""Geometry of a compact layer: longitude/latitude as integers (``10^-precision`` degree, rounded as the
GeoJSON overlays round them), delta-coded along each ring or line, zigzag- and varint-coded, rings
oriented so a nonzero fill keeps holes open. See :mod:`townplan_gis.maps.compact`."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from townplan_gis.core.crs import analysis_crs, wgs84_to_gcj02
from townplan_gis.core.errors import CRSError, TownPlanError

__all__ = ["display_geometries", "encode_geometry", "varints", "zigzag"]

_POINT, _LINE, _RING = 0, 1, 2
_MULTI_OR_COLLECTION = (4, 5, 6, 7)


def varints(values: np.ndarray) -> bytes:
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


def zigzag(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def _single_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every single-part geometry (point, line, ring, polygon) with the index of its feature."""
    out_g, out_f = [], []
    remaining, feat = geoms, np.arange(len(geoms))
    while len(remaining):
        parts, i = shapely.get_parts(remaining, return_index=True)
        f = feat[i]
        multi = np.isin(shapely.get_type_id(parts), _MULTI_OR_COLLECTION)
        out_g.append(parts[~multi])
        out_f.append(f[~multi])
        remaining, feat = parts[multi], f[multi]
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
        varints(npaths),
        varints(counts.astype(np.uint64) * 4 + ptype.astype(np.uint64)),
        varints(zigzag(delta.reshape(-1))),
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
