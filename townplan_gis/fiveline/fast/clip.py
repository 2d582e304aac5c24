"""Overlap of a small convex polygon with any simple polygon, compiled, for whole arrays of pairs.

Why not GEOS: OverlayNG spends 12–20 µs on each pair even when one polygon is a quadrilateral (a
parcel, a road strip) and the other a 32-gon (a zone): robust noding, a topology graph and result
assembly. The review meets 10⁵–10⁶ such pairs. Here a pair costs well under a microsecond, in one
compiled pass per pair (:mod:`.clip_kernel`).

Method. Let C be convex (counter-clockwise, :class:`~.rings.ConvexRings`) and Z a simple polygon
without holes (counter-clockwise, :class:`~.rings.PolygonRings`). The boundary of C ∩ Z consists of

* the parts of Z's edges inside C — each edge clipped to C by its signed distances to C's edge lines
  (Cyrus & Beck, *Generalized two- and three-dimensional clipping*, Computers & Graphics 3(1),
  1978): a parameter interval [t₀, t₁] per edge;
* the arcs of C's boundary inside Z — from each point where Z's boundary leaves C, counter-clockwise
  along C, to the next point where it enters.

The area follows by Green's theorem from those pieces alone,
:math:`A = \\tfrac12 \\sum (x_i y_{i+1} - x_{i+1} y_i)` over all of them, without assembling any ring;
the rings are assembled only for the overlaps that are kept: each *chain* (the run of Z's boundary
from an entry point to the next exit point) followed by C's arc to the next entry, until the ring
closes (Weiler & Atherton, *Hidden surface removal using polygon area sorting*, SIGGRAPH 1977). A
convex C and a simply connected Z meet in simply connected parts, so each ring is one polygon.

Only the edges of Z near C are read: Z's edges are grouped in blocks with bounding boxes, and a
block whose box misses C's box is skipped. When Z's boundary does not cross C's, C lies wholly in
Z or outside it (one point-in-polygon test: the even–odd count of Z's edges crossed by a ray from a
vertex of C), or Z lies wholly in C.

Degenerate pairs are handed back (area NaN) for GEOS to compute: a vertex of either polygon within
:data:`EPS` of the other's boundary (shared edges, a parcel's corner on a road's edge), and two
crossings closer than that along C. Coordinates are shifted to a local origin per pair first, where
differences of nearby doubles are exact, so the areas agree with GEOS to about 1e-12 relative.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import numpy as np
import shapely

from townplan_gis.fiveline.fast.rings import ConvexRings, PolygonRings

__all__ = ["BACK", "CUT", "C_IN_Z", "DISJOINT", "EPS", "Z_IN_C", "Clipped", "clip"]

#: Metres (in a metric CRS): closer than this to the other polygon's boundary is a degenerate
#: contact, handed back to GEOS. Coordinates of CGCS2000 GK zones are spaced 4.7e-10 m apart.
EPS = 1e-9

DISJOINT, C_IN_Z, Z_IN_C, CUT, BACK = 0, 1, 2, 3, -1


@dataclass
class Clipped:
    """What :func:`clip` found for each pair.

    Attributes
    ----------
    area : numpy.ndarray of float
        Area of C ∩ Z (CRS units²); NaN where the pair is handed back.
    status : numpy.ndarray of int8
        :data:`DISJOINT`, :data:`C_IN_Z` (the overlap is C itself), :data:`Z_IN_C` (it is Z
        itself), :data:`CUT` (the overlap is ``geometry``) or :data:`BACK` (handed back).
    geometry : numpy.ndarray of object
        The overlap of :data:`CUT` pairs whose area exceeds ``min_area``; None elsewhere.
    """

    area: np.ndarray
    status: np.ndarray
    geometry: np.ndarray


def _kernel() -> ModuleType:
    # numba's import (≈ 0.3 s) and the kernel's load from its cache are paid by the first clip,
    # not by every ``import townplan_gis`` (the CLI's help, a notebook that only draws maps).
    from townplan_gis.fiveline.fast import clip_kernel as kernel

    return kernel


def _f64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64)


def _i64(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int64)


def clip(
    c: ConvexRings,
    ic: np.ndarray,
    z: PolygonRings,
    iz: np.ndarray,
    *,
    min_area: float = 0.0,
) -> Clipped:
    """Overlap of convex ``c[ic[p]]`` with polygon ``z[iz[p]]`` for every pair *p* (module notes).

    Parameters
    ----------
    c : ConvexRings
    ic : numpy.ndarray of int
        Positions into ``c``; all ``ok``.
    z : PolygonRings
    iz : numpy.ndarray of int
        Positions into ``z``; all ``ok``.
    min_area : float, default 0
        Overlap polygons are built only where the area exceeds this.

    Returns
    -------
    Clipped
    """
    n = len(ic)
    geometry = np.full(n, None, dtype=object)
    if not n:
        return Clipped(np.zeros(0), np.zeros(0, dtype=np.int8), geometry)
    ic, iz = _i64(ic), _i64(iz)
    # The compiled loop reads its arrays unchecked: a position outside them, or a ring that is not
    # ``ok`` (no vertices), would be measured as garbage — e.g. an empty C taken to contain Z.
    if ic.min() < 0 or ic.max() >= len(c) or not c.ok[ic].all():
        raise ValueError("clip: ic must point at convex rings of c (ok), within its length")
    if iz.min() < 0 or iz.max() >= len(z) or not z.ok[iz].all():
        raise ValueError("clip: iz must point at polygon rings of z (ok), within its length")
    kernel = _kernel()
    twice, code, g_pair, g_rings, ring_len, xs, ys = kernel.clip_pairs(
        _f64(c.x),
        _f64(c.y),
        _i64(c.k),
        ic,
        _f64(z.x),
        _f64(z.y),
        _i64(z.start),
        _i64(z.k),
        _i64(z.first_block),
        _i64(z.n_blocks),
        _i64(z.block_edge),
        _i64(z.block_len),
        _f64(z.block_x0),
        _f64(z.block_y0),
        _f64(z.block_x1),
        _f64(z.block_y1),
        iz,
        float(min_area),
        EPS,
    )
    if len(g_pair):
        geometry[g_pair] = _polygons(g_rings, ring_len, np.column_stack([xs, ys]))
    return Clipped(twice / 2.0, code, geometry)


def _polygons(rings: np.ndarray, ring_len: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """One polygon per entry of ``rings`` (its number of rings; ``ring_len`` closed lengths of all
    rings in order, ``coords`` their vertices): a polygon where one ring, else a multipolygon of
    one-ring polygons (a parcel across a U-shaped zone)."""
    out = np.empty(len(rings), dtype=object)
    owner = np.repeat(np.arange(len(rings)), rings)
    for kind, mask in (
        (shapely.GeometryType.POLYGON, rings == 1),
        (shapely.GeometryType.MULTIPOLYGON, rings > 1),
    ):
        if not mask.any():
            continue
        pick = mask[owner]  # the rings of these geometries
        pts = np.repeat(pick, ring_len)
        offsets = [np.r_[0, np.cumsum(ring_len[pick])], np.arange(int(pick.sum()) + 1)]
        if kind == shapely.GeometryType.MULTIPOLYGON:
            offsets.append(np.r_[0, np.cumsum(rings[mask])])
        out[mask] = shapely.from_ragged_array(kind, coords[pts], tuple(offsets))
    return out
