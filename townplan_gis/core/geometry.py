"""Geometry hygiene shared by every layer: validity repair, empty detection, dimension filtering."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import shapely

from townplan_gis.core.repairs import Repair

__all__ = ["keep_dimension", "nonfinite", "parts_of", "reduce_collections", "repair_geometry"]

# The empty geometry of each topological dimension, and the multi-part constructor.
_EMPTY = {2: shapely.Polygon(), 1: shapely.LineString(), 0: shapely.Point()}
_COLLECT = {2: shapely.multipolygons, 1: shapely.multilinestrings, 0: shapely.multipoints}
# Names of the single-part type ids of shapely.get_type_id.
_TYPE_NAMES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon"}


def nonfinite(geoms: np.ndarray) -> np.ndarray:
    """Which geometries have a NaN or infinite coordinate (x, y or z) in any vertex.

    GEOS does not refuse such vertices: an area or intersection then gives NaN, an empty result or
    a ``GEOSException``, so a control line with one NaN vertex can silently stop covering anything.
    Every layer is checked with this before it is measured.

    Parameters
    ----------
    geoms : array-like of shapely geometries
        Null (None) and empty geometries count as finite.

    Returns
    -------
    numpy.ndarray of bool
        Aligned to ``geoms``.

    Examples
    --------
    >>> import shapely
    >>> nonfinite([shapely.Point(0, 0), shapely.Point(0, float("nan")), None]).tolist()
    [False, True, False]
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms), dtype=bool)
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    out[idx[~np.isfinite(coords).all(axis=1)]] = True
    # z only where a geometry has one: asking every geometry for z costs 10× more (2-D layers
    # report z = NaN for each vertex then).
    with_z = np.flatnonzero(np.asarray(shapely.has_z(geoms), dtype=bool))
    if len(with_z):
        zs, zidx = shapely.get_coordinates(geoms[with_z], include_z=True, return_index=True)
        out[with_z[zidx[~np.isfinite(zs[:, 2])]]] = True
    return out


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
            # With ``out``, collections missing from the indices stay None instead of raising
            # "Index 0 is missing" when the first collection has no part of this dimension.
            _COLLECT[dim](parts[keep], indices=idx[keep], out=merged)
        merged[[m is None for m in merged]] = _EMPTY[dim]
        out[is_coll] = merged
    wrong = (~is_coll) & (shapely.get_dimensions(geoms) != dim) & ~shapely.is_missing(geoms)
    if wrong.any():
        out[wrong] = _EMPTY[dim]
    return out


def parts_of(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``shapely.get_parts(geoms, return_index=True)``, with single-part geometries passed on as
    they are.

    ``get_parts`` copies every single-part geometry into a new GEOS object and a new Python object,
    under the GIL: 0.5 s for the 10⁵ setback zones of the 10⁶-parcel county, almost all of them
    polygons already. Here only Multi* geometries and collections are opened (one level, as
    ``get_parts`` does); the rest are the same objects. Use it where the parts are the caller's
    own (or are copied next), as a part that is the same object as its geometry shares its GEOS
    state (preparing one prepares the other).

    Returns
    -------
    (parts, index)
        As ``shapely.get_parts``: the parts in order, and the position of the geometry each came
        from; null geometries and empty Multi* geometries give none, an empty single-part
        geometry gives itself.
    """
    geoms = np.asarray(geoms, dtype=object)
    kind = shapely.get_type_id(geoms)
    multi = kind >= 4
    single = np.flatnonzero((kind >= 0) & ~multi)
    if not multi.any():
        return geoms[single], single
    opened, of = shapely.get_parts(geoms[multi], return_index=True)
    index = np.concatenate([single, np.flatnonzero(multi)[of]])
    order = np.argsort(index, kind="stable")
    return np.concatenate([geoms[single], opened])[order], index[order]


def _flat_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single-part pieces of each geometry (nested collections and Multi* opened), with the
    position of the geometry each piece came from."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    # A collection may hold Multi* members or other collections: open them until none is left.
    while len(parts) and np.isin(shapely.get_type_id(parts), [4, 5, 6, 7]).any():
        parts, sub = shapely.get_parts(parts, return_index=True)
        idx = idx[sub]
    return parts, idx


def reduce_collections(
    geoms: np.ndarray, dims: Iterable[int]
) -> tuple[np.ndarray, np.ndarray, list[dict[str, int]]]:
    """Reduce each GeometryCollection to its parts of one allowed dimension.

    A layer that allows several geometry families (points and polygons of the tree canopy, the three
    families of the projects) can still hold only one geometry per row, so each collection keeps
    its parts of the highest allowed dimension present, as a Multi* geometry; every other part is
    dropped and counted. A collection with no allowed part becomes empty (of the highest allowed
    dimension), so the row is kept and reported as empty rather than silently removed.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        Not modified.
    dims : iterable of {0, 1, 2}
        Topological dimensions the layer allows: 0 points, 1 lines, 2 polygons.

    Returns
    -------
    reduced : numpy.ndarray
        A new array; geometries that are not collections are returned as they are.
    collections : numpy.ndarray of bool
        Which input geometries were collections.
    dropped : list of dict
        For each collection, in order: geometry type → number of parts dropped (empty when nothing
        was dropped).

    Examples
    --------
    >>> import numpy as np
    >>> from shapely.geometry import GeometryCollection, LineString, Point, box
    >>> gc = GeometryCollection([box(0, 0, 1, 1), LineString([(0, 0), (2, 0)]), Point(5, 5)])
    >>> out, coll, dropped = reduce_collections(np.array([gc, Point(1, 1)]), dims=(2, 0))
    >>> out[0].geom_type, coll.tolist(), dropped
    ('MultiPolygon', [True, False], [{'Point': 1, 'LineString': 1}])
    """
    allowed = sorted(set(dims))
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    is_coll = shapely.get_type_id(geoms) == 7
    n = int(is_coll.sum())
    if n == 0:
        return out, is_coll, []
    parts, idx = _flat_parts(geoms[is_coll])
    part_dim = shapely.get_dimensions(parts)
    usable = np.isin(part_dim, allowed) & ~shapely.is_empty(parts)
    # Per collection, the highest allowed dimension it holds (-1: none).
    best = np.full(n, -1)
    np.maximum.at(best, idx[usable], part_dim[usable])
    kept = usable & (part_dim == best[idx])
    reduced = np.full(n, None, dtype=object)
    for d in allowed:
        sel = kept & (part_dim == d)
        if sel.any():
            _COLLECT[d](parts[sel], indices=idx[sel], out=reduced)
    reduced[best < 0] = _EMPTY[allowed[-1]]
    out[is_coll] = reduced
    dropped: list[dict[str, int]] = [{} for _ in range(n)]
    gone = ~kept & ~shapely.is_empty(parts)
    # One count per (collection, part type) pair: a handful of pairs however many parts there are.
    pairs, counts = np.unique(
        np.stack([idx[gone], shapely.get_type_id(parts[gone])], axis=1), axis=0, return_counts=True
    )
    for (i, kind), count in zip(pairs.tolist(), counts.tolist(), strict=True):
        dropped[i][_TYPE_NAMES[kind]] = count
    return out, is_coll, dropped


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
