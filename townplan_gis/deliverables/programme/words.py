"""The words of the programme's outputs: headers, sheet names and sentences from ``data/vocab.toml``,
Chinese dates, amounts in 万元, and Chinese punctuation for texts the computations write.

The computations (:mod:`townplan_gis.construction`) write their Chinese details with ASCII
punctuation and ISO dates (``P02:完工期限2017-10-31,截至…``); a printed 周报 or 验收记录 uses
full-width punctuation and Chinese dates (``P02：完工期限2017年10月31日，截至…``). :func:`zh` makes
that change for display only; the computed tables keep their text.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from townplan_gis.core.errors import DataFileError
from townplan_gis.core.vocab import label, load_vocab

__all__ = ["cdate", "col", "heading", "money", "num", "pct", "sheet", "value_label", "zh"]

_SECTIONS = ("programme_columns", "programme_sheets", "programme_text")


def _pairs() -> dict[str, dict[str, tuple[str, str]]]:
    data = load_vocab()
    out = {}
    for section in _SECTIONS:
        table = data.get(section)
        if not isinstance(table, dict):
            raise DataFileError(f"townplan_gis/data/vocab.toml: [{section}]: section is missing")
        for key, pair in table.items():
            if not (
                isinstance(pair, list) and len(pair) == 2 and all(isinstance(s, str) for s in pair)
            ):
                raise DataFileError(
                    f'townplan_gis/data/vocab.toml: [{section}] {key}: must be ["中文", "English"]'
                )
        out[section] = {k: (v[0], v[1]) for k, v in table.items()}
    return out


_P = _pairs()


def _pick(section: str, key: str, lang: str) -> str:
    pair = _P[section].get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def col(key: str, lang: str = "zh") -> str:
    """Header of an output column (``[programme_columns]``; unknown keys as they are)."""
    return _pick("programme_columns", key, lang)


def sheet(key: str, lang: str = "zh") -> str:
    """Workbook sheet name (``[programme_sheets]``)."""
    return _pick("programme_sheets", key, lang)


def heading(key: str, lang: str = "zh", **fields: Any) -> str:
    """Title or sentence (``[programme_text]``) with ``{town}``-style fields filled in."""
    return _pick("programme_text", key, lang).format(**fields)


def value_label(kind: str, value: Any, lang: str = "zh") -> str:
    """Label of a vocabulary value (``values.<kind>``), ``""`` for a missing one."""
    return label(kind, value, lang)


def missing(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    )


def cdate(value: Any, lang: str = "zh") -> str:
    """A date as ``2017年10月20日`` (zh) or ``2017-10-20``; missing as ``—``."""
    if missing(value):
        return "—"
    t = pd.Timestamp(value)
    return f"{t.year}年{t.month}月{t.day}日" if lang == "zh" else f"{t:%Y-%m-%d}"


def money(value: Any) -> str:
    """An amount in 万元 as people write it (``2,700``, ``0.5``); missing as ``—``."""
    if missing(value):
        return "—"
    text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def num(value: Any, digits: int = 2) -> str:
    """A number with thousands separators and at most ``digits`` decimals; missing as ``—``."""
    if missing(value):
        return "—"
    x = float(value)
    if x == round(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}".rstrip("0").rstrip(".")


def pct(value: Any) -> str:
    """A percentage with one decimal (no sign); missing as ``—``."""
    return "—" if missing(value) else f"{float(value):.1f}"


_CJK = "\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_PUNCT = {",": "，", ";": "；", ":": "：", "!": "！", "?": "？"}
_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s*([,;:!?])\s*|\s*([,;:!?])\s*(?=[{_CJK}])")
_PAREN = re.compile(r"\s*\(([^()]*)\)")
_VERDICT = re.compile(r"\((reject|review|pass|not_checked|invalid)\)")
_PCT_SPACE = re.compile(r"(\d) %")


def zh(text: Any) -> str:
    """A Chinese text for display: ISO dates as 年月日, ASCII ``, ; : ! ?`` next to a Chinese
    character as full-width, brackets around or beside Chinese as full-width, ``12 %`` as ``12%``,
    review verdicts quoted in brackets as their labels. Numbers' thousands separators stay.

    >>> zh("P02:完工期限2017-10-31,截至2017-11-06已逾期6天")
    'P02：完工期限2017年10月31日，截至2017年11月6日已逾期6天'
    >>> zh("1个项目不符合规划(五线审查):BD-05 (reject)")
    '1个项目不符合规划（五线审查）：BD-05（不予通过）'
    """
    if missing(text):
        return ""
    s = str(text)
    s = _ISO.sub(lambda m: f"{int(m[1])}年{int(m[2])}月{int(m[3])}日", s)
    s = _VERDICT.sub(lambda m: f"({label('verdict', m[1], 'zh')})", s)
    s = _PCT_SPACE.sub(r"\1%", s)

    def paren(m: re.Match) -> str:
        start = m.start()
        before = s[start - 1] if start > 0 else ""
        inner = m[1]
        if re.search(rf"[{_CJK}]", inner + before):
            return f"（{inner}）"
        return m[0]

    s = _PAREN.sub(paren, s)
    return _NEAR_CJK.sub(lambda m: _PUNCT[m[1] or m[2]], s)
