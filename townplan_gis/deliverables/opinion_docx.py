"""The review opinion as a Word file (``.docx``, python-docx), on a template a user can replace.

The packaged template ``templates/opinion.docx`` holds the page (A4, margins), the fonts and the
styles the opinion uses; an office replaces it with its own (letterhead in the header, 仿宋 body,
方正小标宋 title …) by opening it in Word, changing the styles and saving it under another name, then
passing ``template=`` (or ``--opinion-template`` on the command line). The styles used:

- ``OpAuthority`` (issuing authority), ``OpTitle`` (document title), ``OpNumber`` (document number),
  ``OpWarning`` (the placeholder-office warning), ``OpConclusion`` (the conclusion word),
  ``OpSign`` (sign-off and seal lines) — paragraph styles;
- ``Heading 1``, ``Normal``, ``Caption`` and the table style ``Table Grid``.

:func:`make_template` writes the packaged template afresh (the start of an office's own).
"""

from __future__ import annotations

import io
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from townplan_gis.core.errors import TownPlanError

__all__ = ["STYLES", "make_template", "opinion_docx"]

STYLES = ("OpAuthority", "OpTitle", "OpNumber", "OpWarning", "OpConclusion", "OpSign",
          "Heading 1", "Normal", "Caption", "Table Grid")  # fmt: skip
# Fonts of the packaged template: Noto CJK (Debian fonts-noto-cjk) so it renders as designed here;
# Word substitutes a font it lacks, and an office sets its own in its template.
_SERIF, _SANS = "Noto Serif CJK SC", "Noto Sans CJK SC"


def _fonts(style: Any, name: str, size: float, *, bold: bool = False, colour: str | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    style.font.name = name
    style.font.size = Pt(size)
    style.font.bold = bold
    if colour:
        style.font.color.rgb = RGBColor.from_string(colour)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def make_template(path: str | Path | None = None) -> Any:
    """The packaged opinion template, built afresh: A4, 25/20 mm margins, the ``Op*`` styles.

    Returns the python-docx ``Document``; with ``path`` it is also saved there.
    """
    from docx import Document
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    doc = Document()
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(25), Mm(20)
    sec.left_margin, sec.right_margin = Mm(25), Mm(20)
    styles = doc.styles
    _fonts(styles["Normal"], _SERIF, 11)
    styles["Normal"].paragraph_format.space_after = Pt(3)
    _fonts(styles["Heading 1"], _SANS, 13, bold=True, colour="111111")
    styles["Heading 1"].paragraph_format.space_before = Pt(12)
    styles["Heading 1"].paragraph_format.keep_with_next = True
    _fonts(styles["Caption"], _SERIF, 9, colour="555555")
    specs = {
        "OpAuthority": (_SANS, 20, True, "B71C1C", WD_ALIGN_PARAGRAPH.CENTER),
        "OpTitle": (_SANS, 18, True, "111111", WD_ALIGN_PARAGRAPH.CENTER),
        "OpNumber": (_SERIF, 12, False, "111111", WD_ALIGN_PARAGRAPH.CENTER),
        "OpWarning": (_SANS, 11, True, "C62828", WD_ALIGN_PARAGRAPH.LEFT),
        "OpConclusion": (_SANS, 16, True, "111111", WD_ALIGN_PARAGRAPH.LEFT),
        "OpSign": (_SERIF, 12, False, "111111", WD_ALIGN_PARAGRAPH.RIGHT),
    }
    for name, (font, size, bold, colour, align) in specs.items():
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        _fonts(style, font, size, bold=bold, colour=colour)
        style.paragraph_format.alignment = align
        style.paragraph_format.space_after = Pt(6)
    if path is not None:
        doc.save(str(path))
    return doc


@cache
def _packaged() -> bytes:
    return resources.files("townplan_gis.deliverables").joinpath("templates/opinion.docx").read_bytes()


@cache
def _template_bytes(template: str | None) -> bytes:
    if template is None:
        return _packaged()
    path = Path(template)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TownPlanError(f"opinion template {path}: cannot read it ({exc}).") from exc
    _open(data, str(path))  # refuse a template without the styles now, not at the first opinion
    return data


def _open(data: bytes, source: str) -> Any:
    from docx import Document

    try:
        doc = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for a file that is not a .docx
        raise TownPlanError(f"opinion template {source}: not a Word .docx file ({exc}).") from exc
    names = {s.name for s in doc.styles}
    missing = [s for s in STYLES if s not in names]
    if missing:
        raise TownPlanError(
            f"opinion template {source} lacks the style(s) {missing}. Fix: start from the packaged "
            f"template (townplan_gis.deliverables.opinion_docx.make_template('mine.docx')), change "
            f"its styles in Word and keep their names."
        )
    return doc


def _table(doc: Any, header: list[str] | None, rows: list[list[str]], widths_mm: list[float]) -> Any:
    from docx.oxml.ns import qn
    from docx.shared import Mm

    n = len(rows) + (1 if header else 0)
    table = doc.add_table(rows=n, cols=len(widths_mm))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    for column, w in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(w)  # the grid LibreOffice and Word lay the table out by
    all_rows = ([header] if header else []) + rows
    for r, (row, values) in enumerate(zip(table.rows, all_rows, strict=True)):
        for cell, value, w in zip(row.cells, values, widths_mm, strict=True):
            cell.width = Mm(w)
            cell.text = value
            if header and r == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True
        # Rows never split across pages; the header row repeats on the next page.
        trpr = row._tr.get_or_add_trPr()
        trpr.append(trpr.makeelement(qn("w:cantSplit"), {}))
        if header and r == 0:
            trpr.append(trpr.makeelement(qn("w:tblHeader"), {}))
    return table


def opinion_docx(content: dict[str, Any], *, template: str | Path | None = None) -> bytes:
    """The opinion (from :func:`~townplan_gis.deliverables.opinion_content.opinion_content`) as the
    bytes of a ``.docx``, written on ``template`` (default the packaged one)."""
    from docx.oxml.ns import qn
    from docx.shared import Mm

    from townplan_gis.deliverables.opinion import check_headers, contact_text, finding_headers, labels

    key = None if template is None else str(Path(template).resolve())
    doc = _open(_template_bytes(key), key or "templates/opinion.docx")
    lang = content["lang"]
    zh = lang == "zh"
    colon = "：" if zh else ": "
    L = labels(lang)
    office = content["office"]
    doc.add_paragraph(office.authority, style="OpAuthority")
    doc.add_paragraph(content["title"], style="OpTitle")
    doc.add_paragraph(f"{L['number']}{colon}{content['number']}", style="OpNumber")
    if content["placeholder_warning"]:
        doc.add_paragraph(content["placeholder_warning"], style="OpWarning")
    doc.add_heading(L["project"], level=1)
    _table(doc, None, [[k, str(v)] for k, v in content["facts"]], [35, 130])
    doc.add_heading(L["conclusion"], level=1)
    doc.add_paragraph(f"{L['verdict']}{colon}{content['conclusion']['word']}", style="OpConclusion")
    doc.add_paragraph(content["conclusion"]["text"])
    n = len(content["findings"])
    doc.add_heading(f"{L['findings']}（{n}）" if zh else f"{L['findings']} ({n})", level=1)
    if content["findings"]:
        rows = []
        for f in content["findings"]:
            grade = f["grade_label"] + ((f"（{L['ignored']}）" if zh else f" ({L['ignored']})") if f["ignored"] else "")
            rows.append([str(f["n"]), f["line"], f["zone"], grade, f["size"], f["pct"], f["distance"]])
        _table(doc, finding_headers(lang), rows, [10, 38, 22, 16, 42, 18, 19])
        for f in content["findings"]:
            p = doc.add_paragraph()
            p.add_run(f"{f['n']}. {L['clause']}{colon}").bold = True
            p.add_run(f["clause"] or "—")
            p = doc.add_paragraph()
            p.add_run(f"{L['procedure']}{colon}").bold = True
            p.add_run(f["procedure"] or "—")
    else:
        no = L["no_findings"]
        if content["verdict"] == "not_checked":
            no = "审查未完成，未发现冲突不代表没有冲突（见审查结论）。" if zh else (
                "The check is incomplete: no conflict found does not mean none (see the verdict).")  # fmt: skip
        doc.add_paragraph(no)
    doc.add_heading(L["checks"], level=1)
    if content["checks"]:
        rows = [[r["line"], r["status_label"], r["found"], r["nearest"]] for r in content["checks"]]
        _table(doc, check_headers(lang), rows, [40, 60, 30, 35])
    else:
        doc.add_paragraph(L["no_checks"])
    if content["evidence"]:
        doc.add_paragraph()
        _table(doc, None, [[k, v] for k, v in content["evidence"]], [35, 130])
    # Heading, map and legend in one unsplittable table row, so the heading never stays behind
    # at the foot of a page while the map moves on (keep-with-next does not hold a picture).
    box = doc.add_table(rows=1, cols=1)
    trpr = box.rows[0]._tr.get_or_add_trPr()
    trpr.append(trpr.makeelement(qn("w:cantSplit"), {}))
    cell = box.rows[0].cells[0]
    cell.paragraphs[0].text = L["map"]
    cell.paragraphs[0].style = doc.styles["Heading 1"]
    if content["map_png"]:
        cell.add_paragraph().add_run().add_picture(io.BytesIO(content["map_png"]), width=Mm(90))
        cell.add_paragraph(L["map_legend"], style="Caption")
    else:
        cell.add_paragraph(content["map_note"] or "—")
    doc.add_paragraph()
    blank = "____________"
    sign = doc.add_table(rows=1, cols=3)
    for cell, word in zip(sign.rows[0].cells, ("handler", "checker", "date"), strict=True):
        cell.text = f"{L[word]}{colon}{blank}"
    doc.add_paragraph()
    for line in (L["seal"], office.authority, content["date"]):
        doc.add_paragraph(line, style="OpSign")
    doc.add_paragraph(f"{L['contact']}{colon}{contact_text(office, lang)}", style="Caption")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
