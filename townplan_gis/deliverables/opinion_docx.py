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
import re
import zipfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from townplan_gis.core.errors import TownPlanError

__all__ = ["STYLES", "make_template", "opinion_docx"]

STYLES = ("OpAuthority", "OpTitle", "OpNumber", "OpWarning", "OpConclusion", "OpSign",
          "Heading 1", "Normal", "Caption", "Table Grid")  # fmt: skip
# Fonts of the packaged template: Noto CJK (Debian fonts-noto-cjk) so it renders as designed here;
# Word substitutes a font it lacks, and an office sets its own in its template.
_SERIF, _SANS = "Noto Serif CJK SC", "Noto Sans CJK SC"


def _fonts(
    style: Any, name: str, size: float, *, bold: bool = False, colour: str | None = None
) -> None:
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
        buf = io.BytesIO()
        doc.save(buf)
        Path(path).write_bytes(_slim(buf.getvalue()))
    return doc


# Parts of python-docx's own default package an opinion does not need; dropped from the packaged
# template so each opinion does not carry (and compress) 0.8 MB of unused styles.
_DROP = ("word/stylesWithEffects.xml", "docProps/thumbnail.jpeg", "customXml/")


def _slim(data: bytes) -> bytes:
    """The package without the unused parts and with only the styles in use (and those they are
    based on), so the template stays small; Word and LibreOffice open it as before."""
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            name = info.filename
            if name.startswith(_DROP):
                continue
            raw = src.read(name)
            if name == "word/styles.xml":
                root = etree.fromstring(raw)
                for latent in root.findall(f"{w}latentStyles"):
                    root.remove(latent)
                styles = {st.get(f"{w}styleId"): st for st in root.findall(f"{w}style")}
                keep = {sid for sid, st in styles.items()
                        if st.find(f"{w}name").get(f"{w}val") in {*STYLES, "heading 1", "caption",
                        "Default Paragraph Font", "Normal Table", "No List"}
                        or st.get(f"{w}default") == "1"}  # fmt: skip
                pending = list(keep)
                while pending:  # the styles a kept style is based on, or links to
                    st = styles.get(pending.pop())
                    for tag in ("basedOn", "next", "link"):
                        ref = st.find(f"{w}{tag}") if st is not None else None
                        sid = ref.get(f"{w}val") if ref is not None else None
                        if sid in styles and sid not in keep:
                            keep.add(sid)
                            pending.append(sid)
                for sid, st in styles.items():
                    if sid not in keep:
                        root.remove(st)
                raw = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            elif name in ("word/_rels/document.xml.rels", "_rels/.rels", "[Content_Types].xml"):
                text = raw.decode("utf-8")
                text = re.sub(
                    r"<(Relationship|Override)[^>]*(stylesWithEffects|thumbnail|customXml)[^>]*/>",
                    "",
                    text,
                )
                raw = text.encode("utf-8")
            dst.writestr(info, raw)
    return out.getvalue()


@cache
def _packaged() -> bytes:
    return (
        resources.files("townplan_gis.deliverables").joinpath("templates/opinion.docx").read_bytes()
    )


@cache
def _template(
    template: str | None,
) -> tuple[tuple[tuple[zipfile.ZipInfo, bytes], ...], dict[str, str]]:
    """A template's package parts and the style id of each style the opinion uses (read once).

    Word names its built-in styles by id differently by language (a Chinese Word writes
    ``Heading 1`` as id ``1``), so the ids are looked up by style name."""
    if template is None:
        data, source = _packaged(), "templates/opinion.docx"
    else:
        source = template
        try:
            data = Path(template).read_bytes()
        except OSError as exc:
            raise TownPlanError(f"opinion template {template}: cannot read it ({exc}).") from exc
    doc = _open(data, source)
    ids = {s.name: s.style_id for s in doc.styles if s.name in STYLES}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = tuple((info, z.read(info.filename)) for info in z.infolist())
    names = {info.filename for info, _ in parts}
    for needed in ("word/document.xml", "word/_rels/document.xml.rels", "[Content_Types].xml"):
        if needed not in names:
            raise TownPlanError(f"opinion template {source}: the package has no {needed}.")
    return parts, ids


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


# --- WordprocessingML, written directly: python-docx's object API looked each style up by name and
# each table cell up by XPath, 0.2 s an opinion; one parse of the whole body takes a few ms.
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MAP_MARK = "\u00a7map\u00a7"
_TWIPS_PER_MM = 1440 / 25.4


def _esc(value: Any) -> str:
    return xml_escape(str(value), {'"': "&quot;"})


def _run(words: str, *, bold: bool = False) -> str:
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:r>{rpr}<w:t xml:space="preserve">{_esc(words)}</w:t></w:r>'


def _p(words: str = "", style: str | None = None, *, runs: str | None = None,
       keep: bool = False) -> str:  # fmt: skip
    ppr = ""
    if style or keep:
        ppr = ("<w:pPr>" + (f'<w:pStyle w:val="{style}"/>' if style else "")
               + ("<w:keepNext/>" if keep else "") + "</w:pPr>")  # fmt: skip
    return f"<w:p>{ppr}{runs if runs is not None else (_run(words) if words else '')}</w:p>"


def _tbl(ids: dict[str, str], header: list[str] | None, rows: list[list[str]],
         widths_mm: list[float], *, borders: bool = True) -> str:  # fmt: skip
    tw = [round(w * _TWIPS_PER_MM) for w in widths_mm]
    style = f'<w:tblStyle w:val="{ids["Table Grid"]}"/>' if borders else ""
    none = "" if borders else "<w:tblBorders>" + "".join(
        f'<w:{e} w:val="nil"/>' for e in ("top", "left", "bottom", "right", "insideH", "insideV")
    ) + "</w:tblBorders>"  # fmt: skip
    out = [f'<w:tbl><w:tblPr>{style}<w:tblW w:w="{sum(tw)}" w:type="dxa"/>{none}'
           '<w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>'
           + "".join(f'<w:gridCol w:w="{w}"/>' for w in tw) + "</w:tblGrid>"]  # fmt: skip
    # Rows never split across pages; the header row repeats on the next page.
    for r, values in enumerate(([header] if header else []) + rows):
        head = bool(header) and r == 0
        out.append(
            "<w:tr><w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if head else "") + "</w:trPr>"
        )
        for value, w in zip(values, tw, strict=True):
            out.append(f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr>'
                       f"{_p(runs=_run(value, bold=head))}</w:tc>")  # fmt: skip
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def _body(content: dict[str, Any], ids: dict[str, str]) -> str:
    """The opinion's paragraphs and tables as WordprocessingML (the map as a marker run)."""
    from townplan_gis.deliverables.opinion_labels import (
        check_headers,
        contact_text,
        finding_headers,
        labels,
    )

    lang = content["lang"]
    zh = lang == "zh"
    colon = "：" if zh else ": "
    L = labels(lang)
    office = content["office"]
    h1 = ids["Heading 1"]
    x = [_p(office.authority, ids["OpAuthority"]), _p(content["title"], ids["OpTitle"]),
         _p(f"{L['number']}{colon}{content['number']}", ids["OpNumber"])]  # fmt: skip
    if content["placeholder_warning"]:
        x.append(_p(content["placeholder_warning"], ids["OpWarning"]))
    x.append(_p(L["project"], h1))
    x.append(_tbl(ids, None, [[k, str(v)] for k, v in content["facts"]], [35, 130]))
    x.append(_p(L["conclusion"], h1))
    x.append(_p(f"{L['verdict']}{colon}{content['conclusion']['word']}", ids["OpConclusion"]))
    x.append(_p(content["conclusion"]["text"]))
    n = len(content["findings"])
    x.append(_p(f"{L['findings']}（{n}）" if zh else f"{L['findings']} ({n})", h1))
    if content["findings"]:
        rows = []
        for f in content["findings"]:
            ignored = (
                (f"（{L['ignored']}）" if zh else f" ({L['ignored']})") if f["ignored"] else ""
            )
            rows.append([str(f["n"]), f["line"], f["zone"], f["grade_label"] + ignored, f["size"],
                         f["pct"], f["distance"]])  # fmt: skip
        x.append(_tbl(ids, finding_headers(lang), rows, [10, 38, 22, 16, 42, 18, 19]))
        for f in content["findings"]:
            num = f"（{f['n']}）" if zh else f"{f['n']}. "
            x.append(
                _p(runs=_run(f"{num}{L['clause']}{colon}", bold=True) + _run(f["clause"] or "—"))
            )
            x.append(
                _p(runs=_run(f"{L['procedure']}{colon}", bold=True) + _run(f["procedure"] or "—"))
            )
    else:
        no = L["no_findings"]
        if content["verdict"] == "not_checked":
            no = "审查未完成，未发现冲突不代表没有冲突（见审查结论）。" if zh else (
                "The check is incomplete: no conflict found does not mean none (see the verdict).")  # fmt: skip
        x.append(_p(no))
    x.append(_p(L["checks"], h1))
    if content["checks"]:
        rows = [[r["line"], r["status_label"], r["found"], r["nearest"]] for r in content["checks"]]
        x.append(_tbl(ids, check_headers(lang), rows, [40, 60, 30, 35]))
    else:
        x.append(_p(L["no_checks"]))
    if content["evidence"]:
        x.append(_p())
        x.append(_tbl(ids, None, [[k, v] for k, v in content["evidence"]], [35, 130]))
    # Heading, map and legend in one unsplittable borderless row, so the heading never stays behind
    # at the foot of a page while the map moves on (keep-with-next does not hold a picture).
    cell = _p(L["map"], h1, keep=True)
    if content["map_png"]:
        cell += _p(runs=f"<w:r><w:t>{_MAP_MARK}</w:t></w:r>") + _p(L["map_legend"], ids["Caption"])
    else:
        cell += _p(content["map_note"] or "—")
    x.append('<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>'
             f'<w:gridCol w:w="{round(165 * _TWIPS_PER_MM)}"/></w:tblGrid><w:tr><w:trPr>'
             f"<w:cantSplit/></w:trPr><w:tc>{cell}</w:tc></w:tr></w:tbl>")  # fmt: skip
    x.append(_p())
    blank = "____________"
    sign = [[f"{L[w]}{colon}{blank}" for w in ("handler", "checker", "date")]]
    x.append(_tbl(ids, None, sign, [55, 55, 55], borders=False))
    x.append(_p())
    x.extend(_p(line, ids["OpSign"]) for line in (L["seal"], office.authority, content["date"]))
    x.append(_p(f"{L['contact']}{colon}{contact_text(office, lang)}", ids["Caption"]))
    return "".join(x)


_IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
_MAP_ID = "rIdTownplanMap"
_MAP_PART = "media/townplan_map.png"
_EMU_PER_MM = 36000


def _drawing(size_mm: float) -> str:
    """An inline picture of the map part, its namespaces declared on itself."""
    e = round(size_mm * _EMU_PER_MM)
    return (
        '<w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0" '
        'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
        f'<wp:extent cx="{e}" cy="{e}"/><wp:docPr id="9001" name="位置示意图"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="0" name="map.png"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip r:embed="{_MAP_ID}"/><a:stretch><a:fillRect/></a:stretch>'
        f'</pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{e}" cy="{e}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData>'
        "</a:graphic></wp:inline></w:drawing>"
    )


def opinion_docx(content: dict[str, Any], *, template: str | Path | None = None) -> bytes:
    """The opinion (from :func:`~townplan_gis.deliverables.opinion_content.opinion_content`) as the
    bytes of a ``.docx``, written on ``template`` (default the packaged one): its page setup, header,
    footer and styles are kept, the opinion follows whatever its body already holds.

    The package is assembled directly: the template's parts as they are, its ``document.xml`` with
    the opinion inserted before the body's section properties, and the map as an image part.
    """
    parts, ids = _template(None if template is None else str(Path(template).resolve()))
    body = _body(content, ids)
    png = content["map_png"]
    if png:
        body = body.replace(f"<w:t>{_MAP_MARK}</w:t>", _drawing(90))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info, raw in parts:
            name = info.filename
            if name == "word/document.xml":
                text = raw.decode("utf-8")
                at = text.rfind("<w:sectPr")  # the body's own section properties come last
                at = at if at >= 0 else text.rfind("</w:body>")
                raw = (text[:at] + body + text[at:]).encode("utf-8")
            elif name == "word/_rels/document.xml.rels" and png:
                text = raw.decode("utf-8")
                rel = f'<Relationship Id="{_MAP_ID}" Type="{_IMAGE_REL}" Target="{_MAP_PART}"/>'
                raw = text.replace("</Relationships>", rel + "</Relationships>").encode("utf-8")
            elif name == "[Content_Types].xml" and png:
                text = raw.decode("utf-8")
                if 'Extension="png"' not in text:
                    png_type = '<Default Extension="png" ContentType="image/png"/>'
                    text = text.replace("<Default ", png_type + "<Default ", 1)
                raw = text.encode("utf-8")
            z.writestr(name, raw)
        if png:
            z.writestr(f"word/{_MAP_PART}", png, compress_type=zipfile.ZIP_STORED)
    return out.getvalue()
