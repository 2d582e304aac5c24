"""Tables of the planning analyses for the workbook and the report: the control-line self-check
(:func:`townplan_gis.check_lines`, 控制线自检) and the park service coverage with the life circles
(:func:`townplan_gis.park_service_coverage`, :func:`townplan_gis.life_circles`, 公园服务与生活圈).

The tables only relabel what the analyses returned (numbers are theirs, unrounded); headers come
from ``townplan_gis/data/vocab.toml``. Used by :mod:`.workbook` and :mod:`.report`.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from townplan_gis.core.reprs import label
from townplan_gis.core.vocab import SHEETS, col
from townplan_gis.deliverables.sheets import sheet_spec, write_sheet
from townplan_gis.deliverables.wording import zh_punct

__all__ = [
    "LINE_CHECK_COLUMNS",
    "SERVICE_COLUMNS",
    "line_check_counts",
    "line_check_table",
    "service_table",
    "write_analysis_sheets",
]

#: Columns of :func:`line_check_table`, in sheet order.
LINE_CHECK_COLUMNS = [
    "patch_id",
    "patch_kind",
    "line_a",
    "line_b",
    "patch_area_m2",
    "patch_area_mu",
    "severity",
    "resolution",
]
#: Columns of :func:`service_table`, in sheet order.
SERVICE_COLUMNS = [
    "service_item",
    "circle",
    "radius_m",
    "facilities",
    "residential_m2",
    "covered_m2",
    "covered_pct",
    "households_pct",
    "distance_method",
]
_SEVERITY_EN = {"conflict": "Conflict", "check": "To check", "notice": "Notice"}
_SEVERITIES = ("conflict", "check", "notice")
_CIRCLE_ZH = {"5min": "5分钟生活圈", "10min": "10分钟生活圈", "15min": "15分钟生活圈"}
_CIRCLE_EN = {"5min": "5-minute", "10min": "10-minute", "15min": "15-minute"}


def _line_name(kind: Any, name: Any, code: Any, lang: str) -> str:
    """One side of a patch: ``蓝线「涑水渠蓝线」`` (the type, then the name as the data have it)."""
    if kind is None or (isinstance(kind, float) and math.isnan(kind)):
        return ""
    shown = name if isinstance(name, str) and name else code
    kind_label = label("line_type", kind, lang)
    if shown is None or (isinstance(shown, float) and math.isnan(shown)) or shown == "":
        return kind_label
    return f"{kind_label}「{shown}」" if lang == "zh" else f"{kind_label} '{shown}'"


def line_check_table(check: Any, lang: str = "zh") -> pd.DataFrame:
    """The self-check's patches (:attr:`LineCheck.patches`), one row each, in patch order:
    图斑编号, 冲突类型 (重叠/压占/交叉 …), the two lines, area (m², 亩), severity, suggested resolution."""
    t = check.table()
    zh = lang == "zh"
    out = pd.DataFrame(
        {
            "patch_id": t["patch_id"].astype(str),
            "patch_kind": t["kind_zh"] if zh else t["kind"],
            "line_a": [
                _line_name(k, n, c, lang)
                for k, n, c in zip(t["type_a"], t["name_a"], t["code_a"], strict=True)
            ],
            "line_b": [
                _line_name(k, n, c, lang)
                for k, n, c in zip(t["type_b"], t["name_b"], t["code_b"], strict=True)
            ],
            "patch_area_m2": t["area_m2"].astype("float64"),
            "patch_area_mu": t["area_mu"].astype("float64"),
            "severity": t["severity_zh"] if zh else t["severity"].map(_SEVERITY_EN),
            "resolution": t["resolution_zh" if zh else "resolution_en"].fillna(""),
        },
        index=t.index,
    )
    if zh:
        # Full-width brackets in Chinese sentences, the names quoted in them included (as the
        # review's reasons do).
        for c in ("line_a", "line_b", "resolution"):
            out[c] = out[c].map(zh_punct)
    out["severity_key"] = t["severity"]
    return out


def line_check_counts(check: Any) -> dict[str, int]:
    """Patches per severity (conflict, check, notice), zero where none."""
    counts = check.patches["severity"].value_counts()
    return {s: int(counts.get(s, 0)) for s in _SEVERITIES}


def service_table(coverage: Any, circles: pd.DataFrame | None, lang: str = "zh") -> pd.DataFrame:
    """Park service radius coverage (one row, 公园绿地服务半径覆盖率) then one row per life-circle
    category: radius, facilities, residential land, covered land and the shares of land and
    households (%), and how distances were measured."""
    zh = lang == "zh"
    rows = []
    if coverage is not None:
        s = coverage.summary
        parks = getattr(coverage, "parks", None)
        n_parks = int(parks["radius_m"].notna().sum()) if parks is not None else math.nan
        rows.append(
            {
                "service_item": "公园绿地服务半径" if zh else "Park service radius",
                "circle": "300/500 m（按公园规模）" if zh else "300/500 m by park size",
                "radius_m": math.nan,
                "facilities": n_parks,
                "residential_m2": float(s.get("residential_m2", math.nan)),
                "covered_m2": float(s.get("covered_m2", math.nan)),
                "covered_pct": float(s.get("coverage_pct", math.nan)),
                "households_pct": float(s.get("households_pct", math.nan)),
                "distance_method": _method(s.get("method"), lang),
            }
        )
    if circles is not None:
        for _, r in circles.iterrows():
            rows.append(
                {
                    "service_item": r["label_zh"] if zh else r["label_en"],
                    "circle": (_CIRCLE_ZH if zh else _CIRCLE_EN).get(r["circle"], r["circle"]),
                    "radius_m": float(r["radius_m"]),
                    "facilities": int(r["facilities"]),
                    "residential_m2": float(r["residential_m2"]),
                    "covered_m2": float(r["covered_m2"]),
                    "covered_pct": float(r["covered_pct"]),
                    "households_pct": float(r["households_pct"]),
                    "distance_method": _method(r["method"], lang),
                }
            )
    return pd.DataFrame(rows, columns=SERVICE_COLUMNS)


def _method(method: Any, lang: str) -> str:
    """How distances were measured, in the language of the table."""
    text = str(method or "")
    if lang != "zh":
        return text
    if text.startswith("network"):
        return "沿道路网步行距离"
    if text.startswith("straight"):
        return "直线距离（镇内无道路，替代算法）"
    return "未计算" if not text else text


def headers(columns: list[str], lang: str) -> list[str]:
    """The columns' headers from the vocabulary."""
    return [col(c, lang) for c in columns]


def write_analysis_sheets(
    wb: Any,
    *,
    line_check: Any = None,
    coverage: Any = None,
    circles: pd.DataFrame | None = None,
    lang: str = "zh",
    removed: Any = None,
) -> None:
    """Sheets 控制线自检 / Line self-check (one row per patch, coloured by severity) and
    公园服务与生活圈 / Park service coverage, for the analyses given."""
    z = 0 if lang == "zh" else 1
    if line_check is not None:
        table = line_check_table(line_check, lang)
        # write_sheet colours a row by its "status"-like key: conflict red, check amber, notice blue.
        table["tint"] = table["severity_key"].map(
            {"conflict": "forbidden", "check": "review", "notice": "notice"}
        )
        spec = sheet_spec(
            lang, LINE_CHECK_COLUMNS, {"patch_area_m2": "num", "patch_area_mu": "num"}
        )
        write_sheet(wb, SHEETS["line_check"][z], table, spec, fill_by="tint", removed=removed)
    if coverage is not None or circles is not None:
        table = service_table(coverage, circles, lang)
        nums = {
            "radius_m": "num",
            "facilities": "int",
            "residential_m2": "num",
            "covered_m2": "num",
            "covered_pct": "pct",
            "households_pct": "pct",
        }
        spec = sheet_spec(lang, SERVICE_COLUMNS, nums)
        write_sheet(wb, SHEETS["service"][z], table, spec, removed=removed)
