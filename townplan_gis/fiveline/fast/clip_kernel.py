"""The compiled loop of :func:`~townplan_gis.fiveline.fast.clip.clip`: one pass over the pairs.

:mod:`.clip` states the method (Cyrus–Beck clipping of Z's edges to the convex C, the arcs of C
between exit and entry points, Green's theorem for the area, Weiler–Atherton chains for the rings)
and the rules for degenerate pairs. This module runs it pair by pair, compiled by numba
(``nogil``: the review's threads clip at the same time). Per pair it reads only C's vertices and the
edges of Z whose boxes meet C's, and keeps its crossing points in a few small scratch arrays; the
numpy formulation it replaced built arrays of (near edge × C edge) for whole batches, and at 10⁶
parcels spent 10 of its 22 thread-seconds there, much of it in page faults on those arrays.

The compiled code is cached beside this file (``cache=True``): numba compiles it once per
installation (≈ 10 s for the three kernels), later processes load it in a fraction of a second.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["BACK_CODE", "CUT_CODE", "C_IN_Z_CODE", "DISJOINT_CODE", "Z_IN_C_CODE", "clip_pairs"]

#: Per-pair codes returned by :func:`clip_pairs`: the values of :mod:`.clip`'s statuses
#: (``DISJOINT``, ``C_IN_Z``, ``Z_IN_C``, ``CUT``, ``BACK``; a test holds them equal).
DISJOINT_CODE, C_IN_Z_CODE, Z_IN_C_CODE, CUT_CODE, BACK_CODE = 0, 1, 2, 3, -1


@numba.njit(nogil=True, cache=True)
def _grow_f(a: np.ndarray, need: int) -> np.ndarray:
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]))
    b[: a.shape[0]] = a
    return b


@numba.njit(nogil=True, cache=True)
def _grow_i(a: np.ndarray, need: int) -> np.ndarray:
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]), np.int64)
    b[: a.shape[0]] = a
    return b


@numba.njit(nogil=True, cache=True)
def _stable_order(key: np.ndarray, n: int, out: np.ndarray) -> None:
    """``out[:n]`` = positions 0..n-1 sorted by ``key`` (stable; n is small: a pair's crossings)."""
    for i in range(n):
        out[i] = i
    for i in range(1, n):
        v = out[i]
        j = i - 1
        while j >= 0 and key[out[j]] > key[v]:
            out[j + 1] = out[j]
            j -= 1
        out[j + 1] = v


@numba.njit(nogil=True, cache=True)
def _edge(zx, zy, s0, kz, j, ox, oy):
    """Edge ``j`` of the ring starting at ``s0`` with ``kz`` vertices, relative to (ox, oy): its
    ends (px, py) and (qx, qy) (the last edge runs back to the first vertex)."""
    vi = s0 + j
    vn = vi + 1 if j + 1 < kz else s0
    return zx[vi] - ox, zy[vi] - oy, zx[vn] - ox, zy[vn] - oy


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _contains_origin(zx, zy, s0, kz, first, nb, bedge, blen, by0, by1, bx1, ox, oy):
    """Whether the point (ox, oy) lies inside the ring of Z (even–odd count of the crossings of
    the ray towards +x, half-open in y). Called only where no edge of Z comes within eps of C, so
    the point is at least eps from Z's boundary and the count cannot be tipped by rounding."""
    inside = False
    for b in range(first, first + nb):
        if by0[b] - oy > 0 or by1[b] - oy <= 0 or bx1[b] - ox < 0:
            continue  # every edge of the block above, below or left of the point
        for je in range(blen[b]):
            px, py, qx, qy = _edge(zx, zy, s0, kz, bedge[b] + je, ox, oy)
            if (py > 0) != (qy > 0):
                if px + (0.0 - py) * (qx - px) / (qy - py) > 0:
                    inside = not inside
    return inside


@numba.njit(nogil=True, cache=True, error_model="numpy")
def clip_pairs(
    cxs: np.ndarray,
    cys: np.ndarray,
    ck: np.ndarray,
    ic: np.ndarray,
    zx: np.ndarray,
    zy: np.ndarray,
    zstart: np.ndarray,
    zk: np.ndarray,
    zfirst: np.ndarray,
    znb: np.ndarray,
    bedge: np.ndarray,
    blen: np.ndarray,
    bx0: np.ndarray,
    by0: np.ndarray,
    bx1: np.ndarray,
    by1: np.ndarray,
    iz: np.ndarray,
    min_area: float,
    eps: float,
):
    """Clip convex ``C = (cxs, cys)[ic[p]]`` (``ck`` vertices, counter-clockwise, padded rows) by
    polygon ``Z = iz[p]`` (flat counter-clockwise vertices ``zx, zy`` from ``zstart`` with ``zk``
    vertices, edges in blocks ``zfirst … + znb`` with boxes) for every pair *p*.

    Returns ``(twice, code, g_pair, g_rings, ring_len, xs, ys)``: twice the area (NaN where handed
    back) and the pair's code (``*_CODE``); and, for the cut pairs whose area exceeds ``min_area``
    (in pair order), the pair, its number of rings, each ring's length (closed) and the ring
    vertices.
    """
    n = ic.shape[0]
    width = cxs.shape[1]
    twice_out = np.zeros(n)
    code = np.zeros(n, np.int8)
    # C relative to its first vertex: its vertices, edges, their lengths, the next vertex and the
    # prefix sums of the edge cross products (C's boundary arcs).
    cx = np.empty(width)
    cy = np.empty(width)
    ex = np.empty(width)
    ey = np.empty(width)
    cl = np.empty(width)
    nxv = np.empty(width)
    nyv = np.empty(width)
    prefix = np.empty(width + 1)
    # A pair's crossings: entries (kind 0) first, then exits (kind 1), each in Z's edge order.
    cap = 16
    in_x, in_y, in_a = np.empty(cap), np.empty(cap), np.empty(cap)
    in_e = np.empty(cap, np.int64)
    out_x, out_y, out_a = np.empty(cap), np.empty(cap), np.empty(cap)
    out_e = np.empty(cap, np.int64)
    # All crossings of a pair, and the scratch of its rings (grown when a pair has more).
    evx, evy, along, u = np.empty(cap), np.empty(cap), np.empty(cap), np.empty(cap)
    edge, kind = np.empty(cap, np.int64), np.empty(cap, np.int8)
    by_c, nxt_c, by_z = np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64)
    chain_of, entries = np.empty(cap, np.int64), np.empty(cap, np.int64)
    exit_of, nxt_chain = np.empty(cap, np.int64), np.empty(cap, np.int64)
    seen = np.empty(cap, np.bool_)
    # Geometry of the kept cut pairs.
    g_pair = np.empty(64, np.int64)
    g_rings = np.empty(64, np.int64)
    ring_len = np.empty(64, np.int64)
    xs = np.empty(1024)
    ys = np.empty(1024)
    ng = 0
    nr = 0
    npts = 0
    for p in range(n):
        i = ic[p]
        k = ck[i]
        ox = cxs[i, 0]
        oy = cys[i, 0]
        for m in range(k):
            cx[m] = cxs[i, m] - ox
            cy[m] = cys[i, m] - oy
        x0 = cx[0]
        x1 = cx[0]
        y0 = cy[0]
        y1 = cy[0]
        for m in range(k):
            x0 = min(x0, cx[m])
            x1 = max(x1, cx[m])
            y0 = min(y0, cy[m])
            y1 = max(y1, cy[m])
        x0 -= eps
        y0 -= eps
        x1 += eps
        y1 += eps
        prefix[0] = 0.0
        for m in range(k):
            nm = m + 1 if m + 1 < k else 0
            nxv[m] = cx[nm]
            nyv[m] = cy[nm]
            ex[m] = nxv[m] - cx[m]
            ey[m] = nyv[m] - cy[m]
            cl[m] = np.hypot(ex[m], ey[m])
            prefix[m + 1] = prefix[m] + (cx[m] * nyv[m] - nxv[m] * cy[m])
        total = prefix[k]

        q = iz[p]
        s0 = zstart[q]
        kz = zk[q]
        twice = 0.0
        z_inside = False
        broken = False
        n_in = 0
        n_out = 0
        for b in range(zfirst[q], zfirst[q] + znb[q]):
            if broken:
                break
            if bx1[b] - ox < x0 or bx0[b] - ox > x1 or by1[b] - oy < y0 or by0[b] - oy > y1:
                continue
            for je in range(blen[b]):
                j = bedge[b] + je
                px, py, qx, qy = _edge(zx, zy, s0, kz, j, ox, oy)
                if max(px, qx) < x0 or min(px, qx) > x1 or max(py, qy) < y0 or min(py, qy) > y1:
                    continue
                dx = qx - px
                dy = qy - py
                e_len = np.hypot(dx, dy)
                t_in = -np.inf
                t_out = np.inf
                i_in = 0
                i_out = 0
                all_out = False
                for m in range(k):
                    # A vertex of C within eps of this edge of Z (a degenerate contact).
                    d = (dx * (cy[m] - py) - dy * (cx[m] - px)) / e_len
                    if abs(d) < eps:
                        s = dx * (cx[m] - px) + dy * (cy[m] - py)
                        if s > -eps * e_len and s < e_len * (e_len + eps):
                            broken = True
                    if not cl[m] > 0:
                        continue
                    # Cross products of the edge's ends with C's edge line (positive: inside).
                    dp = ex[m] * (py - cy[m]) - ey[m] * (px - cx[m])
                    dq = ex[m] * (qy - cy[m]) - ey[m] * (qx - cx[m])
                    e = cl[m]
                    if abs(dp) < eps * e:  # p within eps of C's edge m
                        s = ex[m] * (px - cx[m]) + ey[m] * (py - cy[m])
                        if s > -eps * e and s < e * (e + eps):
                            broken = True
                    if abs(dq) < eps * e:
                        s = ex[m] * (qx - cx[m]) + ey[m] * (qy - cy[m])
                        if s > -eps * e and s < e * (e + eps):
                            broken = True
                    if dp < 0 and dq < 0:
                        all_out = True
                    elif dp < 0 and dq >= 0:
                        t = dp / (dp - dq)
                        if t > t_in:
                            t_in = t
                            i_in = m
                    elif dp >= 0 and dq < 0:
                        t = dp / (dp - dq)
                        if t < t_out:
                            t_out = t
                            i_out = m
                if broken:
                    break
                t0 = max(0.0, t_in)
                t1 = min(1.0, t_out)
                if all_out or not t0 < t1:
                    continue
                ax = px + t0 * dx
                ay = py + t0 * dy
                bx = px + t1 * dx
                by = py + t1 * dy
                twice += ax * by - bx * ay
                z_inside = True
                if t0 > 0:
                    if n_in == in_x.shape[0]:
                        in_x, in_y = _grow_f(in_x, n_in + 1), _grow_f(in_y, n_in + 1)
                        in_a, in_e = _grow_f(in_a, n_in + 1), _grow_i(in_e, n_in + 1)
                    in_x[n_in], in_y[n_in], in_a[n_in], in_e[n_in] = ax, ay, j + t0, i_in
                    n_in += 1
                if t1 < 1:
                    if n_out == out_x.shape[0]:
                        out_x, out_y = _grow_f(out_x, n_out + 1), _grow_f(out_y, n_out + 1)
                        out_a, out_e = _grow_f(out_a, n_out + 1), _grow_i(out_e, n_out + 1)
                    out_x[n_out], out_y[n_out], out_a[n_out], out_e[n_out] = bx, by, j + t1, i_out
                    n_out += 1
        if broken:
            code[p] = BACK_CODE
            twice_out[p] = np.nan
            continue
        nev = n_in + n_out
        if nev == 0:
            twice_out[p] = twice
            if z_inside:
                code[p] = Z_IN_C_CODE
            elif _contains_origin(
                zx, zy, s0, kz, zfirst[q], znb[q], bedge, blen, by0, by1, bx1, ox, oy
            ):
                code[p] = C_IN_Z_CODE
                twice_out[p] = total
            else:
                code[p] = DISJOINT_CODE
            continue

        # The crossings in one list (entries, then exits), with their place along C's boundary.
        if nev > evx.shape[0]:
            size = 2 * nev
            evx, evy, along, u = np.empty(size), np.empty(size), np.empty(size), np.empty(size)
            edge, kind = np.empty(size, np.int64), np.empty(size, np.int8)
            by_c, nxt_c, by_z = (
                np.empty(size, np.int64),
                np.empty(size, np.int64),
                np.empty(size, np.int64),
            )
            chain_of, entries, exit_of, nxt_chain = (
                np.empty(size, np.int64),
                np.empty(size, np.int64),
                np.empty(size, np.int64),
                np.empty(size, np.int64),
            )
            seen = np.empty(size, np.bool_)
        for a in range(nev):
            if a < n_in:
                evx[a], evy[a], along[a], edge[a], kind[a] = in_x[a], in_y[a], in_a[a], in_e[a], 0
            else:
                b = a - n_in
                evx[a], evy[a], along[a] = out_x[b], out_y[b], out_a[b]
                edge[a], kind[a] = out_e[b], 1
            m = edge[a]
            s = ((evx[a] - cx[m]) * ex[m] + (evy[a] - cy[m]) * ey[m]) / (
                ex[m] * ex[m] + ey[m] * ey[m]
            )
            u[a] = m + min(max(s, 0.0), 1.0)
        _stable_order(u, nev, by_c)
        for r in range(nev):
            nxt_c[by_c[r]] = by_c[(r + 1) % nev]
        # Around C, entries and exits alternate; two crossings closer than eps: degenerate.
        for a in range(nev):
            b = nxt_c[a]
            if kind[a] == kind[b]:
                broken = True
            if edge[a] == edge[b] and b != a and abs(u[b] - u[a]) * cl[edge[a]] < eps:
                broken = True
        if broken:
            code[p] = BACK_CODE
            twice_out[p] = np.nan
            continue
        # C's boundary from each exit to the next entry, by the prefix sums.
        arcs = 0.0
        for a in range(n_in, nev):
            to = nxt_c[a]
            ia = edge[a]
            ib = edge[to]
            if ia == ib and u[to] >= u[a]:
                arcs += evx[a] * evy[to] - evx[to] * evy[a]
            else:
                mid = prefix[ib] - prefix[ia + 1] + (total if ib <= ia else 0.0)
                arcs += (
                    (evx[a] * nyv[ia] - nxv[ia] * evy[a])
                    + mid
                    + (cx[ib] * evy[to] - evx[to] * cy[ib])
                )
        twice += arcs
        twice_out[p] = twice
        code[p] = CUT_CODE
        if not twice / 2.0 > min_area:
            continue

        # The rings: chains along Z from each entry to its exit, then C's arc to the next entry.
        _stable_order(along, nev, by_z)
        chain_of[:nev] = -1
        n_ch = 0
        for r in range(nev):
            a = by_z[r]
            if kind[a] == 0:
                chain_of[a] = n_ch
                entries[n_ch] = a
                exit_of[n_ch] = by_z[(r + 1) % nev]
                n_ch += 1
        ok = True
        for ch in range(n_ch):
            nxt_chain[ch] = chain_of[nxt_c[exit_of[ch]]]
            if kind[exit_of[ch]] != 1 or nxt_chain[ch] < 0:
                ok = False
        if not ok:  # not seen; GEOS decides rather than a wrong ring
            code[p] = BACK_CODE
            twice_out[p] = np.nan
            continue
        seen[:n_ch] = False
        rings = 0
        nr0 = nr
        npts0 = npts
        for head in range(n_ch):
            if seen[head]:
                continue
            start = npts
            ch = head
            steps = 0
            while True:
                seen[ch] = True
                e_in = entries[ch]
                e_out = exit_of[ch]
                a0 = np.int64(np.floor(along[e_in]))
                b0 = np.int64(np.floor(along[e_out]))
                nz = ((b0 - a0) % kz + kz) % kz
                e_next = nxt_c[e_out]
                ca = edge[e_out]
                cb = edge[e_next]
                if ca == cb:
                    ncv = 0 if u[e_next] >= u[e_out] else k
                else:
                    ncv = ((cb - ca) % k + k) % k
                need = npts + 3 + nz + ncv
                if need > xs.shape[0]:
                    xs, ys = _grow_f(xs, need), _grow_f(ys, need)
                xs[npts], ys[npts] = evx[e_in] + ox, evy[e_in] + oy
                npts += 1
                for at in range(1, nz + 1):
                    zi = s0 + (a0 + at) % kz
                    xs[npts], ys[npts] = (zx[zi] - ox) + ox, (zy[zi] - oy) + oy
                    npts += 1
                xs[npts], ys[npts] = evx[e_out] + ox, evy[e_out] + oy
                npts += 1
                for mm in range(1, ncv + 1):
                    ci = (ca + mm) % k
                    xs[npts], ys[npts] = cx[ci] + ox, cy[ci] + oy
                    npts += 1
                ch = nxt_chain[ch]
                steps += 1
                if ch == head or steps > n_ch:
                    break
            if ch != head:
                ok = False
                break
            xs[npts], ys[npts] = xs[start], ys[start]  # closed on its first vertex
            npts += 1
            ring_len = _grow_i(ring_len, nr + 1)
            ring_len[nr] = npts - start
            nr += 1
            rings += 1
        if not ok:
            nr, npts = nr0, npts0
            code[p] = BACK_CODE
            twice_out[p] = np.nan
            continue
        g_pair = _grow_i(g_pair, ng + 1)
        g_rings = _grow_i(g_rings, ng + 1)
        g_pair[ng] = p
        g_rings[ng] = rings
        ng += 1
    return (
        twice_out,
        code,
        g_pair[:ng].copy(),
        g_rings[:ng].copy(),
        ring_len[:nr].copy(),
        xs[:npts].copy(),
        ys[:npts].copy(),
    )
