"""What the programme's outputs are checked with: the visible text of a page, a Word document and a
workbook, and the scan that a Chinese output is Chinese throughout."""

from __future__ import annotations

import html
import re
from pathlib import Path

import openpyxl

CJK = "\u3400-\u9fff"
# ASCII words a Chinese output may show: units, codes and names that are not words to translate.
ALLOWED_WORDS = {"km", "townplan_gis", "townplan", "gis"}


def page_text(page: str) -> str:
    """The text a reader sees: scripts and styles dropped, tags removed, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def docx_text(path: Path) -> str:
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def workbook_text(path: Path, *, skip_sheets: tuple[str, ...] = ("说明",)) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    parts = []
    for ws in wb.worksheets:
        if ws.title in skip_sheets:
            continue
        parts.append(ws.title)
        for row in ws.iter_rows(values_only=True):
            parts += [str(v) for v in row if isinstance(v, str)]
    return "\n".join(parts)


def zh_problems(text: str, ids: set[str] = frozenset()) -> list[str]:
    """What makes ``text`` not Chinese throughout: nan/None, ASCII , ; : next to Chinese, ASCII
    words other than units, codes and the given ids."""
    problems = []
    for bad in re.findall(r"\b(nan|NaN|None|NaT|<NA>)\b", text):
        problems.append(f"missing value shown as {bad!r}")
    for m in re.finditer(rf"[{CJK}][,;:]|[,;:][{CJK}]", text):
        problems.append(f"half-width punctuation {m.group(0)!r}")
    id_words = {w for i in ids for w in re.findall(r"[A-Za-z]{2,}", str(i))}
    for w in re.findall(r"[A-Za-z_]{2,}", text):
        if w not in ALLOWED_WORDS and w not in id_words:
            problems.append(f"ASCII word {w!r}")
    return sorted(set(problems))
