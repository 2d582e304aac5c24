"""Setback findings: buildings closer to a red or blue line than the required distance.

Building setback from the road red line has no national table; local rules use ≥ 8 m on a town's main
roads and ≥ 5 m on ordinary roads, and ≥ 10 m from a river blue line where no plan sets it (domain brief
§3, [S] jianbiaoku.com book 9361; GB 50188-2007). The distances live in the rule file
(``[setbacks.distance_m]``) and may be overridden per line by a ``setback_m`` column.

A finding is reported when the shortest distance between the project and the line polygon is below
the required distance *d*:

.. math:: \\operatorname{dist}(P, L) < d(L)

with geometry = the part of the project inside the setback band ``buffer(L, d) − L`` and
``distance_m`` = the measured distance. A project that really overlaps the same line (a non-ignored
overlap) gets no separate setback finding: the overlap already grades it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.geometry import keep_dimension

if TYPE_CHECKING:
    from townplan_gis.review.kernel import PreparedLines
    from townplan_gis.review.rules import Rules

__all__ = ["drop_covered", "setback_rows"]

_LINE_ZH = {"red": "红线", "blue": "蓝线"}


def _band_parts(geoms: np.ndarray, pos: np.ndarray, line: np.ndarray, lines: PreparedLines):
    """Part of each candidate (chunk row, line) pair inside the line's setback band.

    Works on the subdivided band pieces and re-aggregates them, like the overlap kernel.
    Returns (row, line, geometry) for the pairs with a non-empty part.
    """
    from townplan_gis.review.kernel import _aggregate

    sub = np.unique(pos)
    left, right = lines.band_tree.query(geoms[sub], predicate="intersects")
    rows, band_line = sub[left], lines.band_line[right]
    keep = pd.MultiIndex.from_arrays([rows, band_line]).isin(pd.MultiIndex.from_arrays([pos, line]))
    rows, right, band_line = rows[keep], right[keep], band_line[keep]
    g = geoms[rows]
    dims = shapely.get_dimensions(g)
    part = shapely.intersection(g, lines.bands[right])
    for d in (2, 1, 0):
        sel = dims == d
        if sel.any():
            part[sel] = keep_dimension(part[sel], d)
    measure = np.where(dims == 2, shapely.area(part), shapely.length(part))
    ok = ~shapely.is_empty(part)
    r, li, merged, _ = _aggregate(rows[ok], band_line[ok], part[ok], measure[ok], len(lines))
    return r, li, merged


def setback_rows(chunk: pd.DataFrame, lines: PreparedLines, rules: Rules) -> gpd.GeoDataFrame:
    """Setback findings of one prepared chunk (see module docstring); ``_row`` is the chunk row."""
    types = set(rules.setbacks.get("project_types", []))
    geoms = np.asarray(chunk.geometry.array, dtype=object)
    cand = np.flatnonzero(
        chunk["project_type"].isin(types).to_numpy() & (chunk["_dim"].to_numpy() >= 0)
    )
    if not len(cand) or lines.max_setback_m <= 0:
        return gpd.GeoDataFrame()
    left, right = lines.tree.query(geoms[cand], predicate="dwithin", distance=lines.max_setback_m)
    pos = cand[left]
    need = lines.attrs["setback_m"].to_numpy()[right]
    has = np.isfinite(need)
    pos, right, need = pos[has], right[has], need[has]
    dist = shapely.distance(geoms[pos], lines.geoms[right])
    near = dist < need
    pos, right, need, dist = pos[near], right[near], need[near], dist[near]
    if not len(pos):
        return gpd.GeoDataFrame()
    geom = _nearest_points(geoms[pos], lines.geoms[right])
    bp, bl, merged = _band_parts(geoms, pos, right, lines)
    if len(bp):
        found = pd.Series(list(merged), index=pd.MultiIndex.from_arrays([bp, bl]))
        key = pd.MultiIndex.from_arrays([pos, right])
        hit = key.isin(found.index)
        geom[hit] = found.reindex(key[hit]).to_numpy()
    dims = shapely.get_dimensions(geom)
    area = np.where(dims == 2, shapely.area(geom), 0.0)
    length = np.where(dims == 1, shapely.length(geom), 0.0)
    lt = lines.attrs["line_type"].to_numpy()[right]
    cfg = rules.setbacks
    grade = np.array([cfg[t]["grade"] for t in lt], dtype=object)
    esc = np.array([cfg[t]["review_within_m"] for t in lt], dtype=float)
    grade = np.where(dist < esc, "review", grade)
    rc = lines.attrs["road_class"].to_numpy()[right]
    name = lines.attrs["line_name"].fillna(lines.attrs["line_id"]).astype(str).to_numpy()[right]
    cls = np.where(
        (lt == "red") & pd.notna(rc),
        " (" + pd.Series(rc).fillna("").astype(str).to_numpy() + ")",
        "",
    )
    reason = (
        chunk["project_type"].to_numpy()[pos].astype(str)
        + " "
        + pd.Series(np.round(dist, 2)).map(lambda v: f"{v:.2f}").to_numpy()
        + " m from "
        + np.array([_LINE_ZH[t] for t in lt], dtype=object)
        + " '"
        + name
        + "'"
        + cls
        + "; setback "
        + pd.Series(need).map(lambda v: f"{v:g}").to_numpy()
        + " m required"
    )
    return gpd.GeoDataFrame(
        {
            "_row": pos,
            "_line": right,
            "overlap_area_m2": area,
            "overlap_length_m": length,
            "check": "setback",
            "distance_m": dist,
            "grade": grade,
            "clause": [cfg[t]["clause_zh"] for t in lt],
            "procedure": [cfg[t]["procedure_zh"] for t in lt],
            "clause_en": [cfg[t]["clause_en"] for t in lt],
            "procedure_en": [cfg[t]["procedure_en"] for t in lt],
            "reason": reason,
        },
        geometry=gpd.GeoSeries(geom, crs=lines.crs),
    )


def _nearest_points(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The point of each project nearest to its line: the fallback geometry of a finding."""
    return shapely.get_point(shapely.shortest_line(a, b), 0)


def drop_covered(rows: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop setback findings for (project, line) pairs that already overlap (not as a sliver)."""
    is_sb = rows["check"].to_numpy() == "setback"
    if not is_sb.any():
        return rows
    real = rows[(rows["check"] == "overlap") & ~rows["ignored"].astype(bool)]
    covered = pd.MultiIndex.from_arrays([real["_pos"], real["_line"]])
    key = pd.MultiIndex.from_arrays([rows["_pos"], rows["_line"]])
    drop = is_sb & key.isin(covered)
    return rows[~drop]
