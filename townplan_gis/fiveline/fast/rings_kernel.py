"""The compiled reading of :class:`~townplan_gis.fiveline.fast.rings.PolygonRings` and
:class:`~townplan_gis.fiveline.fast.rings.ConvexRings`: one pass over the vertices of many polygons.

Per polygon: its ring without the closing vertex, turned counter-clockwise where it is clockwise
(read backwards from its first vertex, which stays first), and its edges in blocks of ``block``
with a bounding box each. The numpy formulation it replaced made a dozen passes with fancy indexing
over all vertices (at 10⁵ control lines, 4·10⁶ vertices of setback zones: 1.3 s, most of it
holding the GIL); this reads each vertex about three times. The convex test likewise ran in padded
(polygons × vertices) arrays per chunk: 1.8 s for 10⁶ parcels, 0.35 s here.

Cached beside this file (``cache=True``) like :mod:`.clip_kernel`.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["read_convex", "read_rings"]


@numba.njit(nogil=True, cache=True)
def _twice_area(coords: np.ndarray, src: int, n: int) -> float:
    """Twice the signed area of the open ring ``coords[src : src + n]`` (shoelace sum relative to
    its first vertex, where differences of nearby coordinates are exact): > 0 counter-clockwise."""
    x0 = coords[src, 0]
    y0 = coords[src, 1]
    twice = 0.0
    for j in range(n):
        nj = j + 1 if j + 1 < n else 0
        lx = coords[src + j, 0] - x0
        ly = coords[src + j, 1] - y0
        twice += lx * (coords[src + nj, 1] - y0) - (coords[src + nj, 0] - x0) * ly
    return twice


@numba.njit(nogil=True, cache=True)
def read_rings(coords: np.ndarray, per: np.ndarray, block: int):
    """The open counter-clockwise rings of polygons whose closed rings are ``coords`` (``per[i]``
    vertices each, the closing one included).

    Returns ``(x, y, k, start, n_blocks, first_block, block_edge, block_len, block_x0, block_y0,
    block_x1, block_y1)`` with the meaning of the :class:`PolygonRings` attributes of the same
    names (for these polygons only).
    """
    m = per.shape[0]
    k = np.empty(m, np.int64)
    start = np.empty(m, np.int64)
    n_blocks = np.empty(m, np.int64)
    first_block = np.empty(m, np.int64)
    total = 0
    total_b = 0
    for i in range(m):
        k[i] = per[i] - 1
        start[i] = total
        total += k[i]
        n_blocks[i] = -(-k[i] // block)
        first_block[i] = total_b
        total_b += n_blocks[i]
    x = np.empty(total)
    y = np.empty(total)
    block_edge = np.empty(total_b, np.int64)
    block_len = np.empty(total_b, np.int64)
    bx0 = np.empty(total_b)
    by0 = np.empty(total_b)
    bx1 = np.empty(total_b)
    by1 = np.empty(total_b)
    src = 0  # the first vertex of polygon i in coords
    for i in range(m):
        n = k[i]
        s = start[i]
        if _twice_area(coords, src, n) < 0:  # clockwise: read backwards from the first vertex
            for j in range(n):
                b = (n - j) % n
                x[s + j] = coords[src + b, 0]
                y[s + j] = coords[src + b, 1]
        else:
            for j in range(n):
                x[s + j] = coords[src + j, 0]
                y[s + j] = coords[src + j, 1]
        for b in range(n_blocks[i]):
            at = first_block[i] + b
            e0 = b * block
            size = min(block, n - e0)
            block_edge[at] = e0
            block_len[at] = size
            lo_x = np.inf
            lo_y = np.inf
            hi_x = -np.inf
            hi_y = -np.inf
            for j in range(e0, e0 + size):
                nj = j + 1 if j + 1 < n else 0
                lo_x = min(lo_x, x[s + j], x[s + nj])
                hi_x = max(hi_x, x[s + j], x[s + nj])
                lo_y = min(lo_y, y[s + j], y[s + nj])
                hi_y = max(hi_y, y[s + j], y[s + nj])
            bx0[at] = lo_x
            by0[at] = lo_y
            bx1[at] = hi_x
            by1[at] = hi_y
        src += per[i]
    return x, y, k, start, n_blocks, first_block, block_edge, block_len, bx0, by0, bx1, by1


@numba.njit(nogil=True, cache=True)
def read_convex(coords: np.ndarray, per: np.ndarray, width: int, straight: float):
    """The convex rings among polygons whose closed rings are ``coords`` (``per[i]`` vertices
    each, the closing one included), as padded rows (:class:`ConvexRings`).

    A ring is convex when every turn bends the same way (a turn below ``straight`` × |e1|·|e2|
    counts as straight), no turn goes straight back, and the turning angles sum to ±2π (which
    rules out self-crossing stars whose turns all bend one way). Returns ``(good, x, y, k)``:
    rows of ``width`` vertices, counter-clockwise (a clockwise ring read backwards from its
    first vertex), padded with the first vertex.
    """
    m = per.shape[0]
    good = np.zeros(m, np.bool_)
    x = np.zeros((m, width))
    y = np.zeros((m, width))
    k = np.empty(m, np.int64)
    ex = np.empty(width)
    ey = np.empty(width)
    src = 0
    for i in range(m):
        n = per[i] - 1
        k[i] = n
        x0 = coords[src, 0]
        y0 = coords[src, 1]
        for j in range(n):
            nj = j + 1 if j + 1 < n else 0
            ex[j] = (coords[src + nj, 0] - x0) - (coords[src + j, 0] - x0)
            ey[j] = (coords[src + nj, 1] - y0) - (coords[src + j, 1] - y0)
        twice = _twice_area(coords, src, n)
        sign = 1.0 if twice > 0 else -1.0 if twice < 0 else 0.0
        ok = sign != 0.0
        winding = 0.0
        for j in range(n):
            nj = j + 1 if j + 1 < n else 0
            ax = ex[nj]
            ay = ey[nj]
            turn = ex[j] * ay - ey[j] * ax
            dot = ex[j] * ax + ey[j] * ay
            scale = np.hypot(ex[j], ey[j]) * np.hypot(ax, ay)
            if not scale > 0:
                continue
            if not abs(turn) > straight * scale:
                turn = 0.0
                if dot < 0:  # straight back: not even valid
                    ok = False
            if turn * sign < 0:
                ok = False
            winding += np.arctan2(turn, dot)
        if ok and abs(abs(winding) - 2 * np.pi) < 1e-6:
            good[i] = True
            for j in range(width):
                # Counter-clockwise: a clockwise ring read backwards from its first vertex.
                b = j if j < n else 0
                if sign < 0 and j < n:
                    b = (n - j) % n
                x[i, j] = coords[src + b, 0]
                y[i, j] = coords[src + b, 1]
        src += per[i]
    return good, x, y, k
