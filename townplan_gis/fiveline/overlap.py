"""The reference engine: how each project's overlap with each control line is measured, plainly.

One chunk of prepared projects against the prepared control lines (:class:`PreparedLines`):

1. **subdivide** — control polygons of many vertices (rivers, long belts) were cut into pieces
   when the lines were prepared (:func:`~townplan_gis.fiveline.pieces.subdivide`), so each
   intersection below works on a small polygon;
2. **one bulk query** — ``STRtree.query(projects, predicate="intersects")`` over the pieces gives
   every (project, piece) pair that meets;
3. **``contains_properly`` shortcut** — a project inside a piece *is* its overlap: no intersection;
4. **vectorised intersection** of the other pairs, one ``shapely.intersection`` call;
5. **measures** — area for polygon projects, length for line projects (a stretch along the
   polygon's edge is contact, not overlap), inside-or-not for points; a GeometryCollection is
   measured part by part, each part by its own measure; the pieces of one line are summed per
   (project, line) and their geometries unioned (:func:`~townplan_gis.fiveline.pieces.aggregate_pieces`);
6. **per-type totals by union** — :meth:`Reference.union_measures`: per project and line type,
   the union of its overlaps, measured once (overlapping lines of one type count once).

Pairs that only touch (edge or corner contact, or an overlap below the rule file's ``noise_m2``)
are no overlap. Every step is a vectorised shapely call over all pairs of the chunk: no Python loop
per pair; shapely releases the GIL in these calls, so chunks run in parallel threads.

:class:`Reference` is the engine object every chunk receives. The accelerator
(:class:`townplan_gis.fiveline.fast.Fast`) is a subclass that answers the same questions faster
where it is tested equal to this class, and asks this class for everything else.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.geometry import keep_dimension
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.pieces import aggregate_pieces, grouped_union
from townplan_gis.fiveline.rows import Measured

__all__ = ["Reference", "measure"]


class Reference:
    """The plain engine (module docstring): GEOS for every pair.

    The methods are the questions a review asks of an engine; the accelerator overrides some of
    them. Instances hold no per-review state, so one serves every chunk and thread.
    """

    name = "reference"
    #: Whether the engine's predicates on the pieces (``contains_properly``, the tree's
    #: ``intersects``) should run on prepared pieces: then each thread prepares its own copy
    #: (:meth:`PreparedLines.for_thread <townplan_gis.fiveline.lines.PreparedLines.for_thread>`).
    prepared_pieces = True

    def release(self) -> None:
        """Free what the engine holds for its review once every chunk is done (the reference
        engine holds nothing; the accelerator its vertex arrays)."""

    def polygon_overlaps(
        self,
        geoms: np.ndarray,
        pieces: np.ndarray,
        tree: shapely.STRtree,
        *,
        zones: bool = False,
        noise_m2: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Overlaps of polygonal ``geoms`` with polygon ``pieces`` (indexed by ``tree``).

        Parameters
        ----------
        geoms : numpy.ndarray of (multi)polygons
        pieces : numpy.ndarray of polygons
            The control lines' pieces (``zones=False``) or their setback zones (``zones=True``),
            prepared by the calling thread.
        noise_m2 : float
            Overlaps of this area or less are no overlap.

        Returns
        -------
        (left, right, area, geometry)
            Positions into ``geoms`` and ``pieces``, overlap area (m²) and overlap polygon of each
            pair whose overlap exceeds ``noise_m2``.
        """
        left, right = tree.query(geoms, predicate="intersects")
        return self.measure_pairs(geoms, left, pieces, right, zones=zones, noise_m2=noise_m2)

    def measure_pairs(
        self,
        geoms: np.ndarray,
        left: np.ndarray,
        pieces: np.ndarray,
        right: np.ndarray,
        *,
        zones: bool = False,
        noise_m2: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`polygon_overlaps` of the given candidate pairs ``geoms[left]`` × ``pieces[right]``
        (pairs that turn out not to meet are dropped)."""
        g, p = geoms[left], pieces[right]
        inside = shapely.contains_properly(p, g)  # the project is its own overlap
        geometry = g.copy()
        cut = np.flatnonzero(~inside)
        geometry[cut] = keep_dimension(shapely.intersection(g[cut], p[cut]), 2)
        area = shapely.area(geometry)
        # Edge-touching pairs intersect in a line (area 0) or in float noise: no overlap.
        ok = area > noise_m2
        return left[ok], right[ok], area[ok], geometry[ok]

    def union_measures(
        self,
        geoms: np.ndarray,
        group: np.ndarray,
        n_groups: int,
        *,
        line: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Area (m²) and length (m) of the union of ``geoms`` per group label (0 … n_groups−1).

        The per-type totals of a project whose overlaps of one line type overlap each other
        (:func:`~townplan_gis.fiveline.totals.type_totals`). ``line`` (the line of each overlap)
        is not needed here; the accelerator uses it.
        """
        area, length = np.zeros(n_groups), np.zeros(n_groups)
        if not len(geoms):
            return area, length
        merged = grouped_union(geoms, group, n_groups)
        merged_at = np.unique(group)
        dims = shapely.get_dimensions(merged[merged_at])
        area[merged_at] = np.where(dims == 2, shapely.area(merged[merged_at]), 0.0)
        length[merged_at] = np.where(dims == 1, shapely.length(merged[merged_at]), 0.0)
        return area, length


def _polygons(
    geoms: np.ndarray, lines: PreparedLines, engine: Reference, noise_m2: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    left, right, area, geometry = engine.polygon_overlaps(
        geoms, lines.pieces, lines.piece_tree, noise_m2=noise_m2
    )
    pos, line, merged, total = aggregate_pieces(
        left, lines.piece_line[right], geometry, area, len(lines)
    )
    return pos, line, merged, total, np.zeros(len(total))


def _lines(
    geoms: np.ndarray, lines: PreparedLines
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    left, right = lines.tree.query(geoms, predicate="intersects")
    g, poly = geoms[left], lines.prepared_geoms()[right]
    keep = ~shapely.touches(g, poly)
    left, right, g, poly = left[keep], right[keep], g[keep], poly[keep]
    inside = shapely.contains_properly(poly, g)
    inter = g.copy()
    cut = ~inside
    if cut.any():
        part = keep_dimension(shapely.intersection(g[cut], poly[cut]), 1)
        # A stretch running along the polygon's edge is edge contact, not overlap.
        boundary = shapely.boundary(poly[cut])
        on_edge = keep_dimension(shapely.intersection(part, boundary), 1)
        along = shapely.length(on_edge) > 0
        if along.any():
            part[along] = keep_dimension(shapely.difference(part[along], boundary[along]), 1)
        inter[cut] = part
    length = shapely.length(inter)
    ok = length > 0
    return left[ok], right[ok], inter[ok], np.zeros(int(ok.sum())), length[ok]


def _points(
    geoms: np.ndarray, lines: PreparedLines
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # "within": the point lies in the polygon's interior; a point on the boundary is edge contact.
    left, right = lines.tree.query(geoms, predicate="within")
    n = len(left)
    return left, right, geoms[left], np.zeros(n), np.zeros(n)


def measure(
    chunk: pd.DataFrame, lines: PreparedLines, engine: Reference, *, noise_m2: float
) -> Measured:
    """Every overlap of the chunk's projects with the control lines, per project part and line.

    Parameters
    ----------
    chunk : pandas.DataFrame
        Prepared projects (:func:`~townplan_gis.fiveline.prepare.prepare_projects`), rows 0 … m−1;
        ``_parts`` says which dimensions each holds (bit mask: 1 points, 2 lines, 4 polygons).
    lines : PreparedLines
        This thread's copy (:meth:`PreparedLines.for_thread`).
    engine : Reference
        The engine measuring polygon overlaps (:class:`Reference` or the accelerator).
    noise_m2 : float
        Polygon overlaps of this area or less are no overlap (rule file ``noise_m2``).
    """
    geoms = np.asarray(chunk.geometry.array, dtype=object)
    held = chunk["_parts"].to_numpy()
    parts = []
    for d in (2, 1, 0):
        idx = np.flatnonzero(held & (1 << d))
        if not len(idx) or not len(lines.pieces):
            continue
        g = geoms[idx]
        mixed = shapely.get_type_id(g) == 7
        if mixed.any():  # a collection: this dimension's part only
            g = g.copy()
            g[mixed] = keep_dimension(g[mixed], d)
        if d == 2:
            left, line, geom, area, length = _polygons(g, lines, engine, noise_m2)
        elif d == 1:
            left, line, geom, area, length = _lines(g, lines)
        else:
            left, line, geom, area, length = _points(g, lines)
        parts.append(
            Measured(
                idx[left],
                line.astype(np.int64),
                np.full(len(left), d, dtype=np.int8),
                area.astype(float),
                length.astype(float),
                np.asarray(geom, dtype=object),
            )
        )
    if not parts:
        empty = np.zeros(0)
        return Measured(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int8),
            empty,
            empty,
            np.empty(0, dtype=object),
        )
    return Measured.concat(parts)
