"""Setback findings: buildings closer to a red or blue line than the required distance.

Building setback from the road red line has no national table; local rules use ≥ 8 m on a town's main
roads and ≥ 5 m on ordinary roads, and ≥ 10 m from a river blue line where no plan sets it
(``docs/sources.md#setbacks-local``, [S] jianbiaoku.com book 9361; GB 50188-2007). The distances live in the rule file
(``[setbacks.distance_m]``) and may be overridden per line by a ``setback_m`` column.

A finding is reported when the shortest distance between the project and the line polygon is below
the required distance *d*:

.. math:: \\operatorname{dist}(P, L) < d(L)

with geometry = the part of the project inside the setback band ``buffer(L, d) − L`` and
``distance_m`` = the measured distance. A project that really overlaps the same line (a non-ignored
overlap) gets no separate setback finding: the overlap already grades it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from townplan_gis.core.geometry import keep_dimension
from townplan_gis.core.schema import LINE_TYPES, aliases
from townplan_gis.fiveline.grade import RULE_TEXT, shares
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.overlap import Reference
from townplan_gis.fiveline.pieces import aggregate_pieces
from townplan_gis.fiveline.rows import Rows
from townplan_gis.fiveline.rules import GRADE_RANK, Rules
from townplan_gis.fiveline.text import fixed, join, take

# Chinese names for reasons: the first alias of each canonical value (建筑, 主干路 …).
_TYPE_ZH = {k: v[0] for k, v in aliases()["values"]["project_type"].items() if v}

__all__ = ["setback_rows"]


def _band_parts(
    geoms: np.ndarray,
    pos: np.ndarray,
    line: np.ndarray,
    lines: PreparedLines,
    touching: np.ndarray,
    engine: Reference,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Part of each candidate (chunk row, line) pair inside the line's setback band.

    The band is the zone ``buffer(L, d)`` minus the line. Each project is cut by the subdivided
    zone pieces (polygon projects by the engine, :meth:`Reference.measure_pairs`), the pieces are
    re-aggregated per line like the overlaps, and the line is subtracted only where the project
    reaches it (``touching``: keys ``row × len(lines) + line`` at distance 0).
    Returns (row, line, geometry) for the pairs with a non-empty part.
    """
    sub = np.unique(pos)
    left, right = lines.zone_tree.query(geoms[sub])
    rows, zone_line = sub[left], lines.zone_line[right]
    n = len(lines)
    keep = np.isin(rows.astype(np.int64) * n + zone_line, pos.astype(np.int64) * n + line)
    rows, right = rows[keep], right[keep]
    dims = shapely.get_dimensions(geoms[rows])
    poly = np.flatnonzero(dims == 2)
    at, piece, measure, part = engine.measure_pairs(
        geoms, rows[poly], lines.zones, right[poly], zones=True
    )
    found = [(at, piece, part, measure)]
    rest = np.flatnonzero(dims != 2)
    if len(rest):
        cut = shapely.intersection(geoms[rows[rest]], lines.zones[right[rest]])
        for d in (1, 0):
            sel = dims[rest] == d
            if sel.any():
                cut[sel] = keep_dimension(cut[sel], d)
        ok = ~(shapely.is_missing(cut) | shapely.is_empty(cut))
        found.append((rows[rest][ok], right[rest][ok], cut[ok], shapely.length(cut[ok])))
    r, zp, part, measure = (np.concatenate(x) for x in zip(*found, strict=True))
    r, li, merged, _ = aggregate_pieces(r, lines.zone_line[zp], part, measure, n)
    if len(r) and touching is not None and len(touching):
        on = np.flatnonzero(np.isin(r * n + li, touching))
        if len(on):
            dim = shapely.get_dimensions(geoms[r[on]])
            cut = shapely.difference(merged[on], lines.geoms[li[on]])
            for d in (2, 1, 0):
                if (dim == d).any():
                    cut[dim == d] = keep_dimension(cut[dim == d], d)
            merged = merged.copy()
            merged[on] = cut
            gone = on[shapely.is_empty(cut) | shapely.is_missing(cut)]
            if len(gone):
                stay = np.setdiff1d(np.arange(len(r)), gone)
                r, li, merged = r[stay], li[stay], merged[stay]
    return r, li, merged


def setback_rows(
    chunk: pd.DataFrame,
    lines: PreparedLines,
    rules: Rules,
    engine: Reference,
    *,
    covered: np.ndarray | None = None,
) -> Rows | None:
    """Setback findings of one prepared chunk (see module docstring); None when there is none.

    ``covered`` holds the keys ``row × len(lines) + line`` (chunk rows) of the pairs that already
    overlap for real: they get no finding.
    """
    types = list(rules.setbacks.get("project_types", []))
    geoms = np.asarray(chunk.geometry.array, dtype=object)
    ptype = chunk["project_type"].to_numpy(dtype=object)
    cand = np.flatnonzero(np.isin(ptype, types) & (chunk["_dim"].to_numpy() >= 0))
    if not len(cand) or lines.max_setback_m <= 0:
        return None
    a = lines.arrays
    # Distances to the subdivided pieces, minimum per (project, line): a river of 10⁴ vertices
    # costs one small distance per nearby piece instead of one huge distance per project. The
    # pieces are found by their boxes grown by their line's setback (``sb_tree``), and each
    # distance is measured once: a "dwithin" query would measure it, and then it is needed again.
    left, piece = lines.sb_tree.query(geoms[cand])
    piece = lines.sb_piece[piece]
    line = lines.piece_line[piece]
    key = cand[left].astype(np.int64) * len(lines) + line
    if covered is not None and len(covered):
        free = ~_isin(key, covered)
        left, piece, line, key = left[free], piece[free], line[free], key[free]
    d = shapely.distance(geoms[cand[left]], lines.pieces[piece])
    near = d < a["setback_m"][line]
    left, piece, line, key, d = left[near], piece[near], line[near], key[near], d[near]
    if not len(left):
        return None
    uniq, inv = np.unique(key, return_inverse=True)
    dist = np.full(len(uniq), np.inf)
    np.minimum.at(dist, inv, d)
    pos, right = uniq // len(lines), uniq % len(lines)
    need = a["setback_m"][right]
    near = dist < need
    pos, right, need, dist = pos[near], right[near], need[near], dist[near]
    if not len(pos):
        return None
    geom = np.full(len(pos), None, dtype=object)
    touching = pos[dist <= 0].astype(np.int64) * len(lines) + right[dist <= 0]
    bp, bl, merged = _band_parts(geoms, pos, right, lines, touching, engine)
    if len(bp):
        # The band parts come sorted by row × len(lines) + line, like ``uniq`` above.
        found = bp.astype(np.int64) * len(lines) + bl
        want = pos.astype(np.int64) * len(lines) + right
        at = np.minimum(np.searchsorted(found, want), len(found) - 1)
        hit = found[at] == want
        geom[hit] = merged[at[hit]]
    none = shapely.is_missing(geom)
    if none.any():
        # Within d only through an arc the polygonal buffer cuts off, or touching the line: the
        # finding keeps the project's nearest point as its geometry.
        geom[none] = _nearest_points(geoms[pos[none]], lines.geoms[right[none]])
    dims = shapely.get_dimensions(geom).astype(np.int8)
    cfg = rules.setbacks
    # Per line type, then per row: texts and the distance below which the finding needs review.
    codes, kind = np.unique(a["line_type_code"][right], return_inverse=True)
    kinds = [LINE_TYPES[c] for c in codes]
    texts = np.array([[cfg[t][src] for _, src in RULE_TEXT] for t in kinds], dtype=object)
    esc = np.array([cfg[t]["review_within_m"] for t in kinds], dtype=float)[kind]
    base = np.array([GRADE_RANK[cfg[t]["grade"]] for t in kinds], dtype=np.int8)[kind]
    rank = np.where(dist < esc, GRADE_RANK["review"], base).astype(np.int8)
    reason, reason_zh = _reasons(ptype[pos], lines, right, dist, need)
    area = np.where(dims == 2, shapely.area(geom), 0.0)
    length = np.where(dims == 1, shapely.length(geom), 0.0)
    # Shares are of the project (its main dimension), whatever the part drawn (a nearest point).
    dim = chunk["_dim"].to_numpy()[pos].astype(np.int8)
    _, pct, _ = shares(pos, right, dim, area, length, chunk, lines, of_line=False)
    return Rows(
        pos=chunk["_pos"].to_numpy(dtype=np.int64)[pos],
        line=right.astype(np.int64),
        setback=np.ones(len(pos), dtype=bool),
        dim=dim,
        area_m2=area,
        length_m=length,
        distance_m=dist,
        pct_of_project=pct,
        pct_of_line=np.full(len(pos), np.nan),
        rank=rank,
        ignored=np.zeros(len(pos), dtype=bool),
        text=kind.astype(np.int32),
        texts=texts.reshape(len(kinds), len(RULE_TEXT)),
        reason=reason,
        reason_zh=reason_zh,
        geometry=geom,
    )


def _isin(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """``np.isin(keys, table)`` by a binary search of each key in the sorted table: the table
    (a chunk's overlaps) is a few times smaller than the keys (its candidate pairs), which
    ``np.isin`` would sort too."""
    if not len(table):
        return np.zeros(len(keys), dtype=bool)
    table = np.sort(table)
    at = np.searchsorted(table, keys)
    return table[np.minimum(at, len(table) - 1)] == keys


def _reasons(ptype, lines: PreparedLines, line, dist, need) -> tuple[pa.Array, pa.Array]:
    """English and Chinese reasons of setback findings."""
    dist_txt = join(fixed(dist, 2), " m")
    values, codes = np.unique(need, return_inverse=True)
    need_txt = take(pa.array([f"{v:g} m" for v in values], type=pa.string()), codes)
    idx = pa.array(line)
    label = lines.text["label"].take(idx)
    line_zh = lines.text["line_zh"].take(idx)
    cls, cls_zh = lines.text["class_en"].take(idx), lines.text["class_zh"].take(idx)
    kinds, kind = np.unique(np.asarray(ptype, dtype=object).astype(str), return_inverse=True)
    type_en = take(pa.array(kinds.tolist(), type=pa.string()), kind)
    type_zh = take(pa.array([_TYPE_ZH.get(t, "项目") for t in kinds], type=pa.string()), kind)
    reason = join(
        type_en, " ", dist_txt, " from ", line_zh, " '", label, "'", cls,
        "; setback ", need_txt, " required",
    )  # fmt: skip
    reason_zh = join(
        type_zh, "距", line_zh, "「", label, "」", cls_zh, " ", dist_txt, "，应退让 ", need_txt
    )
    return reason, reason_zh


def _nearest_points(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The point of each project nearest to its line: the fallback geometry of a finding."""
    return shapely.get_point(shapely.shortest_line(a, b), 0)
