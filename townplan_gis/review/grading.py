"""Turning measured (project, line) pairs into graded conflict rows: shares, rule grades, slivers, reasons.

Works on plain dicts of numpy arrays (one entry per column) so that a chunk of 10⁵ pairs costs no
per-row pandas overhead; :func:`townplan_gis.review.kernel.review_chunk` builds the GeoDataFrame once
at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from townplan_gis.review.rules import Rules

if TYPE_CHECKING:
    from townplan_gis.review.kernel import PreparedLines

__all__ = ["LINE_ZH", "MU_M2", "finish_rows", "fmt", "grade_rows", "sliver_flags"]

MU_M2 = 10000.0 / 15.0  # 1 亩 in m², exactly (domain brief §2)
LINE_ZH = {"red": "红线", "green": "绿线", "purple": "紫线", "blue": "蓝线", "yellow": "黄线"}
_TEXT = ("grade", "clause", "procedure", "clause_en", "procedure_en")
ZONE_ZH = {"core": "（核心保护范围）", "control": "（建设控制地带）", "harmony": "（环境协调区）"}


def fmt(values: np.ndarray, digits: int) -> np.ndarray:
    """Numbers rounded to ``digits`` as text, in an object array (``+`` concatenates element-wise)."""
    return np.round(np.asarray(values, dtype=float), digits).astype(str).astype(object)


def _text(values) -> np.ndarray:
    """An object array of str with None/NaN → ""."""
    arr = np.asarray(values, dtype=object)
    return np.where(pd.isna(arr), "", arr).astype(str).astype(object)


def grade_rows(line_type, zone, project_type, rules: Rules) -> dict[str, np.ndarray]:
    """Grade, clause and procedure per row, resolving each distinct (line, zone, type) once."""
    cols = [pd.factorize(_text(v)) for v in (line_type, zone, project_type)]
    key = np.zeros(len(cols[0][0]), dtype=np.int64)
    for c, u in cols:
        key = key * len(u) + c
    uniq, codes = np.unique(key, return_inverse=True)
    resolved = []
    for k in uniq:
        values = []
        for _, u in reversed(cols):
            values.append(str(u[k % len(u)]))
            k //= len(u)
        pt, z, lt = values
        resolved.append(rules.resolve(lt, z or None, pt))
    table = {
        "grade": np.array([r.grade for r in resolved], dtype=object),
        "clause": np.array([r.clause_zh for r in resolved], dtype=object),
        "procedure": np.array([r.procedure_zh for r in resolved], dtype=object),
        "clause_en": np.array([r.clause_en for r in resolved], dtype=object),
        "procedure_en": np.array([r.procedure_en for r in resolved], dtype=object),
    }
    return {c: v[codes] for c, v in table.items()}


def sliver_flags(
    area, length, geom, size, dim, rules: Rules
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sliver flags and their reasons in English and Chinese (domain brief §4 tolerance), per row."""
    tol = rules.tolerance
    r = tol["inward_buffer_m"]
    share = tol["min_pct_of_project"] / 100.0 * size
    thresh = np.where(
        dim == 2, np.maximum(tol["min_area_m2"], share), np.maximum(tol["min_length_m"], share)
    )
    measure = np.where(dim == 2, area, length)
    small = (dim >= 1) & (measure < thresh)
    thin = np.zeros(len(area), dtype=bool)
    if r > 0:
        # A shape that vanishes under an inward buffer r lies within r of its boundary, so its area
        # is ∫₀ʳ |{d = t}| dt, and a level set {d = t} is at most the perimeter P plus an arc of
        # angle ≤ π per reflex vertex: area ≤ rP + πr²n/2 (n vertices). Larger overlaps need no
        # buffer.
        n = shapely.get_num_coordinates(geom)
        bound = r * shapely.length(geom) + np.pi * r * r * n / 2
        cand = np.flatnonzero((dim == 2) & ~small & (area <= bound))
        if len(cand):
            thin[cand] = shapely.is_empty(shapely.buffer(geom[cand], -r))
    why = np.full(len(area), "", dtype=object)
    why_zh = why.copy()
    if small.any():
        unit = np.where(dim[small] == 2, " m²", " m").astype(object)
        got = np.char.mod("%.2f", measure[small]).astype(object) + unit
        limit = np.char.mod("%.2f", thresh[small]).astype(object) + unit
        rule = f"max({tol['min_area_m2']:g} m², {tol['min_pct_of_project']:g} %"
        why[small] = "sliver: " + got + " < tolerance " + limit + f" ({rule} of project))"
        why_zh[small] = "碎片：" + got + " 小于容差 " + limit + f"（{rule} × 项目)）"
    why[thin & ~small] = (
        f"sliver: narrower than {2 * r:g} m (vanishes under a {r:g} m inward buffer)"
    )
    why_zh[thin & ~small] = f"碎片：宽度不足 {2 * r:g} m（内缩 {r:g} m 后消失）"
    return small | thin, why, why_zh


def finish_rows(rows: dict, chunk: pd.DataFrame, lines: PreparedLines, rules: Rules) -> dict:
    """Attach project and line attributes, shares, grades, slivers and reasons to measured rows.

    ``rows`` holds ``_row`` (chunk row), ``_line``, ``check``, ``overlap_area_m2``,
    ``overlap_length_m``, ``distance_m``, ``geometry`` and, for setback rows, their grade, texts and
    reason (None on overlap rows).
    """
    r, li = rows["_row"], rows["_line"]
    la = lines.arrays
    size = chunk["_size"].to_numpy()[r]
    dim = chunk["_dim"].to_numpy()[r]
    rows["_pos"] = chunk["_pos"].to_numpy()[r]
    for col in ("project_id", "project_name", "project_type"):
        rows[col] = chunk[col].to_numpy(dtype=object)[r]
    for col in ("line_type", "line_id", "line_name", "zone"):
        rows[col] = la[col][li]
    area, length = rows["overlap_area_m2"], rows["overlap_length_m"]
    is_ov = rows["check"] == "overlap"
    rows["overlap_area_mu"] = area / MU_M2
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["pct_of_project"] = np.where(
            dim == 2, area / size * 100, np.where(dim == 1, length / size * 100, 100.0)
        )
        rows["pct_of_line"] = np.where((dim == 2) & is_ov, area / la["area_m2"][li] * 100, np.nan)
    graded = grade_rows(rows["line_type"], rows["zone"], rows["project_type"], rules)
    for col in _TEXT:
        rows[col] = np.where(is_ov, graded[col], rows[col])
    sliver, why, why_zh = sliver_flags(area, length, rows["geometry"], size, dim, rules)
    sliver &= is_ov
    exempt = la["sliver_exempt"][li]
    ignored = sliver & ~exempt
    rows["ignored"] = ignored
    rows["grade"] = np.where(ignored, "notice", rows["grade"])
    what = la["what_en"][li]
    pct = fmt(rows["pct_of_project"], 1)
    amount = np.full(len(dim), "point", dtype=object)
    for d, values, unit in ((2, area, " m²"), (1, length, " m")):
        sel = dim == d
        if sel.any():
            amount[sel] = fmt(values[sel], 1) + unit
    base = "inside " + what + ": " + amount + " (" + pct + " % of project)"
    reason = np.where(is_ov, base, rows["reason"])
    reason = np.where(ignored, why + "; ignored", reason)
    kept = sliver & exempt
    rows["reason"] = np.where(
        kept, reason + "; below the sliver tolerance, which is never applied here", reason
    )
    amount_zh = np.where(amount == "point", "点位", amount)
    base_zh = "位于" + la["what_zh"][li] + "内：" + amount_zh + "（占项目 " + pct + " %）"
    reason_zh = np.where(is_ov, base_zh, rows["reason_zh"])
    reason_zh = np.where(ignored, why_zh + "；已忽略", reason_zh)
    rows["reason_zh"] = np.where(
        kept, reason_zh + "；低于碎片容差，但此类控制线不适用容差", reason_zh
    )
    return rows
