"""Writing one workbook sheet: typed, styled, formula-safe cells, CJK-aware widths, and a zip whose
bytes depend only on the content and the generation time.

Numbers stay numbers (Excel sums and filters them), NaN is an empty cell, the header row is frozen and
filtered, column widths count East-Asian wide characters as two. A text a spreadsheet would read as a
formula is stored as a string with Excel's quote prefix; characters a workbook cannot hold are removed
from the written copy and each removal is noted for the 说明 / Method sheet
(:func:`removal_rows`). Used by :mod:`.workbook`.
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

from townplan_gis.core.reprs import display_width
from townplan_gis.core.safe import EXCEL_MAX_CHARS, is_formula_like, strip_illegal
from townplan_gis.core.vocab import col

__all__ = [
    "Removed",
    "clean_column",
    "print_setup",
    "removal_rows",
    "save_workbook",
    "sheet_spec",
    "write_sheet",
]

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
        if isinstance(v, numbers.Integral):
            return int(v)
        if isinstance(v, numbers.Real):
            return float(v)
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
Removed = dict[tuple[str, str, str], tuple[list[int], dict[str, None], int]]


def clean_column(values: list, where: tuple[str, str, str], removed: Removed) -> list[bool] | None:
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


def removal_rows(removed: Removed, lang: str) -> list[tuple[str, str]]:
    """The Method-sheet rows recording what :func:`_clean_column` changed, and a logged warning each."""
    zh = lang == "zh"
    rows = []
    for (sheet, header, letter), (cells, chars, n_cut) in removed.items():
        refs = [f"{letter}{i + 2}" for i in cells[:20]]
        more = f" … ({len(cells)})" if len(cells) > 20 else ""
        what = []
        if chars:
            what.append(
                f"删除字符 {', '.join(chars)}（Excel 不能保存控制字符）"
                if zh
                else f"removed {', '.join(chars)} (Excel cannot store control characters)"
            )
        if n_cut:
            what.append(
                f"{n_cut} 格超过 {EXCEL_MAX_CHARS:,} 字符，已截断"
                if zh
                else f"{n_cut} cell(s) cut to Excel's {EXCEL_MAX_CHARS:,}-character limit"
            )
        where = ", ".join(refs) + more
        tail = "原数据未改动" if zh else "the data itself is unchanged"
        item = f"工作簿写出：{sheet} · {header}" if zh else f"written copy: {sheet} · {header}"
        text = (
            f"{'；'.join(what)}：{where}；{tail}" if zh else f"{'; '.join(what)}: {where}; {tail}"
        )
        rows.append((item, text))
        log.warning("to_excel: sheet '%s', column '%s': %s", sheet, header, text)
    return rows


def print_setup(ws: Any, *, header_rows: int = 1) -> None:
    """A4 landscape, the header row(s) repeated on every printed page, fitted to the page width."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4 in the OOXML paper-size table
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if header_rows:
        ws.print_title_rows = f"1:{header_rows}"
    ws.print_options.horizontalCentered = True


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


def write_sheet(
    wb: Workbook,
    title: str,
    frame: pd.DataFrame,
    spec: list[tuple[str, str, str]],
    *,
    fill_by: str | None = None,
    removed: Removed | None = None,
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
        clean_column(vals, (title, h, get_column_letter(j)), removed)
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
    print_setup(ws)
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


def sheet_spec(
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


def save_workbook(wb: Workbook, path: Path, when: _dt.datetime) -> None:
    """Save ``wb`` with its document properties and zip entries stamped ``when``."""
    utc = when.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    wb.properties.created = wb.properties.modified = utc
    stamp = max(utc.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # the zip format starts in 1980
    with _PinnedZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, date_time=stamp) as archive:
        ExcelWriter(wb, archive).save()
