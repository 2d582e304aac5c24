"""The vectorised overlap kernel: projects × control lines, one chunk of projects at a time.

Design (tech notes, "Spatial joins and overlaps on 2 cores"):

* control polygons with more than ``max_vertices`` vertices (rivers, long green belts) are cut into
  pieces by recursive halving of their bounding box (``ST_Subdivide`` style, see
  :mod:`townplan_gis.review.pieces`), so that each intersection works on a small geometry; piece
  results are re-aggregated to their original feature;
* one ``STRtree`` bulk query per geometry family finds the candidate pairs (for polygon projects by
  bounding box, then ``covers`` / ``intersects`` on the prepared pieces);
* a project wholly inside a piece *is* its overlap, so no intersection is computed for it; a piece
  that is an axis-aligned box is clipped with ``clip_by_rect`` instead of intersected;
* every other step (intersection, area, sliver test, grading, reasons) runs on whole arrays — no
  Python loop per pair. shapely 2 and Arrow release the GIL in these calls, so chunks run in
  parallel threads.

:func:`review_chunk` is the unit of work for every engine (threads here, dask in
``townplan_gis.review.dask_engine``): it takes a chunk of *prepared* projects (see
:func:`townplan_gis.review.projects.prepare_projects`) and the :class:`PreparedLines`, and returns the
chunk's conflict rows. Projects never span chunks, so per-project totals (:func:`type_totals`) can be
computed per chunk too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from townplan_gis.geometry import keep_dimension
from townplan_gis.review import setbacks as _setbacks
from townplan_gis.review.convex import (
    ConvexRings,
    apart,
    clip_to_convex,
    convex_overlap,
    convex_rings,
)
from townplan_gis.review.grading import LINE_ZH, ZONE_ZH, finish_rows, text_columns
from townplan_gis.review.pieces import (
    aggregate_pieces,
    axis_rectangles,
    clip_to_boxes,
    grouped_union,
    own_copies,
    own_prepared,
    split_map,
    subdivide,
)
from townplan_gis.review.rules import Rules
from townplan_gis.review.text import STR, Coded, strings
from townplan_gis.review.totals import TOTAL_COLUMNS, type_totals
from townplan_gis.schema import LINE_TYPES

__all__ = [
    "CONFLICT_COLUMNS",
    "TOTAL_COLUMNS",
    "PreparedLines",
    "axis_rectangles",
    "grouped_union",
    "join_rows",
    "prepare_lines",
    "review_chunk",
    "review_rows",
    "setback_distances",
    "setback_zones",
    "subdivide",
    "type_totals",
    "with_setback_bands",
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


@dataclass
class PreparedLines:
    """Control lines ready for many chunks: attributes, original geometries, pieces and trees.

    Attributes
    ----------
    attrs : pandas.DataFrame
        Positional (0..n-1): ``line_id, line_name, line_type, zone, road_class, area_m2, setback_m,
        sliver_exempt``.
    geoms : ndarray of shapely geometries
        The original (repaired) polygons; ``tree`` indexes them (:meth:`prepared_geoms`: prepared).
    pieces, piece_line : ndarray
        Subdivided pieces and the position of the line each belongs to; ``piece_tree`` indexes them.
    piece_rect : ndarray of bool
        Which pieces are axis-aligned rectangles (clipped by :func:`shapely.clip_by_rect`).
    piece_convex : ConvexRings
        Which pieces are small convex polygons, with their rings
        (:mod:`townplan_gis.review.convex`).
    zones, zone_line : ndarray
        Setback zones ``buffer(line, d)`` of red and blue lines, subdivided, and the line each
        belongs to; empty when not needed. The setback band is the zone minus the line.
    sb_piece : ndarray of int
        The pieces of lines with a setback distance; ``sb_tree`` indexes them.
    type_trees : dict
        Line-type code (position in ``LINE_TYPES``) → (STRtree of the pieces of that type, their
        positions in ``pieces``): the nearest-feature search of
        :func:`~townplan_gis.review.checks.chunk_checks`.
    """

    attrs: pd.DataFrame
    geoms: np.ndarray
    tree: shapely.STRtree
    pieces: np.ndarray
    piece_line: np.ndarray
    piece_tree: shapely.STRtree
    zones: np.ndarray
    zone_line: np.ndarray
    zone_tree: shapely.STRtree
    max_setback_m: float
    crs: Any = None
    piece_rect: np.ndarray | None = None
    piece_convex: ConvexRings | None = None
    sb_piece: np.ndarray | None = None
    sb_tree: Any = None
    arrays: dict = field(default_factory=dict, repr=False)
    text: dict = field(default_factory=dict, repr=False)
    line_table: list = field(default_factory=list, repr=False)
    type_trees: dict = field(default_factory=dict, repr=False)

    def for_thread(self) -> PreparedLines:
        """A copy whose prepared geometries belong to the calling thread alone.

        GEOS builds a prepared geometry's indexes lazily, on its first predicate call, without a
        lock: two threads calling a predicate (``covers``, ``intersects``) on the same prepared piece
        crash the process (seen as a segfault with 5,000-project chunks on two threads). Each worker thread therefore
        prepares its own clones of the pieces (and, on first use, of the whole polygons); the
        STRtrees are read-only after construction and stay shared, and the setback zones are
        never used prepared.
        """

        return replace(self, pieces=own_prepared(self.pieces))

    def prepared_geoms(self) -> np.ndarray:
        """The whole line polygons, prepared — a private copy made on first use (line projects
        only), so it belongs to the thread that owns this object."""
        if self._prepared_geoms is None:
            self._prepared_geoms = own_prepared(self.geoms)
        return self._prepared_geoms

    def __post_init__(self) -> None:
        self._prepared_geoms = None
        if self.piece_rect is None:
            self.piece_rect = axis_rectangles(self.pieces)
        if self.piece_convex is None:
            self.piece_convex = convex_rings(self.pieces)
        if self.arrays:
            return  # a copy (for_thread, with_setback_bands): the per-line tables carry over
        # Plain numpy columns for the per-row takes of every chunk (no pandas overhead per chunk).
        a = self.attrs
        obj = {
            c: a[c].to_numpy(dtype=object)
            for c in ("line_type", "line_id", "line_name", "zone", "road_class")
        }
        obj["zone"] = np.where(pd.isna(obj["zone"]), None, obj["zone"])
        label = np.where(pd.isna(obj["line_name"]), obj["line_id"], obj["line_name"]).astype(str)
        line_zh = np.array([LINE_ZH.get(t, t) for t in obj["line_type"]], dtype=object)
        zone = [z if isinstance(z, str) else "" for z in obj["zone"]]
        # The line's part of every reason, built once per line instead of once per conflict row.
        what_en = [
            f"{t}{f' ({z})' if z else ''} '{lab}'"
            for t, z, lab in zip(line_zh, zone, label, strict=True)
        ]
        what_zh = [
            f"{t}{ZONE_ZH.get(z, '')}「{lab}」"
            for t, z, lab in zip(line_zh, zone, label, strict=True)
        ]
        keys, table = pd.factorize(
            pd.MultiIndex.from_arrays([obj["line_type"].astype(str), np.array(zone, dtype=object)])
        )
        self.line_table = [(lt, z or None) for lt, z in table]
        self.text = {
            "what_en": strings(what_en),
            "what_zh": strings(what_zh),
            "label": strings(label),
            "line_zh": strings(line_zh),
        }
        self.arrays = {
            **obj,
            "line_key": keys.astype(np.int64),
            "line_type_code": pd.Categorical(
                obj["line_type"], categories=list(LINE_TYPES)
            ).codes.astype(np.int8),
            "area_m2": a["area_m2"].to_numpy(dtype=float),
            "setback_m": a["setback_m"].to_numpy(dtype=float),
            "sliver_exempt": a["sliver_exempt"].to_numpy(dtype=bool),
            "overlaps_same_type": a["overlaps_same_type"].to_numpy(dtype=bool),
        }
        piece_type = self.arrays["line_type_code"][self.piece_line]
        for k in np.unique(piece_type):
            own = np.flatnonzero(piece_type == k)
            self.type_trees[int(k)] = (shapely.STRtree(self.pieces[own]), own)

    def __len__(self) -> int:
        return len(self.attrs)


def setback_distances(lines: pd.DataFrame, rules: Rules) -> np.ndarray:
    """Required setback per line in metres (NaN where none).

    The line's own ``setback_m`` where given (red and blue lines), else ``[setbacks.distance_m]``
    of the rule file: by ``road_class`` for red lines (``red_default`` without one), ``blue`` for
    blue lines. Other line types have none.
    """
    table = rules.setbacks["distance_m"]
    lt = lines["line_type"].to_numpy(dtype=object)
    if "road_class" in lines:
        by_class = lines["road_class"].astype(object).map(table).astype("float64").to_numpy()
    else:
        by_class = np.full(len(lt), np.nan)
    red = np.where(np.isnan(by_class), table.get("red_default", np.nan), by_class)
    dist = np.where(lt == "red", red, np.where(lt == "blue", table.get("blue", np.nan), np.nan))
    if "setback_m" in lines:
        own = pd.to_numeric(lines["setback_m"], errors="coerce").to_numpy(dtype="float64")
        dist = np.where(np.isfinite(own) & np.isin(lt, ["red", "blue"]), own, dist)
    return np.where(dist > 0, dist, np.nan)


def _overlaps_same_type(
    pieces, piece_line, line_type, n: int, tree: shapely.STRtree, convex: ConvexRings
) -> np.ndarray:
    """Whether each line's interior meets another line of its type (then per-project totals need a
    union; otherwise the overlaps of one type are disjoint and their areas simply add up)."""
    # Bounding-box pairs of one type first; the interior test runs on those only.
    left, right = tree.query(pieces)
    a, b = piece_line[left], piece_line[right]
    sel = (a < b) & (line_type[a] == line_type[b])
    left, right, a, b = left[sel], right[sel], a[sel], b[sel]
    inner = np.zeros(len(left), dtype=bool)
    # Two small convex pieces (road strips, most pairs): the separating-axis test in numpy.
    both = convex.ok[left] & convex.ok[right]
    c = np.flatnonzero(both)
    inner[c] = ~(
        apart(convex, left[c], convex, right[c], touching=True)
        | apart(convex, right[c], convex, left[c], touching=True)
    )
    # The others: interiors meet when the pieces intersect without only touching. Both
    # predicates run on the prepared pieces, 2× cheaper than the DE-9IM pattern "T********".
    g = np.flatnonzero(~both)
    x, y = pieces[left[g]], pieces[right[g]]
    hit = shapely.intersects(x, y)
    hit[hit] = ~shapely.touches(x[hit], y[hit])
    inner[g] = hit
    flag = np.zeros(n, dtype=bool)
    flag[a[inner]] = True
    flag[b[inner]] = True
    return flag


def prepare_lines(
    lines: gpd.GeoDataFrame,
    rules: Rules,
    *,
    max_vertices: int = 256,
    setbacks: bool = True,
    n_jobs: int = 1,
) -> PreparedLines:
    """Index normalised control lines for :func:`review_chunk`.

    Parameters
    ----------
    lines : geopandas.GeoDataFrame
        Control lines after :func:`townplan_gis.normalize_layer` (``line_type``, ``zone``, ``name``,
        ``code``; optional ``road_class`` and ``setback_m``), in the analysis CRS.
    rules : Rules
    max_vertices : int, default 256
        Polygons with more vertices are subdivided.
    setbacks : bool, default True
        Build setback zones for red and blue lines (:func:`with_setback_bands`).
    n_jobs : int, default 1
        Threads for the subdivision and the setback zones.

    Returns
    -------
    PreparedLines
        Per line: attributes, area (m²) and required setback (m, NaN where none: the per-line
        ``setback_m``, else ``[setbacks.distance_m]`` of the rule file by road class, ``blue`` for
        blue lines); ``lines`` is not modified.
    """
    geoms = np.asarray(lines.geometry.array, dtype=object)
    n = len(geoms)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    code = lines["code"] if "code" in lines else pd.Series(None, index=lines.index)
    labels = pd.Series([str(i) for i in lines.index], index=lines.index)
    attrs = pd.DataFrame(
        {
            "line_id": code.where(code.notna(), labels).astype(str).to_numpy(),
            "line_name": lines["name"].to_numpy() if "name" in lines else None,
            "line_type": lines["line_type"].to_numpy(),
            "zone": lines["zone"].to_numpy() if "zone" in lines else None,
            "road_class": lines["road_class"].to_numpy() if "road_class" in lines else None,
            "setback_m": setback_distances(lines, rules),
            "area_m2": shapely.area(geoms),
        },
        index=pd.RangeIndex(n),
    )
    # Once per (line type, zone) pair, not per line.
    kinds = pd.MultiIndex.from_arrays([attrs["line_type"], attrs["zone"].astype(object)])
    codes, pairs = pd.factorize(kinds)
    exempt = np.array(
        [rules.sliver_exempt(lt, z if isinstance(z, str) else None) for lt, z in pairs], dtype=bool
    )
    attrs["sliver_exempt"] = exempt[codes] if len(codes) else np.zeros(0, dtype=bool)
    pieces, owner = subdivide(geoms[usable], max_vertices=max_vertices, n_jobs=n_jobs)
    # Polygons small enough to stay whole are the caller's objects: the pieces are copies, so that
    # preparing them below never touches (or races on) the caller's geometries.
    pieces = own_copies(pieces)
    piece_line = np.flatnonzero(usable)[owner]
    shapely.prepare(pieces)
    piece_tree = shapely.STRtree(pieces)
    piece_convex = convex_rings(pieces)
    attrs["overlaps_same_type"] = _overlaps_same_type(
        pieces, piece_line, attrs["line_type"].to_numpy(dtype=object), n, piece_tree, piece_convex
    )
    empty = np.empty(0, dtype=object)
    prepared = PreparedLines(
        attrs=attrs,
        geoms=geoms,
        tree=shapely.STRtree(np.where(usable, geoms, None)),
        pieces=pieces,
        piece_line=piece_line,
        piece_tree=piece_tree,
        piece_convex=piece_convex,
        zones=empty,
        zone_line=np.empty(0, dtype=np.int64),
        zone_tree=shapely.STRtree(empty),
        max_setback_m=0.0,
        crs=lines.crs,
    )
    if setbacks:
        prepared = with_setback_bands(prepared, max_vertices=max_vertices, n_jobs=n_jobs)
    return prepared


def setback_zones(
    geoms: np.ndarray, distance_m: np.ndarray, *, max_vertices: int = 256, n_jobs: int = 1
) -> tuple | None:
    """The setback zones ``buffer(L, d)`` of the lines with a setback distance, subdivided.

    Parameters
    ----------
    geoms : numpy.ndarray of polygons
        The control lines (as in ``PreparedLines.geoms``).
    distance_m : numpy.ndarray of float
        Required setback per line in metres, NaN where none (:func:`setback_distances`).

    Returns
    -------
    tuple or None
        ``(zones, zone_line, tree, d_max)``: the zone pieces, the line each belongs to, their
        STRtree and the largest distance; None when no line has a setback.
    """
    sel = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & np.isfinite(distance_m)
    if not sel.any():
        return None
    d = distance_m[sel]
    weight = shapely.get_num_coordinates(geoms[sel])
    parts = split_map(shapely.buffer, n_jobs, geoms[sel], d, weight=weight)
    zones, owner = subdivide(np.concatenate(parts), max_vertices=max_vertices, n_jobs=n_jobs)
    return zones, np.flatnonzero(sel)[owner], shapely.STRtree(zones), float(d.max())


def with_setback_bands(
    lines: PreparedLines, *, max_vertices: int = 256, n_jobs: int = 1, zones: tuple | None = None
) -> PreparedLines:
    """A copy of ``lines`` with the setback zones ``buffer(L, d)`` of every line with a setback.

    ``d`` is the line's required setback in metres (``attrs["setback_m"]``); the zones are
    subdivided like the lines. The band a finding is drawn from is the zone minus the line
    (:mod:`townplan_gis.review.setbacks`): kept as the zone, without a hole, a convex project cuts
    it in numpy, and only the few projects that touch the line pay for the difference.
    ``zones`` may be :func:`setback_zones` of the same lines, computed beforehand (the review
    builds them while it prepares the projects). ``lines`` itself is returned when no line has a
    setback.
    """
    if zones is None:
        zones = setback_zones(
            lines.geoms,
            lines.attrs["setback_m"].to_numpy(dtype=float),
            max_vertices=max_vertices,
            n_jobs=n_jobs,
        )
    if zones is None:
        return lines
    pieces, zone_line, tree, d_max = zones
    sb_piece = np.flatnonzero(
        np.isfinite(lines.attrs["setback_m"].to_numpy(dtype=float))[lines.piece_line]
    )
    return replace(
        lines,
        zones=pieces,
        zone_line=zone_line,
        zone_tree=tree,
        max_setback_m=d_max,
        sb_piece=sb_piece,
        sb_tree=shapely.STRtree(lines.pieces[sb_piece]),
        text={
            **lines.text,
            **_setbacks.class_texts(lines.arrays["road_class"], lines.arrays["line_type"]),
        },
    )


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
    clipping the convex path hands back (:func:`~townplan_gis.review.convex.convex_overlap`
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
    # (:mod:`townplan_gis.review.convex`). For the others the predicates run on the (prepared)
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
        :class:`~townplan_gis.review.text.Coded` for the repeated texts) plus ``_setback`` (bool)
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
        Output of :func:`townplan_gis.review.projects.prepare_projects` (or a slice of it): columns
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
    is expanded once, for all rows (:class:`~townplan_gis.review.text.Coded`).
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
