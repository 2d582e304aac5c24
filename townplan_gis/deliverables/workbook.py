"""The Excel workbook planners hand on: a summary (总表) and the problem list (整改清单) first, then
scorecard, indicators, conflicts and projects, one sheet each, and the method (说明).

In Chinese every label, unit (m², m²/人, %, km/km², 万元, 亩), definition, source and note is Chinese
(:mod:`.wording`); every sheet prints on A4 landscape, fitted to the page width, its header row repeated
on each page.

Headers are Chinese or English with units; numbers are stored as numbers (never as text, so Excel sums
and filters them); NaN is an empty cell; the header row is frozen and filtered; column widths fit CJK
text, counting East-Asian wide characters as two columns.

Safe to open: a text cell that a spreadsheet would read as a formula (``=1+1``, ``+…``, ``-…``, ``@…``)
is stored as a string with Excel's quote prefix, never as a formula; characters a workbook cannot hold
(ASCII control characters) are removed from the written copy, each removal logged and listed on the
说明 / Method sheet. The same inputs and generation time give the same bytes (entry timestamps and
document properties carry the generation time, see :func:`townplan_gis.core.clock.generated_at`).
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from townplan_gis.core.clock import generated_at
from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.reprs import comparator_symbol, display_width, label
from townplan_gis.core.vocab import SHEETS, unit_label
from townplan_gis.deliverables.analysis_tables import write_analysis_sheets
from townplan_gis.deliverables.front_sheets import (
    PROBLEM_HEADERS,
    method_rows,
    problem_frame,
    summary_sheet,
)
from townplan_gis.deliverables.pages import version
from townplan_gis.deliverables.sections import evidence_rows
from townplan_gis.deliverables.sheets import (
    Removed,
    clean_column,
    removal_rows,
    save_workbook,
    sheet_spec,
    write_sheet,
)
from townplan_gis.deliverables.tables import (
    conflicts_table,
    projects_table,
    scorecard_table,
    setting_text,
)
from townplan_gis.deliverables.wording import (
    definition_text,
    note_text,
    reason_text,
    target_text,
    zh_punct,
)

__all__ = ["display_width", "to_excel"]

log = logging.getLogger(__name__)


def _method_rows(facts: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Method facts as (item, value) rows a planner can read and filter.

    A dict becomes one row per key, named with a dotted path (``review.setbacks.distance_m.arterial``);
    a list or tuple becomes one comma-separated text (``building, road``); a number stays a number so
    Excel can sum and compare it; anything else is text.
    """
    rows: list[tuple[str, Any]] = []
    for key, value in facts.items():
        item = f"{prefix}{key}"
        if isinstance(value, Mapping):
            rows += _method_rows(value, f"{item}.") if value else [(item, None)]
        elif isinstance(value, (list, tuple, set, frozenset)):
            rows.append((item, setting_text(list(value)) or None))
        elif value is None or isinstance(value, (numbers.Real, str)):
            rows.append((item, value))
        else:
            rows.append((item, str(value)))
    return rows


def _zh_review_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The review's tables in Chinese: project types and zones by their labels, 是/否 for booleans,
    full-width punctuation in the generated sentences (names stay as the data have them)."""
    out = frame.copy()
    if "project_type" in out:
        out["project_type"] = out["project_type"].map(lambda v: label("project_type", v, "zh"))
    if "zone" in out:
        out["zone"] = out["zone"].map(lambda v: label("zone", v, "zh"))
    if "ignored" in out:
        out["ignored"] = out["ignored"].map(
            lambda v: label("bool", bool(v), "zh") if pd.notna(v) else ""
        )
    for c in ("reason", "clause", "procedure"):
        if c in out:
            out[c] = out[c].map(reason_text)
    return out


# What each sheet holds, for the summary sheet's index.
_SHEET_TEXT = {
    SHEETS["problems"][0]: "未达标指标与未通过审查的项目，责任部门与整改期限待填写",
    SHEETS["scorecard"][0]: "各指标对照评价标准的数值、目标值、评价、差距与依据",
    SHEETS["indicators"][0]: "全部指标的数值、单位、定义与备注",
    SHEETS["conflicts"][
        0
    ]: "项目与五线的每处冲突：重叠面积（m²、亩）、长度、等级、依据条款与所需程序",
    SHEETS["projects"][0]: "每个项目的审查结论、最高等级与占压各类控制线的面积",
    SHEETS["checks"][0]: "每个项目 × 每类控制线的核对情况",
    SHEETS["evidence"][0]: "审查所用数据与规则文件的内容指纹（SHA-256）",
    SHEETS["method"][0]: "计算方法、评价标准、审查规则与容差",
    SHEETS["line_check"][0]: "控制线之间的冲突图斑：类型、面积（m²、亩）、严重程度与处置建议",
    SHEETS["service"][0]: "公园绿地服务半径覆盖率与各生活圈的居住用地、户数覆盖率",
    SHEETS["problems"][
        1
    ]: "Targets not met and projects not passing; department and deadline to fill in",
    SHEETS["scorecard"][1]: "Each target: value, target, status, gap and source",
    SHEETS["indicators"][1]: "Every indicator with its unit, definition and note",
    SHEETS["conflicts"][
        1
    ]: "Every project × control-line conflict with areas, grade, clause and procedure",
    SHEETS["projects"][1]: "The verdict of each project",
    SHEETS["checks"][1]: "Each project × line type: how it was checked",
    SHEETS["evidence"][1]: "The data and rule files of the review, with their hashes",
    SHEETS["method"][1]: "How the tables were made",
    SHEETS["line_check"][1]: "Conflict patches between control lines, with area, severity, fix",
    SHEETS["service"][1]: "Park service radius coverage and life-circle coverage",
}

# Excel's row limit, header included.
_EXCEL_ROWS = 1_048_576


def _write_review_evidence(
    wb: Workbook, review: Any, lang: str, *, removed: Removed | None = None
) -> None:
    """Sheets 审查核对 / Checks (``Review.checks``: one row per project × line type) and 审查证据 /
    Evidence (``Review.evidence``, one row per item), when the review has them."""
    from townplan_gis.core.vocab import check_status

    z = 0 if lang == "zh" else 1
    checks = getattr(review, "checks", None)
    if checks is not None:
        table = checks.reset_index()
        table["line_type_label"] = table["line_type"].map(lambda v: label("line_type", v, lang))
        table["status_label"] = table["status"].astype(str).map(lambda v: check_status(v, lang))
        table["check_status"] = table["status_label"]
        table["features_found"] = table["features_found"].astype("float64")
        more = len(table) - (_EXCEL_ROWS - 2)
        if more > 0:
            # Beyond Excel's rows: the table is whole in checks.csv (Review.to_files).
            table = table.iloc[: _EXCEL_ROWS - 2].copy()
            note = f"… {more} more rows: see checks.csv (Review.to_files)"
            table = pd.concat([table, pd.DataFrame({"project_id": [note]})], ignore_index=True)
        spec = sheet_spec(
            lang,
            [
                "project_id",
                "line_type_label",
                "check_status",
                "features_found",
                "nearest_distance_m",
            ],
            {"features_found": "int", "nearest_distance_m": "num"},
        )
        write_sheet(wb, SHEETS["checks"][z], table, spec, fill_by="status", removed=removed)
    evidence = getattr(review, "evidence", None)
    if evidence and lang == "zh":
        # The evidence as the report shows it: named in Chinese, hashes whole.
        meta = pd.DataFrame([r[:2] for r in evidence_rows(review, lang)], columns=["item", "value"])
        write_sheet(
            wb,
            SHEETS["evidence"][z],
            meta,
            [("item", "项目", "text"), ("value", "内容", "value")],
            removed=removed,
        )
    elif evidence:
        rows = _method_rows(
            {
                **{k: v for k, v in evidence.items() if k not in ("sources", "files")},
                **{f"sources.{s.get('layer')}": s for s in evidence.get("sources", [])},
                **{f"files.{i}": f for i, f in enumerate(evidence.get("files", []))},
            }
        )
        meta = pd.DataFrame(rows, columns=["item", "value"], dtype=object)
        write_sheet(
            wb,
            SHEETS["evidence"][z],
            meta,
            [
                ("item", "项目" if lang == "zh" else "Item", "text"),
                ("value", "内容" if lang == "zh" else "Value", "value"),
            ],
            removed=removed,
        )


def to_excel(
    path: str | Path,
    *,
    scorecard: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    review: Any = None,
    lang: str = "zh",
    settings: dict | None = None,
    town: Any = None,
    standard: Any = None,
    line_check: Any = None,
    coverage: Any = None,
    life_circles: pd.DataFrame | None = None,
) -> Path:
    """Write the deliverable tables to one ``.xlsx`` workbook.

    Parameters
    ----------
    path : str or Path
        Output ``.xlsx`` file; parent folders are created, an existing file is replaced.
    scorecard : DataFrame, optional
        From :func:`townplan_gis.assess` → sheet 达标评分 / Scorecard (row colour by status).
    indicators : DataFrame, optional
        From ``tp.town_indicators(town)`` → sheet 指标 / Indicators.
    review : Review, optional
        From :func:`townplan_gis.fiveline` → sheets 冲突明细 / Conflicts (worst first, ignored slivers
        last) and 项目审查 / Projects (rejected first).
    lang : {"zh", "en"}, default "zh"
        Language of sheet names, headers and labels (status, verdict, grade, line type).
    settings : dict, optional
        Extra method facts (standard, rule file …) for the 说明 / Method sheet; the review's settings
        are added automatically (as ``review.<key>``). A nested dict is written one row per key
        (``review.setbacks.distance_m.arterial``), a list as ``a, b, c``, a number as a number.
        In Chinese the 说明 sheet says the method in sentences instead (standard, units, rule file,
        tolerance, setbacks, coverage), with the other facts of ``settings`` after them.
    town : Town, optional
        Names the town on the 总表 / Summary sheet, which says when the standard is of another place.
    standard : Standard or str, optional
        The standard (else the scorecard's ``attrs`` name it).
    line_check : LineCheck, optional
        From :func:`townplan_gis.check_lines` → sheet 控制线自检 / Line self-check (one row per patch).
    coverage, life_circles : optional
        From :func:`townplan_gis.park_service_coverage` and :func:`townplan_gis.life_circles` →
        sheet 公园服务与生活圈 / Park service coverage.

    Returns
    -------
    Path
        The workbook written.

    Notes
    -----
    Texts a spreadsheet would read as formulas (``=1+1``, ``-5``, ``@x``) are stored as strings, never
    formulas; characters Excel cannot store are removed from the written copy and listed on the
    说明 / Method sheet. The same inputs give the same bytes apart from the generation time; set the
    environment variable ``SOURCE_DATE_EPOCH`` (seconds since 1970 UTC) to pin it.

    Examples
    --------
    >>> import townplan_gis as tp
    >>> town = tp.sample_town()
    >>> tp.to_excel("puzhou.xlsx", indicators=tp.town_indicators(town))  # doctest: +SKIP
    """
    if lang not in ("zh", "en"):
        raise TownPlanError(f"to_excel: lang must be 'zh' or 'en', got {lang!r}.")
    if scorecard is None and indicators is None and review is None and line_check is None:
        raise TownPlanError(
            "to_excel: nothing to write. Pass scorecard=, indicators= and/or review=."
        )
    z = 0 if lang == "zh" else 1
    when = generated_at()
    wb = Workbook(write_only=True)
    removed: Removed = {}
    zh = lang == "zh"
    # A frame that is not a scorecard or a review is refused (with the fix) before anything is written.
    sc = scorecard_table(scorecard, lang) if scorecard is not None else None
    pj = projects_table(review, lang) if review is not None else None
    if scorecard is not None or review is not None:
        problems = problem_frame(scorecard, review, lang)
        spec = [
            (c, h, "int" if c == "n" else "text")
            for c, h in zip(problems.columns, PROBLEM_HEADERS[lang], strict=True)
        ]
        write_sheet(wb, SHEETS["problems"][z], problems, spec, removed=removed)
    if sc is not None:
        title = str(sc.attrs.get("title_zh") or "")
        sc["unit_label"] = sc["unit"].map(lambda u: unit_label(u, lang))
        sc["comparator"] = sc["comparator"].map(comparator_symbol)
        sc["source"] = [target_text(r, title, lang) for _, r in sc.iterrows()]
        if zh:
            sc["name"] = sc["name"].map(zh_punct)
            if "note" in sc:
                sc["note"] = sc["note"].map(lambda v: note_text(v, lang))
        columns = [
            "key",
            "name",
            "value",
            "unit_label",
            "comparator",
            "target",
            "status_label",
            "gap",
        ]
        columns += ["source", "note"] if "note" in sc else ["source"]
        # value, target and gap take each row's unit: integers for counts, one decimal for %.
        spec = sheet_spec(lang, columns, dict.fromkeys(("value", "target", "gap"), "auto"))
        write_sheet(wb, SHEETS["scorecard"][z], sc, spec, fill_by="status", removed=removed)
    if indicators is not None:
        ind = pd.DataFrame(indicators).copy()
        ind["name"] = ind["name_zh" if lang == "zh" else "name_en"]
        ind["unit_label"] = ind["unit"].map(lambda u: unit_label(u, lang))
        if zh:
            ind["name"] = ind["name"].map(zh_punct)
            ind["definition"] = [
                definition_text(k, d, lang)
                for k, d in zip(ind["key"], ind.get("definition", [None] * len(ind)), strict=True)
            ]
            ind["note"] = ind.get("note", pd.Series([None] * len(ind), index=ind.index)).map(
                lambda v: note_text(v, lang)
            )
        spec = sheet_spec(
            lang, ["key", "name", "value", "unit_label", "definition", "note"], {"value": "auto"}
        )
        write_sheet(wb, SHEETS["indicators"][z], ind, spec, removed=removed)
    if review is not None:
        cf = conflicts_table(review, lang)
        if zh:
            cf = _zh_review_columns(cf)
        nums = {
            "overlap_area_m2": "num",
            "overlap_area_mu": "num",
            "overlap_length_m": "num",
            "pct_of_project": "pct",
            "pct_of_line": "pct",
            "distance_m": "num",
        }
        spec = sheet_spec(
            lang,
            (
                "project_id",
                "project_name",
                "project_type",
                "line_type_label",
                "line_id",
                "line_name",
                "zone",
                "grade_label",
                "overlap_area_m2",
                "overlap_area_mu",
                "overlap_length_m",
                "pct_of_project",
                "pct_of_line",
                "distance_m",
                "clause",
                "procedure",
                "ignored",
                "reason",
            ),
            nums,
        )
        write_sheet(wb, SHEETS["conflicts"][z], cf, spec, fill_by="grade", removed=removed)
        if zh:
            pj = _zh_review_columns(pj)
        overlaps = [f"{lt}_overlap_m2" for lt in ("red", "green", "purple", "blue", "yellow")]
        spec = sheet_spec(
            lang,
            [
                "project_id",
                "project_name",
                "project_type",
                "verdict_label",
                "worst_grade_label",
                "n_conflicts",
                "n_ignored",
                *overlaps,
                "reason",
            ],
            {"n_conflicts": "int", "n_ignored": "int", **dict.fromkeys(overlaps, "num")},
        )
        write_sheet(wb, SHEETS["projects"][z], pj, spec, fill_by="verdict", removed=removed)
        _write_review_evidence(wb, review, lang, removed=removed)
    write_analysis_sheets(
        wb,
        line_check=line_check,
        coverage=coverage,
        circles=life_circles,
        lang=lang,
        removed=removed,
    )
    facts = dict(settings or {})
    town_name = str(getattr(town, "name", None) or facts.get("town") or "")
    if zh:
        rows = method_rows(
            town_name=town_name,
            scorecard=scorecard,
            standard=standard,
            review=review,
            when=when,
            version=version(),
            extra=facts,
        )
    else:
        if review is not None:
            for k, v in (getattr(review, "settings", {}) or {}).items():
                facts.setdefault(f"review.{k}", v)
        facts.setdefault("generated", when.isoformat(timespec="seconds"))
        rows = _method_rows(facts)
    method = [
        ("item", "项目" if lang == "zh" else "Item", "text"),
        ("value", "内容" if lang == "zh" else "Value", "value"),
    ]
    # The Method sheet is written last and lists every change, its own included.
    items, values = [r[0] for r in rows], [r[1] for r in rows]
    for j, (vals, (_, header, _)) in enumerate(zip((items, values), method, strict=True), start=1):
        clean_column(vals, (SHEETS["method"][z], header, get_column_letter(j)), removed)
    rows = list(zip(items, values, strict=True)) + removal_rows(removed, lang)
    meta = pd.DataFrame(rows, columns=["item", "value"], dtype=object)
    write_sheet(wb, SHEETS["method"][z], meta, method)
    summary_sheet(
        wb,
        SHEETS["summary"][z],
        town=town,
        town_name=town_name,
        scorecard=scorecard,
        review=review,
        standard=standard,
        when=when,
        lang=lang,
        sheets=[(ws.title, _SHEET_TEXT.get(ws.title, "")) for ws in wb.worksheets],
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, path, when)
    log.info("workbook written to %s", path)
    return path
