"""Turning measured (project, line) pairs into graded conflict rows: shares, rule grades, slivers, reasons.

Works on plain dicts of numpy arrays (one entry per column) so that a chunk of 10⁵ pairs costs no
per-row pandas overhead. Two stages, because the setback search needs the finished overlap rows
(a pair with a real overlap gets no setback finding):

* :func:`finish_rows` — numbers and codes: shares of project and line, the rule of each row, grade
  rank, sliver flags;
* :func:`text_columns` — the text columns (ids, names, grade, clause, procedure, reasons in English
  and Chinese) as Arrow arrays (:mod:`townplan_gis.fiveline.text`), built column-wise without the GIL.

:func:`townplan_gis.fiveline.kernel.review_chunk` builds the GeoDataFrame once at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from townplan_gis.core.vocab import GRADE_TEXT, LINE_ZH, ZONE_ZH
from townplan_gis.fiveline.rules import GRADE_RANK, Rule, Rules
from townplan_gis.fiveline.text import Coded, fixed, join, take

if TYPE_CHECKING:
    from townplan_gis.fiveline.lines import PreparedLines

__all__ = [
    "CHECK_TEXT",
    "GRADE_TEXT",
    "LINE_ZH",
    "MU_M2",
    "RULE_TEXT",
    "ZONE_ZH",
    "finish_rows",
    "resolve_rows",
    "sliver_flags",
    "text_columns",
]

MU_M2 = 10000.0 / 15.0  # 1 亩 in m², exactly (docs/sources.md#units)
#: The ``check`` of a row: overlap (0) or setback (1).
CHECK_TEXT = np.array(["overlap", "setback"], dtype=object)
#: Conflict text columns and the Rule attribute each comes from.
RULE_TEXT = (
    ("clause", "clause_zh"),
    ("procedure", "procedure_zh"),
    ("clause_en", "clause_en"),
    ("procedure_en", "procedure_en"),
)


def resolve_rows(
    line_key: np.ndarray,
    line_table: list[tuple[str, str | None]],
    project_type: np.ndarray,
    rules: Rules,
) -> tuple[np.ndarray, list[Rule]]:
    """The rule grading each row, resolving each distinct (line type, zone, project type) once.

    Parameters
    ----------
    line_key : ndarray of int
        Per row, the position in ``line_table`` of its line's (line type, zone).
    line_table : list of (line_type, zone)
    project_type : ndarray of object
        Per row, the canonical project type.

    Returns
    -------
    (codes, rules)
        Per row, the position of its rule in the returned list.
    """
    pt_code, pt_table = pd.factorize(np.asarray(project_type, dtype=object))
    n_types = max(len(pt_table), 1)
    key = np.asarray(line_key, dtype=np.int64) * n_types + pt_code
    uniq, codes = np.unique(key, return_inverse=True)
    resolved = []
    for k in uniq:
        lt, zone = line_table[k // n_types]
        resolved.append(rules.resolve(lt, zone, str(pt_table[k % n_types])))
    return codes.astype(np.int64), resolved


def sliver_flags(area, length, geom, size, dim, rules: Rules) -> dict[str, np.ndarray]:
    """Sliver tests per row (``docs/sources.md#tolerance-practice``).

    Returns ``small`` (below max(A_min, p_min · project)), ``thin`` (vanishes under the inward
    buffer), ``measure`` (area for polygons, length for lines) and ``thresh`` (the size limit).
    """
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
    return {"small": small, "thin": thin & ~small, "measure": measure, "thresh": thresh}


def finish_rows(rows: dict, chunk: pd.DataFrame, lines: PreparedLines, rules: Rules) -> dict:
    """Attach shares, rules, grade ranks and sliver flags to measured rows (numbers only).

    ``rows`` holds ``_row`` (chunk row), ``_line``, ``_setback`` (bool), ``_rank`` (grade rank of
    setback rows), ``overlap_area_m2``, ``overlap_length_m``, ``distance_m``, ``geometry``; overlap
    rows come first. Adds ``_pos``, ``_dim``, ``overlap_area_mu``, ``pct_of_project``,
    ``pct_of_line``, ``_rule`` (into ``rows["_rules"]``), ``ignored``, ``_kept`` (a sliver kept
    because its line is exempt), ``_thin``, ``_measure``, ``_thresh``.
    """
    r, li = rows["_row"], rows["_line"]
    la = lines.arrays
    # The dimension of the part a row measures (a collection's polygon, line or point part), and
    # that part's size: shares are of the part.
    dim = rows["_dim"] if "_dim" in rows else chunk["_dim"].to_numpy()[r]
    if "_area" in chunk:
        size = np.where(
            dim == 2,
            chunk["_area"].to_numpy()[r],
            np.where(dim == 1, chunk["_length"].to_numpy()[r], 1.0),
        )
    else:
        size = chunk["_size"].to_numpy()[r]
    rows["_pos"] = chunk["_pos"].to_numpy()[r]
    rows["_dim"] = dim
    area, length = rows["overlap_area_m2"], rows["overlap_length_m"]
    is_ov = ~rows["_setback"]
    rows["overlap_area_mu"] = area / MU_M2
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["pct_of_project"] = np.where(
            dim == 2, area / size * 100, np.where(dim == 1, length / size * 100, 100.0)
        )
        rows["pct_of_line"] = np.where((dim == 2) & is_ov, area / la["area_m2"][li] * 100, np.nan)
    ptype = chunk["project_type"].to_numpy(dtype=object)[r]
    codes, resolved = resolve_rows(la["line_key"][li], lines.line_table, ptype, rules)
    rows["_rule"], rows["_rules"] = codes, resolved
    rule_rank = np.array([GRADE_RANK[x.grade] for x in resolved], dtype=np.int64)
    flags = sliver_flags(area, length, rows["geometry"], size, dim, rules)
    sliver = (flags["small"] | flags["thin"]) & is_ov
    exempt = la["sliver_exempt"][li]
    rows["ignored"] = sliver & ~exempt
    rows["_kept"] = sliver & exempt
    rank = np.where(is_ov, rule_rank[codes] if len(resolved) else 0, rows["_rank"])
    rows["_rank"] = np.where(rows["ignored"], GRADE_RANK["notice"], rank)
    for k in ("thin", "measure", "thresh"):  # for the sliver reasons
        rows[f"_{k}"] = flags[k]
    return rows


def _overlap_reasons(rows: dict, n_ov: int, lines: PreparedLines, rules: Rules):
    """English and Chinese reasons of the first ``n_ov`` rows (overlaps)."""
    s = slice(0, n_ov)
    li, dim = rows["_line"][s], rows["_dim"][s]
    value = np.where(dim == 2, rows["overlap_area_m2"][s], rows["overlap_length_m"][s])
    unit = take(pa.array([" m", " m²"]), (dim == 2).astype(np.int64))
    amount = join(fixed(value, 1), unit)
    amount_zh = amount
    point = dim == 0
    if point.any():
        amount = pc.if_else(pa.array(point), "point", amount)
        amount_zh = pc.if_else(pa.array(point), "点位", amount_zh)
    pct = fixed(rows["pct_of_project"][s], 1)
    line = pa.array(li)
    en = join(
        "inside ", lines.text["what_en"].take(line), ": ", amount, " (", pct, " % of project)"
    )
    zh = join("位于", lines.text["what_zh"].take(line), "内：", amount_zh, "（占项目 ", pct, " %）")
    ignored = rows["ignored"][s]
    if ignored.any():
        why_en, why_zh = _sliver_reasons(rows, np.flatnonzero(ignored), rules)
        mask = pa.array(ignored)
        en = pc.replace_with_mask(en, mask, join(why_en, "; ignored"))
        zh = pc.replace_with_mask(zh, mask, join(why_zh, "；已忽略"))
    kept = rows["_kept"][s]
    if kept.any():
        mask = pa.array(kept)
        suffix_en = "; below the sliver tolerance, which is never applied here"
        en = pc.replace_with_mask(en, mask, join(en.filter(mask), suffix_en))
        zh = pc.replace_with_mask(
            zh, mask, join(zh.filter(mask), "；低于碎片容差，但此类控制线不适用容差")
        )
    return en, zh


def _sliver_reasons(rows: dict, idx: np.ndarray, rules: Rules) -> tuple[pa.Array, pa.Array]:
    """Why each row of ``idx`` is a sliver, in English and Chinese."""
    tol = rules.tolerance
    r = tol["inward_buffer_m"]
    line = rows["_dim"][idx] == 1
    unit = take(pa.array([" m²", " m"]), line.astype(np.int64))
    got = join(fixed(rows["_measure"][idx], 2), unit)
    limit = join(fixed(rows["_thresh"][idx], 2), unit)
    pct = f"{tol['min_pct_of_project']:g} %"
    rule = take(
        pa.array(
            [f"max({tol['min_area_m2']:g} m², {pct}", f"max({tol['min_length_m']:g} m, {pct}"]
        ),
        line.astype(np.int64),
    )
    en = join("sliver: ", got, " < tolerance ", limit, " (", rule, " of project))")
    zh = join("碎片：", got, " 小于容差 ", limit, "（", rule, " × 项目)）")
    thin = rows["_thin"][idx]
    if thin.any():
        mask = pa.array(thin)
        en = pc.if_else(
            mask, f"sliver: narrower than {2 * r:g} m (vanishes under a {r:g} m inward buffer)", en
        )
        zh = pc.if_else(mask, f"碎片：宽度不足 {2 * r:g} m（内缩 {r:g} m 后消失）", zh)
    return en, zh


def text_columns(
    rows: dict, chunk: pd.DataFrame, lines: PreparedLines, rules: Rules
) -> dict[str, Coded | pa.Array]:
    """The text columns of finished rows.

    Texts repeated across rows (ids, names, types, grades, clauses, procedures) are
    :class:`~townplan_gis.fiveline.text.Coded`: codes into small tables, expanded once after the
    chunks are joined; the reasons, distinct per row, are Arrow string arrays. Setback rows bring
    their own texts in ``rows["_sb_text"]``.
    """
    sb = rows["_setback"]
    n_ov = int(len(sb) - sb.sum())
    li, r = rows["_line"], rows["_row"]
    out: dict[str, Coded | pa.Array] = {"check": Coded(sb, CHECK_TEXT)}
    for col in ("project_id", "project_name", "project_type"):
        out[col] = Coded(r, chunk[col].to_numpy(dtype=object))
    for col in ("line_type", "line_id", "line_name", "zone"):
        out[col] = Coded(li, lines.arrays[col])
    out["grade"] = Coded(rows["_rank"], GRADE_TEXT)
    sb_text = rows.get("_sb_text", {})
    for col, attr in RULE_TEXT:
        table = np.array([getattr(x, attr) for x in rows["_rules"]] + [None], dtype=object)
        codes = np.where(sb, len(table) - 1, rows["_rule"])
        if col in sb_text:
            # Setback rows (after the overlaps) point into their own table, appended.
            own = sb_text[col]
            codes[n_ov:] = len(table) + own.codes
            table = np.concatenate([table, own.table])
        out[col] = Coded(codes, table)
    en, zh = _overlap_reasons(rows, n_ov, lines, rules)
    if "reason" in sb_text:
        en = pa.concat_arrays([en, sb_text["reason"]])
        zh = pa.concat_arrays([zh, sb_text["reason_zh"]])
    out["reason"], out["reason_zh"] = en, zh
    return out
