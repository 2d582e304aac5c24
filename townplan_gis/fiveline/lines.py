"""Control lines prepared once for many chunks of projects: attributes, pieces, spatial indexes,
setback distances and zones (:class:`PreparedLines`, :func:`prepare_lines`).

Every engine reviews chunks of projects against the same :class:`PreparedLines`; the grading,
setback and totals modules take it as their shared input type, so it lives apart from the kernel
that uses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyproj
import shapely

from townplan_gis.core.geometry import parts_of
from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.fiveline.line_texts import class_texts, where_texts
from townplan_gis.fiveline.pieces import own_copies, own_prepared, split_map, subdivide
from townplan_gis.fiveline.rules import Rules

__all__ = [
    "PreparedLines",
    "prepare_lines",
    "setback_distances",
    "setback_zones",
    "with_setback_bands",
]


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
        Subdivided pieces (single polygons: a multipolygon's parts are pieces of their own) and the
        position of the line each belongs to; ``piece_tree`` indexes them. Not prepared: threads
        share them (:meth:`for_thread`).
    zones, zone_line : ndarray
        Setback zones ``buffer(line, d)`` of red and blue lines, subdivided, and the line each
        belongs to; empty when not needed. The setback band is the zone minus the line.
    sb_piece : ndarray of int
        The pieces of lines with a setback distance; ``sb_tree`` indexes their boxes grown by
        their line's setback (``sb_tree`` position *i* is piece ``sb_piece[i]``).
    type_trees : dict
        Line-type code (position in ``LINE_TYPES``) → (STRtree of the pieces of that type, their
        positions in ``pieces``): the nearest-feature search of
        :func:`~townplan_gis.fiveline.checks.chunk_checks`.
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
    crs: pyproj.CRS | None = None
    sb_piece: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    sb_tree: shapely.STRtree = field(default_factory=lambda: shapely.STRtree([]))
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    text: dict[str, pa.Array] = field(default_factory=dict, repr=False)
    line_table: list[tuple[str, str | None]] = field(default_factory=list, repr=False)
    type_trees: dict[int, tuple[shapely.STRtree, np.ndarray]] = field(
        default_factory=dict, repr=False
    )
    _prepared_geoms: np.ndarray | None = field(default=None, init=False, repr=False)

    def for_thread(self, *, prepared: bool = True) -> PreparedLines:
        """A copy whose prepared geometries belong to the calling thread alone.

        GEOS builds a prepared geometry's indexes lazily, on its first predicate call, without a
        lock: two threads calling a predicate (``covers``, ``intersects``) on the same prepared piece
        crash the process (seen as a segfault with 5,000-project chunks on two threads). The pieces
        are therefore never prepared where they are shared (:func:`prepare_lines` leaves them
        plain); with ``prepared`` (an engine whose predicates on the pieces answer faster
        prepared, :attr:`Reference.prepared_pieces <townplan_gis.fiveline.overlap.Reference.prepared_pieces>`)
        the copy holds clones of the pieces prepared for this thread alone. The whole polygons are
        prepared on first use, per copy; the STRtrees are read-only after construction and stay
        shared, and the setback zones are never used prepared.
        """
        if not prepared:
            return replace(self)  # its own cache of prepared whole polygons, the pieces shared
        return replace(self, pieces=own_prepared(self.pieces))

    def release_chunk_state(self) -> None:
        """Drop, in place, what only the chunks read — the setback zones and their indexes, the
        trees of the whole lines and of the pieces — once a review's chunks are done (≈ 0.1 GB at
        10⁵ control lines). What is kept serves the conflicts frame and the evidence table's
        nearest-feature search, which a :class:`~townplan_gis.fiveline.result.Review` runs when its
        checks are first read: the per-line tables, the pieces and their per-type trees."""
        none = np.empty(0, dtype=object)
        self.tree = self.piece_tree = self.zone_tree = self.sb_tree = shapely.STRtree(none)
        self.zones = none
        self.zone_line = np.empty(0, dtype=np.int64)
        self.sb_piece = np.zeros(0, np.int64)

    def prepared_geoms(self) -> np.ndarray:
        """The whole line polygons, prepared — a private copy made on first use (line projects
        only), so it belongs to the thread that owns this object."""
        if self._prepared_geoms is None:
            self._prepared_geoms = own_prepared(self.geoms)
        return self._prepared_geoms

    def __post_init__(self) -> None:
        self._prepared_geoms = None
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
        # The line's part of every reason, built once per line instead of once per conflict row.
        zone = np.array([z if isinstance(z, str) else "" for z in obj["zone"]], dtype=object)
        self.text = where_texts(obj["line_type"], zone, label)
        keys, table = _factorize_pairs(obj["line_type"].astype(str).astype(object), zone)
        self.line_table = [(lt, z or None) for lt, z in table]
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


def _factorize_pairs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, list[tuple]]:
    """``pd.factorize`` of the pairs ``(a[i], b[i])``: codes in order of first appearance, and the
    distinct pairs (a missing value of ``b`` as NaN), as a MultiIndex factorizes them — but from
    the codes of each column, without a tuple per row (0.2 s under the GIL at 10⁵ lines)."""
    ca, ua = pd.factorize(a, use_na_sentinel=False)
    cb, ub = pd.factorize(b, use_na_sentinel=False)
    width = max(len(ub), 1)
    codes, keys = pd.factorize(ca.astype(np.int64) * width + cb)
    return codes.astype(np.int64), [(ua[k // width], ub[k % width]) for k in keys]


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


def _interiors_meet(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    # Interiors meet when the polygons intersect without only touching: two predicates, cheaper
    # than the DE-9IM pattern "T********" in one.
    inner = shapely.intersects(x, y)
    inner[inner] = ~shapely.touches(x[inner], y[inner])
    return inner


def _overlaps_same_type(
    pieces: np.ndarray,
    piece_line: np.ndarray,
    line_type: np.ndarray,
    n: int,
    tree: shapely.STRtree,
    *,
    n_jobs: int = 1,
) -> np.ndarray:
    """Whether each line's interior meets another line of its type (then per-project totals need a
    union; otherwise the overlaps of one type are disjoint and their areas simply add up).

    ``pieces`` must not be prepared yet: the test runs in ``n_jobs`` threads, which may share a
    piece, and GEOS builds a prepared geometry's index lazily without a lock. Unprepared, each
    call reads the pieces only (and, at 10⁵ pieces, is no slower than on prepared ones).
    """
    # Bounding-box pairs of one type first; the interior test runs on those only.
    left, right = tree.query(pieces)
    a, b = piece_line[left], piece_line[right]
    sel = (a < b) & (line_type[a] == line_type[b])
    left, right, a, b = left[sel], right[sel], a[sel], b[sel]
    parts = split_map(_interiors_meet, n_jobs, pieces[left], pieces[right])
    inner = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
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
    codes, pairs = _factorize_pairs(
        attrs["line_type"].to_numpy(dtype=object), attrs["zone"].to_numpy(dtype=object)
    )
    exempt = np.array(
        [rules.sliver_exempt(lt, z if isinstance(z, str) else None) for lt, z in pairs], dtype=bool
    )
    attrs["sliver_exempt"] = exempt[codes] if len(codes) else np.zeros(0, dtype=bool)
    pieces, owner = subdivide(geoms[usable], max_vertices=max_vertices, n_jobs=n_jobs)
    pieces, part_of = parts_of(pieces)
    # Polygons small enough to stay whole are the caller's objects: the pieces are copies, so that
    # preparing them below never touches (or races on) the caller's geometries.
    pieces = own_copies(pieces)
    piece_line = np.flatnonzero(usable)[owner[part_of]]
    piece_tree = shapely.STRtree(pieces)
    attrs["overlaps_same_type"] = _overlaps_same_type(
        pieces,
        piece_line,
        attrs["line_type"].to_numpy(dtype=object),
        n,
        piece_tree,
        n_jobs=n_jobs,
    )
    empty = np.empty(0, dtype=object)
    prepared = PreparedLines(
        attrs=attrs,
        geoms=geoms,
        tree=shapely.STRtree(_usable_or_none(geoms, usable)),
        pieces=pieces,
        piece_line=piece_line,
        piece_tree=piece_tree,
        zones=empty,
        zone_line=np.empty(0, dtype=np.int64),
        zone_tree=shapely.STRtree(empty),
        max_setback_m=0.0,
        crs=lines.crs,
    )
    if setbacks:
        prepared = with_setback_bands(prepared, max_vertices=max_vertices, n_jobs=n_jobs)
    return prepared


def _usable_or_none(geoms: np.ndarray, usable: np.ndarray) -> np.ndarray:
    out = geoms.copy()
    out[~usable] = None
    return out


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
    zones, part_of = parts_of(zones)  # the buffers are this review's own objects
    return zones, np.flatnonzero(sel)[owner[part_of]], shapely.STRtree(zones), float(d.max())


def with_setback_bands(
    lines: PreparedLines, *, max_vertices: int = 256, n_jobs: int = 1, zones: tuple | None = None
) -> PreparedLines:
    """A copy of ``lines`` with the setback zones ``buffer(L, d)`` of every line with a setback.

    ``d`` is the line's required setback in metres (``attrs["setback_m"]``); the zones are
    subdivided like the lines. The band a finding is drawn from is the zone minus the line
    (:mod:`townplan_gis.fiveline.setbacks`): kept as the zone, without a hole, a convex project cuts
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
    setback = lines.attrs["setback_m"].to_numpy(dtype=float)
    sb_piece = np.flatnonzero(np.isfinite(setback)[lines.piece_line])
    # Each piece's box grown by its own line's setback: a project's box meets it exactly when the
    # project may lie within the setback, so a chunk queries its projects as they are (no grown
    # box per project) and meets only the pieces whose distance can matter.
    grow = setback[lines.piece_line[sb_piece]]
    x0, y0, x1, y1 = shapely.bounds(lines.pieces[sb_piece]).T
    reach = shapely.box(x0 - grow, y0 - grow, x1 + grow, y1 + grow)
    return replace(
        lines,
        zones=pieces,
        zone_line=zone_line,
        zone_tree=tree,
        max_setback_m=d_max,
        sb_piece=sb_piece,
        sb_tree=shapely.STRtree(reach),
        text={
            **lines.text,
            **class_texts(lines.arrays["road_class"], lines.arrays["line_type"]),
        },
    )
