"""The Chinese-output scan (issue #16), shared by the tests of every zh deliverable.

A Chinese document must not carry English words, half-width ``, ; :`` inside Chinese sentences, or
``nan``/``None`` where a value is missing. :func:`zh_problems` lists each offence with its context;
``[]`` is a pass. :func:`visible_text` gives the text a reader sees in an HTML page (no tags, styles,
scripts or attribute values).

Allowed Latin tokens are the ones a Chinese planning document carries itself: standard and code
designations (GB 50188-2007, EPSG:4546, CGCS2000, SHA-256 and its hex digests), unit symbols (m, m²,
km², %), file names (default.toml), the software's name (townplan_gis), and the caller's ``allow``
list (the data's own ids and names, which are the user's words, not ours).
"""

from __future__ import annotations

import html
import re

__all__ = ["visible_text", "zh_problems"]

# Han characters, CJK punctuation and full-width forms: what "a Chinese character" means below.
CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_BETWEEN = re.compile(rf"[{CJK}]\s*[,;:]\s*[{CJK}]")
_AFTER = re.compile(rf"[{CJK}][,;:]")
_MISSING = re.compile(r"(?<![A-Za-z])(nan|NaN|None|null|NaT)(?![A-Za-z])")
_ALLOWED = [
    r"\b[0-9a-f]{16,}\b",  # content hashes
    r"SHA-256",
    r"EPSG:\d+",
    r"CGCS2000",
    r"\bGB(/T)?\s*\d+(-\d+)?",
    r"\bCJJ(/T)?\s*\d+(-\d+)?",
    r"\b[\w.-]+\.(toml|gpkg|docx|html|pdf|csv|xlsx|json)\b",
    r"townplan_gis",
    r"\b(k?m|km²|m²|mm|cm)\b",
]
_WORD = re.compile(r"[A-Za-z]{2,}")


def visible_text(page: str) -> str:
    """The text of an HTML page as a reader sees it."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def zh_problems(text: str, *, allow: tuple[str, ...] = (), adjacent: bool = False) -> list[str]:
    """Offences against Chinese typography in ``text``, each with 12 characters of context.

    Parameters
    ----------
    allow : tuple of str
        Literal strings to ignore (the data's ids and names).
    adjacent : bool
        Also flag a half-width ``, ; :`` right after a Chinese character (``说明: ``), not only one
        between two.
    """

    def ctx(m: re.Match) -> str:
        return text[max(0, m.start() - 12) : m.end() + 12].replace("\n", " ")

    problems = [f"half-width punctuation: …{ctx(m)}…" for m in _BETWEEN.finditer(text)]
    if adjacent:
        problems += [
            f"half-width after Chinese: …{ctx(m)}…"
            for m in _AFTER.finditer(text)
            if not _BETWEEN.search(text, m.start(), m.end() + 3)
        ]
    problems += [
        f"missing value shown as {m.group(1)!r}: …{ctx(m)}…" for m in _MISSING.finditer(text)
    ]
    cleaned = text
    for literal in sorted(allow, key=len, reverse=True):
        if literal:
            cleaned = cleaned.replace(literal, " ")
    for pattern in _ALLOWED:
        cleaned = re.sub(pattern, " ", cleaned)
    problems += [
        f"ASCII word {m.group(0)!r}: …{cleaned[max(0, m.start() - 12) : m.end() + 12]}…"
        for m in _WORD.finditer(cleaned)
    ]
    return problems
