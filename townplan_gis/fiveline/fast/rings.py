"""Polygons as plain vertex arrays, the input of the compiled clipping (:mod:`.clip`).

* :class:`ConvexRings` — the small convex polygons among some geometries (parcels, road strips), as
  padded counter-clockwise vertex arrays, one row per geometry;
* :class:`PolygonRings` — single-ring polygons of any shape (zones, river pieces), as one flat
  counter-clockwise vertex array with per-polygon offsets, and their edges in blocks of
  :data:`BLOCK` with a bounding box each, so that a clip reads only the edges near its project.

Both are built once (the control lines' pieces when they are prepared, the projects per chunk):
the convex rings with a handful of vectorised shapely and numpy calls, the polygon rings by one
compiled pass over their vertices (:mod:`.rings_kernel`); no Python loop per polygon.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import shapely

__all__ = ["BLOCK", "MAX_VERTICES", "ConvexRings", "PolygonRings", "convex_rings"]

#: Polygons with more vertices than this are not taken as convex clippers: the per-pair cost grows
#: with their vertex count while GEOS's fixed overhead matters less on larger polygons.
MAX_VERTICES = 12
#: Edges per block of :class:`PolygonRings`.
BLOCK = 4

# A turn whose cross product is below this fraction of |e1|·|e2| counts as straight (1e-12 rad):
# a polygon accepted as convex is convex to far below a square millimetre.
_STRAIGHT = 1e-12


class ConvexRings:
    """The convex polygons among some geometries, as padded vertex arrays.

    Attributes
    ----------
    ok : numpy.ndarray of bool, shape (n,)
        Whether geometry *i* is a convex polygon without holes with 3 to ``MAX_VERTICES`` vertices.
    x, y : numpy.ndarray of float, shape (n, width)
        The exterior ring counter-clockwise, open (no closing vertex), padded with its first
        vertex; zero where not ``ok``.
    k : numpy.ndarray of int, shape (n,)
        Vertices per ring; zero where not ``ok``.
    """

    __slots__ = ("k", "ok", "x", "y")

    def __init__(self, ok: np.ndarray, x: np.ndarray, y: np.ndarray, k: np.ndarray) -> None:
        self.ok, self.x, self.y, self.k = ok, x, y, k

    def take(self, idx: np.ndarray | slice) -> ConvexRings:
        """The rings at positions ``idx`` (an integer array or a slice)."""
        return ConvexRings(self.ok[idx], self.x[idx], self.y[idx], self.k[idx])

    def __len__(self) -> int:
        return len(self.ok)

    @staticmethod
    def empty(size: int, width: int = 3) -> ConvexRings:
        return ConvexRings(
            np.zeros(size, dtype=bool),
            np.zeros((size, width)),
            np.zeros((size, width)),
            np.zeros(size, np.int64),
        )


def convex_rings(geoms: np.ndarray, *, max_vertices: int = MAX_VERTICES) -> ConvexRings:
    """Find the convex polygons among ``geoms`` and return their rings as padded arrays.

    A ring is convex when every turn bends the same way; the turning angles must also sum to 2π,
    which rules out self-crossing stars whose turns all bend one way, and no turn may go straight
    back. An accepted polygon is therefore simple and valid in GEOS's sense.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
    max_vertices : int, default MAX_VERTICES

    Returns
    -------
    ConvexRings
    """
    geoms = np.asarray(geoms, dtype=object)
    size = len(geoms)
    if not size:
        return ConvexRings.empty(0)
    ncoord = shapely.get_num_coordinates(geoms)
    cand = (
        (shapely.get_type_id(geoms) == 3)
        & (ncoord >= 4)
        & (ncoord - 1 <= max_vertices)
        & (shapely.get_num_interior_rings(geoms) == 0)
    )
    idx = np.flatnonzero(cand)
    if not len(idx):
        return ConvexRings.empty(size)
    coords = shapely.get_coordinates(geoms[idx])
    per = ncoord[idx].astype(np.int64)
    width = int(per.max()) - 1
    good, x, y, k = _rings_kernel().read_convex(np.ascontiguousarray(coords), per, width, _STRAIGHT)
    out = ConvexRings.empty(size, width)
    keep = idx[good]
    out.ok[keep] = True
    out.x[keep], out.y[keep] = x[good], y[good]
    out.k[keep] = k[good]
    return out


def _rings_kernel() -> ModuleType:
    # numba is imported with the first rings read, not with ``import townplan_gis`` (≈ 0.3 s).
    from townplan_gis.fiveline.fast import rings_kernel

    return rings_kernel


class PolygonRings:
    """Single-ring polygons (no holes) of any shape as flat counter-clockwise vertex arrays.

    Attributes
    ----------
    ok : numpy.ndarray of bool, shape (n,)
        Whether geometry *i* is a non-empty polygon without holes (the others are not clipped).
    start, k : numpy.ndarray of int, shape (n,)
        Polygon *i*'s vertices are ``x[start[i] : start[i] + k[i]]`` (open ring, counter-clockwise;
        edge *j* runs from vertex *j* to vertex *j* + 1, the last one back to the first).
    x, y : numpy.ndarray of float
    first_block, n_blocks : numpy.ndarray of int, shape (n,)
        Polygon *i*'s edges are grouped in blocks ``first_block[i] …`` of :data:`BLOCK` edges.
    block_edge, block_len : numpy.ndarray of int
        Per block: its first edge (index within its ring) and its number of edges.
    block_x0, block_y0, block_x1, block_y1 : numpy.ndarray of float
        Per block: the bounding box of its edges.
    """

    __slots__ = (
        "block_edge",
        "block_len",
        "block_x0",
        "block_x1",
        "block_y0",
        "block_y1",
        "first_block",
        "k",
        "n_blocks",
        "ok",
        "start",
        "x",
        "y",
    )

    def __init__(self, geoms: np.ndarray) -> None:
        geoms = np.asarray(geoms, dtype=object)
        n = len(geoms)
        self.ok = (
            (shapely.get_type_id(geoms) == 3)
            & ~shapely.is_empty(geoms)
            & (shapely.get_num_interior_rings(geoms) == 0)
        )
        idx = np.flatnonzero(self.ok)
        coords = shapely.get_coordinates(geoms[idx])
        per = shapely.get_num_coordinates(geoms[idx]).astype(np.int64)
        (
            self.x,
            self.y,
            k,
            start,
            nb,
            _,
            self.block_edge,
            self.block_len,
            self.block_x0,
            self.block_y0,
            self.block_x1,
            self.block_y1,
        ) = _rings_kernel().read_rings(np.ascontiguousarray(coords), per, BLOCK)
        self.k = np.zeros(n, np.int64)
        self.start = np.zeros(n, np.int64)
        self.n_blocks = np.zeros(n, np.int64)
        self.k[idx], self.start[idx], self.n_blocks[idx] = k, start, nb
        self.first_block = np.cumsum(self.n_blocks) - self.n_blocks

    def __len__(self) -> int:
        return len(self.ok)
