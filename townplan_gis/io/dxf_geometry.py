"""Geometry of CAD linework: outlines to polygons, open linework to the areas it closes, red-line
edges paired into road polygons, and the texts that name each outline.

Pure shapely 2 on arrays (no Python loop per feature pair): the pairing tests every candidate pair
found by one STRtree query with vectorised sampling. The rules and their thresholds are documented
in ``townplan_gis/data/dxf_layers.toml`` [geometry].
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely

from townplan_gis.core.geometry import keep_dimension

__all__ = ["assign_texts", "close_linework", "pair_edges", "rings_to_polygons", "split_label"]

_SAMPLES = 21


def rings_to_polygons(rings: list[np.ndarray]) -> np.ndarray:
    """Closed rings (vertex arrays) to valid polygons; a self-crossing outline is repaired by
    ``make_valid`` (keeping its polygonal part), a ring of fewer than 3 distinct points is empty."""
    out = np.empty(len(rings), dtype=object)
    for k, ring in enumerate(rings):
        pts = np.unique(np.round(ring, 9), axis=0)
        out[k] = shapely.Polygon(ring) if len(pts) >= 3 else shapely.Polygon()
    fixed = keep_dimension(shapely.make_valid(out), 2)
    return np.where(shapely.is_empty(fixed), shapely.Polygon(), fixed)


def close_linework(lines: np.ndarray, snap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The areas open linework closes (loops of lines and arcs), and the pieces left over.

    Ends closer than ``snap_m`` are snapped together, the lines are noded, and
    :func:`shapely.polygonize_full` finds the loops; dangles and cut edges are the leftovers
    (merged into continuous lines).
    """
    if len(lines) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=object)
    union = shapely.union_all(lines)
    union = shapely.snap(union, union, snap_m)
    polys, cuts, dangles, invalid = shapely.polygonize_full([shapely.node(union)])
    areas = np.asarray(shapely.get_parts(polys), dtype=object)
    rest = shapely.union_all([cuts, dangles, invalid])
    left = shapely.get_parts(shapely.line_merge(keep_dimension(np.array([rest]), 1)[0]))
    return areas, np.asarray(left, dtype=object)


def pair_edges(
    edges: np.ndarray, cfg: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pair open red-line edges into road polygons.

    Two edges pair when their directions differ by at most ``max_angle_deg`` (either way round),
    sampled points of the shorter one lying across from the longer one (projecting inside it) make
    at least ``min_overlap`` of its length, and along that stretch they stay between
    ``min_width_m`` and ``max_width_m`` apart. Candidates come from one STRtree query; each edge
    joins at most one pair, closest pairs first. The polygon is the area between the two edges,
    their ends joined by straight lines.

    Returns
    -------
    (pairs, polygons, widths)
        ``pairs`` an (n, 2) array of edge positions, ``polygons`` the road polygons, ``widths`` the
        mean distance between the edges of each pair (m).
    """
    n = len(edges)
    empty = (np.empty((0, 2), dtype=int), np.empty(0, dtype=object), np.empty(0))
    if n < 2:
        return empty
    tree = shapely.STRtree(edges)
    i, j = tree.query(edges, predicate="dwithin", distance=cfg["max_width_m"])
    keep = i < j
    i, j = i[keep], j[keep]
    if len(i) == 0:
        return empty
    # The shorter edge of each pair is sampled against the longer one.
    length = shapely.length(edges)
    short = np.where(length[i] <= length[j], i, j)
    long_ = np.where(length[i] <= length[j], j, i)
    frac = np.linspace(0.0, 1.0, _SAMPLES)
    pts = shapely.line_interpolate_point(edges[short][:, None], frac[None, :], normalized=True)
    target = np.repeat(edges[long_][:, None], _SAMPLES, axis=1)
    at = shapely.line_locate_point(target, pts, normalized=True)
    across = (at > 1e-9) & (at < 1 - 1e-9)
    dist = shapely.distance(pts, target)
    overlap = across.mean(axis=1)
    masked = np.where(across, dist, np.nan)
    with np.errstate(all="ignore"):
        mean = np.nanmean(np.where(across, dist, np.nan), axis=1)
        ok_dist = (np.nanmax(masked, axis=1) <= cfg["max_width_m"]) & (
            np.nanmin(masked, axis=1) >= cfg["min_width_m"]
        )
    start = shapely.get_coordinates(shapely.get_point(edges, 0))
    end = shapely.get_coordinates(shapely.get_point(edges, -1))
    vec = end - start
    unit = vec / np.linalg.norm(vec, axis=1)[:, None]
    cos = np.abs((unit[i] * unit[j]).sum(axis=1))
    parallel = cos >= math.cos(math.radians(cfg["max_angle_deg"]))
    good = parallel & (overlap >= cfg["min_overlap"]) & ok_dist
    order = np.argsort(np.where(good, mean, np.inf), kind="stable")
    used = np.zeros(n, dtype=bool)
    chosen = []
    for k in order[: int(good.sum())]:
        if not used[i[k]] and not used[j[k]]:
            used[i[k]] = used[j[k]] = True
            chosen.append(k)
    chosen_arr = np.array(chosen, dtype=int)
    pairs = np.column_stack([i[chosen_arr], j[chosen_arr]]) if len(chosen) else empty[0]
    polys = np.empty(len(chosen), dtype=object)
    for m, (a, b) in enumerate(pairs):
        ca = shapely.get_coordinates(edges[a])
        cb = shapely.get_coordinates(edges[b])
        if (unit[a] * unit[b]).sum() < 0:
            cb = cb[::-1]
        polys[m] = shapely.Polygon(np.vstack([ca, cb[::-1]]))
    polys = keep_dimension(shapely.make_valid(polys), 2) if len(polys) else polys
    return pairs, polys, mean[chosen_arr] if len(chosen) else empty[2]


_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_./#()]*$")


def split_label(text: str) -> tuple[str | None, str | None]:
    """A label's code (tokens of letters, digits and -_./#) and name (the rest).

    Examples
    --------
    >>> split_label("LX-01 西河")
    ('LX-01', '西河')
    >>> split_label("游客中心")
    (None, '游客中心')
    """
    tokens = text.split()
    code = [t for t in tokens if _CODE.match(t)]
    name = [t for t in tokens if not _CODE.match(t)]
    return (" ".join(code) or None), (" ".join(name) or None)


def assign_texts(
    polygons: np.ndarray,
    poly_layers: np.ndarray,
    points: np.ndarray,
    texts: np.ndarray,
    text_layers: np.ndarray,
) -> list[list[str]]:
    """Per polygon, the texts whose insertion point lies inside it, on its own layer or a layer
    whose name starts with it (道路红线 → 道路红线标注), in drawing order."""
    out: list[list[str]] = [[] for _ in range(len(polygons))]
    if len(points) == 0 or len(polygons) == 0:
        return out
    tree = shapely.STRtree(polygons)
    t, p = tree.query(points, predicate="within")
    for ti, pi in sorted(zip(t.tolist(), p.tolist(), strict=True)):
        if str(text_layers[ti]).casefold().startswith(str(poly_layers[pi]).casefold()):
            out[pi].append(texts[ti])
    return out
