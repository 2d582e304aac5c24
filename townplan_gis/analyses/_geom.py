"""Vectorised geometry kernels shared by the planning analyses.

Grouped unions and differences run as a few whole-array shapely calls (pairwise reduction inside each
group: ⌈log₂ k⌉ rounds for the largest group of k), never a Python loop per feature pair. Large
polygons (rivers, belts with thousands of vertices) are cut into pieces of bounded size first, so that
each intersection stays cheap; the pieces of one polygon are disjoint, so areas add up.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from townplan_gis.core.crs import analysis_crs
from townplan_gis.core.errors import CRSError

__all__ = [
    "EMPTY",
    "M2_PER_MU",
    "drop_noise",
    "grouped_union",
    "metric_frame",
    "polygonal",
    "robust",
    "subdivide",
    "threaded",
    "to_mu",
    "where_obj",
]

# Below this many elements one thread does the work (starting a second costs more than it saves).
_THREAD_MIN = 4000

#: 1 亩 = 10000/15 m² exactly (docs/sources.md#units).
M2_PER_MU = 10000.0 / 15.0
EMPTY = shapely.Polygon()


#: Precision grid of the retry when GEOS finds a topology it cannot node in floating point (m).
GRID_M = 1e-3


def robust(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """An overlay (intersection, difference, union) that does not fail on nearly coincident edges.

    GEOS overlays in floating point first; on a rare ``TopologyException`` (edges a few 10⁻⁹ m
    apart, e.g. after offset curves) the call is repeated with snap-rounding on a 1 mm grid, which
    always nodes (invalid inputs, such as a ring folded by an offset curve, repaired first): areas
    then agree to about a square millimetre per vertex.
    """
    try:
        return fn(*args, **kw)
    except shapely.errors.GEOSException:
        # An offset curve can leave a nearly degenerate ring: repair the inputs, then snap-round.
        fixed = [_valid(a) for a in args]
        return fn(*fixed, grid_size=GRID_M, **kw)


def _valid(a: Any) -> Any:
    if isinstance(a, np.ndarray) and a.dtype == object:
        bad = ~shapely.is_valid(a) & ~shapely.is_missing(a)
        if bad.any():
            a = a.copy()
            a[bad] = polygonal(shapely.make_valid(a[bad]))
        return a
    if isinstance(a, shapely.Geometry) and not a.is_valid:
        return polygonal(np.array([shapely.make_valid(a)], dtype=object))[0]
    return a


def threaded(fn: Callable[..., Any], *arrays: Any, n_jobs: int = 2, **kw: Any) -> np.ndarray:
    """``fn(*arrays, **kw)`` for an element-wise shapely function, on ``n_jobs`` threads.

    shapely 2 releases the GIL inside its vectorised calls, so the halves of a large array run on
    both cores of a small office machine (docs/engineering.md: two threads nearly halve an
    intersection). Small arrays run in this thread.
    """
    n = len(arrays[0])
    if n_jobs <= 1 or n < _THREAD_MIN:
        return robust(fn, *arrays, **kw)
    bounds = np.linspace(0, n, n_jobs + 1).astype(int)

    def chunk(ab: tuple[int, int]) -> np.ndarray:
        # Arrays are cut; scalars (a buffer distance) are passed whole.
        args = (
            a[ab[0] : ab[1]] if isinstance(a, np.ndarray) and len(a) == n else a for a in arrays
        )
        return robust(fn, *args, **kw)

    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        parts = list(pool.map(chunk, itertools.pairwise(bounds)))
    return np.concatenate(parts)


def where_obj(mask: Any, values: Any, default: Any = None) -> np.ndarray:
    """An object array: ``values`` where ``mask``, ``default`` (None) elsewhere."""
    mask = np.asarray(mask, dtype=bool)
    out = np.full(mask.shape, default, dtype=object)
    vals = np.asarray(values, dtype=object)
    out[mask] = vals[mask] if vals.ndim else vals
    return out


def to_mu(area_m2):
    """Square metres to 亩 (1 亩 = 10000/15 m², docs/sources.md#units)."""
    return np.asarray(area_m2, dtype=float) / M2_PER_MU


def metric_frame(
    gdf: gpd.GeoDataFrame, *, layer: str, crs: object | None = None
) -> gpd.GeoDataFrame:
    """``gdf`` in a metric CRS: ``crs`` when given, its own when projected, else the analysis CRS.

    Raises
    ------
    CRSError
        The frame has no CRS (a shapefile without .prj): nothing can be measured in it.
    """
    if gdf.crs is None:
        raise CRSError(
            f"layer '{layer}' has no CRS, so nothing in it can be measured. Fix: set it "
            f"(gdf.set_crs('EPSG:4546') or the CRS the data is really in), or read the data with "
            f"tp.read_town(), which asks for it."
        )
    if crs is not None:
        target = pyproj.CRS.from_user_input(crs)
        return gdf if gdf.crs.equals(target) else gdf.to_crs(target)
    if gdf.crs.is_projected:
        return gdf
    return gdf.to_crs(analysis_crs(gdf))


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry (an intersection of polygons may hold lines and points)."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    ids = shapely.get_type_id(geoms)
    odd = np.flatnonzero((ids != 3) & (ids != 6) & (ids >= 0))
    if len(odd):
        parts, owner = shapely.get_parts(geoms[odd], return_index=True)
        keep = shapely.get_dimensions(parts) == 2
        fixed = np.full(len(odd), EMPTY, dtype=object)
        if keep.any():
            fixed_u = grouped_union(parts[keep], owner[keep], len(odd))
            fixed[:] = fixed_u
        out[odd] = fixed
    return out


def drop_noise(geoms: np.ndarray, noise_m2: float) -> np.ndarray:
    """Each polygon without its parts of at most ``noise_m2`` (float noise of a difference whose
    boundaries nearly coincide: 10⁻⁹ m² needles, not land). Parts above it are all kept."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    multi = np.flatnonzero(shapely.get_type_id(geoms) == 6)
    if len(multi) == 0:
        single = np.flatnonzero(shapely.get_type_id(geoms) == 3)
        small = single[shapely.area(geoms[single]) <= noise_m2]
        out[small] = EMPTY
        return out
    parts, idx = shapely.get_parts(geoms[multi], return_index=True)
    keep = shapely.area(parts) > noise_m2
    parts, idx = parts[keep], idx[keep]
    counts = np.bincount(idx, minlength=len(multi))
    fixed = np.full(len(multi), EMPTY, dtype=object)
    one = np.flatnonzero(counts == 1)
    first = np.searchsorted(idx, one)
    fixed[one] = parts[first]
    many = np.flatnonzero(counts > 1)
    if len(many):
        sel = np.isin(idx, many)
        rank = np.searchsorted(many, idx[sel])
        fixed[many] = shapely.multipolygons(parts[sel], indices=rank)
    out[multi] = fixed
    single = np.flatnonzero(shapely.get_type_id(geoms) == 3)
    out[single[shapely.area(geoms[single]) <= noise_m2]] = EMPTY
    return out


def grouped_union(geoms: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """The union of the geometries of each group ``0 … n-1`` (an empty polygon where none).

    Pairwise reduction: in each round the 2k-th and (2k+1)-th member of every group are unioned in
    one vectorised call, so the number of rounds is ⌈log₂ k⌉ for the largest group of k members.
    """
    out = np.full(n, EMPTY, dtype=object)
    if len(geoms) == 0:
        return out
    order = np.argsort(groups, kind="stable")
    g = np.asarray(groups)[order]
    x = np.asarray(geoms, dtype=object)[order]
    while len(g):
        starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
        sizes = np.diff(np.r_[starts, len(g)])
        rank = np.arange(len(g)) - np.repeat(starts, sizes)
        if sizes.max() == 1:
            break
        even = rank % 2 == 0
        partner = np.flatnonzero(even[:-1] & (g[1:] == g[:-1]))
        if len(partner):
            x[partner] = robust(shapely.union, x[partner], x[partner + 1])
        x, g = x[even], g[even]
    out[g] = x
    return out


def subdivide(geoms: np.ndarray, *, max_vertices: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Polygons cut into disjoint pieces of at most about ``max_vertices`` vertices.

    A polygon with more vertices is halved across the longer side of its bounding box, recursively,
    all such polygons of a round in one vectorised intersection (a meandering river of 4,000
    vertices becomes some 30 pieces, each cheap to intersect). Pieces of one polygon are disjoint
    and cover it exactly, so areas measured on pieces add up to the polygon's.

    Returns
    -------
    (pieces, owner)
        The pieces (polygons, no empties) and the position in ``geoms`` each comes from.
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    parts = np.asarray(parts, dtype=object)
    done_p, done_o = [], []
    for _ in range(32):
        big = shapely.get_num_coordinates(parts) > max_vertices
        done_p.append(parts[~big])
        done_o.append(owner[~big])
        if not big.any():
            break
        parts, owner = parts[big], owner[big]
        b = shapely.bounds(parts)
        wide = (b[:, 2] - b[:, 0]) >= (b[:, 3] - b[:, 1])
        mx, my = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        lo = shapely.box(b[:, 0], b[:, 1], np.where(wide, mx, b[:, 2]), np.where(wide, b[:, 3], my))
        hi = shapely.box(np.where(wide, mx, b[:, 0]), np.where(wide, b[:, 1], my), b[:, 2], b[:, 3])
        halves = np.concatenate(
            [robust(shapely.intersection, parts, lo), robust(shapely.intersection, parts, hi)]
        )
        halves = polygonal(halves)
        own = np.concatenate([owner, owner])
        parts, idx = shapely.get_parts(halves, return_index=True)
        parts, owner = np.asarray(parts, dtype=object), own[idx]
    else:  # pragma: no cover - 32 halvings of one bounding box cannot leave a piece that big
        done_p.append(parts)
        done_o.append(owner)
    pieces = np.concatenate(done_p) if done_p else np.empty(0, dtype=object)
    owners = np.concatenate(done_o) if done_o else np.empty(0, dtype=int)
    keep = ~shapely.is_empty(pieces) & (shapely.area(pieces) > 0)
    return pieces[keep], owners[keep].astype(np.int64)
