"""Turning measured (project, line) overlaps into graded conflict rows: shares, rule grades,
slivers, reasons.

:func:`grade_overlaps` takes what an engine measured (:class:`~townplan_gis.fiveline.rows.Measured`)
and returns :class:`~townplan_gis.fiveline.rows.Rows`: the share of project and line, the rule of
each row (each distinct (line type, zone, project type) resolved once), its grade rank, the sliver
tests, and the reasons in English and Chinese, built column-wise with Arrow string kernels
(:mod:`townplan_gis.fiveline.text`), without the GIL. The setback findings
(:mod:`townplan_gis.fiveline.setbacks`) use the same shares and texts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from townplan_gis.core.vocab import GRADE_TEXT, LINE_ZH, ZONE_ZH
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.rows import Measured, Rows
from townplan_gis.fiveline.rules import GRADE_RANK, Rule, Rules
from townplan_gis.fiveline.text import fixed, join, take

__all__ = [
    "CHECK_TEXT",
    "GRADE_TEXT",
    "LINE_ZH",
    "MU_M2",
    "RULE_TEXT",
    "ZONE_ZH",
    "grade_overlaps",
    "resolve_rows",
    "shares",
    "sliver_flags",
]

MU_M2 = 10000.0 / 15.0  # 1 亩 in m², exactly (docs/sources.md#units)
#: The ``check`` of a row by its ``Rows.setback`` flag: overlap (0) or setback (1).
CHECK_TEXT = np.array(["overlap", "setback"], dtype=object)
#: The conflict text columns of ``Rows.texts``, and the Rule attribute each comes from.
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


def shares(
    row: np.ndarray,
    line: np.ndarray,
    dim: np.ndarray,
    area: np.ndarray,
    length: np.ndarray,
    chunk: pd.DataFrame,
    lines: PreparedLines,
    *,
    of_line: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the size of the project part measured (m² or m; 1 for points), the overlap as % of
    it (100 for points) and as % of the line's area (polygon overlaps; NaN otherwise).
    """
    size = np.where(
        dim == 2,
        chunk["_area"].to_numpy()[row],
        np.where(dim == 1, chunk["_length"].to_numpy()[row], 1.0),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(dim == 2, area / size * 100, np.where(dim == 1, length / size * 100, 100.0))
        of = lines.arrays["area_m2"][line] if of_line else np.nan
        pct_line = np.where((dim == 2) & of_line, area / of * 100, np.nan)
    return size, pct, pct_line


def grade_overlaps(m: Measured, chunk: pd.DataFrame, lines: PreparedLines, rules: Rules) -> Rows:
    """Graded conflict rows of the overlaps ``m`` measured in ``chunk`` (module docstring).

    Parameters
    ----------
    m : Measured
        From :func:`townplan_gis.fiveline.overlap.measure`.
    chunk : pandas.DataFrame
        The prepared projects of the chunk (``_pos``, ``project_type``, ``_area``, ``_length``).
    lines : PreparedLines
    rules : Rules
    """
    la = lines.arrays
    size, pct, pct_line = shares(m.row, m.line, m.dim, m.area_m2, m.length_m, chunk, lines)
    ptype = chunk["project_type"].to_numpy(dtype=object)[m.row]
    codes, resolved = resolve_rows(la["line_key"][m.line], lines.line_table, ptype, rules)
    rank = np.array([GRADE_RANK[x.grade] for x in resolved], dtype=np.int8)[codes]
    flags = sliver_flags(m.area_m2, m.length_m, m.geometry, size, m.dim, rules)
    sliver = flags["small"] | flags["thin"]
    exempt = la["sliver_exempt"][m.line]
    ignored = sliver & ~exempt
    rank = np.where(ignored, GRADE_RANK["notice"], rank).astype(np.int8)
    texts = np.array(
        [[getattr(x, attr) for _, attr in RULE_TEXT] for x in resolved], dtype=object
    ).reshape(len(resolved), len(RULE_TEXT))
    en, zh = _overlap_reasons(m, pct, ignored, sliver & exempt, flags, lines, rules)
    return Rows(
        pos=chunk["_pos"].to_numpy(dtype=np.int64)[m.row],
        line=m.line,
        setback=np.zeros(len(m), dtype=bool),
        dim=m.dim,
        area_m2=m.area_m2,
        length_m=m.length_m,
        distance_m=np.zeros(len(m)),
        pct_of_project=pct,
        pct_of_line=pct_line,
        rank=rank,
        ignored=ignored,
        text=codes.astype(np.int32),
        texts=texts,
        reason=en,
        reason_zh=zh,
        geometry=m.geometry,
    )


def _overlap_reasons(
    m: Measured,
    pct_of_project: np.ndarray,
    ignored: np.ndarray,
    kept: np.ndarray,
    flags: dict[str, np.ndarray],
    lines: PreparedLines,
    rules: Rules,
) -> tuple[pa.Array, pa.Array]:
    """English and Chinese reasons of overlap rows."""
    li, dim = m.line, m.dim
    value = np.where(dim == 2, m.area_m2, m.length_m)
    unit = take(pa.array([" m", " m²"]), (dim == 2).astype(np.int64))
    amount = join(fixed(value, 1), unit)
    amount_zh = amount
    point = dim == 0
    if point.any():
        amount = pc.if_else(pa.array(point), "point", amount)
        amount_zh = pc.if_else(pa.array(point), "点位", amount_zh)
    pct = fixed(pct_of_project, 1)
    line = pa.array(li)
    en = join(lines.text["where_en"].take(line), ": ", amount, " (", pct, " % of project)")
    zh = join(lines.text["where_zh"].take(line), "：", amount_zh, "（占项目 ", pct, " %）")
    if ignored.any():
        why_en, why_zh = _sliver_reasons(dim, flags, np.flatnonzero(ignored), rules)
        mask = pa.array(ignored)
        en = pc.replace_with_mask(en, mask, join(why_en, "; ignored"))
        zh = pc.replace_with_mask(zh, mask, join(why_zh, "；已忽略"))
    if kept.any():
        mask = pa.array(kept)
        suffix_en = "; below the sliver tolerance, which is never applied here"
        en = pc.replace_with_mask(en, mask, join(en.filter(mask), suffix_en))
        zh = pc.replace_with_mask(
            zh, mask, join(zh.filter(mask), "；低于碎片容差，但此类控制线不适用容差")
        )
    return en, zh


def _sliver_reasons(
    dim: np.ndarray, flags: dict[str, np.ndarray], idx: np.ndarray, rules: Rules
) -> tuple[pa.Array, pa.Array]:
    """Why each row of ``idx`` is a sliver, in English and Chinese."""
    tol = rules.tolerance
    r = tol["inward_buffer_m"]
    line = dim[idx] == 1
    unit = take(pa.array([" m²", " m"]), line.astype(np.int64))
    got = join(fixed(flags["measure"][idx], 2), unit)
    limit = join(fixed(flags["thresh"][idx], 2), unit)
    pct = f"{tol['min_pct_of_project']:g} %"
    rule = take(
        pa.array(
            [f"max({tol['min_area_m2']:g} m², {pct}", f"max({tol['min_length_m']:g} m, {pct}"]
        ),
        line.astype(np.int64),
    )
    en = join("sliver: ", got, " < tolerance ", limit, " (", rule, " of project))")
    rule_zh = take(
        pa.array(
            [
                f"取 {tol['min_area_m2']:g} m² 与项目面积的 {pct} 中较大者",
                f"取 {tol['min_length_m']:g} m 与项目长度的 {pct} 中较大者",
            ]
        ),
        line.astype(np.int64),
    )
    zh = join("碎片：", got, " 小于容差 ", limit, "（", rule_zh, "）")
    thin = flags["thin"][idx]
    if thin.any():
        mask = pa.array(thin)
        en = pc.if_else(
            mask, f"sliver: narrower than {2 * r:g} m (vanishes under a {r:g} m inward buffer)", en
        )
        zh = pc.if_else(mask, f"碎片：宽度不足 {2 * r:g} m（内缩 {r:g} m 后消失）", zh)
    return en, zh
