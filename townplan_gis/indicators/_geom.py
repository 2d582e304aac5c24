"""Geometry kernels shared by the indicator families: dissolve, clipped union areas, clipped length.

The area of a union of many polygons (road surfaces, green land, 150 m road buffers) dominates the cost
of the indicators, and a plain ``union_all`` re-nodes every boundary. Only areas are needed, so
:func:`exclusive_areas` differences each polygon against its few earlier neighbours instead, and
:func:`buffer_union_area` classifies grid cells by the distance to the nearest line and measures buffers
only where the served area ends. Both are exact (up to the arcs of a buffer).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely
from shapely import Geometry

from townplan_gis.core.errors import CRSError
from townplan_gis.core.geometry import keep_dimension

__all__ = [
    "EMPTY_POLYGON",
    "buffer_union_area",
    "clip_to",
    "covered_length",
    "discs",
    "dissolve",
    "exclusive_areas",
    "geoms_of",
    "metric_geoms",
    "nested_union_areas",
    "union_area",
]

# A polygon with more earlier neighbours than this is differenced against their union in one step.
_HEAVY = 16

# Up to this many lines, buffer_union_area unions the buffers directly.
_DIRECT_MAX = 200

EMPTY_POLYGON = shapely.Polygon()


def metric_geoms(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> np.ndarray:
    """A frame's geometries as a shapely array, refusing longitude/latitude.

    Indicators measure lengths and areas, so a layer in a geographic CRS is refused
    (:class:`~townplan_gis.core.errors.CRSError`): its "areas" would be in square degrees.

    Raises
    ------
    CRSError
        The frame's CRS is geographic.
    """
    if gdf.crs is not None and gdf.crs.is_geographic:
        raise CRSError(
            f"indicators measure in metres, but this layer is in {gdf.crs.name} "
            f"(EPSG:{gdf.crs.to_epsg()}, degrees). Fix: reproject it first, e.g. "
            "gdf.to_crs(townplan_gis.analysis_crs(gdf)), or use tp.town_indicators(town), which does so."
        )
    series = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    return np.asarray(series.array, dtype=object)


def geoms_of(gdf: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray) -> np.ndarray:
    """The non-null, non-empty geometries of a frame (checked by :func:`metric_geoms`) or array."""
    if isinstance(gdf, gpd.GeoDataFrame | gpd.GeoSeries):
        arr = metric_geoms(gdf)
    else:
        arr = np.asarray(gdf, dtype=object)
    if len(arr) == 0:
        return arr
    keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    return arr[keep]


def dissolve(geoms: np.ndarray) -> Geometry:
    """Union of polygons (empty polygon when there are none)."""
    geoms = geoms_of(geoms)
    if len(geoms) == 0:
        return EMPTY_POLYGON
    if len(geoms) == 1:
        return shapely.make_valid(geoms[0])
    return shapely.union_all(geoms)


def clip_to(geoms: np.ndarray, clip: Geometry | None, *, dim: int | None = None) -> np.ndarray:
    """Each geometry cut to ``clip``; those already inside are not touched (prepared predicate).

    With ``dim`` only the parts of that dimension are kept: a polygon touching the clip along an edge
    would otherwise come back as a GeometryCollection holding a line, which overlay refuses.
    """
    if clip is None or len(geoms) == 0:
        return geoms
    shapely.prepare(clip)
    inside = shapely.contains_properly(clip, geoms)
    out = geoms.copy()
    cut = ~inside
    if cut.any():
        pieces = shapely.intersection(geoms[cut], clip)
        out[cut] = pieces if dim is None else keep_dimension(pieces, dim)
    return out


def exclusive_areas(geoms: np.ndarray) -> np.ndarray:
    """For each polygon, the area not covered by any polygon before it in the array.

    .. math:: e_i = A\\left(P_i \\setminus \bigcup_{j<i} P_j\right), \\qquad
        \\sum_i e_i = A\\left(\bigcup_i P_i\right)

    Each polygon is differenced only against its earlier spatial neighbours (STRtree pairs), one
    neighbour rank at a time over the whole array, so the work grows with the number of overlaps, not
    with the size of the union. Road surfaces meet a handful of neighbours at crossings; green polygons
    rarely overlap at all; a full ``union_all`` re-nodes everything and is several times slower.
    """
    n = len(geoms)
    if n == 0:
        return np.zeros(0)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    earlier = b < a
    a, b = a[earlier], b[earlier]
    rest = geoms.copy()
    if len(a):
        order = np.lexsort((b, a))
        a, b = a[order], b[order]
        starts = np.r_[0, np.flatnonzero(np.diff(a)) + 1]
        counts = np.diff(np.r_[starts, len(a)])
        rank = np.arange(len(a)) - np.repeat(starts, counts)
        heavy = np.repeat(counts > _HEAVY, counts)
        light = ~heavy
        for r in range(int(rank[light].max()) + 1 if light.any() else 0):
            sel = light & (rank == r)
            rest[a[sel]] = shapely.difference(rest[a[sel]], geoms[b[sel]])
        for st, c in zip(starts[counts > _HEAVY], counts[counts > _HEAVY], strict=True):
            i = a[st]
            rest[i] = shapely.difference(rest[i], shapely.union_all(geoms[b[st : st + c]]))
    return np.nan_to_num(shapely.area(rest), nan=0.0)


def union_area(geoms: np.ndarray, *, clip: Geometry | None = None) -> float:
    """Area of the union of polygons, optionally inside ``clip``; overlaps counted once.

    Parameters
    ----------
    geoms : array of shapely geometries
        Polygons (null and empty ones are ignored).
    clip : shapely geometry, optional
        Only the part of the union inside it is measured.
    """
    geoms = np.asarray(geoms, dtype=object)
    return nested_union_areas(geoms, np.zeros(len(geoms), dtype=int), 1, clip=clip)[0]


def nested_union_areas(
    geoms: np.ndarray,
    level: np.ndarray,
    n_levels: int,
    *,
    clip: Geometry | None = None,
) -> list[float]:
    """Areas of nested unions in one pass: level k is the union of every geometry with level <= k.

    Used where one indicator's set contains another's (G1 park ⊂ green land ⊂ green + canopy; paved
    surfaces ⊂ surfaces of known material ⊂ all surfaces). Sorting by level makes every polygon's
    exclusive area (:func:`exclusive_areas`) count only what lower levels and earlier polygons of its own
    level do not cover, so the cumulative sums by level are the nested union areas. Geometries with a
    level >= ``n_levels`` (or < 0) are ignored.

    Returns
    -------
    list of float
        ``n_levels`` areas, non-decreasing.
    """
    geoms = np.asarray(geoms, dtype=object)
    level = np.asarray(level, dtype=int)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & (level >= 0) & (level < n_levels)
    geoms, level = geoms[ok], level[ok]
    if clip is not None and clip.is_empty:
        return [0.0] * n_levels
    # Big polygons first within a level: a small one differenced against a big one empties fast,
    # while a big one differenced against many small ones grows a hole per neighbour.
    order = np.lexsort((-shapely.area(geoms), level))
    geoms, level = clip_to(geoms[order], clip, dim=2), level[order]
    keep = ~shapely.is_empty(geoms)
    geoms, level = geoms[keep], level[keep]
    areas = exclusive_areas(geoms)
    per_level = np.bincount(level, weights=areas, minlength=n_levels)
    return [float(x) for x in np.cumsum(per_level)]


def buffer_union_area(
    lines: np.ndarray, distance: float, clip: Geometry, *, quad_segs: int = 4
) -> float:
    """Area of ``clip`` within ``distance`` of any of ``lines`` (exact up to the buffer's arcs).

    ``clip`` is cut into square cells of side ``distance / 2``. A cell whose centre lies within
    ``distance - half diagonal`` of a line is covered entirely, one farther than ``distance + half
    diagonal`` not at all; only the cells in between (along the edge of the served area) are measured
    with buffers. A dense network therefore costs a nearest-line query per cell instead of the union of
    thousands of heavily overlapping buffers.
    """
    lines = geoms_of(lines)
    if len(lines) == 0 or clip is None or clip.is_empty:
        return 0.0
    if len(lines) <= _DIRECT_MAX:
        # A few hundred buffers union faster than the cells can be classified.
        buffers = shapely.buffer(lines, distance, quad_segs=quad_segs)
        return float(shapely.intersection(shapely.union_all(buffers), clip).area)
    x0, y0, x1, y1 = clip.bounds
    side = max(distance / 2.0, math.sqrt((x1 - x0) * (y1 - y0) / 200_000))
    nx, ny = max(1, math.ceil((x1 - x0) / side)), max(1, math.ceil((y1 - y0) / side))
    gx, gy = np.meshgrid(x0 + side * np.arange(nx), y0 + side * np.arange(ny))
    gx, gy = gx.ravel(), gy.ravel()
    boxes = shapely.box(gx, gy, gx + side, gy + side)
    centres = shapely.points(gx + side / 2, gy + side / 2)
    shapely.prepare(clip)
    hit = shapely.intersects(clip, boxes)
    boxes, centres = boxes[hit], centres[hit]
    cells = clip_to(boxes, clip, dim=2)
    real = shapely.area(cells) > 0
    cells, centres = cells[real], centres[real]
    tree = shapely.STRtree(lines)
    _, dist = tree.query_nearest(centres, return_distance=True, all_matches=False)
    half = side * math.sqrt(2) / 2
    full = dist <= distance - half
    mixed = ~full & (dist <= distance + half)
    covered = float(shapely.area(cells[full]).sum())
    if mixed.any():
        mixed_idx = np.flatnonzero(mixed)
        ci, li = tree.query(centres[mixed_idx], predicate="dwithin", distance=distance + half)
        used, inverse = np.unique(li, return_inverse=True)
        buffers = shapely.buffer(lines[used], distance, quad_segs=quad_segs)
        if len(ci) > 4 * len(used):
            # Few lines near many edge cells (a small town): one union, cut by the edge cells.
            edge = shapely.union_all(cells[mixed_idx])
            covered += float(shapely.intersection(shapely.union_all(buffers), edge).area)
        else:
            parts = shapely.intersection(buffers[inverse], cells[mixed_idx][ci])
            # Buffers overlap heavily near a cell, so a plain union beats pairwise differences.
            covered += float(shapely.union_all(parts[~shapely.is_empty(parts)]).area)
    return covered


def covered_length(lines: Geometry, points: np.ndarray, reach: float) -> float:
    r"""Length of ``lines`` within ``reach`` of any of ``points``, exactly (true circles).

    Each straight piece of the lines meets the disc around a point in one interval, found by solving
    :math:`|p_0 + t u - c|^2 \le r^2`; the intervals of a piece are merged and their lengths summed.
    Street lights along a road overlap their neighbours' reach, and this never builds their union.
    """
    points = geoms_of(points)
    if lines is None or lines.is_empty or len(points) == 0:
        return 0.0
    # A unary union dissolves stretches drawn twice, so each metre of line is measured once.
    coords, idx = shapely.get_coordinates(
        shapely.get_parts(shapely.union_all(lines)), return_index=True
    )
    same = idx[1:] == idx[:-1]
    p0, p1 = coords[:-1][same], coords[1:][same]
    seg_len = np.hypot(*(p1 - p0).T)
    keep = seg_len > 0
    p0, p1, seg_len = p0[keep], p1[keep], seg_len[keep]
    if len(p0) == 0:
        return 0.0
    segs = shapely.linestrings(np.stack([p0, p1], axis=1))
    si, pi = shapely.STRtree(points).query(segs, predicate="dwithin", distance=reach)
    if len(si) == 0:
        return 0.0
    c = shapely.get_coordinates(points)[pi]
    u = (p1[si] - p0[si]) / seg_len[si, None]
    w = c - p0[si]
    proj = np.einsum("ij,ij->i", w, u)
    perp2 = np.einsum("ij,ij->i", w, w) - proj**2
    half = np.sqrt(np.clip(reach**2 - perp2, 0.0, None))
    t0 = np.clip(proj - half, 0.0, seg_len[si])
    t1 = np.clip(proj + half, 0.0, seg_len[si])
    order = np.lexsort((t0, si))
    si, t0, t1 = si[order], t0[order], t1[order]
    # Running maximum of interval ends within each piece: offset each piece far beyond the last.
    offset = si * (2.0 * float(seg_len.max()) + 1.0)
    reach_end = np.maximum.accumulate(t1 + offset) - offset
    prev_end = np.r_[-np.inf, reach_end[:-1]]
    prev_end[np.r_[True, si[1:] != si[:-1]]] = -np.inf
    return float(np.clip(t1 - np.maximum(t0, prev_end), 0.0, None).sum())


# Unit 16-gon: the vertices shapely.buffer(point, r, quad_segs=4) produces, scaled by r.
_ANGLES = np.linspace(0.0, 2.0 * np.pi, 17)
_UNIT16 = np.c_[np.cos(_ANGLES), np.sin(_ANGLES)]


def discs(points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """16-gon discs around points (as ``buffer(quad_segs=4)``), built with numpy in one step."""
    xy = shapely.get_coordinates(points)
    rings = xy[:, None, :] + radius[:, None, None] * _UNIT16[None, :, :]
    rings[:, -1] = rings[:, 0]
    return shapely.polygons(rings)
