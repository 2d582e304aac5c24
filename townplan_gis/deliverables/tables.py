"""The tables every deliverable shows, prepared once: translated values, units, ordered columns.

The HTML report, the per-project opinion and the Excel workbook all take their rows from here, so the
numbers a planner reads in the report are the numbers in the workbook.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.reprs import badge, fmt_number, label, unit_label, worst_conflicts
from townplan_gis.core.vocab import localised, text
from townplan_gis.fiveline.conflicts import CONFLICT_COLUMNS as _REVIEW_CONFLICT_COLUMNS
from townplan_gis.fiveline.line_texts import OUTSIDE_BOUNDARY, boundary_name
from townplan_gis.fiveline.result import PROJECT_COLUMNS as _REVIEW_PROJECT_COLUMNS

__all__ = [
    "CONFLICT_COLUMNS",
    "PROJECT_COLUMNS",
    "conflict_rows",
    "conflicts_table",
    "indicator_unit",
    "projects_table",
    "scorecard_table",
    "setting_text",
    "statistic_label",
]

SCORECARD_REQUIRED = ["key", "name_zh", "name_en", "value", "target", "comparator", "status", "gap"]
# The review's own column lists: a table gets every contract column, NaN where a duck-typed review
# object lacks one.
CONFLICT_COLUMNS = list(_REVIEW_CONFLICT_COLUMNS)
PROJECT_COLUMNS = list(_REVIEW_PROJECT_COLUMNS)


def indicator_unit(key: str) -> str:
    """Unit of an indicator key from the registry ('' when the key is not registered)."""
    try:
        from townplan_gis.indicators import indicator_info

        return indicator_info(str(key)).unit
    except Exception:  # unknown keys (user standards, reported statistics) simply have no unit here
        return ""


def statistic_label(key: str, lang: str) -> str:
    """Name of a reported statistic (``gas_coverage_pct`` → 燃气普及率 (%)), else the key itself."""
    try:
        from townplan_gis.indicators.registry import reported_info

        info = reported_info(str(key))
    except Exception:  # an unregistered statistic keeps its key as the label
        return str(key)
    name = info.name_zh if lang == "zh" else info.name_en
    unit = unit_label(info.unit, lang)
    if not unit or info.unit == "flag":
        return name
    return f"{name}（{unit}）" if lang == "zh" else f"{name} ({unit})"


def setting_text(value: Any, *, nested: bool = False) -> str:
    """A review setting as one readable line: dicts as ``key = value; …`` (inner dicts as
    ``(key: value, …)``), lists comma-separated."""
    if isinstance(value, dict):
        if nested:
            return (
                "("
                + ", ".join(f"{k}: {setting_text(v, nested=True)}" for k, v in value.items())
                + ")"
            )
        return "; ".join(f"{k} = {setting_text(v, nested=True)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(setting_text(v, nested=True) for v in value)
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _check(frame: pd.DataFrame, required: list[str], what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise TownPlanError(
            f"{what} lacks the column(s) {missing}; it has {list(frame.columns)}. Fix: pass the frame "
            f"returned by townplan_gis ({'tp.assess' if what == 'scorecard' else 'tp.review'})."
        )


def scorecard_table(scorecard: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Scorecard rows with ``name`` in ``lang``, ``unit``, translated ``status_label``; values numeric."""
    _check(scorecard, SCORECARD_REQUIRED, "scorecard")
    out = pd.DataFrame(scorecard).copy()
    if "unit" not in out:
        out["unit"] = out["key"].map(indicator_unit)
    out["name"] = out["name_zh" if lang == "zh" else "name_en"].fillna(out["key"])
    out["status_label"] = out["status"].map(lambda s: label("status", s, lang))
    for c in ("value", "target", "gap"):
        # Targets are numbers for >=, <=, == comparators; anything else (a range written as text) stays.
        num = pd.to_numeric(out[c], errors="coerce")
        out[c] = num.where(num.notna() | out[c].isna(), out[c])
    if "source" not in out:
        out["source"] = ""
    return out


def conflicts_table(review: Any, lang: str) -> pd.DataFrame:
    """The review's conflicts without geometry, worst first, labels translated into ``*_label`` columns."""
    conflicts = review.conflicts
    _check(conflicts, ["project_id", "line_type", "grade"], "review.conflicts")
    ordered = worst_conflicts(conflicts)
    if "ignored" in conflicts:
        ignored = conflicts[conflicts["ignored"].fillna(False).astype(bool)]
        ordered = pd.concat([ordered, ignored]) if len(ignored) else ordered
    # Chinese reasons, or English clauses and procedures, in the shared columns.
    out = pd.DataFrame(
        localised(ordered, lang).drop(columns=[conflicts.geometry.name], errors="ignore")
    )
    for c in CONFLICT_COLUMNS:
        if c not in out:
            out[c] = np.nan
    out["line_type_label"] = out["line_type"].map(lambda v: label("line_type", v, lang))
    out["grade_label"] = out["grade"].map(lambda v: label("grade", v, lang))
    return out.reset_index(drop=True)


def projects_table(review: Any, lang: str) -> pd.DataFrame:
    """Per-project verdicts (no geometry), rejected first, then not checked, review, invalid, pass."""
    projects = review.projects
    _check(projects, ["project_id", "verdict"], "review.projects")
    out = pd.DataFrame(
        localised(projects, lang).drop(columns=[projects.geometry.name], errors="ignore")
    )
    for c in PROJECT_COLUMNS:
        if c not in out:
            out[c] = np.nan
    order = {"reject": 0, "not_checked": 1, "review": 2, "invalid": 3, "pass": 4}
    rank = out["verdict"].map(order).fillna(5)
    out = out.assign(_r=rank).sort_values(["_r", "project_id"], kind="stable").drop(columns="_r")
    out["verdict_label"] = out["verdict"].map(lambda v: label("verdict", v, lang))
    out["worst_grade_label"] = out["worst_grade"].map(lambda v: label("grade", v, lang))
    return out.reset_index(drop=True)


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def line_text(line_type: Any, name: Any, lang: str) -> str:
    """How a table or an opinion names the control line of a conflict row.

    ``蓝线「黄河蓝线」`` / ``blue line (water) 黄河蓝线``, the line type alone for a line without a
    name. The review's ``dev_boundary`` feature is the area outside the boundary, named after it
    + 以外 (:func:`townplan_gis.fiveline.sanqu.outside_boundary`): it is named by its boundary, as
    ``城镇开发边界「蒲州镇城镇开发边界」以外``, not as a line called "…以外".

    Examples
    --------
    >>> line_text("blue", "黄河蓝线", "zh"), line_text("red", None, "zh")
    ('蓝线「黄河蓝线」', '道路红线')
    >>> line_text("dev_boundary", "蒲州镇城镇开发边界以外", "zh")
    '城镇开发边界「蒲州镇城镇开发边界」以外'
    >>> line_text("dev_boundary", "蒲州镇城镇开发边界以外", "en")
    "outside the urban development boundary '蒲州镇城镇开发边界'"
    """
    kind = label("line_type", line_type, lang)
    name = _text(name)
    zh = lang == "zh"
    if line_type == OUTSIDE_BOUNDARY:
        own = boundary_name(name)
        quoted = (f"「{own}」" if zh else f" '{own}'") if own else ""
        return text("line_outside_boundary", lang, line=kind, name=quoted)
    if not name:
        return kind
    return f"{kind}「{name}」" if zh else f"{kind} {name}"


def conflict_rows(cf: pd.DataFrame, lang: str) -> tuple[list[dict], list[dict]]:
    """Rows of a conflict table for the HTML pages, and the numbered list of distinct (clause,
    procedure) pairs the rows refer to (``basis``), so long legal texts are printed once."""
    zh = lang == "zh"
    basis: dict[tuple[str, str], int] = {}
    rows = []
    for _, r in cf.iterrows():
        pair = (_text(r.get("clause")), _text(r.get("procedure")))
        n = basis.setdefault(pair, len(basis) + 1)
        line = line_text(r.get("line_type"), r.get("line_name"), lang)
        if r.get("check") == "setback":
            dist = fmt_number(r.get("distance_m"))
            line += f"(退线,距离 {dist} m)" if zh else f" (setback, distance {dist} m)"
        ignored = bool(r["ignored"]) if pd.notna(r.get("ignored")) else False
        length = np.nan_to_num(float(pd.to_numeric(r.get("overlap_length_m"), errors="coerce")))
        area = np.nan_to_num(float(pd.to_numeric(r.get("overlap_area_m2"), errors="coerce")))
        # Line and point projects overlap by length or by presence: a zero area is not a finding.
        line_only = area == 0
        rows.append(
            {
                "project_id": _text(r.get("project_id")),
                "project_name": _text(r.get("project_name")),
                "line": line,
                "zone": label("zone", r["zone"], lang) if _text(r.get("zone")) else "",
                "grade": _text(r.get("grade")),
                "badge": Markup(badge("grade", r.get("grade"), lang)),
                "area_m2": "" if line_only else fmt_number(r.get("overlap_area_m2")),
                "area_mu": "" if line_only else fmt_number(r.get("overlap_area_mu")),
                "length_m": fmt_number(length) if length > 0 else "",
                "pct": fmt_number(r.get("pct_of_project"), "%"),
                "clause": pair[0],
                "procedure": pair[1],
                "basis": n,
                "ignored": ignored,
                "reason": _text(r.get("reason")),
            }
        )
    listed = [{"n": n, "clause": c, "procedure": p} for (c, p), n in basis.items()]
    return rows, listed
