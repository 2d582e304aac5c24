"""One table of the programme's outputs, shown three ways: an HTML table, a workbook sheet, a .docx
table. The numbers in each are the computed ones (a 万元 amount stays a number in the sheet; the page
and the document show it formatted); text columns are already in the output's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from townplan_gis.deliverables.pages import css, version
from townplan_gis.deliverables.programme.words import cdate, col, missing, money, num, pct
from townplan_gis.deliverables.sheets import write_sheet

__all__ = ["Tab", "page_html"]

# Column kinds: how a cell is shown on the page, and the sheet's number format.
_SHEET_KIND = {
    "money": "num",
    "int": "int",
    "pct": "pct",
    "num": "num",
    "text": "text",
    "date": "text",
    "tag": "text",
}
_NUMERIC = {"money", "int", "pct", "num"}


def cell_text(value: Any, kind: str, lang: str = "zh") -> str:
    """A cell as the page and the document show it (missing: ``—``)."""
    if kind == "money":
        return money(value)
    if kind == "pct":
        return pct(value)
    if kind in ("int", "num"):
        return num(value)
    if kind == "date":
        return cdate(value, lang)
    return "—" if missing(value) else str(value)


@dataclass
class Tab:
    """A table: ``frame`` with ``columns`` = [(column, kind)], kind money/int/pct/num/text/date;
    (``tag``: a short text kept on one line); ``fill``: per row a workbook fill key (pass, fail, review …) and page row class, or None."""

    frame: pd.DataFrame
    columns: list[tuple[str, str]]
    fill: list[str | None] | None = None
    caption: str = ""
    empty: str = ""
    cls: str = "programme"
    headers: dict[str, str] = field(default_factory=dict)

    def header(self, column: str, lang: str) -> str:
        return self.headers.get(column) or col(column, lang)

    def html(self, lang: str = "zh") -> dict[str, Any]:
        """The template's table: headers, and rows of (text, css class) cells."""
        rows = []
        fills = self.fill or [None] * len(self.frame)
        for (_, r), f in zip(self.frame.iterrows(), fills, strict=True):
            cells = []
            for c, kind in self.columns:
                text = cell_text(r.get(c), kind, lang)
                nowrap = kind in ("tag", "date") or c == "project_id"
                cells.append((text, "num" if kind in _NUMERIC else ("id" if nowrap else "")))
            rows.append({"cells": cells, "cls": f"fill-{f}" if f else ""})
        return {
            "headers": [(self.header(c, lang), kind in _NUMERIC) for c, kind in self.columns],
            "rows": rows,
            "caption": self.caption,
            "empty": self.empty,
            "cls": self.cls,
        }

    def sheet_frame(self, lang: str = "zh") -> pd.DataFrame:
        out = pd.DataFrame(index=self.frame.index)
        for c, kind in self.columns:
            v = self.frame[c] if c in self.frame else pd.Series(None, index=self.frame.index)
            out[c] = v.map(lambda x, k=kind: cell_text(x, k, lang)) if kind == "date" else v
        if self.fill is not None:
            out["_fill"] = self.fill
        return out

    def write(self, wb: Any, title: str, lang: str = "zh", removed: dict | None = None) -> None:
        """Write the table as a sheet of ``wb`` (numbers as numbers, NaN as an empty cell)."""
        spec = [(c, self.header(c, lang), _SHEET_KIND[kind]) for c, kind in self.columns]
        write_sheet(
            wb,
            title,
            self.sheet_frame(lang),
            spec,
            fill_by="_fill" if self.fill is not None else None,
            removed=removed,
        )


@cache
def _extra_css() -> str:
    return (
        resources.files("townplan_gis.deliverables.programme")
        .joinpath("templates/programme.css")
        .read_text("utf-8")
    )


def page_html(
    *,
    title: str,
    sections: list[dict[str, Any]],
    lang: str = "zh",
    subtitle: list[str] | None = None,
    notes: list[str] | None = None,
    footer: str = "",
    extra_css: str = "",
) -> str:
    """A self-contained page (the deliverables' stylesheet inlined, no external resource).

    ``sections``: dicts with ``heading``, ``facts`` [(label, value)], ``paragraphs``, ``tables``
    (:meth:`Tab.html` dicts), ``figures`` [{src, caption}], ``after`` [{text, cls}], ``cls``, ``id``.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("townplan_gis.deliverables.programme", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    full = []
    for s in sections:
        full.append(
            {
                "heading": "",
                "facts": [],
                "paragraphs": [],
                "tables": [],
                "figures": [],
                "after": [],
                "cls": "",
                "id": "",
                **s,
            }
        )
    return env.get_template("page.html.j2").render(
        lang=lang,
        title=title,
        subtitle=subtitle or [],
        notes=notes or [],
        sections=full,
        footer=footer,
        css=css(),
        extra_css=_extra_css() + extra_css,
        version=version(),
    )
