"""The Excel workbook planners hand on: scorecard, indicators, conflicts and projects, one sheet each.

Headers are Chinese or English with units; numbers are stored as numbers (never as text, so Excel sums
and filters them); NaN is an empty cell; the header row is frozen and filtered; column widths fit CJK
text, counting East-Asian wide characters as two columns.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from townplan_gis._display import display_width
from townplan_gis.errors import TownPlanError
from townplan_gis.report._labels import SHEETS, col
from townplan_gis.report.tables import conflicts_table, projects_table, scorecard_table

__all__ = ["display_width", "to_excel"]

log = logging.getLogger(__name__)

_FILL = {
    "pass": "E9F7EE",
    "fail": "FDECEC",
    "not_evaluable": "F3F4F6",
    "reject": "FDECEC",
    "review": "FFF4E0",
    "invalid": "F3F4F6",
    "forbidden": "FDECEC",
    "notice": "E8F0FE",
}
_MAX_WIDTH = 60
_NUMBER_FORMAT = {"int": "#,##0", "num": "#,##0.00", "pct": "0.0", "text": "@"}


def _cell_value(v: Any, kind: str) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if kind in ("int", "num", "pct"):
        try:
            x = float(v)
        except (TypeError, ValueError):
            return str(v)  # a textual target such as a range stays readable
        if math.isnan(x):
            return None
        return int(x) if kind == "int" and x == int(x) else x
    if isinstance(v, (bool,)) or str(type(v)) == "<class 'numpy.bool_'>":
        return bool(v)
    return str(v)


def _write_sheet(
    wb: Workbook,
    title: str,
    frame: pd.DataFrame,
    spec: list[tuple[str, str, str]],
    *,
    fill_by: str | None = None,
) -> None:
    """Write ``frame`` columns as ``spec`` = [(column, header, kind)] with kind int/num/pct/text."""
    ws = wb.create_sheet(title)
    ws.append([h for _, h, _ in spec])
    for c in ws[1]:
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="DDE3EA")
        c.alignment = Alignment(vertical="center", wrap_text=True)
    widths = [display_width(h) for _, h, _ in spec]
    for _, row in frame.iterrows():
        # "auto": the row's own unit decides (a scorecard mixes counts, percentages and areas).
        values = [
            _cell_value(row.get(c), _unit_kind(row.get("unit")) if kind == "auto" else kind)
            for c, _, kind in spec
        ]
        ws.append(values)
        for i, v in enumerate(values):
            w = display_width(f"{v:,.2f}" if isinstance(v, float) else v)
            widths[i] = max(widths[i], w)
    for j, (_, _, kind) in enumerate(spec, start=1):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = min(widths[j - 1] + 2, _MAX_WIDTH)
        wrap = widths[j - 1] + 2 > _MAX_WIDTH
        units = frame["unit"].tolist() if "unit" in frame else [None] * len(frame)
        for (cell,), unit in zip(
            ws.iter_rows(min_row=2, min_col=j, max_col=j), units, strict=False
        ):
            if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                cell.number_format = _NUMBER_FORMAT[_unit_kind(unit) if kind == "auto" else kind]
            if wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    if fill_by is not None and fill_by in frame:
        for r, key in enumerate(frame[fill_by].astype(str), start=2):
            colour = _FILL.get(key)
            if colour:
                for cell in ws[r]:
                    cell.fill = PatternFill("solid", fgColor=colour)
    ws.freeze_panes = "A2"
    if len(frame):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(spec))}{len(frame) + 1}"


def _unit_kind(unit: Any) -> str:
    if unit in ("count", "persons", "households"):
        return "int"
    return "pct" if unit == "%" else "num"


def to_excel(
    path: str | Path,
    *,
    scorecard: pd.DataFrame | None = None,
    indicators: pd.DataFrame | None = None,
    review: Any = None,
    lang: str = "zh",
    settings: dict | None = None,
) -> Path:
    """Write the deliverable tables to one ``.xlsx`` workbook.

    Parameters
    ----------
    path : str or Path
        Output ``.xlsx`` file; parent folders are created, an existing file is replaced.
    scorecard : DataFrame, optional
        From :func:`townplan_gis.assess` → sheet 达标评分 / Scorecard (row colour by status).
    indicators : DataFrame, optional
        From ``town.indicators()`` → sheet 指标 / Indicators.
    review : Review, optional
        From :func:`townplan_gis.review` → sheets 冲突明细 / Conflicts (worst first, ignored slivers
        last) and 项目审查 / Projects (rejected first).
    lang : {"zh", "en"}, default "zh"
        Language of sheet names, headers and labels (status, verdict, grade, line type).
    settings : dict, optional
        Extra method facts (standard, rule file …) for the 说明 / Method sheet; the review's settings
        are added automatically.

    Returns
    -------
    Path
        The workbook written.

    Examples
    --------
    >>> import townplan_gis as tp
    >>> town = tp.sample_town()
    >>> tp.to_excel("puzhou.xlsx", indicators=town.indicators())  # doctest: +SKIP
    """
    if lang not in ("zh", "en"):
        raise TownPlanError(f"to_excel: lang must be 'zh' or 'en', got {lang!r}.")
    if scorecard is None and indicators is None and review is None:
        raise TownPlanError(
            "to_excel: nothing to write. Pass scorecard=, indicators= and/or review=."
        )
    z = 0 if lang == "zh" else 1
    wb = Workbook()
    wb.remove(wb.active)
    if scorecard is not None:
        sc = scorecard_table(scorecard, lang)
        kind = "auto"
        spec = [
            ("key", col("key", lang), "text"),
            ("name", col("name", lang), "text"),
            ("value", col("value", lang), kind),
            ("unit", col("unit", lang), "text"),
            ("comparator", col("comparator", lang), "text"),
            ("target", col("target", lang), kind),
            ("status_label", col("status", lang), "text"),
            ("gap", col("gap", lang), kind),
            ("source", col("source", lang), "text"),
        ]
        if "note" in sc:
            spec.append(("note", col("note", lang), "text"))
        _write_sheet(wb, SHEETS["scorecard"][z], sc, spec, fill_by="status")
    if indicators is not None:
        ind = pd.DataFrame(indicators).copy()
        ind["name"] = ind["name_zh" if lang == "zh" else "name_en"]
        spec = [
            ("key", col("key", lang), "text"),
            ("name", col("name", lang), "text"),
            ("value", col("value", lang), "auto"),
            ("unit", col("unit", lang), "text"),
            ("definition", col("definition", lang), "text"),
            ("note", col("note", lang), "text"),
        ]
        _write_sheet(wb, SHEETS["indicators"][z], ind, spec)
    if review is not None:
        cf = conflicts_table(review, lang)
        nums = {
            "overlap_area_m2": "num",
            "overlap_area_mu": "num",
            "overlap_length_m": "num",
            "pct_of_project": "pct",
            "pct_of_line": "pct",
            "distance_m": "num",
        }
        spec = []
        for c in (
            "project_id", "project_name", "project_type", "line_type_label", "line_id", "line_name",
            "zone", "grade_label", "overlap_area_m2", "overlap_area_mu", "overlap_length_m",
            "pct_of_project", "pct_of_line", "distance_m", "clause", "procedure", "ignored", "reason",
        ):  # fmt: skip
            base = c.removesuffix("_label")
            spec.append((c, col(base, lang), nums.get(c, "text")))
        _write_sheet(wb, SHEETS["conflicts"][z], cf, spec, fill_by="grade")
        pj = projects_table(review, lang)
        spec = [
            ("project_id", col("project_id", lang), "text"),
            ("project_name", col("project_name", lang), "text"),
            ("project_type", col("project_type", lang), "text"),
            ("verdict_label", col("verdict", lang), "text"),
            ("worst_grade_label", col("worst_grade", lang), "text"),
            ("n_conflicts", col("n_conflicts", lang), "int"),
            ("n_ignored", col("n_ignored", lang), "int"),
            *[(f"{lt}_overlap_m2", col(f"{lt}_overlap_m2", lang), "num")
              for lt in ("red", "green", "purple", "blue", "yellow")],
            ("reason", col("reason", lang), "text"),
        ]  # fmt: skip
        _write_sheet(wb, SHEETS["projects"][z], pj, spec, fill_by="verdict")
    facts = dict(settings or {})
    if review is not None:
        for k, v in (getattr(review, "settings", {}) or {}).items():
            facts.setdefault(f"review.{k}", v)
    facts.setdefault("generated", _dt.datetime.now().isoformat(timespec="seconds"))
    meta = pd.DataFrame({"item": list(facts), "value": [str(v) for v in facts.values()]})
    _write_sheet(
        wb,
        SHEETS["method"][z],
        meta,
        [
            ("item", "项目" if lang == "zh" else "Item", "text"),
            ("value", "内容" if lang == "zh" else "Value", "text"),
        ],
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    log.info("workbook written to %s", path)
    return path
