"""The Chinese-output check: ASCII words and half-width punctuation in a text meant to be Chinese.

A Chinese deliverable (report, workbook) should carry no English words: a planner reads ``建筑``, not
``building``, and ``规划``, not ``planned``. Some ASCII is Chinese practice and allowed (:data:`ALLOWED`):
units (m², km/km², hm²), coordinate systems (EPSG:4546, CGCS2000), standard codes (GB 50188-2007,
CJJ/T 85-2017), project and line ids (P09-5, R-01), hashes and the software's name and version.
Half-width ``, ; : ( )`` between two Chinese characters is a typing slip: Chinese sentences use
full-width ``，；：（）``.

Used by tests/test_zh_outputs.py (and any test that scans a zh output): :func:`zh_problems` on a
text, :func:`html_text` to get the visible text of a page, :func:`workbook_texts` for every text
cell of a workbook.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

# Words that are Chinese practice in a Chinese planning document, matched whole and case-sensitively.
ALLOWED = frozenset(
    {
        # units
        "m", "m²", "km", "km²", "hm²", "mm", "cm", "ha", "kV", "kW", "MW", "kVA",
        # coordinate systems and projections
        "EPSG", "CGCS2000", "CGCS", "WGS", "CM", "E", "N", "GK",
        # standard prefixes (GB 50188-2007, GB/T 51328-2018, CJJ/T 85-2017)
        "GB", "GB/T", "CJJ", "CJJ/T", "T",
        # fingerprints, software, file formats
        "SHA", "townplan_gis", "Excel", "PDF", "HTML", "CSV",
        # lamp and light sources
        "LED",
        # grades of GB 50188 (I–IV) and green classes of CJJ/T 85 (G1, XG, EG)
        "I", "II", "III", "IV", "XG", "EG",
    }
)  # fmt: skip

# An id or code: letters with digits (P09-5, G1, R01, V2026.1, 4546E), or a hex digest.
_CODE = re.compile(r"^(?=[A-Za-z0-9_./-]*\d)[A-Za-z0-9_./-]+$")
# A file name (the rule file default.toml, the data puzhou.gpkg) is ASCII in any language.
_FILE = re.compile(r"^[\w.-]+\.(toml|gpkg|csv|xlsx|html|pdf|shp|geojson|json)$")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_./²-]*")
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
_HALF = re.compile(rf"{_CJK}\s*[,;:()]\s*{_CJK}")


def ascii_words(text: str, allowed: frozenset[str] | set[str] = ALLOWED) -> list[str]:
    """The ASCII words of ``text`` that are neither allowed nor an id/code (in order of appearance)."""
    found = []
    for m in _WORD.finditer(text):
        word = m.group().rstrip("./-")
        if word in allowed or _CODE.match(word) or _FILE.match(word):
            continue
        # "EPSG:4546", "GB/T": split compound words and allow them when every part is allowed.
        parts = [p for p in re.split(r"[/.-]", word) if p]
        if parts and all(p in allowed or _CODE.match(p) for p in parts):
            continue
        found.append(word)
    return found


def half_width(text: str) -> list[str]:
    """Half-width ``, ; : ( )`` between two CJK characters, with their neighbours."""
    return [m.group() for m in _HALF.finditer(text)]


def zh_problems(text: str, *, allowed: frozenset[str] | set[str] = ALLOWED) -> list[str]:
    """Every problem of a Chinese text: ``"ASCII word 'building'"`` and ``"half-width '镇,县'"``
    (a missing value written out as ``nan`` or ``None`` is an ASCII word too)."""
    out = [f"ASCII word {w!r}" for w in ascii_words(text, allowed)]
    out += [f"half-width {s!r}" for s in half_width(text)]
    return out


class _Text(HTMLParser):
    """The visible text of a page, one string per text node (no script, style or iframe)."""

    _SKIP = frozenset({"script", "style", "iframe", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skip += 1
        for name, value in attrs:
            # What a reader sees without the page: alt texts and tooltips.
            if name in ("alt", "title") and value and tag != "iframe":
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self._SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def html_text(page: str) -> list[str]:
    """The visible text nodes of an HTML page (and its alt and title attributes)."""
    parser = _Text()
    parser.feed(page)
    return parser.parts


def workbook_texts(path: str | Path) -> list[tuple[str, str, str]]:
    """Every text cell of a workbook as (sheet, cell, text), sheet names included (cell ``""``)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    out: list[tuple[str, str, str]] = []
    for ws in wb.worksheets:
        out.append((ws.title, "", ws.title))
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    out.append((ws.title, c.coordinate, c.value))
    wb.close()
    return out


def scan(texts: list[str] | list[tuple[str, str, str]], **kw) -> list[str]:
    """Problems over many texts, each prefixed with where it was (for a readable assertion)."""
    problems = []
    for t in texts:
        where, s = (f"{t[0]}!{t[1]}", t[2]) if isinstance(t, tuple) else ("", t)
        problems += [f"{where} {p} in {s[:80]!r}" for p in zh_problems(s, **kw)]
    return problems
