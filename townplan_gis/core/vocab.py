"""The shared vocabulary of displays and deliverables: labels (zh/en), colours, units, number format.

Statuses follow the scorecard (pass / fail / not_evaluable); verdicts and grades follow the Review
contract. One number format (:func:`fmt_number`) serves the notebook displays, the report and the tests
that check the report shows the scorecard's numbers. Low level: standard library and pandas only.
"""

from __future__ import annotations

import html
import math
import unicodedata
from typing import Any

import pandas as pd

from townplan_gis.core.options import options

__all__ = [
    "COLOURS",
    "LABELS",
    "LINE_ZH",
    "ZONE_ZH",
    "badge",
    "comparator_symbol",
    "display_width",
    "fmt_number",
    "label",
    "localised",
    "unit_label",
]

# The short names the review's reasons quote (a line type as 红线, a purple tier in brackets).
LINE_ZH = {"red": "红线", "green": "绿线", "purple": "紫线", "blue": "蓝线", "yellow": "黄线"}
ZONE_ZH = {"core": "（核心保护范围）", "control": "（建设控制地带）", "harmony": "（环境协调区）"}

# Vocabulary: value → (zh, en). Grades and verdicts follow the Review contract; statuses the scorecard.
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "pass": ("达标", "pass"),
        "fail": ("未达标", "fail"),
        "not_evaluable": ("无法评价", "not evaluable"),
    },
    "verdict": {
        "pass": ("通过", "pass"),
        "review": ("需审批", "review"),
        "reject": ("不予通过", "reject"),
        "not_checked": ("未完成审查", "not checked"),
        "invalid": ("数据无效", "invalid"),
    },
    "grade": {
        "forbidden": ("禁止", "forbidden"),
        "review": ("需审批", "review"),
        "notice": ("提示", "notice"),
    },
    "zone": {
        "core": ("核心保护范围", "core protection zone"),
        "control": ("建设控制地带", "construction-control zone"),
        "harmony": ("环境协调区", "harmony zone"),
    },
    "check": {"overlap": ("重叠", "overlap"), "setback": ("退线", "setback")},
    "line_type": {
        "red": ("道路红线", "red line (roads)"),
        "green": ("绿线", "green line"),
        "purple": ("紫线", "purple line (heritage)"),
        "blue": ("蓝线", "blue line (water)"),
        "yellow": ("黄线", "yellow line (infrastructure)"),
    },
}

COLOURS: dict[str, dict[str, str]] = {
    "status": {"pass": "#1a7f37", "fail": "#c62828", "not_evaluable": "#6e7781"},
    "verdict": {
        "pass": "#1a7f37",
        "review": "#b26a00",
        "reject": "#c62828",
        # Grey-purple: neither a pass (green) nor a finding; the check itself is incomplete.
        "not_checked": "#6f5b8f",
        "invalid": "#6e7781",
    },
    "grade": {"forbidden": "#c62828", "review": "#b26a00", "notice": "#1f6feb"},
    "line_type": {
        "red": "#d32f2f",
        "green": "#2e7d32",
        "purple": "#7b1fa2",
        "blue": "#1565c0",
        "yellow": "#f9a825",
    },
}

_GRADE_RANK = {"forbidden": 3, "review": 2, "notice": 1}
_UNITS = {
    "km2": "km²",
    "m2": "m²",
    "m2/person": "m²/人",
    "km/km2": "km/km²",
    "persons": "人",
    "count": "个",
    "households": "户",
    "grade": "级",
    "flag": "1=是",
}
_UNITS_EN = {
    "km2": "km²",
    "m2": "m²",
    "m2/person": "m²/person",
    "km/km2": "km/km²",
    "flag": "1 = yes",
}
_COMPARATORS = {">=": "≥", "<=": "≤", "==": "=", "!=": "≠", ">": ">", "<": "<"}


def comparator_symbol(comparator: Any) -> str:
    """``>=`` → ``≥`` (other comparators, e.g. ``between``, as they are)."""
    if comparator is None or (isinstance(comparator, float) and math.isnan(comparator)):
        return ""
    return _COMPARATORS.get(str(comparator).strip(), str(comparator))


def _lang(lang: str | None) -> str:
    return lang or options.lang


def display_width(text: Any) -> int:
    """Columns a string takes in a monospace grid: East-Asian wide and full-width characters count 2."""
    s = "" if text is None else str(text)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


def label(kind: str, value: Any, lang: str | None = None) -> str:
    """Display label of a vocabulary value (unknown values are shown as they are)."""
    pair = LABELS.get(kind, {}).get(str(value))
    if pair is None:
        return (
            "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
        )
    return pair[0] if _lang(lang) == "zh" else pair[1]


def localised(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """The review's texts in ``lang``: a new frame, the caller's is never changed.

    Chinese (``zh``) shows ``reason_zh`` in ``reason``; English (``en``) shows ``clause_en`` and
    ``procedure_en`` in ``clause`` and ``procedure``. A missing or empty translation keeps the
    original text, so no row loses its explanation. Columns a frame lacks are left alone.
    """
    if frame is None:
        return frame
    pairs = (
        [("reason", "reason_zh")]
        if _lang(lang) == "zh"
        else [("clause", "clause_en"), ("procedure", "procedure_en")]
    )
    new = {}
    for column, source in pairs:
        if column in frame and source in frame:
            text = frame[source]
            new[column] = text.where(text.notna() & (text.astype(str) != ""), frame[column])
    return frame.assign(**new) if new else frame


def unit_label(unit: Any, lang: str | None = None) -> str:
    """Human unit: ``m2/person`` → ``m²/人`` (zh) or ``m²/person`` (en)."""
    if unit is None or (isinstance(unit, float) and math.isnan(unit)):
        return ""
    table = _UNITS if _lang(lang) == "zh" else _UNITS_EN
    return table.get(str(unit), str(unit))


def fmt_number(value: Any, unit: str | None = None) -> str:
    """The one number format of the displays, reports and their tests.

    Counts, persons and households as integers with thousands separators; percentages with one decimal;
    other magnitudes with two decimals (≥ 1000 with thousands separators); NaN/None as ``—``.
    """
    if value is None or value is pd.NA:
        return "—"
    if isinstance(value, (bool,)):
        return str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "—"
    if unit in ("count", "persons", "households", "grade", "flag") and x == round(x):
        return f"{x:,.0f}"
    if unit == "%":
        return f"{x:,.1f}"
    return f"{x:,.2f}"


def badge(kind: str, value: Any, lang: str | None = None) -> str:
    """A coloured inline label for a status, verdict or grade (HTML)."""
    colour = COLOURS.get(kind, {}).get(str(value), "#6e7781")
    text = html.escape(label(kind, value, lang))
    return (
        f'<span class="tp-badge tp-{html.escape(kind)}-{html.escape(str(value))}" '
        f'style="background:{colour};color:#fff;border-radius:3px;padding:0 5px;'
        f'white-space:nowrap">{text}</span>'
    )
