"""Geometry hygiene shared by every layer: validity repair, empty detection, dimension filtering."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from townplan_gis.repairs import Repair

__all__ = ["keep_dimension", "repair_geometry"]

# The empty geometry of each topological dimension, and the multi-part constructor.
_EMPTY = {2: shapely.Polygon(), 1: shapely.LineString(), 0: shapely.Point()}
_COLLECT = {2: shapely.multipolygons, 1: shapely.multilinestrings, 0: shapely.multipoints}


def keep_dimension(geoms: np.ndarray, dim: int) -> np.ndarray:
    """Keep only the parts of each geometry with topological dimension ``dim``.

    ``make_valid`` and intersections return GeometryCollections mixing polygons with lines and points;
    an area computation wants the polygonal part only. Geometries left with nothing become empty.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        Not modified.
    dim : {0, 1, 2}
        Topological dimension to keep: 0 points, 1 lines, 2 polygons.

    Returns
    -------
    numpy.ndarray
        A new array: collections reduced to their Multi* part of dimension ``dim``, geometries of
        another dimension made empty, null geometries left null.
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
            merged_parts = _COLLECT[dim](parts[keep], indices=idx[keep])
            # multi* with indices returns one geometry per index up to the max index present
            present = np.unique(idx[keep])
            merged[present] = np.asarray(merged_parts)[present]
        merged[[m is None for m in merged]] = _EMPTY[dim]
        out[is_coll] = merged
    wrong = (~is_coll) & (shapely.get_dimensions(geoms) != dim) & ~shapely.is_missing(geoms)
    if wrong.any():
        out[wrong] = _EMPTY[dim]
    return out


def repair_geometry(gdf: gpd.GeoDataFrame, layer: str) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    """Repair invalid geometries with ``make_valid`` and report empty ones; return a copy and the log.

    Invalid polygons (self-intersections, bow-ties, wrong ring order) are repaired with
    :func:`shapely.make_valid`; for polygonal input only the polygonal part of the result is kept, so a
    bow-tie stays an area. Null and empty geometries are kept (nothing is silently dropped) and reported.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Not modified.
    layer : str
        Layer kind named in the Repair records.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Repair)
        ``gdf`` itself when every geometry is valid, else a repaired copy; and the ``empty_geometry``,
        ``make_valid`` and ``collapsed`` records.
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
