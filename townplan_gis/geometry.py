"""Geometry hygiene shared by every layer: validity repair, empty detection, dimension filtering."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from townplan_gis.repairs import Repair

__all__ = ["keep_dimension", "repair_geometry"]

_DIM = {
    "Polygon": 2,
    "MultiPolygon": 2,
    "LineString": 1,
    "MultiLineString": 1,
    "Point": 0,
    "MultiPoint": 0,
}


def keep_dimension(geoms: np.ndarray, dim: int) -> np.ndarray:
    """Keep only the parts of each geometry with topological dimension ``dim``.

    ``make_valid`` and intersections return GeometryCollections mixing polygons with lines and points;
    an area computation wants the polygonal part only. Geometries left with nothing become empty.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    is_coll = shapely.get_type_id(geoms) == 7
    if is_coll.any():
        parts, idx = shapely.get_parts(geoms[is_coll], return_index=True)
        keep = shapely.get_dimensions(parts) == dim
        # Collections that contributed no part of this dimension become empty.
        merged = np.full(is_coll.sum(), None, dtype=object)
        if keep.any():
            collected = (
                shapely.multipolygons
                if dim == 2
                else (shapely.multilinestrings if dim == 1 else shapely.multipoints)
            )
            merged_parts = collected(parts[keep], indices=idx[keep])
            # multi* with indices returns one geometry per index up to the max index present
            present = np.unique(idx[keep])
            merged[present] = np.asarray(merged_parts)[present]
        empty = {2: shapely.Polygon(), 1: shapely.LineString(), 0: shapely.Point()}[dim]
        merged[[m is None for m in merged]] = empty
        out[is_coll] = merged
    wrong = (~is_coll) & (shapely.get_dimensions(geoms) != dim) & ~shapely.is_missing(geoms)
    if wrong.any():
        out[wrong] = {2: shapely.Polygon(), 1: shapely.LineString(), 0: shapely.Point()}[dim]
    return out


def repair_geometry(gdf: gpd.GeoDataFrame, layer: str) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    """Repair invalid geometries with ``make_valid`` and report empty ones; return a copy and the log.

    Invalid polygons (self-intersections, bow-ties, wrong ring order) are repaired with
    :func:`shapely.make_valid`; for polygonal input only the polygonal part of the result is kept, so a
    bow-tie stays an area. Null and empty geometries are kept (nothing is silently dropped) and reported.
    """
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    repairs: list[Repair] = []
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        repairs.append(
            Repair(
                layer,
                "empty_geometry",
                gdf.index[missing].tolist(),
                "null or empty geometry kept; it measures zero",
            )
        )
    invalid = ~missing & ~shapely.is_valid(geoms)
    if not invalid.any():
        return gdf, repairs
    reasons = shapely.is_valid_reason(geoms[invalid])
    fixed = shapely.make_valid(geoms[invalid])
    dims = shapely.get_dimensions(geoms[invalid])
    for d in (2, 1):
        sel = dims == d
        if sel.any():
            fixed[sel] = keep_dimension(fixed[sel], d)
    out = gdf.copy()
    new = geoms.copy()
    new[invalid] = fixed
    out[out.geometry.name] = gpd.GeoSeries(new, index=out.index, crs=out.crs)
    rows = gdf.index[invalid].tolist()
    detail = "; ".join(f"{r}: {why}" for r, why in list(zip(rows, reasons, strict=True))[:5])
    repairs.append(Repair(layer, "make_valid", rows, f"invalid geometry repaired ({detail})"))
    collapsed = shapely.is_empty(fixed)
    if collapsed.any():
        repairs.append(
            Repair(
                layer,
                "collapsed",
                list(np.asarray(rows, dtype=object)[collapsed]),
                "repair left no geometry of the original dimension; kept as empty",
            )
        )
    return out, repairs
