"""The acceptance record (验收记录) of one town as a Word document (python-docx): the record's steps,
the projects seen, the targets, the result and the signature lines. A4, a CJK font for Chinese text;
the tables are those of the page (:mod:`.acceptance`), so the document and the page say the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from townplan_gis.construction import Acceptance
from townplan_gis.deliverables.programme.acceptance import (
    _projects_tab,
    _subtitle,
    _targets_tab,
    record_sections,
    record_tab,
)
from townplan_gis.deliverables.programme.render import Tab, cell_text
from townplan_gis.deliverables.programme.words import heading

__all__ = ["record_docx"]

# Word takes the font of Chinese text from the East Asian slot; 宋体 is what a Chinese office has,
# and LibreOffice substitutes an installed CJK font (Noto) for it.
_FONT_ZH = "宋体"
_FONT_LATIN = "Times New Roman"


def _fonts(run: Any, size_pt: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = _FONT_LATIN
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), _FONT_ZH)
    if size_pt is not None:
        run.font.size = Pt(size_pt)
    if bold is not None:
        run.font.bold = bold


def _para(doc: Any, text: str, *, size: float = 10.5, bold: bool = False, align: str = "") -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    p = doc.add_paragraph()
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(p.add_run(text), size, bold)


def _table(doc: Any, tab: Tab, lang: str, widths_cm: list[float] | None = None) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    table = doc.add_table(rows=1, cols=len(tab.columns))
    table.style = "Table Grid"
    for j, (c, _) in enumerate(tab.columns):
        cell = table.rows[0].cells[j]
        cell.text = ""
        _fonts(cell.paragraphs[0].add_run(tab.header(c, lang)), 9, True)
    for _, r in tab.frame.iterrows():
        cells = table.add_row().cells
        for j, (c, kind) in enumerate(tab.columns):
            para = cells[j].paragraphs[0]
            _fonts(para.add_run(cell_text(r.get(c), kind, lang)), 9)
            if kind in ("money", "int", "pct", "num"):
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if widths_cm:
        # LibreOffice reads the grid columns, Word the cells: set both, and stop autofit.
        table.autofit = False
        for j, w in enumerate(widths_cm):
            table.columns[j].width = Cm(w)
        for row in table.rows:
            for j, w in enumerate(widths_cm):
                row.cells[j].width = Cm(w)
    return table


def record_docx(acc: Acceptance, town: str, path: str | Path, *, lang: str = "zh") -> Path:
    """Write the acceptance record of ``town`` as a .docx file; returns its path.

    Raises
    ------
    KeyError
        ``town`` is not one of the accepted towns' names.
    """
    from docx import Document
    from docx.shared import Cm

    if town not in acc.records:
        raise KeyError(f"no acceptance record for {town!r}; towns: {list(acc.records)}")
    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    sec.left_margin = sec.right_margin = Cm(2.0)
    sec.top_margin = sec.bottom_margin = Cm(2.0)
    _para(doc, heading("record_title", lang, town=town), size=16, bold=True, align="center")
    for line in _subtitle(acc, lang):
        _para(doc, line, size=10)
    _table(doc, record_tab(acc, town, lang), lang, [1.6, 2.4, 3.6, 9.4])
    verdict = record_sections(acc, town, lang)[0]["after"][0]["text"]
    _para(doc, verdict, size=12, bold=True)
    projects = _projects_tab(acc, town, lang)
    _para(doc, "看项目：各项目完工与规划符合性" if lang == "zh" else "Projects", bold=True)
    _table(doc, projects, lang, [2.4, 7.0, 2.6, 2.6, 2.4])
    _para(doc, "考核：各项指标" if lang == "zh" else "Targets", bold=True)
    _table(doc, _targets_tab(acc, town, lang), lang, [6.0, 2.6, 3.0, 2.4, 3.0])
    _para(doc, "")
    _para(doc, heading("sign", lang), size=11)
    _para(doc, "")
    _para(doc, heading("sign_date", lang), size=11)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path
