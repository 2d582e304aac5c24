"""The accelerated engine: the reference engine with its polygon clipping compiled (numba).

:class:`Fast` is a :class:`~townplan_gis.fiveline.overlap.Reference` whose
:meth:`~Fast.measure_pairs` clips each (project, piece) pair whose project is a small convex polygon
(a parcel, a building footprint) and whose piece is a polygon without holes
(:func:`~townplan_gis.fiveline.fast.clip.clip`) — the pairs that make up most of a county — and
hands every other pair (projects of other shapes, pieces with holes, degenerate contacts the clip
refuses) to the reference engine. Candidates are found by bounding box, without a GEOS predicate:
the clip tells apart pairs that overlap, touch or are disjoint.

It is used only where it is tested equal to the reference (``tests/test_review_fast.py``: areas
to 1e-9 relative, the same conflict rows and verdicts, on random polygons and on the benchmark
counties).
"""

from __future__ import annotations

import time

import numpy as np
import shapely

from townplan_gis.fiveline.fast.clip import BACK, C_IN_Z, CUT, Z_IN_C, clip
from townplan_gis.fiveline.fast.rings import PolygonRings, convex_rings
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.overlap import Reference

__all__ = ["Fast"]


class Fast(Reference):
    """The reference engine with compiled clipping of convex projects (module docstring).

    Parameters
    ----------
    lines : PreparedLines
        The review's prepared lines (with their setback zones, if any): their pieces are read into
        vertex arrays once (:class:`~townplan_gis.fiveline.fast.rings.PolygonRings`).
    pieces, zones, line_rings : PolygonRings, optional
        ``PolygonRings(lines.pieces)``, ``PolygonRings(lines.zones)`` and
        ``PolygonRings(lines.geoms)`` when the caller has them already (the review reads them in
        worker threads while it prepares the rest). The whole lines' rings are otherwise read on
        first use (:attr:`line_rings`).
    """

    name = "fast"
    # The clip reads only the pieces' vertex arrays (its point-in-polygon test included), so the
    # threads share the plain pieces instead of preparing a copy each (at 10⁶ projects that copy
    # and its indexes were 0.35 GB and a second of the review).
    prepared_pieces = False

    def __init__(
        self,
        lines: PreparedLines,
        *,
        pieces: PolygonRings | None = None,
        zones: PolygonRings | None = None,
        line_rings: PolygonRings | None = None,
    ) -> None:
        self.pieces = self.rings(lines.pieces) if pieces is None else pieces
        self.zones = self.rings(lines.zones) if zones is None else zones
        self.line_geoms = lines.geoms
        self._line_rings: PolygonRings | None = line_rings
        self._released = False
        if (
            len(self.pieces) != len(lines.pieces)
            or len(self.zones) != len(lines.zones)
            or (line_rings is not None and len(line_rings) != len(lines.geoms))
        ):
            raise ValueError("Fast: the rings given are not those of these lines' pieces and zones")

    def release(self) -> None:
        """Drop the vertex arrays (0.3 GB at 10⁶ projects) once every chunk is done, before the
        result is assembled. The engine measures nothing more: the compiled clip reads the arrays
        unchecked, so a released engine refuses instead."""
        none = PolygonRings(np.empty(0, dtype=object))
        self.pieces, self.zones, self._line_rings = none, none, None
        self._released = True

    def _check(self) -> None:
        if self._released:
            raise RuntimeError("Fast: released after its review; make one for the next review")

    _loaded = False

    @classmethod
    def loaded(cls) -> bool:
        """Whether this process has loaded the compiled kernels (:meth:`load`, or a review that
        used the accelerator)."""
        return cls._loaded

    @classmethod
    def load(cls) -> float:
        """Load the compiled kernels now; returns the seconds it took.

        A process's first review loads them on first use: numba's import and its compiler's
        set-up, then each kernel from its cache beside the module (≈ 0.45 s on a 2-core office
        machine; the first run after an installation compiles them, ≈ 10 s, once). A
        service that reviews on demand calls this at start-up; the benchmark calls it outside its
        timing and reports it, as it reports the peers' loading of their data.
        """
        t0 = time.perf_counter()
        square = np.array([shapely.box(0.0, 0.0, 1.0, 1.0)], dtype=object)
        at = np.zeros(1, dtype=np.int64)
        clip(convex_rings(square), at, PolygonRings(square), at)
        Fast._loaded = True
        return time.perf_counter() - t0

    @staticmethod
    def rings(geoms: np.ndarray) -> PolygonRings:
        """The vertex arrays :class:`Fast` reads from ``geoms`` (pieces or zones)."""
        out = PolygonRings(geoms)
        Fast._loaded = True  # reading them loaded the kernels
        return out

    def polygon_overlaps(
        self,
        geoms: np.ndarray,
        pieces: np.ndarray,
        tree: shapely.STRtree,
        *,
        zones: bool = False,
        noise_m2: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # Candidates by bounding box: the clip itself tells which pairs meet.
        left, right = tree.query(geoms)
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
        self._check()
        rings = self.zones if zones else self.pieces
        used, at = np.unique(left, return_inverse=True)
        convex = convex_rings(geoms[used])
        fast = np.flatnonzero(convex.ok[at] & rings.ok[right])
        got = clip(convex, at[fast], rings, right[fast], min_area=noise_m2)
        geometry = got.geometry
        inside = got.status == C_IN_Z
        geometry[inside] = geoms[left[fast[inside]]]
        whole = got.status == Z_IN_C
        geometry[whole] = pieces[right[fast[whole]]]
        keep = (got.status >= C_IN_Z) & (got.status <= CUT) & (got.area > noise_m2)
        done = fast[keep]
        # Everything the clip does not take: GEOS, as in the reference engine.
        rest = np.ones(len(left), dtype=bool)
        rest[fast[got.status != BACK]] = False
        rest = np.flatnonzero(rest)
        r_left, r_right, r_area, r_geom = super().measure_pairs(
            geoms, left[rest], pieces, right[rest], zones=zones, noise_m2=noise_m2
        )
        return (
            np.concatenate([left[done], r_left]),
            np.concatenate([right[done], r_right]),
            np.concatenate([got.area[keep], r_area]),
            np.concatenate([geometry[keep], r_geom]),
        )

    @property
    def line_rings(self) -> PolygonRings:
        """The whole line polygons as vertex arrays, read on first use (two threads reading them
        at once build equal arrays; either is kept)."""
        if self._line_rings is None:
            self._line_rings = PolygonRings(self.line_geoms)
        return self._line_rings

    def union_measures(
        self,
        geoms: np.ndarray,
        group: np.ndarray,
        n_groups: int,
        *,
        line: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`Reference.union_measures`, with the groups of two polygons of which one is
        convex measured as ``|A ∪ B| = |A| + |B| − |A ∩ B|``, the intersection clipped (:func:`.clip`)
        (a project's overlaps with two overlapping zones of one type, the common case); every
        other group, and every pair the clip hands back, by the reference engine's union.

        With ``line`` (each overlap's line), ``A ∩ B`` is clipped as ``A ∩ L_B``: B is the project
        cut by its line L_B and A lies in the project, so they are equal, and A and L_B share no
        edge where A and B share the project's (a degenerate contact the clip hands back).
        """
        self._check()
        geoms = np.asarray(geoms, dtype=object)
        area, length = np.zeros(n_groups), np.zeros(n_groups)
        if not len(geoms):
            return area, length
        counts = np.bincount(group, minlength=n_groups)
        order = np.argsort(group, kind="stable")
        first = np.cumsum(counts) - counts
        two = np.flatnonzero(counts == 2)
        a_at, b_at = order[first[two]], order[first[two] + 1]
        a, b = geoms[a_at], geoms[b_at]
        polygons = (shapely.get_type_id(a) == 3) & (shapely.get_type_id(b) == 3)
        a_convex = convex_rings(_only(a, polygons)).ok
        # The convex one clips; it is clipped against the other's line, or the other itself.
        c = convex_rings(_only(np.where(a_convex, a, b), polygons))
        if line is None:
            z = PolygonRings(np.where(a_convex, b, a))
            iz = np.arange(len(two))
        else:
            z = self.line_rings
            iz = np.where(a_convex, line[b_at], line[a_at])
        pick = np.flatnonzero(polygons & c.ok & z.ok[iz])
        got = clip(c, pick, z, iz[pick], min_area=np.inf)
        fine = pick[got.status != BACK]
        inter = got.area[got.status != BACK]
        area[two[fine]] = shapely.area(a[fine]) + shapely.area(b[fine]) - inter
        done = np.zeros(n_groups, dtype=bool)
        done[two[fine]] = True
        rest = ~done[group]
        if rest.any():
            ids, inv = np.unique(group[rest], return_inverse=True)
            r_area, r_len = super().union_measures(geoms[rest], inv, len(ids))
            area[ids], length[ids] = r_area, r_len
        return area, length


def _only(geoms: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``geoms`` with None where not ``keep``."""
    out = geoms.copy()
    out[~keep] = None
    return out
