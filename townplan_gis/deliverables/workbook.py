"""The Excel workbook planners hand on: scorecard, indicators, conflicts and projects, one sheet each.

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

import datetime as _dt
import logging
import math
import numbers
import os
import shutil
import zipfile
from collections.abc import Iterable, Mapping
from copy import copy
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from townplan_gis.core.clock import generated_at
from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.reprs import display_width, label
from townplan_gis.core.safe import EXCEL_MAX_CHARS, is_formula_like, strip_illegal
from townplan_gis.core.vocab import SHEETS, col
from townplan_gis.deliverables.tables import (
    conflicts_table,
    projects_table,
    scorecard_table,
    setting_text,
)

__all__ = ["display_width", "to_excel"]

log = logging.getLogger(__name__)

_FILL = {
    "pass": "E9F7EE",
    "fail": "FDECEC",
    "not_evaluable": "F3F4F6",
    "reject": "FDECEC",
    "review": "FFF4E0",
    "invalid": "F3F4F6",
    "not_checked": "EEEAF5",
    "not_in_data": "EEEAF5",
    "project_invalid": "F3F4F6",
    "forbidden": "FDECEC",
    "notice": "E8F0FE",
}
_MAX_WIDTH = 60
_HEADER_FILL = "DDE3EA"
# "value": a number stays a number, shown as Excel's General (a tolerance of 0.001 m² stays 0.001).
_NUMBER_FORMAT = {
    "int": "#,##0",
    "num": "#,##0.00",
    "pct": "0.0",
    "text": "@",
    "value": "General",
}


def _cell_value(v: Any, kind: str) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if kind == "value":
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, numbers.Real):
            return float(v) if isinstance(v, (float, np.floating)) else int(v)
        return str(v)
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


class _Styles:
    """Cell styles built once per (number format, fill, wrap, header) and copied onto cells.

    Assigning openpyxl style objects cell by cell looks each one up in the workbook's style lists
    (tens of µs per cell: 25 s for a 1,500-conflict review); copying a prepared style array is cheap.
    """

    def __init__(self, ws):
        self.ws = ws
        self.cache: dict[tuple, Any] = {}

    def cell(
        self,
        value: Any,
        fmt: str | None,
        fill: str | None,
        wrap: bool,
        header: bool = False,
        text: bool = False,
    ):
        """A styled cell; ``text``: a formula-like text kept a string (quote prefix, as Excel
        stores a cell typed as ``'=1+1``)."""
        key = (fmt, fill, wrap, header, text)
        proto = self.cache.get(key)
        if proto is None:
            proto = WriteOnlyCell(self.ws)
            if fmt:
                proto.number_format = fmt
            if fill:
                proto.fill = PatternFill("solid", fgColor=fill)
            if wrap or header:
                proto.alignment = Alignment(wrap_text=True, vertical="center" if header else "top")
            if header:
                proto.font = Font(bold=True)
            if text:
                proto.quotePrefix = True
            self.cache[key] = proto
        c = WriteOnlyCell(self.ws, value=value)
        if text:
            # openpyxl makes every str starting with "=" a formula; a string cell is never evaluated.
            c.data_type = "s"
        c._style = copy(proto._style)
        return c


# (sheet, header, column letter) → (cells changed, code points removed, truncated cells)
_Removed = dict[tuple[str, str, str], tuple[list[int], dict[str, None], int]]


def _clean_column(
    values: list, where: tuple[str, str, str], removed: _Removed
) -> list[bool] | None:
    """Make one column's texts writable, in place, and say which cells are formula-like.

    Characters a workbook cannot hold are removed and texts beyond Excel's 32,767-character cell limit
    cut, each change noted in ``removed`` under ``where``; the rest is untouched. Returns a flag per
    cell (True: a text a spreadsheet would read as a formula), or None when there is none.
    """
    texts = [i for i, v in enumerate(values) if isinstance(v, str)]
    if not texts:
        return None
    joined = "".join(values[i] for i in texts)
    if strip_illegal(joined)[1] or max(len(values[i]) for i in texts) > EXCEL_MAX_CHARS:
        for i in texts:
            v, chars = strip_illegal(values[i])
            cut = len(v) > EXCEL_MAX_CHARS
            if chars or cut:
                rows, found, n_cut = removed.setdefault(where, ([], {}, 0))
                rows.append(i)
                found.update(dict.fromkeys(chars))
                removed[where] = (rows, found, n_cut + cut)
                values[i] = v[:EXCEL_MAX_CHARS]
    flags = [False] * len(values)
    any_formula = False
    for i in texts:
        if is_formula_like(values[i]):
            flags[i] = any_formula = True
    return flags if any_formula else None


def _removal_rows(removed: _Removed, lang: str) -> list[tuple[str, str]]:
    """The Method-sheet rows recording what :func:`_clean_column` changed, and a logged warning each."""
    zh = lang == "zh"
    rows = []
    for (sheet, header, letter), (cells, chars, n_cut) in removed.items():
        refs = [f"{letter}{i + 2}" for i in cells[:20]]
        more = f" … ({len(cells)})" if len(cells) > 20 else ""
        what = []
        if chars:
            what.append(
                f"删除字符 {', '.join(chars)}(Excel 不能保存控制字符)"
                if zh
                else f"removed {', '.join(chars)} (Excel cannot store control characters)"
            )
        if n_cut:
            what.append(
                f"{n_cut} 格超过 {EXCEL_MAX_CHARS:,} 字符,已截断"
                if zh
                else f"{n_cut} cell(s) cut to Excel's {EXCEL_MAX_CHARS:,}-character limit"
            )
        where = ", ".join(refs) + more
        tail = "原数据未改动" if zh else "the data itself is unchanged"
        item = f"{'工作簿写出' if zh else 'written copy'}: {sheet} · {header}"
        text = f"{'; '.join(what)}: {where}; {tail}"
        rows.append((item, text))
        log.warning("to_excel: sheet '%s', column '%s': %s", sheet, header, text)
    return rows


def _column(frame: pd.DataFrame, col: str, kind: str, units: list) -> tuple[list, list]:
    """Cell values and number formats of one column (``kind`` "auto": each row's unit decides)."""
    raw = frame[col].tolist() if col in frame else [None] * len(frame)
    kinds = [_unit_kind(u) for u in units] if kind == "auto" else [kind] * len(raw)
    values = [_cell_value(v, k) for v, k in zip(raw, kinds, strict=True)]
    fmts = [
        _NUMBER_FORMAT[k] if isinstance(v, (int, float)) and not isinstance(v, bool) else None
        for v, k in zip(values, kinds, strict=True)
    ]
    return values, fmts


def _width(values: list) -> int:
    widths = [len(f"{v:,.2f}") if isinstance(v, float) else display_width(v) for v in values]
    return max(widths, default=0)


def _write_sheet(
    wb: Workbook,
    title: str,
    frame: pd.DataFrame,
    spec: list[tuple[str, str, str]],
    *,
    fill_by: str | None = None,
    removed: _Removed | None = None,
) -> None:
    """Write ``frame`` columns as ``spec`` = [(column, header, kind)] with kind int/num/pct/text/auto;
    texts changed to be writable are noted in ``removed``."""
    ws = wb.create_sheet(title)
    styles = _Styles(ws)
    n = len(frame)
    units = frame["unit"].tolist() if "unit" in frame else [None] * n
    columns = [_column(frame, c, kind, units) for c, _, kind in spec]
    removed = {} if removed is None else removed
    quoted = [
        _clean_column(vals, (title, h, get_column_letter(j)), removed)
        for j, ((vals, _), (_, h, _)) in enumerate(zip(columns, spec, strict=True), start=1)
    ]
    widths = [
        max(display_width(h), _width(vals)) + 2
        for (_, h, _), (vals, _) in zip(spec, columns, strict=True)
    ]
    wrap = [w > _MAX_WIDTH for w in widths]
    # Write-only sheets take widths, panes and filters before the first row.
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(w, _MAX_WIDTH)
    ws.freeze_panes = "A2"
    if n:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(spec))}{n + 1}"
    ws.append([styles.cell(h, None, _HEADER_FILL, True, header=True) for _, h, _ in spec])
    fills = (
        [_FILL.get(str(k)) for k in frame[fill_by].tolist()]
        if fill_by is not None and fill_by in frame
        else [None] * n
    )
    for i in range(n):
        fill = fills[i]
        row = []
        for j, (vals, fmts) in enumerate(columns):
            v, fmt = vals[i], fmts[i]
            flags = quoted[j]
            text = flags is not None and flags[i]
            if fmt is None and fill is None and not wrap[j] and not text:
                row.append(v)
            else:
                row.append(styles.cell(v, fmt, fill, wrap[j], text=text))
        ws.append(row)


def _spec(
    lang: str, columns: Iterable[str], kinds: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """Sheet spec ``[(column, header, kind)]``: the header of ``x_label`` is that of ``x``; kind
    from ``kinds``, else text."""
    kinds = kinds or {}
    return [(c, col(c.removesuffix("_label"), lang), kinds.get(c, "text")) for c in columns]


def _unit_kind(unit: Any) -> str:
    if unit in ("count", "persons", "households"):
        return "int"
    return "pct" if unit == "%" else "num"


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


# Excel's row limit, header included.
_EXCEL_ROWS = 1_048_576


def _write_review_evidence(
    wb: Workbook, review: Any, lang: str, *, removed: _Removed | None = None
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
        spec = _spec(
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
        _write_sheet(wb, SHEETS["checks"][z], table, spec, fill_by="status", removed=removed)
    evidence = getattr(review, "evidence", None)
    if evidence:
        rows = _method_rows(
            {
                **{k: v for k, v in evidence.items() if k not in ("sources", "files")},
                **{f"sources.{s.get('layer')}": s for s in evidence.get("sources", [])},
                **{f"files.{i}": f for i, f in enumerate(evidence.get("files", []))},
            }
        )
        meta = pd.DataFrame(rows, columns=["item", "value"], dtype=object)
        _write_sheet(
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
    if scorecard is None and indicators is None and review is None:
        raise TownPlanError(
            "to_excel: nothing to write. Pass scorecard=, indicators= and/or review=."
        )
    z = 0 if lang == "zh" else 1
    when = generated_at()
    wb = Workbook(write_only=True)
    removed: _Removed = {}
    if scorecard is not None:
        sc = scorecard_table(scorecard, lang)
        columns = ["key", "name", "value", "unit", "comparator", "target", "status_label", "gap"]
        columns += ["source", "note"] if "note" in sc else ["source"]
        # value, target and gap take each row's unit: integers for counts, one decimal for %.
        spec = _spec(lang, columns, dict.fromkeys(("value", "target", "gap"), "auto"))
        _write_sheet(wb, SHEETS["scorecard"][z], sc, spec, fill_by="status", removed=removed)
    if indicators is not None:
        ind = pd.DataFrame(indicators).copy()
        ind["name"] = ind["name_zh" if lang == "zh" else "name_en"]
        spec = _spec(
            lang, ["key", "name", "value", "unit", "definition", "note"], {"value": "auto"}
        )
        _write_sheet(wb, SHEETS["indicators"][z], ind, spec, removed=removed)
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
        spec = _spec(lang, (
            "project_id", "project_name", "project_type", "line_type_label", "line_id", "line_name",
            "zone", "grade_label", "overlap_area_m2", "overlap_area_mu", "overlap_length_m",
            "pct_of_project", "pct_of_line", "distance_m", "clause", "procedure", "ignored", "reason",
        ), nums)  # fmt: skip
        _write_sheet(wb, SHEETS["conflicts"][z], cf, spec, fill_by="grade", removed=removed)
        pj = projects_table(review, lang)
        overlaps = [f"{lt}_overlap_m2" for lt in ("red", "green", "purple", "blue", "yellow")]
        spec = _spec(
            lang,
            ["project_id", "project_name", "project_type", "verdict_label", "worst_grade_label",
             "n_conflicts", "n_ignored", *overlaps, "reason"],
            {"n_conflicts": "int", "n_ignored": "int", **dict.fromkeys(overlaps, "num")},
        )  # fmt: skip
        _write_sheet(wb, SHEETS["projects"][z], pj, spec, fill_by="verdict", removed=removed)
        _write_review_evidence(wb, review, lang, removed=removed)
    facts = dict(settings or {})
    if review is not None:
        for k, v in (getattr(review, "settings", {}) or {}).items():
            facts.setdefault(f"review.{k}", v)
    facts.setdefault("generated", when.isoformat(timespec="seconds"))
    method = [
        ("item", "项目" if lang == "zh" else "Item", "text"),
        ("value", "内容" if lang == "zh" else "Value", "value"),
    ]
    rows = _method_rows(facts)
    # The Method sheet is written last and lists every change, its own included.
    items, values = [r[0] for r in rows], [r[1] for r in rows]
    for j, (vals, (_, header, _)) in enumerate(zip((items, values), method, strict=True), start=1):
        _clean_column(vals, (SHEETS["method"][z], header, get_column_letter(j)), removed)
    rows = list(zip(items, values, strict=True)) + _removal_rows(removed, lang)
    meta = pd.DataFrame(rows, columns=["item", "value"], dtype=object)
    _write_sheet(wb, SHEETS["method"][z], meta, method)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(wb, path, when)
    log.info("workbook written to %s", path)
    return path


class _PinnedZip(zipfile.ZipFile):
    """A zip archive whose entries all carry one timestamp (the workbook's generation time), so the
    same workbook written twice gives the same bytes."""

    def __init__(self, *args, date_time: tuple[int, ...], **kwargs):
        self._date_time = date_time
        super().__init__(*args, **kwargs)

    def _entry(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._date_time)  # type: ignore[arg-type]
        info.compress_type = self.compression
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl adds each write-only sheet from its temporary file: streamed, not read whole.
        info = self._entry(str(arcname or filename))
        size = os.path.getsize(filename)
        info.file_size = size
        with open(filename, "rb") as src, self.open(info, "w", force_zip64=size > 2**31) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def _save(wb: Workbook, path: Path, when: _dt.datetime) -> None:
    """Save ``wb`` with its document properties and zip entries stamped ``when``."""
    utc = when.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    wb.properties.created = wb.properties.modified = utc
    stamp = max(utc.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # the zip format starts in 1980
    with _PinnedZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, date_time=stamp) as archive:
        ExcelWriter(wb, archive).save()
