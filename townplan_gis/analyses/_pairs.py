"""The pair kernel of the line self-check: every contact between two line features, classified.

All pairs come from one spatial-index query over the features' pieces (large polygons cut by
:func:`~townplan_gis.analyses._geom.subdivide`); intersections, the sliver test, the containment
share and the crossing test run as whole-array shapely calls over the pairs.

Kinds (docs/sources.md#line-matrix):

* ``duplicate`` / ``near_duplicate`` (one type): Hausdorff distance ≤ the gap width, or
  intersection ÷ union ≥ ``near_duplicate_iou``;
* ``sliver``: an overlap part that vanishes under an inward buffer of half the gap width (a
  boundary digitised twice, slightly apart);
* ``contained`` (压占): the overlap covers ≥ ``contained_share`` of the smaller feature;
* ``crossing`` (交叉): near the overlap, one feature is cut into more parts by the other (a road over a
  river leaves a stub on each bank);
* ``overlap`` (重叠): any other shared land.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from townplan_gis.analyses._geom import (
    grouped_union,
    polygonal,
    robust,
    subdivide,
    threaded,
    where_obj,
)

__all__ = ["contacts", "gaps"]


def _n_parts(geoms: np.ndarray, noise_m2: float) -> np.ndarray:
    """Number of polygon parts larger than the noise in each geometry."""
    parts, idx = shapely.get_parts(polygonal(geoms), return_index=True)
    big = shapely.area(parts) > noise_m2
    return np.bincount(idx[big], minlength=len(geoms))


class _Local:
    """Each feature cut to a window, from its pieces when it is large (a river of 4,000 vertices
    is clipped from the few pieces near the window, not whole)."""

    def __init__(self, geoms: np.ndarray, pieces: np.ndarray, owner: np.ndarray, max_vertices: int):
        self.geoms, self.pieces, self.owner = geoms, pieces, owner
        self.big = shapely.get_num_coordinates(geoms) > max_vertices
        self.tree = shapely.STRtree(pieces)

    def clip(self, feature: np.ndarray, window: np.ndarray) -> np.ndarray:
        out = np.empty(len(feature), dtype=object)
        small = ~self.big[feature]
        s = np.flatnonzero(small)
        out[s] = robust(shapely.intersection, self.geoms[feature[s]], window[s])
        b = np.flatnonzero(~small)
        if len(b):
            w_idx, p_idx = self.tree.query(window[b], predicate="intersects")
            mine = self.owner[p_idx] == feature[b[w_idx]]
            w_idx, p_idx = w_idx[mine], p_idx[mine]
            cut = polygonal(robust(shapely.intersection, self.pieces[p_idx], window[b[w_idx]]))
            out[b] = grouped_union(cut, w_idx, len(b))
        return polygonal(out)


def _crossing(local: _Local, a, b, part: np.ndarray, margin: float, noise: float):
    """Whether, in a window around each overlap part, one feature is cut apart by the other."""
    x0, y0, x1, y1 = shapely.bounds(part).T
    window = shapely.box(x0 - margin, y0 - margin, x1 + margin, y1 + margin)
    aw, bw = local.clip(a, window), local.clip(b, window)
    a_cut = _n_parts(threaded(shapely.difference, aw, bw), noise) > _n_parts(aw, noise)
    b_cut = _n_parts(threaded(shapely.difference, bw, aw), noise) > _n_parts(bw, noise)
    return a_cut | b_cut


def contacts(
    geoms: np.ndarray,
    same_class: np.ndarray,
    *,
    tolerance: dict[str, float],
    max_vertices: int = 256,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Every overlap between two features, one row per connected part, and the near pairs.

    Parameters
    ----------
    geoms : array of shapely geometries
        Valid polygons (or empties, which touch nothing), metric CRS.
    same_class : array of object
        Per feature, the key of its type: two features of one key are tested for duplicates.
    tolerance : dict
        The matrix's ``[tolerance]`` (``gap_width_m`` already overridden when the caller gave one).

    Returns
    -------
    parts : DataFrame
        ``a, b`` (positions, a < b), ``kind`` (``duplicate``, ``near_duplicate``, ``sliver``,
        ``contained``, ``crossing``, ``overlap``), ``inner`` (``"a"``/``"b"`` for contained),
        ``area_m2`` of the part, ``pair_area_m2``, ``width_m`` (2·area ÷ perimeter, slivers).
    geometry : array
        The part geometries, aligned to ``parts``.
    near : DataFrame
        ``a, b`` pairs of one class within the gap width of each other that are not duplicates
        (for :func:`gaps`).
    """
    tol = tolerance["gap_width_m"]
    noise = tolerance["noise_m2"]
    empty_parts = pd.DataFrame(
        {
            "a": pd.Series(dtype=np.int64),
            "b": pd.Series(dtype=np.int64),
            "kind": pd.Series(dtype=object),
            "inner": pd.Series(dtype=object),
            "area_m2": pd.Series(dtype=float),
            "pair_area_m2": pd.Series(dtype=float),
            "width_m": pd.Series(dtype=float),
        }
    )
    no_near = pd.DataFrame({"a": pd.Series(dtype=np.int64), "b": pd.Series(dtype=np.int64)})
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.sum() < 2:
        return empty_parts, np.empty(0, dtype=object), no_near
    pieces, owner = subdivide(geoms[ok], max_vertices=max_vertices)
    owner = np.flatnonzero(ok)[owner]
    tree = shapely.STRtree(pieces)
    left, right = tree.query(pieces, predicate="dwithin", distance=tol)
    a, b = owner[left], owner[right]
    sel = a < b
    left, right, a, b = left[sel], right[sel], a[sel], b[sel]
    touching = shapely.intersects(pieces[left], pieces[right])
    inter = np.full(len(left), None, dtype=object)
    if touching.any():
        t = np.flatnonzero(touching)
        inter[t] = polygonal(threaded(shapely.intersection, pieces[left[t]], pieces[right[t]]))
    area = np.zeros(len(left))
    area[touching] = shapely.area(inter[touching])
    pairs = pd.DataFrame({"a": a, "b": b, "area": area})
    by_pair = pairs.groupby(["a", "b"], sort=True)["area"].sum().reset_index()
    pid = pd.MultiIndex.from_frame(by_pair[["a", "b"]])
    code = pid.get_indexer(pd.MultiIndex.from_arrays([a, b]))
    pa, pb = by_pair["a"].to_numpy(), by_pair["b"].to_numpy()
    pair_area = by_pair["area"].to_numpy()
    areas = shapely.area(geoms)
    same = same_class[pa] == same_class[pb]

    # Duplicates first (one type only): IoU, then the Hausdorff distance for the close calls.
    union_area = areas[pa] + areas[pb] - pair_area
    iou = np.divide(pair_area, union_area, out=np.zeros(len(pa)), where=union_area > 0)
    dup_kind = np.full(len(pa), None, dtype=object)
    cand = np.flatnonzero(same & (iou >= tolerance["near_duplicate_iou"]))
    if len(cand):
        hd = shapely.hausdorff_distance(geoms[pa[cand]], geoms[pb[cand]])
        dup_kind[cand] = np.where(hd <= tol, "duplicate", "near_duplicate")
    # Gap candidates: features of one type that come within the gap width without sharing land
    # (two that overlap, such as roads at a junction, leave no gap between them).
    near = same & (dup_kind == None) & (pair_area <= noise)  # noqa: E711 - elementwise
    near_pairs = pd.DataFrame({"a": pa[near], "b": pb[near]})

    # Overlap parts of the other pairs: the piece intersections of a pair, unioned, then exploded.
    over = (pair_area > noise) & (dup_kind == None)  # noqa: E711
    rows: list[pd.DataFrame] = []
    geo: list[np.ndarray] = []
    dups = np.flatnonzero(dup_kind != None)  # noqa: E711
    if len(dups):
        rows.append(
            pd.DataFrame(
                {
                    "a": pa[dups],
                    "b": pb[dups],
                    "kind": dup_kind[dups],
                    "inner": None,
                    "area_m2": pair_area[dups],
                    "pair_area_m2": pair_area[dups],
                    "width_m": np.nan,
                }
            )
        )
        geo.append(robust(shapely.intersection, geoms[pa[dups]], geoms[pb[dups]]))
    keep = touching & over[np.maximum(code, 0)]
    if keep.any():
        k = np.flatnonzero(keep)
        remap = np.full(len(pa), -1)
        chosen = np.flatnonzero(over)
        remap[chosen] = np.arange(len(chosen))
        patch = grouped_union(inter[k], remap[code[k]], len(chosen))
        parts, idx = shapely.get_parts(patch, return_index=True)
        part_area = shapely.area(parts)
        big = part_area > noise
        parts, idx, part_area = parts[big], idx[big], part_area[big]
        p = chosen[idx]
        sliver = shapely.is_empty(shapely.buffer(parts, -tol / 2, join_style="mitre"))
        smaller = np.minimum(areas[pa[p]], areas[pb[p]])
        contained = ~sliver & (pair_area[p] >= tolerance["contained_share"] * smaller)
        rest = np.flatnonzero(~sliver & ~contained)
        crossing = np.zeros(len(parts), dtype=bool)
        if len(rest):
            margin = max(tol, 1.0)
            local = _Local(geoms, pieces, owner, max_vertices)
            crossing[rest] = _crossing(local, pa[p][rest], pb[p][rest], parts[rest], margin, noise)
        kind = np.select(
            [sliver, contained, crossing], ["sliver", "contained", "crossing"], "overlap"
        ).astype(object)
        inner = where_obj(contained, np.where(areas[pa[p]] <= areas[pb[p]], "a", "b"))
        perimeter = shapely.length(parts)
        width = np.where(sliver, 2 * part_area / np.maximum(perimeter, 1e-12), np.nan)
        rows.append(
            pd.DataFrame(
                {
                    "a": pa[p],
                    "b": pb[p],
                    "kind": kind,
                    "inner": inner.astype(object),
                    "area_m2": part_area,
                    "pair_area_m2": pair_area[p],
                    "width_m": width,
                }
            )
        )
        geo.append(parts)
    if not rows:
        return empty_parts, np.empty(0, dtype=object), near_pairs
    out = pd.concat(rows, ignore_index=True)
    return out, np.concatenate(geo), near_pairs


def _closing(geoms: np.ndarray, r: float) -> np.ndarray:
    """Morphological closing with mitred joins: fills only what is narrower than 2·r, keeps
    corners (a round closing would fill every concave corner a little)."""
    grown = shapely.buffer(geoms, r, join_style="mitre", mitre_limit=10.0)
    return shapely.buffer(grown, -r, join_style="mitre", mitre_limit=10.0)


def gaps(
    geoms: np.ndarray, near: pd.DataFrame, *, tolerance: dict[str, float]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Gaps narrower than the gap width between two features of one type, one row per part.

    .. math:: G = \\operatorname{close}_r(A \\cup B) \\setminus \\operatorname{close}_r(A)
              \\setminus \\operatorname{close}_r(B), \\quad r = w / 2

    with mitred closings, in a window around the pair (the bounding boxes' intersection grown by
    2w): what is filled only when both are taken together lies between them. Parts below the noise
    area are float noise of touching edges.
    """
    tol = tolerance["gap_width_m"]
    noise = tolerance["noise_m2"]
    cols: dict[str, list[float]] = {"a": [], "b": [], "area_m2": [], "width_m": []}
    if len(near) == 0 or tol <= 0:
        return pd.DataFrame(cols), np.empty(0, dtype=object)
    a, b = near["a"].to_numpy(), near["b"].to_numpy()
    ba, bb = shapely.bounds(geoms[a]), shapely.bounds(geoms[b])
    g = 2 * tol
    window = shapely.box(
        np.maximum(ba[:, 0], bb[:, 0]) - g,
        np.maximum(ba[:, 1], bb[:, 1]) - g,
        np.minimum(ba[:, 2], bb[:, 2]) + g,
        np.minimum(ba[:, 3], bb[:, 3]) + g,
    )
    aw = polygonal(robust(shapely.intersection, geoms[a], window))
    bw = polygonal(robust(shapely.intersection, geoms[b], window))
    r = tol / 2
    both = _closing(robust(shapely.union, aw, bw), r)
    gap = robust(
        shapely.difference, robust(shapely.difference, both, _closing(aw, r)), _closing(bw, r)
    )
    # Within the window only; a closing may reach past a cut edge of the window.
    gap = polygonal(
        robust(
            shapely.difference,
            robust(shapely.intersection, gap, window),
            robust(shapely.union, aw, bw),
        )
    )
    parts, idx = shapely.get_parts(gap, return_index=True)
    part_area = shapely.area(parts)
    big = part_area > noise
    parts, idx, part_area = parts[big], idx[big], part_area[big]
    width = 2 * part_area / np.maximum(shapely.length(parts), 1e-12)
    frame = pd.DataFrame({"a": a[idx], "b": b[idx], "area_m2": part_area, "width_m": width})
    return frame, parts
