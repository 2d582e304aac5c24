"""Overlap of a small convex polygon with any simple polygon, in numpy, for whole arrays of pairs.

Why not GEOS: OverlayNG spends 12–20 µs on each pair even when one polygon is a quadrilateral (a
parcel, a road strip) and the other a 32-gon (a zone): robust noding, a topology graph and result
assembly. The review meets 10⁵–10⁶ such pairs. Here a pair costs about 1–2 µs.

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
Z or outside it (one point-in-polygon test, in GEOS), or Z lies wholly in C.

Degenerate pairs are handed back (area NaN) for GEOS to compute: a vertex of either polygon within
:data:`EPS` of the other's boundary (shared edges, a parcel's corner on a road's edge), and two
crossings closer than that along C. Coordinates are shifted to a local origin per pair first, where
differences of nearby doubles are exact, so the areas agree with GEOS to about 1e-12 relative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from townplan_gis.fiveline.fast.rings import ConvexRings, PolygonRings

__all__ = ["BACK", "CUT", "C_IN_Z", "DISJOINT", "EPS", "Z_IN_C", "Clipped", "clip"]

#: Metres (in a metric CRS): closer than this to the other polygon's boundary is a degenerate
#: contact, handed back to GEOS. Coordinates of CGCS2000 GK zones are spaced 4.7e-10 m apart.
EPS = 1e-9

DISJOINT, C_IN_Z, Z_IN_C, CUT, BACK = 0, 1, 2, 3, -1

#: Pairs clipped at a time (:func:`clip`).
BATCH = 8_192


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


def _bucket(k: np.ndarray) -> np.ndarray:
    # Pairs are padded to the largest ring of their bucket; quadrilaterals, the common case, are
    # never padded to a dozen vertices because of one larger polygon in the chunk.
    return np.select([k <= 4, k <= 6, k <= 8], [4, 6, 8], 12)


def _ranges(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, offset) of ``counts.sum()`` items: item *m* is the offset-th of its owner's."""
    owner = np.repeat(np.arange(len(counts)), counts)
    offset = np.arange(len(owner)) - (np.cumsum(counts) - counts)[owner]
    return owner, offset


def clip(
    c: ConvexRings,
    ic: np.ndarray,
    z: PolygonRings,
    iz: np.ndarray,
    z_geoms: np.ndarray,
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
    z_geoms : numpy.ndarray of shapely polygons
        The polygons of ``z`` (for the point-in-polygon test; prepared ones answer faster).
    min_area : float, default 0
        Overlap polygons are built only where the area exceeds this.

    Returns
    -------
    Clipped
    """
    n = len(ic)
    out = Clipped(np.zeros(n), np.zeros(n, dtype=np.int8), np.full(n, None, dtype=object))
    if not n:
        return out
    width = _bucket(c.k[ic])
    for w in np.unique(width):
        group = np.flatnonzero(width == w)
        # In batches: the per-edge arrays of a whole chunk's pairs would be hundreds of MB, and
        # fresh memory costs page faults; a batch of this size still keeps numpy's calls long.
        for at in range(0, len(group), BATCH):
            sel = group[at : at + BATCH]
            a, s, g = _clip_group(c, ic[sel], z, iz[sel], z_geoms, int(w), min_area)
            out.area[sel], out.status[sel], out.geometry[sel] = a, s, g
    return out


def _ring(v: np.ndarray, rows: np.ndarray, width: int) -> np.ndarray:
    ring = v[rows, : min(width, v.shape[1])]
    if ring.shape[1] < width:  # pad with the first vertex
        pad = np.repeat(ring[:, :1], width - ring.shape[1], axis=1)
        ring = np.concatenate([ring, pad], axis=1)
    return ring


def _clip_group(c, ic, z, iz, z_geoms, w, min_area):
    n = len(ic)
    kc = c.k[ic]
    ox, oy = c.x[ic, 0], c.y[ic, 0]
    cx = _ring(c.x, ic, w) - ox[:, None]
    cy = _ring(c.y, ic, w) - oy[:, None]
    nx_, ny_ = np.roll(cx, -1, axis=1), np.roll(cy, -1, axis=1)
    ex, ey = nx_ - cx, ny_ - cy  # C's edges; padding edges have length 0
    length = np.hypot(ex, ey)
    x0, y0 = cx.min(axis=1) - EPS, cy.min(axis=1) - EPS
    x1, y1 = cx.max(axis=1) + EPS, cy.max(axis=1) + EPS

    # Z's edges near C: blocks by their boxes, then edges by theirs.
    owner, jb = _ranges(z.n_blocks[iz])
    block = z.first_block[iz][owner] + jb
    near = ~(
        (z.block_x1[block] - ox[owner] < x0[owner])
        | (z.block_x0[block] - ox[owner] > x1[owner])
        | (z.block_y1[block] - oy[owner] < y0[owner])
        | (z.block_y0[block] - oy[owner] > y1[owner])
    )
    owner, block = owner[near], block[near]
    r, je = _ranges(z.block_len[block])
    j = z.block_edge[block][r] + je
    r = owner[r]
    kz, s0 = z.k[iz][r], z.start[iz][r]
    vi = s0 + j
    vn = np.where(j + 1 < kz, vi + 1, s0)
    px, py = z.x[vi] - ox[r], z.y[vi] - oy[r]
    qx, qy = z.x[vn] - ox[r], z.y[vn] - oy[r]
    keep = ~(
        (np.maximum(px, qx) < x0[r])
        | (np.minimum(px, qx) > x1[r])
        | (np.maximum(py, qy) < y0[r])
        | (np.minimum(py, qy) > y1[r])
    )
    r, j, px, py, qx, qy = r[keep], j[keep], px[keep], py[keep], qx[keep], qy[keep]

    # Cross products of each near edge's ends with C's edge lines (positive: inside), i.e. the
    # signed distances times the edge lengths.
    ccx, ccy, cex, cey, cl = cx[r], cy[r], ex[r], ey[r], length[r]
    live = cl > 0
    dp = np.where(live, cex * (py[:, None] - ccy) - cey * (px[:, None] - ccx), np.inf)
    dq = np.where(live, cex * (qy[:, None] - ccy) - cey * (qx[:, None] - ccx), np.inf)
    bad = _on_c(px, py, dp, ccx, ccy, cex, cey, cl) | _on_c(qx, qy, dq, ccx, ccy, cex, cey, cl)
    bad |= _c_on_edge(px, py, qx, qy, ccx, ccy)

    # Cyrus–Beck: the part [t0, t1] of each edge inside C, and the C edges where it enters/leaves.
    with np.errstate(divide="ignore", invalid="ignore"):
        t = dp / (dp - dq)
    t_in = np.where((dp < 0) & (dq >= 0), t, -np.inf)
    t_out = np.where((dp >= 0) & (dq < 0), t, np.inf)
    i_in, i_out = t_in.argmax(axis=1), t_out.argmin(axis=1)
    rows_m = np.arange(len(r))
    t0 = np.maximum(0.0, t_in[rows_m, i_in])
    t1 = np.minimum(1.0, t_out[rows_m, i_out])
    seg = ~((dp < 0) & (dq < 0)).any(axis=1) & (t0 < t1)
    dx, dy = qx - px, qy - py
    ax, ay = px + t0 * dx, py + t0 * dy
    bx, by = px + t1 * dx, py + t1 * dy
    twice = np.bincount(r, weights=np.where(seg, ax * by - bx * ay, 0.0), minlength=n)
    z_inside = np.bincount(r, weights=seg, minlength=n) > 0
    broken = np.bincount(r, weights=bad, minlength=n) > 0

    # Events: where Z's boundary enters C (at t0 > 0) and leaves it (at t1 < 1).
    e_in, e_out = np.flatnonzero(seg & (t0 > 0)), np.flatnonzero(seg & (t1 < 1))
    ev = np.concatenate([e_in, e_out])
    kind = np.r_[np.zeros(len(e_in), np.int8), np.ones(len(e_out), np.int8)]  # 0 in, 1 out
    er = r[ev]
    evx, evy = np.r_[ax[e_in], bx[e_out]], np.r_[ay[e_in], by[e_out]]
    edge_c = np.r_[i_in[e_in], i_out[e_out]]
    along_z = j[ev] + np.r_[t0[e_in], t1[e_out]]  # position along Z's ring
    cxe, cye, exe, eye = cx[er, edge_c], cy[er, edge_c], ex[er, edge_c], ey[er, edge_c]
    s = np.clip(((evx - cxe) * exe + (evy - cye) * eye) / (exe * exe + eye * eye), 0.0, 1.0)
    u = edge_c + s  # position along C's boundary
    # Around C: events must alternate in/out; after an exit, C's boundary runs inside Z.
    by_c = np.lexsort((u, er))
    count = np.bincount(er, minlength=n)
    first = np.cumsum(count) - count
    pos = np.empty(len(ev), np.int64)
    pos[by_c] = np.arange(len(ev))
    rank = pos - first[er]
    nxt_c = by_c[first[er] + (rank + 1) % np.maximum(count[er], 1)]  # next event along C
    close = (edge_c == edge_c[nxt_c]) & (np.abs(u[nxt_c] - u) * length[er, edge_c] < EPS)
    close &= nxt_c != np.arange(len(ev))
    broken |= np.bincount(er, weights=(kind == kind[nxt_c]) | close, minlength=n) > 0
    # C's arc from each exit to the next entry, by prefix sums of C's edge cross products.
    crosses = cx * ny_ - nx_ * cy
    prefix = np.concatenate([np.zeros((n, 1)), np.cumsum(crosses, axis=1)], axis=1)
    out_ev = np.flatnonzero(kind == 1)
    to = nxt_c[out_ev]
    rr, ia, ib = er[out_ev], edge_c[out_ev], edge_c[to]
    same = (ia == ib) & (u[to] >= u[out_ev])
    mid = prefix[rr, ib] - prefix[rr, ia + 1] + np.where(ib <= ia, prefix[rr, w], 0.0)
    ax_, ay_, bx_, by_ = evx[out_ev], evy[out_ev], evx[to], evy[to]
    arc = np.where(
        same,
        ax_ * by_ - bx_ * ay_,
        (ax_ * ny_[rr, ia] - nx_[rr, ia] * ay_) + mid + (cx[rr, ib] * by_ - bx_ * cy[rr, ib]),
    )
    twice += np.bincount(rr, weights=arc, minlength=n)

    # Pairs whose boundaries do not cross: C in Z, Z in C, or apart.
    quiet = count == 0
    c_in = np.zeros(n, dtype=bool)
    ask = np.flatnonzero(quiet & ~z_inside & ~broken)
    if len(ask):
        c_in[ask] = shapely.contains_xy(z_geoms[iz[ask]], ox[ask], oy[ask])
    twice = np.where(c_in, prefix[:, w], twice)
    status = np.where(
        quiet, np.where(c_in, C_IN_Z, np.where(z_inside, Z_IN_C, DISJOINT)), CUT
    ).astype(np.int8)
    status[broken] = BACK
    area = np.where(broken, np.nan, twice / 2.0)
    area[status == DISJOINT] = 0.0
    geometry = np.full(n, None, dtype=object)
    build = np.flatnonzero((status == CUT) & (area > min_area))
    if len(build):
        geometry[build] = _rings(
            build, er, kind, along_z, nxt_c, evx, evy, edge_c, u, kc, cx, cy, z, iz, ox, oy
        )
    return area, status, geometry


def _on_c(px, py, d, ccx, ccy, cex, cey, cl) -> np.ndarray:
    """Whether the point (px, py) lies within EPS of one of C's edges (segments, not lines);
    ``d`` is its cross product with each edge (signed distance × edge length)."""
    close = np.abs(d) < EPS * cl
    out = np.zeros(len(px), dtype=bool)
    rows, cols = np.nonzero(close)
    if len(rows):
        e = cl[rows, cols]
        s = (cex[rows, cols] * (px[rows] - ccx[rows, cols])) + (
            cey[rows, cols] * (py[rows] - ccy[rows, cols])
        )
        hit = (s > -EPS * e) & (s < e * (e + EPS))
        out[rows[hit]] = True
    return out


def _c_on_edge(px, py, qx, qy, ccx, ccy) -> np.ndarray:
    """Whether a vertex of C lies within EPS of the Z edge p → q."""
    dx, dy = qx - px, qy - py
    e = np.hypot(dx, dy)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (dx[:, None] * (ccy - py[:, None]) - dy[:, None] * (ccx - px[:, None])) / e
    close = np.abs(d) < EPS
    out = np.zeros(len(px), dtype=bool)
    rows, cols = np.nonzero(close)
    if len(rows):
        s = dx[rows] * (ccx[rows, cols] - px[rows]) + dy[rows] * (ccy[rows, cols] - py[rows])
        el = e[rows, 0]
        out[rows[(s > -EPS * el) & (s < el * (el + EPS))]] = True
    return out


def _rings(build, er, kind, along_z, nxt_c, evx, evy, edge_c, u, kc, cx, cy, z, iz, ox, oy):
    """The overlap polygons of the pairs ``build`` (module notes: chains, then arcs of C)."""
    pick = np.zeros(len(kc), dtype=bool)
    pick[build] = True
    ev = np.flatnonzero(pick[er])
    # Chains: along Z, each entry is followed by its exit (the runs alternate; checked around C).
    by_z = ev[np.lexsort((along_z[ev], er[ev]))]
    count = np.bincount(er[by_z], minlength=len(kc))
    first = np.cumsum(count) - count
    rank = np.arange(len(by_z)) - first[er[by_z]]
    following = by_z[first[er[by_z]] + (rank + 1) % count[er[by_z]]]
    entries = by_z[kind[by_z] == 0]
    exit_of = np.full(len(er), -1, np.int64)
    exit_of[entries] = following[kind[by_z] == 0]
    # Rings: from each chain's exit, C's boundary leads to the next entry (the next chain).
    chain = np.full(len(er), -1, np.int64)
    chain[entries] = np.arange(len(entries))
    nxt_chain = chain[nxt_c[exit_of[entries]]]
    # Walk every cycle from its smallest chain: order of the chains within their ring.
    head = np.arange(len(entries))
    step = nxt_chain.copy()
    for _ in range(int(np.ceil(np.log2(max(len(entries), 2)))) + 1):
        head = np.minimum(head, head[step])
        step = step[step]
    heads = np.flatnonzero(head == np.arange(len(entries)))
    order, ring_of = [], []
    cur, alive = heads.copy(), np.ones(len(heads), dtype=bool)
    for _ in range(len(entries)):
        order.append(cur[alive])
        ring_of.append(np.flatnonzero(alive))
        cur = nxt_chain[cur]
        alive &= cur != heads
        if not alive.any():
            break
    seq = np.concatenate(order)  # chains in ring order, ring by ring (rings interleaved)
    ring = np.concatenate(ring_of)
    seq = seq[np.argsort(ring, kind="stable")]
    ring = np.sort(ring, kind="stable")
    # Per chain: entry point, Z's vertices, exit point, C's vertices up to the next entry.
    e_in = entries[seq]
    e_out = exit_of[e_in]
    pair = er[e_in]
    kz = z.k[iz][pair]
    a = np.floor(along_z[e_in]).astype(np.int64)
    b = np.floor(along_z[e_out]).astype(np.int64)
    nz = (b - a) % kz
    e_next = nxt_c[e_out]
    ca, cb = edge_c[e_out], edge_c[e_next]
    k = kc[pair]
    ncv = np.where((ca == cb) & (u[e_next] >= u[e_out]), 0, (cb - ca) % k)
    ncv = np.where((ca == cb) & (u[e_next] < u[e_out]), k, ncv)
    size = 2 + nz + ncv
    owner, at = _ranges(size)
    xs, ys = np.empty(len(owner)), np.empty(len(owner))
    p = pair[owner]
    is_in, is_out = at == 0, at == 1 + nz[owner]
    is_z = (at >= 1) & (at <= nz[owner])
    is_c = at > 1 + nz[owner]
    xs[is_in], ys[is_in] = evx[e_in][owner[is_in]], evy[e_in][owner[is_in]]
    xs[is_out], ys[is_out] = evx[e_out][owner[is_out]], evy[e_out][owner[is_out]]
    zi = z.start[iz][p[is_z]] + (a[owner[is_z]] + at[is_z]) % kz[owner[is_z]]
    xs[is_z], ys[is_z] = z.x[zi] - ox[p[is_z]], z.y[zi] - oy[p[is_z]]
    ci = (ca[owner[is_c]] + at[is_c] - 1 - nz[owner[is_c]]) % k[owner[is_c]]
    xs[is_c], ys[is_c] = cx[p[is_c], ci], cy[p[is_c], ci]
    xs += ox[p]
    ys += oy[p]
    # Rings closed on their first vertex, then polygons, then one (multi)polygon per pair.
    n_ring = int(ring[-1]) + 1
    ring_len = np.bincount(ring, weights=size, minlength=n_ring).astype(np.int64)
    ring_start = np.cumsum(ring_len) - ring_len
    r_of, at = _ranges(ring_len + 1)
    closed = ring_start[r_of] + np.where(at < ring_len[r_of], at, 0)
    coords = np.column_stack([xs[closed], ys[closed]])
    chains_per_ring = np.bincount(ring, minlength=n_ring)
    ring_pair = pair[np.cumsum(chains_per_ring) - chains_per_ring]
    rings_per_pair = np.bincount(ring_pair, minlength=len(kc))[build]
    out = np.empty(len(build), dtype=object)
    # Pairs of one ring are polygons, the others multipolygons (a parcel across a U-shaped zone).
    one = (rings_per_pair == 1)[np.repeat(np.arange(len(build)), rings_per_pair)]
    for kind_, mask, rows in (
        (shapely.GeometryType.POLYGON, one, rings_per_pair == 1),
        (shapely.GeometryType.MULTIPOLYGON, ~one, rings_per_pair > 1),
    ):
        if not mask.any():
            continue
        size_ = ring_len[mask] + 1
        pts = np.repeat(mask, ring_len + 1)
        ring_off = np.r_[0, np.cumsum(size_)]
        offsets = [ring_off, np.arange(int(mask.sum()) + 1)]
        if kind_ == shapely.GeometryType.MULTIPOLYGON:
            offsets.append(np.r_[0, np.cumsum(rings_per_pair[rows])])
        out[rows] = shapely.from_ragged_array(kind_, coords[pts], tuple(offsets))
    return out
