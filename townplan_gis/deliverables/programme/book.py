"""Writing the programme's workbooks and pages to files: sheets from :class:`~.render.Tab` tables,
a 说明 / Method sheet with what the output was made from, the same bytes for the same inputs and
generation time (:func:`townplan_gis.core.clock.generated_at`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from townplan_gis.core.clock import generated_at
from townplan_gis.core.vocab import SHEETS
from townplan_gis.deliverables.programme.render import Tab
from townplan_gis.deliverables.sheets import removal_rows, save_workbook, write_sheet

__all__ = ["add_tabs", "footer", "write_book"]


def add_tabs(wb: Workbook, tabs: list[tuple[str, Tab]], lang: str, removed: dict) -> None:
    """Each (sheet name, table) as a sheet of ``wb``."""
    for title, tab in tabs:
        tab.write(wb, title, lang, removed)


def write_book(
    path: str | Path, tabs: list[tuple[str, Tab]], *, lang: str, facts: list[tuple[str, Any]]
) -> Path:
    """A workbook of ``tabs`` and a method sheet of ``facts`` [(item, value)]; returns its path."""
    when = generated_at()
    wb = Workbook(write_only=True)
    removed: dict = {}
    add_tabs(wb, tabs, lang, removed)
    rows = [
        *facts,
        ("generated" if lang == "en" else "生成时间", when.isoformat(timespec="seconds")),
    ]
    rows += removal_rows(removed, lang)
    meta = pd.DataFrame(rows, columns=["item", "value"], dtype=object)
    z = 0 if lang == "zh" else 1
    write_sheet(
        wb,
        SHEETS["method"][z],
        meta,
        [
            ("item", "项目" if lang == "zh" else "Item", "text"),
            ("value", "内容" if lang == "zh" else "Value", "value"),
        ],
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, path, when)
    return path


def footer(lang: str) -> str:
    """The pages' footer: the package version and the generation time."""
    from townplan_gis.deliverables.pages import version

    when = generated_at()
    if lang == "zh":
        return f"townplan_gis {version()} 生成于{when.year}年{when.month}月{when.day}日"
    return f"townplan_gis {version()}, generated {when:%Y-%m-%d}"
