"""The workbook's front: the summary sheet (总表: town, standard, date, score, verdicts), the problem list
(整改清单, with blank 责任部门 and 整改期限 columns to fill in) and the method sheet (说明) as sentences a
planner reads, not a settings dump. Used by :mod:`.workbook`.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from townplan_gis.core.reprs import fmt_number, label
from townplan_gis.deliverables.cover import conclusion, problem_list, region_note, standard_region
from townplan_gis.deliverables.sheets import print_setup
from townplan_gis.deliverables.wording import (
    coverage_text,
    date_text,
    rules_text,
    setbacks_text,
    tolerance_text,
    zh_punct,
)

__all__ = ["PROBLEM_HEADERS", "method_rows", "problem_frame", "summary_sheet"]


def _standard(scorecard: pd.DataFrame | None, standard: Any) -> dict[str, str]:
    info = dict(getattr(scorecard, "attrs", {}) or {}) if scorecard is not None else {}
    code = str(info.get("standard") or getattr(standard, "name", None) or standard or "")
    title = zh_punct(info.get("title_zh") or getattr(standard, "title_zh", None) or "")
    return {"code": code, "title": title, "name": title or code} if code else {}


def summary_sheet(
    wb: Workbook,
    title: str,
    *,
    town: Any,
    town_name: str,
    scorecard: pd.DataFrame | None,
    review: Any,
    standard: Any,
    when: _dt.datetime,
    lang: str,
    sheets: list[tuple[str, str]],
) -> None:
    """Sheet 总表 / Summary: what the workbook is about and its conclusion, in two columns; then what
    each further sheet holds."""
    zh = lang == "zh"
    ws = wb.create_sheet(title, 0)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 90
    print_setup(ws, header_rows=0)
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")

    def row(a: Any, b: Any = None, *, head: bool = False, size: int | None = None) -> None:
        ca = WriteOnlyCell(ws, value=a)
        ca.font = Font(bold=True, size=size) if size else bold if head or b is not None else Font()
        cb = WriteOnlyCell(ws, value=b)
        cb.alignment = wrap
        ws.append([ca, cb])

    std = _standard(scorecard, standard)
    row(f"{town_name} {'小城镇建设评估总表' if zh else 'assessment summary'}", size=14)
    row(None)
    row("城镇" if zh else "Town", town_name)
    if std:
        region = standard_region(std["code"], lang)
        where = (f"，适用于{region}" if zh else f", {region}") if region else ""
        shown = (
            f"《{std['title']}》（{std['code']}{where}）"
            if zh and std["title"]
            else f"{std['name']} ({std['code']}{where})"
        )
        row("评价标准" if zh else "Standard", shown)
        note = region_note(town, std["code"], lang) if town is not None else ""
        if note:
            row("注意" if zh else "Note", note.removeprefix("注意：").removeprefix("Note: "))
    else:
        row(
            "评价标准" if zh else "Standard",
            "未指定（仅列出指标）" if zh else "none (indicators only)",
        )
    row("生成时间" if zh else "Generated", date_text(when, lang))
    row(None)
    summary = conclusion(scorecard, review, std, lang)
    if summary["score"] is not None:
        row("达标率（%）" if zh else "Targets met (%)", float(summary["score"]))
        row("达标 / 指标数" if zh else "Met / targets", f"{summary['met']} / {summary['targets']}")
        row("未达标" if zh else "Not met", summary["failed"])
        row("无法评价" if zh else "Not evaluable", summary["unknown"])
    for verdict, n in summary.get("verdicts", []):
        row(
            f"{'五线审查' if zh else 'Review'}：{label('verdict', verdict, lang)}"
            if zh
            else f"Review: {label('verdict', verdict, lang)}",
            n,
        )
    for sentence in summary["sentences"]:
        row("结论" if zh else "Conclusion", sentence)
    row(None)
    row("工作表" if zh else "Sheets", "内容" if zh else "What it holds", head=True)
    for name, what in sheets:
        row(name, what)


def problem_frame(scorecard: pd.DataFrame | None, review: Any, lang: str) -> pd.DataFrame:
    """整改清单 as a table: 序号, 类别, 问题, 现状, 要求, 差距 and blank 责任部门, 整改期限."""
    rows = problem_list(scorecard, review, lang)
    frame = pd.DataFrame(rows, columns=["n", "kind", "item", "now", "need", "gap"])
    frame["n"] = pd.to_numeric(frame["n"])
    frame["department"] = None
    frame["deadline"] = None
    return frame


PROBLEM_HEADERS = {
    "zh": ["序号", "类别", "问题", "现状", "要求", "差距", "责任部门", "整改期限"],
    "en": ["#", "Kind", "Item", "Now", "Required", "Gap", "Department", "Deadline"],
}


def method_rows(
    *,
    town_name: str,
    scorecard: pd.DataFrame | None,
    standard: Any,
    review: Any,
    when: _dt.datetime,
    version: str,
    extra: dict[str, Any],
) -> list[tuple[str, Any]]:
    """The Chinese 说明 sheet: how each table was made and from what, one readable row each."""
    std = _standard(scorecard, standard)
    info = dict(getattr(scorecard, "attrs", {}) or {}) if scorecard is not None else {}
    rows: list[tuple[str, Any]] = [("城镇", town_name)]
    if std:
        rows.append(
            ("评价标准", f"《{std['title']}》（{std['code']}）" if std["title"] else std["code"])
        )
        if info.get("file"):
            rows.append(("标准文件", str(info["file"]).rsplit("/", 1)[-1]))
    rows += [
        ("面积与长度", "在米制分析坐标系中计算；1 亩 = 10000/15 m²（666.67 m²）"),
        ("数值", "数值单元格保存为数字，可直接求和、筛选；空白表示无法计算，原因见“备注”"),
        ("指标", "各指标的定义见“指标”工作表的“定义”列；上报统计数据来自城镇的统计项"),
    ]
    if review is not None:
        s = getattr(review, "settings", {}) or {}
        ev = getattr(review, "evidence", None) or {}
        rows.append(
            (
                "审查规则文件",
                f"{rules_text(s.get('rules', ''), 'zh')} {s.get('rules_version', '')}".strip(),
            )
        )
        if s.get("crs"):
            rows.append(("审查坐标系", str(s["crs"])))
        rows.append(("容差（碎片）", tolerance_text(s.get("tolerance", {}), "zh")))
        if s.get("setbacks") is not None:
            rows.append(("退线", setbacks_text(s.get("setbacks"), "zh")))
        cov = (ev.get("coverage") or {}).get("source") or s.get("coverage")
        if cov:
            rows.append(("审查范围", coverage_text(cov, "zh")))
        if ev.get("nearest_search_m") is not None:
            rows.append(("最近要素搜索距离", f"{fmt_number(ev['nearest_search_m'])} m"))
        rows.append(("审查证据", "数据与规则文件的内容指纹见“审查证据”工作表"))
    for k, v in extra.items():
        if k not in ("town", "standard"):
            rows.append((str(k), v))
    rows += [("软件版本", f"townplan_gis {version}"), ("生成时间", date_text(when, "zh"))]
    return rows
