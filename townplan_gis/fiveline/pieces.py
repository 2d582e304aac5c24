"""Control-line geometry made ready for many review chunks.

* :func:`subdivide` cuts polygons of many vertices (rivers, long green belts) into pieces by recursive
  halving of their bounding box (``ST_Subdivide`` style), so that each intersection works on a small
  geometry;
* :func:`split_map` runs a vectorised shapely call over slices in threads (shapely releases the GIL);
* :func:`own_prepared` makes thread-private prepared copies (GEOS prepared geometries are not
  thread-safe);
* :func:`aggregate_pieces` re-aggregates rows measured on pieces to one row per (project, line),
  merging their geometries with :func:`grouped_union`.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

from townplan_gis.core.geometry import keep_dimension

__all__ = [
    "aggregate_pieces",
    "clip_to_boxes",
    "grouped_union",
    "own_copies",
    "own_prepared",
    "split_map",
    "subdivide",
]


def own_copies(geoms: np.ndarray, *, prepare: bool = False) -> np.ndarray:
    """New GEOS copies of ``geoms`` (exact coordinates), prepared on request.

    Preparing a geometry changes the object in place, and GEOS builds a prepared geometry's indexes
    lazily without a lock: the review therefore prepares only objects of its own, never the
    caller's (which another thread, or a later review, may use at the same time).
    """
    out = np.array(geoms, dtype=object, copy=True)
    ok = ~(shapely.is_missing(out) | shapely.is_empty(out))
    flat = ok & ~shapely.has_z(out)
    # force_2d builds a new GEOS geometry from the coordinates: 2× cheaper than WKB (both under
    # the GIL). Checked, since preparing the caller's own objects must never happen.
    copies = shapely.force_2d(out[flat])
    if any(a is b for a, b in zip(copies, out[flat], strict=True)):
        copies = shapely.from_wkb(shapely.to_wkb(out[flat]))
    out[flat] = copies
    deep = ok & ~flat
    out[deep] = shapely.from_wkb(shapely.to_wkb(out[deep]))
    if prepare:
        shapely.prepare(out[ok])
    return out


def own_prepared(geoms: np.ndarray) -> np.ndarray:
    """New, prepared GEOS copies of ``geoms`` (see :func:`own_copies`)."""
    return own_copies(geoms, prepare=True)


def split_map(fn, n_jobs: int, *arrays: np.ndarray, weight: np.ndarray | None = None) -> list:
    """``fn`` over ``n_jobs`` consecutive slices of ``arrays``, in threads; the list of results.

    For vectorised shapely calls, which release the GIL. Slices hold equal shares of ``weight``
    (default: equal numbers of elements).
    """
    n = len(arrays[0])
    if n_jobs <= 1 or n < 2 * n_jobs:
        return [fn(*arrays)]
    w = np.ones(n) if weight is None else np.asarray(weight, dtype=float)
    cum = np.cumsum(w)
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, n_jobs) / n_jobs)
    bounds = [0, *np.clip(cuts, 1, n - 1).tolist(), n]
    slices = [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]
    with ThreadPoolExecutor(max_workers=len(slices)) as pool:
        return list(pool.map(lambda sl: fn(*(a[sl] for a in arrays)), slices))


def subdivide(
    geoms: np.ndarray, *, max_vertices: int = 256, n_jobs: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Cut polygons with more than ``max_vertices`` vertices into pieces, ``ST_Subdivide`` style.

    Each over-sized geometry is halved across the longer side of its bounding box, level by level,
    all geometries of a level in one vectorised intersection. Pieces tile their polygon: their areas
    sum to its area, and their interiors are disjoint.

    Returns
    -------
    (pieces, owner)
        The pieces, and the position in ``geoms`` of the polygon each came from.
    """
    geoms = np.asarray(geoms, dtype=object)
    if n_jobs > 1:
        # Threads share the work by the vertices to cut: one long river outweighs every small
        # polygon, which needs no cutting at all.
        nv = shapely.get_num_coordinates(geoms)
        weight = np.where(nv > max_vertices, nv, 0) + 1
        idx = np.arange(len(geoms))

        def part(g: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            pieces, owner = subdivide(g, max_vertices=max_vertices)
            return pieces, i[owner]

        parts = split_map(
            part,
            n_jobs,
            geoms,
            idx,
            weight=weight,
        )
        return np.concatenate([p for p, _ in parts]), np.concatenate([o for _, o in parts])
    remaining = geoms
    owner = np.arange(len(remaining))
    done_g, done_o = [], []
    for _ in range(40):
        small = shapely.get_num_coordinates(remaining) <= max_vertices
        done_g.append(remaining[small])
        done_o.append(owner[small])
        remaining, owner = remaining[~small], owner[~small]
        if len(remaining) == 0:
            break
        x0, y0, x1, y1 = shapely.bounds(remaining).T
        split_x = (x1 - x0) >= (y1 - y0)
        xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
        bounds = np.concatenate(
            [
                np.column_stack([x0, y0, np.where(split_x, xm, x1), np.where(split_x, y1, ym)]),
                np.column_stack([np.where(split_x, xm, x0), np.where(split_x, y0, ym), x1, y1]),
            ]
        )
        halves = clip_to_boxes(np.concatenate([remaining, remaining]), bounds)
        owner = np.concatenate([owner, owner])
        keep = ~shapely.is_empty(halves)
        remaining, owner = halves[keep], owner[keep]
    done_g.append(remaining)
    done_o.append(owner)
    return np.concatenate(done_g), np.concatenate(done_o)


def clip_to_boxes(geoms: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """The polygonal part of each geometry inside its box (``bounds``: rows of x0, y0, x1, y1).

    GEOS's rectangle clipping (the ``clip_by_rect`` ufunc, one box per geometry) is several times
    faster than a general intersection; it does not promise valid output, so any invalid result is
    recomputed by ``intersection`` with the box.
    """
    x0, y0, x1, y1 = np.asarray(bounds, dtype=float).T
    out = keep_dimension(shapely.lib.clip_by_rect(geoms, x0, y0, x1, y1), 2)
    bad = ~shapely.is_valid(out)
    if bad.any():
        boxes = shapely.box(x0[bad], y0[bad], x1[bad], y1[bad])
        out[bad] = keep_dimension(shapely.intersection(geoms[bad], boxes), 2)
    return out


def grouped_union(geoms: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Union of ``geoms`` per group label (0..n_groups-1), vectorised; None for an empty group.

    Groups of one are passed through, pairs joined by a binary ``union``; larger groups are padded
    into 2-D arrays bucketed by size (so one huge group does not inflate the others) and reduced
    with ``union_all(axis=1)``.
    """
    out = np.full(n_groups, None, dtype=object)
    if len(geoms) == 0:
        return out
    order = np.argsort(group, kind="stable")
    g_sorted, geo_sorted = group[order], geoms[order]
    counts = np.bincount(group, minlength=n_groups)
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(len(order)) - start[g_sorted]
    single = counts[g_sorted] == 1
    out[g_sorted[single]] = geo_sorted[single]
    multi = ~single
    if multi.any():
        sizes = counts[g_sorted[multi]]
        # Pairs (the common case) by a binary union; larger groups padded by size bucket.
        pair = np.flatnonzero(multi)[sizes == 2]
        if len(pair):
            a, b = pair[rank[pair] == 0], pair[rank[pair] == 1]
            out[g_sorted[a]] = shapely.union(geo_sorted[a], geo_sorted[b])
        rest = np.flatnonzero(multi)[sizes > 2]
        bucket = np.ceil(np.log2(counts[g_sorted[rest]])).astype(int)
        for k in np.unique(bucket):
            sel = rest[bucket == k]
            groups, row = np.unique(g_sorted[sel], return_inverse=True)
            pad = np.full((len(groups), int(counts[groups].max())), None, dtype=object)
            pad[row, rank[sel]] = geo_sorted[sel]
            out[groups] = shapely.union_all(pad, axis=1)
    return out


def aggregate_pieces(
    row: np.ndarray, line: np.ndarray, geom: np.ndarray, measure: np.ndarray, n_lines: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Re-aggregate rows measured on pieces to one row per (project row, line).

    Returns
    -------
    (row, line, geometry, total)
        Sorted by ``row × n_lines + line``: the union of each pair's piece geometries and the sum of
        its ``measure`` (the pieces of one line have disjoint interiors, so their areas add up).
    """
    key = row.astype(np.int64) * n_lines + line
    uniq, inv = np.unique(key, return_inverse=True)
    total = np.bincount(inv, weights=measure, minlength=len(uniq))
    merged = grouped_union(geom, inv, len(uniq))
    return (uniq // n_lines).astype(np.int64), (uniq % n_lines).astype(np.int64), merged, total
