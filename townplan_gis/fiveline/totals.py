"""Per-project totals of a review: overlap area and length per line type, overlaps counted once.

Overlapping control polygons of one type (a parcel crossed by two road strips that meet) must not be
counted twice (QGIS "overlap analysis" semantics, ``docs/sources.md#review-ui-practice``): per project and type, the
overlaps are unioned, or, when they are small convex polygons, measured by inclusion–exclusion
from their pairwise (and, for three, triple) overlaps clipped in numpy
(:mod:`townplan_gis.fiveline.convex`). Runs per chunk, in the worker threads (or dask workers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.fiveline.convex import ConvexRings, convex_overlap, convex_rings
from townplan_gis.fiveline.pieces import grouped_union
from townplan_gis.fiveline.text import Coded

if TYPE_CHECKING:
    from townplan_gis.fiveline.lines import PreparedLines

__all__ = ["TOTAL_COLUMNS", "type_totals"]

#: The columns of :func:`type_totals`: overlap area (m²), then overlap length (m), per line type.
TOTAL_COLUMNS = [f"{lt}_overlap_m2" for lt in LINE_TYPES] + [
    f"{lt}_overlap_length_m" for lt in LINE_TYPES
]


def _triple_overlap(rings: ConvexRings, members: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    """Area of ``A ∩ B ∩ C`` for rows of three convex polygons (positions into ``rings`` and
    ``geoms``); NaN where the numpy clipping hands the pair back."""
    out = np.full(len(members), np.nan)
    if not len(members):
        return out
    ab_area, ab, _ = convex_overlap(rings, members[:, 0], rings, members[:, 1], min_area=0.0)
    ab_rings = convex_rings(ab)
    ok = np.flatnonzero(ab_rings.ok)
    out[ok] = convex_overlap(ab_rings, ok, rings, members[ok, 2], min_area=np.inf)[0]
    # A ∩ B whose rebuilt ring has a corner bent the wrong way by rounding (a vertex of one
    # polygon on the other's edge): GEOS measures its overlap with C, one pair each.
    bent = np.flatnonzero(~ab_rings.ok & ~shapely.is_missing(ab))
    out[bent] = shapely.area(shapely.intersection(ab[bent], geoms[members[bent, 2]]))
    out[np.flatnonzero(ab_area == 0)] = 0.0  # A and B touch only: no triple overlap
    return out


def _union_measures(geoms: np.ndarray, group: np.ndarray, n_groups: int):
    """Area (m²) and length (m) of the union of ``geoms`` per group label (0..n_groups-1).

    Groups of two to eight convex polygons (a parcel crossed by road strips that meet) are measured
    by inclusion–exclusion from their pairwise overlaps, clipped in numpy
    (:mod:`townplan_gis.fiveline.convex`):

    .. math:: |\\textstyle\\bigcup_i A_i| = \\sum_i |A_i| - \\sum_{i<j} |A_i \\cap A_j|

    which is exact unless three of the polygons overlap each other pairwise (the higher terms are
    then zero). Groups of three that do get the triple term :math:`+|A \\cap B \\cap C|`; larger
    such groups, and all others, are unioned (:func:`~townplan_gis.fiveline.pieces.grouped_union`).
    """
    area, length = np.zeros(n_groups), np.zeros(n_groups)
    counts = np.bincount(group, minlength=n_groups)
    small = (counts[group] >= 2) & (counts[group] <= 8)
    rings = convex_rings(np.where(small, geoms, None))
    mixed = np.bincount(group, weights=~rings.ok, minlength=n_groups) > 0
    easy = ~mixed & (counts >= 2) & (counts <= 8)
    union = ~easy[group]
    order = np.argsort(group, kind="stable")
    start = np.cumsum(counts) - counts
    own = shapely.area(np.where(small, geoms, None))
    # All pairs within the groups, for every group size at once (one clipping call).
    sizes = np.unique(counts[easy])
    blocks = []
    for k in sizes:
        gs = np.flatnonzero(easy & (counts == k))
        members = order[start[gs][:, None] + np.arange(k)]
        i, j = np.triu_indices(k, 1)
        blocks.append((k, gs, members, i, j))
    ia = np.concatenate([m[:, i].ravel() for _, _, m, i, _ in blocks] or [np.zeros(0, int)])
    ib = np.concatenate([m[:, j].ravel() for _, _, m, _, j in blocks] or [np.zeros(0, int)])
    inter_all = convex_overlap(rings, ia, rings, ib, min_area=np.inf)[0]
    at = 0
    for k, gs, members, i, j in blocks:
        inter = inter_all[at : at + len(gs) * len(i)].reshape(len(gs), len(i))
        at += len(gs) * len(i)
        meets = np.zeros((len(gs), k, k), dtype=np.int64)
        meets[:, i, j] = meets[:, j, i] = inter > 0
        triangle = np.einsum("gab,gbc,gca->g", meets, meets, meets) > 0
        ok = ~np.isnan(inter).any(axis=1) & ~triangle
        area[gs[ok]] = own[members[ok]].sum(axis=1) - inter[ok].sum(axis=1)
        if k == 3:
            # Three strips crossing at a junction overlap pairwise: add back |A ∩ B ∩ C|.
            tri = np.flatnonzero(triangle & ~np.isnan(inter).any(axis=1))
            triple = _triple_overlap(rings, members[tri], geoms)
            done = tri[~np.isnan(triple)]
            area[gs[done]] = (
                own[members[done]].sum(axis=1) - inter[done].sum(axis=1) + triple[~np.isnan(triple)]
            )
            ok[done] = True
        union[members[~ok].ravel()] = True
    if union.any():
        idx = np.flatnonzero(union)
        merged = grouped_union(geoms[idx], group[idx], n_groups)
        todo = np.unique(group[idx])
        dims = shapely.get_dimensions(merged[todo])
        area[todo] = np.where(dims == 2, shapely.area(merged[todo]), 0.0)
        length[todo] = np.where(dims == 1, shapely.length(merged[todo]), 0.0)
    return area, length


def type_totals(conflicts: pd.DataFrame | dict, lines: PreparedLines | None = None) -> pd.DataFrame:
    """Per project position and line type: overlap area (m²) and length (m), overlaps counted once.

    Overlapping control polygons of one type (QGIS "overlap analysis" semantics, ``docs/sources.md#review-ui-practice``)
    are unioned per project before measuring. Ignored slivers count: they are real overlap.
    With ``lines`` (the :class:`PreparedLines` the rows came from), only the overlaps of lines that
    meet another line of their type are unioned; the others are disjoint and simply added — same
    result, much less work.

    Parameters
    ----------
    conflicts : pandas.DataFrame or dict
        Conflict rows with ``check``, ``_pos``, ``_lt`` (or ``line_type``), ``_line`` (with
        ``lines``), ``overlap_area_m2``, ``overlap_length_m``, ``pct_of_project`` and their
        geometry: a frame, or the columns of :func:`~townplan_gis.fiveline.kernel.review_rows`.
    lines : PreparedLines, optional

    Returns
    -------
    pandas.DataFrame
        Indexed by ``_pos``, columns ``<line>_overlap_m2`` and ``<line>_overlap_length_m``.
    """
    # Plain arrays of the overlap rows: no filtered copy of the whole frame, chunk after chunk.
    check = conflicts["check"]
    if isinstance(check, Coded):
        over = np.flatnonzero(check.equals("overlap"))
    else:
        over = np.flatnonzero(np.asarray(check, dtype=object) == "overlap")
    if not len(over):
        return pd.DataFrame(columns=TOTAL_COLUMNS, dtype="float64")

    def column(name, dtype):
        values = conflicts[name]
        values = values.values() if isinstance(values, Coded) else values
        return np.asarray(values, dtype=dtype)[over]

    pos = column("_pos", np.int64)
    if "_lt" in conflicts:
        lt_code = column("_lt", np.int64)
    else:
        lt_code = pd.Categorical(column("line_type", object), categories=list(LINE_TYPES)).codes
    geoms = conflicts["geometry"] if isinstance(conflicts, dict) else conflicts.geometry.array
    geoms = np.asarray(geoms, dtype=object)[over]
    if lines is not None:
        shared = lines.arrays["overlaps_same_type"][column("_line", np.int64)]
    else:
        shared = np.ones(len(over), dtype=bool)
    dims = shapely.get_dimensions(geoms)
    # Unioned per project, type and dimension: a collection's polygon part is measured by area and
    # its line part by length, and neither hides the other.
    key = (pos * len(LINE_TYPES) + lt_code) * 3 + np.clip(dims, 0, 2)
    # Disjoint overlaps (lines that meet no other line of their type, or the only overlap of a
    # shared line in a project and type) add up directly ...
    inv = pd.factorize(key)[0]
    shared &= np.bincount(inv, weights=shared)[inv] > 1
    ov_area, ov_len = column("overlap_area_m2", float), column("overlap_length_m", float)
    part_area = np.where((dims == 2) & ~shared, ov_area, 0.0)
    part_len = np.where((dims == 1) & ~shared, ov_len, 0.0)
    # ... where one overlap is the whole project (a project inside a line), the union is that
    # overlap ...
    pct = column("pct_of_project", float)
    whole = shared & (dims >= 1) & (pct >= 100.0 * (1 - 1e-12))
    first = np.unique(key[whole], return_index=True)[1]
    w_idx = np.flatnonzero(whole)[first]
    shared &= ~np.isin(key, key[w_idx])
    w_area = np.where(dims[w_idx] == 2, ov_area[w_idx], 0.0)
    w_len = np.where(dims[w_idx] == 1, ov_len[w_idx], 0.0)
    # ... the others are unioned per project and type.
    codes, uniq = pd.factorize(key[shared])
    u_area, u_len = _union_measures(geoms[shared], codes, len(uniq))
    key = np.concatenate([key, key[w_idx], uniq])
    area = np.concatenate([part_area, w_area, u_area])
    length = np.concatenate([part_len, w_len, u_len])
    key = key // 3
    positions, row = np.unique(key // len(LINE_TYPES), return_inverse=True)
    col = key % len(LINE_TYPES)
    table = np.zeros((len(positions), 2 * len(LINE_TYPES)))
    np.add.at(table, (row, col), area)
    np.add.at(table, (row, col + len(LINE_TYPES)), length)
    return pd.DataFrame(table, index=pd.Index(positions, name="_pos"), columns=TOTAL_COLUMNS)
