"""The vectorised overlap kernel: projects × control lines, one chunk of projects at a time.

Design (``docs/engineering.md#overlaps-two-cores``):

* control polygons with more than ``max_vertices`` vertices (rivers, long green belts) are cut into
  pieces by recursive halving of their bounding box (``ST_Subdivide`` style, see
  :mod:`townplan_gis.fiveline.pieces`), so that each intersection works on a small geometry; piece
  results are re-aggregated to their original feature;
* one ``STRtree`` bulk query per geometry family finds the candidate pairs (for polygon projects by
  bounding box, then ``covers`` / ``intersects`` on the prepared pieces);
* a project wholly inside a piece *is* its overlap, so no intersection is computed for it; a piece
  that is an axis-aligned box is clipped with ``clip_by_rect`` instead of intersected;
* every other step (intersection, area, sliver test, grading, reasons) runs on whole arrays — no
  Python loop per pair. shapely 2 and Arrow release the GIL in these calls, so chunks run in
  parallel threads.

:func:`review_chunk` is the unit of work for every engine (threads here, dask in
``townplan_gis.fiveline.dask``): it takes a chunk of *prepared* projects (see
:func:`townplan_gis.fiveline.prepare.prepare_projects`) and the :class:`PreparedLines`, and returns the
chunk's conflict rows. Projects never span chunks, so per-project totals (:func:`type_totals`) can be
computed per chunk too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from townplan_gis.core.geometry import keep_dimension
from townplan_gis.fiveline import setbacks as _setbacks
from townplan_gis.fiveline.convex import (
    ConvexRings,
    apart,
    clip_to_convex,
    convex_overlap,
    convex_rings,
)
from townplan_gis.fiveline.grade import finish_rows, text_columns
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.pieces import (
    aggregate_pieces,
    clip_to_boxes,
)
from townplan_gis.fiveline.rules import Rules
from townplan_gis.fiveline.text import STR, Coded
from townplan_gis.fiveline.totals import TOTAL_COLUMNS

__all__ = [
    "CONFLICT_COLUMNS",
    "TOTAL_COLUMNS",
    "join_rows",
    "review_chunk",
    "review_rows",
]

CONFLICT_COLUMNS = [
    "project_id",
    "project_name",
    "project_type",
    "line_type",
    "line_id",
    "line_name",
    "zone",
    "check",
    "overlap_area_m2",
    "overlap_area_mu",
    "overlap_length_m",
    "pct_of_project",
    "pct_of_line",
    "distance_m",
    "grade",
    "clause",
    "procedure",
    "clause_en",
    "procedure_en",
    "ignored",
    "reason",
    "reason_zh",
]
#: The columns :func:`review_chunk` adds for the engines: positions of the project and the line,
#: grade rank, line-type code.
_ROW_COLUMNS = (*CONFLICT_COLUMNS, "_pos", "_line", "_rank", "_lt")
#: Dtypes of the non-text row columns (the others are object or Arrow text).
_DTYPES = {
    **dict.fromkeys(
        (
            "overlap_area_m2",
            "overlap_area_mu",
            "overlap_length_m",
            "pct_of_project",
            "pct_of_line",
            "distance_m",
        ),
        "float64",
    ),
    "ignored": "bool",
    "_pos": "int64",
    "_line": "int64",
    "_rank": "int64",
    "_lt": "int8",
}


def _intersect(g: np.ndarray, piece: np.ndarray, right: np.ndarray, lines: PreparedLines):
    """``intersection(g, pieces[right])``; by rectangle clipping where the piece is a box."""
    rect = lines.piece_rect[right]
    out = np.empty(len(g), dtype=object)
    other = ~rect
    if rect.any():
        idx = np.flatnonzero(rect)
        out[idx] = clip_to_boxes(g[idx], shapely.bounds(lines.pieces[right[idx]]))
    if other.any():
        out[other] = shapely.intersection(g[other], piece[other])
    return out


def _convex_overlaps(g, left, right, rings: ConvexRings, lines: PreparedLines, noise_m2: float):
    """Overlaps of the candidate pairs where project and piece are both small convex polygons.

    Returns which candidates are settled here (the convex pairs that do not intersect, and those
    clipped), then the positions of the clipped pairs, their overlaps and areas. The pairs whose
    clipping the convex path hands back (:func:`~townplan_gis.fiveline.convex.convex_overlap`
    gives NaN) are not settled.
    """
    settled = rings.ok[left] & lines.piece_convex.ok[right]
    idx = np.flatnonzero(settled)
    # Bounding-box candidates that an edge of the piece separates from the project are dropped
    # before clipping (cheaper than GEOS's prepared intersects on these small polygons).
    idx = idx[~apart(rings, left[idx], lines.piece_convex, right[idx])]
    area, inter, inside = convex_overlap(
        rings, left[idx], lines.piece_convex, right[idx], min_area=noise_m2
    )
    # A project inside the piece is its own overlap, exactly as on the GEOS path.
    inter[inside] = g[idx[inside]]
    area[inside] = shapely.area(inter[inside])
    done = ~np.isnan(area)
    settled[idx[~done]] = False
    return settled, idx[done], inter[done], area[done]


def _polygon_overlaps(geoms, lines: PreparedLines, noise_m2: float, rings=None):
    # Bounding-box candidates. Where project and piece are both small convex polygons (parcels
    # against road strips, most pairs of a county) the overlap is clipped in numpy
    # (:mod:`townplan_gis.fiveline.convex`). For the others the predicates run on the (prepared)
    # pieces: cheaper than a predicate query, which prepares every project. A project the piece
    # covers is its own overlap; only the others are intersected.
    left, right = lines.piece_tree.query(geoms)
    g = geoms[left]
    inter = np.full(len(left), None, dtype=object)
    area = np.zeros(len(left))
    rest = np.ones(len(left), dtype=bool)
    if rings is None:
        rings = convex_rings(geoms)
    if lines.piece_convex.ok.any():
        settled, done, c_inter, c_area = _convex_overlaps(g, left, right, rings, lines, noise_m2)
        inter[done], area[done] = c_inter, c_area
        rest = ~settled
    idx = np.flatnonzero(rest)
    p = lines.pieces[right[idx]]
    inside = shapely.covers(p, g[idx])
    cut = ~inside
    hit = inside.copy()
    hit[cut] = shapely.intersects(p[cut], g[idx[cut]])
    idx, p, inside = idx[hit], p[hit], inside[hit]
    inter[idx] = g[idx]
    area[idx] = np.nan
    cut = idx[~inside]
    # A convex project cuts the piece (a river, a park) by Sutherland–Hodgman in numpy; GEOS
    # takes what that hands back (pieces with holes, parts that fall apart).
    sh = cut[rings.ok[left[cut]] & ~lines.piece_rect[right[cut]]]
    if len(sh):
        area[sh], inter[sh] = clip_to_convex(
            lines.pieces[right[sh]], rings, left[sh], min_area=noise_m2
        )
    cut = cut[np.isnan(area[cut])]
    if len(cut):
        inter[cut] = keep_dimension(
            _intersect(g[cut], lines.pieces[right[cut]], right[cut], lines), 2
        )
    todo = idx[np.isnan(area[idx])]
    area[todo] = shapely.area(inter[todo])
    # Edge-touching pairs intersect in a line (area 0) or in float noise; neither is an overlap.
    ok = area > noise_m2
    left, line = left[ok], lines.piece_line[right[ok]]
    pos, line, merged, area = aggregate_pieces(left, line, inter[ok], area[ok], len(lines))
    return pos, line, merged, area, np.zeros(len(area))


def _line_overlaps(geoms, lines: PreparedLines):
    left, right = lines.tree.query(geoms, predicate="intersects")
    g, L = geoms[left], lines.prepared_geoms()[right]
    keep = ~shapely.touches(g, L)
    left, right, g, L = left[keep], right[keep], g[keep], L[keep]
    inside = shapely.contains_properly(L, g)
    inter = g.copy()
    cut = ~inside
    if cut.any():
        part = keep_dimension(shapely.intersection(g[cut], L[cut]), 1)
        # A stretch running along the polygon's edge is edge contact, not overlap.
        boundary = shapely.boundary(L[cut])
        on_edge = keep_dimension(shapely.intersection(part, boundary), 1)
        along = shapely.length(on_edge) > 0
        if along.any():
            part[along] = keep_dimension(shapely.difference(part[along], boundary[along]), 1)
        inter[cut] = part
    length = shapely.length(inter)
    ok = length > 0
    return left[ok], right[ok], inter[ok], np.zeros(ok.sum()), length[ok]


def _point_overlaps(geoms, lines: PreparedLines):
    # "within": the point lies in the polygon's interior; a point on the boundary is edge contact.
    left, right = lines.tree.query(geoms, predicate="within")
    n = len(left)
    return left, right, geoms[left], np.zeros(n), np.zeros(n)


def _overlap_rows(
    chunk: pd.DataFrame, lines: PreparedLines, rules: Rules, rings: ConvexRings | None = None
) -> dict | None:
    geoms = np.asarray(chunk.geometry.array, dtype=object)
    dim = chunk["_dim"].to_numpy()
    # Which dimensions each project holds: a collection (a site plus its road) is reviewed part by
    # part, each part by its own measure, every row tied to the one project.
    if "_parts" in chunk:
        held = chunk["_parts"].to_numpy()
    else:
        held = np.where(dim >= 0, 1 << np.maximum(dim, 0), 0)
    parts = []
    for d, func in ((2, _polygon_overlaps), (1, _line_overlaps), (0, _point_overlaps)):
        idx = np.flatnonzero(held & (1 << d))
        if not len(idx) or not len(lines.pieces):
            continue
        g = geoms[idx]
        mixed = shapely.get_type_id(g) == 7
        if mixed.any():
            g = g.copy()
            g[mixed] = keep_dimension(g[mixed], d)
        if d == 2:
            own = rings.take(idx) if rings is not None else None
            args = (g, lines, rules.tolerance["noise_m2"], own)
        else:
            args = (g, lines)
        left, line, geom, area, length = func(*args)
        parts.append((idx[left], line, geom, area, length, np.full(len(left), d, dtype=np.int64)))
    if not parts:
        return None
    pos, line, geom, area, length, part_dim = (np.concatenate(x) for x in zip(*parts, strict=True))
    n = len(pos)
    return {
        "_row": pos,
        "_line": line,
        "_setback": np.zeros(n, dtype=bool),
        "_rank": np.zeros(n, dtype=np.int64),
        "_dim": part_dim,
        "overlap_area_m2": area.astype(float),
        "overlap_length_m": length.astype(float),
        "distance_m": np.zeros(n),
        "geometry": np.asarray(geom, dtype=object),
    }


def _merge(ov: dict, sb: dict) -> dict:
    """Finished overlap rows followed by finished setback rows (whose rule codes are unused)."""
    out = {k: np.concatenate([v, sb[k]]) for k, v in ov.items() if isinstance(v, np.ndarray)}
    out["_rules"] = ov["_rules"]
    out["_sb_text"] = sb["_sb_text"]
    return out


def review_rows(
    projects: pd.DataFrame,
    lines: PreparedLines,
    rules: Rules,
    settings: Mapping[str, Any] | None = None,
    rings: ConvexRings | None = None,
) -> dict | None:
    """:func:`review_chunk`'s rows as columns, before any frame is built (what the engines use).

    Returns
    -------
    dict or None
        The columns of :func:`review_chunk` (numpy arrays, Arrow string arrays for the reasons,
        :class:`~townplan_gis.fiveline.text.Coded` for the repeated texts) plus ``_setback`` (bool)
        and ``geometry`` (an object array); None when the chunk has no conflict row.
        :func:`join_rows` makes the conflicts frame of several.
    """
    settings = dict(settings or {})
    chunk = projects.reset_index(drop=True)
    ov = _overlap_rows(chunk, lines, rules, rings)
    rows = finish_rows(ov, chunk, lines, rules) if ov is not None else None
    if settings.get("setbacks", True) and len(lines.zones):
        # A (project, line) pair with a real (non-ignored) overlap gets no setback finding: it is
        # left out before any distance or band geometry is computed for it.
        covered = None
        if rows is not None:
            real = ~rows["ignored"]
            covered = rows["_row"][real].astype(np.int64) * len(lines) + rows["_line"][real]
        sb = _setbacks.setback_rows(chunk, lines, rules, covered=covered, rings=rings)
        if sb is not None:
            sb = finish_rows(sb, chunk, lines, rules)
            rows = sb if rows is None else _merge(rows, sb)
    if rows is None or not len(rows["_row"]):
        return None
    text = text_columns(rows, chunk, lines, rules)
    rows["_lt"] = lines.arrays["line_type_code"][rows["_line"]]
    # Projects' input order, stable within a project (overlaps before setbacks).
    order = np.argsort(rows["_pos"], kind="stable")
    if np.all(order == np.arange(len(order))):
        order = None
    pick = None if order is None else pa.array(order)
    out = {}
    for c in (*_ROW_COLUMNS, "_setback", "geometry"):
        v = text.get(c, rows.get(c))
        if order is None:
            out[c] = v
        elif isinstance(v, Coded):
            out[c] = v.take(order)
        elif isinstance(v, pa.Array):
            out[c] = v.take(pick)
        else:
            out[c] = v[order]
    return out


def review_chunk(
    projects: pd.DataFrame,
    lines: PreparedLines,
    rules: Rules,
    settings: Mapping[str, Any] | None = None,
    rings: ConvexRings | None = None,
) -> gpd.GeoDataFrame:
    """Review one chunk of prepared projects against prepared control lines.

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        Output of :func:`townplan_gis.fiveline.prepare.prepare_projects` (or a slice of it): columns
        ``project_id, project_name, project_type, _pos`` (position in the full input), ``_dim``
        (0 point, 1 line, 2 polygon, −1 invalid: skipped) and ``_size`` (m² or m), in the lines' CRS.
    lines : PreparedLines
        From :func:`prepare_lines`, shared read-only by every chunk.
    rules : Rules
    settings : mapping, optional
        ``{"setbacks": bool}`` (default True).
    rings : ConvexRings, optional
        The chunk's convex rings, row by row (``prepare_projects(..., rings=True)``); computed
        here when not given.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per project × line feature (``check = "overlap"``) and per setback finding
        (``check = "setback"``), with :data:`CONFLICT_COLUMNS` plus ``_pos`` and ``_line``
        (positions of the project and the line), ``_rank`` (grade rank) and ``_lt`` (line type
        code, position in ``LINE_TYPES``), geometry = the overlap or the part of the
        project inside the setback band.
    """
    return join_rows([review_rows(projects, lines, rules, settings, rings)], lines.crs)


def join_rows(blocks: list[dict | None], crs) -> gpd.GeoDataFrame:
    """The conflicts frame of :func:`review_rows` outputs, one after the other.

    Numbers are concatenated, Arrow reasons chained without copying, and each coded text column
    is expanded once, for all rows (:class:`~townplan_gis.fiveline.text.Coded`).
    """
    blocks = [b for b in blocks if b is not None and len(b["_pos"])]
    if not blocks:
        return _empty_conflicts(crs)
    data = {}
    for c in _ROW_COLUMNS:
        parts = [b[c] for b in blocks]
        if isinstance(parts[0], Coded):
            data[c] = pd.Series(Coded.concat(parts).values(), dtype=object, copy=False)
        elif isinstance(parts[0], pa.Array):
            data[c] = pd.Series(pa.chunked_array(parts), dtype=STR)
        else:
            data[c] = pd.Series(np.concatenate(parts), dtype=_DTYPES.get(c), copy=False)
    geoms = np.concatenate([np.asarray(b["geometry"], dtype=object) for b in blocks])
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=crs), copy=False)


def _empty_conflicts(crs) -> gpd.GeoDataFrame:
    """No conflict rows: the columns of :func:`review_chunk` with their dtypes."""
    cols = {c: pd.Series(dtype=_DTYPES.get(c, "object")) for c in _ROW_COLUMNS}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(crs=crs))
