"""The one vocabulary of every output: labels (zh/en), colours, orders, units, default road widths.

Everything here is read from ``townplan_gis/data/vocab.toml``, and this is the only module that reads
it: the maps, the report, the workbook, the opinions, the Jupyter displays and the review's reasons take
their words, colours and orders from the names below. Statuses follow the scorecard (pass / fail /
not_evaluable); verdicts and grades the Review contract, worst first. One number format
(:func:`fmt_number`) serves the displays, the report and the tests that check the report shows the
scorecard's numbers. Low level: standard library, numpy and pandas only.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from townplan_gis.core.datafiles import load_toml_text
from townplan_gis.core.errors import DataFileError
from townplan_gis.core.options import options

__all__ = [
    "CARRIAGEWAY_WIDTH_M",
    "CHECK_STATUS",
    "COLOURS",
    "COLUMNS",
    "COMPARATOR_SPELLINGS",
    "GRADES",
    "GRADE_RANK",
    "GRADE_TEXT",
    "LABELS",
    "LINE_ZH",
    "RED_WIDTH_M",
    "SHEETS",
    "TEXT",
    "VERDICTS",
    "ZONE_ZH",
    "badge",
    "check_status",
    "col",
    "colour",
    "comparator_symbol",
    "display_width",
    "field_label",
    "fmt_number",
    "label",
    "labels",
    "layer_label",
    "load_vocab",
    "localised",
    "text",
    "tint",
    "unit_code",
    "unit_label",
    "values",
]

_SOURCE = "townplan_gis/data/vocab.toml"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_VALUE_KEYS = ("zh", "en", "colour", "tint", "short_zh", "red_width_m", "carriageway_width_m")


def _fail(where: str, problem: str) -> DataFileError:
    return DataFileError(f"{_SOURCE}: {where}: {problem}")


def _check_values(kind: str, table: Any) -> None:
    if not isinstance(table, Mapping) or not table:
        raise _fail(f"[values.{kind}]", "must be a table of values")
    for value, entry in table.items():
        where = f"[values.{kind}] {value}"
        if not isinstance(entry, Mapping):
            raise _fail(where, "must be a table { zh = …, en = … }")
        unknown = [k for k in entry if k not in _VALUE_KEYS]
        if unknown:
            raise _fail(where, f"unknown key(s) {unknown}; accepted: {list(_VALUE_KEYS)}")
        for lang in ("zh", "en"):
            if not isinstance(entry.get(lang), str) or not entry[lang].strip():
                raise _fail(where, f"'{lang}' must be a non-empty label")
        for shade in ("colour", "tint"):
            if shade in entry and not _HEX.match(str(entry[shade])):
                raise _fail(where, f"{shade} {entry[shade]!r} is not a #rrggbb colour")
        for width in ("red_width_m", "carriageway_width_m"):
            w = entry.get(width)
            if w is not None and (isinstance(w, bool) or not isinstance(w, (int, float)) or w <= 0):
                raise _fail(where, f"{width} must be a positive number of metres, got {w!r}")


def _check_pairs(section: str, table: Any) -> None:
    if not isinstance(table, Mapping):
        raise _fail(f"[{section}]", "must be a table")
    for key, pair in table.items():
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(s, str) for s in pair)
        ):
            raise _fail(f"[{section}] {key}", f'must be ["中文", "English"], got {pair!r}')


@cache
def load_vocab() -> dict[str, Any]:
    """The packaged vocabulary (``townplan_gis/data/vocab.toml``), checked: every value has a zh and an
    en label, every colour is ``#rrggbb``, every header and sentence a [zh, en] pair.

    Raises
    ------
    DataFileError
        Naming the entry and what is wrong with it.
    """
    raw = resources.files("townplan_gis.data").joinpath("vocab.toml").read_text("utf-8")
    data = load_toml_text(raw, source=_SOURCE)
    for section in ("values", "units", "comparators", "columns", "fields", "sheets", "text"):
        if section not in data:
            raise _fail(f"[{section}]", "section is missing")
    for kind, table in data["values"].items():
        _check_values(kind, table)
    for section in ("columns", "fields", "sheets", "text"):
        _check_pairs(section, data[section])
    return data


_V = load_vocab()


def values(kind: str) -> tuple[str, ...]:
    """The values of a vocabulary in its order (``values("grade")`` → forbidden, review, notice).

    Raises
    ------
    KeyError
        For a vocabulary the file does not have.
    """
    return tuple(_V["values"][kind])


# Vocabulary: value → (zh, en), and value → colour where the value has one.
LABELS: dict[str, dict[str, tuple[str, str]]] = {
    kind: {v: (e["zh"], e["en"]) for v, e in table.items()} for kind, table in _V["values"].items()
}
COLOURS: dict[str, dict[str, str]] = {
    kind: {v: e["colour"] for v, e in table.items() if "colour" in e}
    for kind, table in _V["values"].items()
}
#: Grades worst first, and their rank (higher is worse; 0 is "no grade").
GRADES: tuple[str, ...] = values("grade")
GRADE_RANK: dict[str, int] = {g: len(GRADES) - i for i, g in enumerate(GRADES)}
#: Grade by rank, as an object array the review indexes with rank codes (rank 0 → None).
GRADE_TEXT: np.ndarray = np.array([None, *reversed(GRADES)], dtype=object)
#: Verdicts worst first.
VERDICTS: tuple[str, ...] = values("verdict")
# The short names the review's reasons quote (a line type as 红线, a purple tier in brackets).
LINE_ZH: dict[str, str] = {v: e["short_zh"] for v, e in _V["values"]["line_type"].items()}
ZONE_ZH: dict[str, str] = {v: f"（{e['zh']}）" for v, e in _V["values"]["zone"].items()}
#: Default widths (m) by road class, for roads without one of their own.
RED_WIDTH_M: dict[str, float] = {
    c: float(e["red_width_m"]) for c, e in _V["values"]["road_class"].items() if "red_width_m" in e
}
CARRIAGEWAY_WIDTH_M: dict[str, float] = {
    c: float(e["carriageway_width_m"])
    for c, e in _V["values"]["road_class"].items()
    if "carriageway_width_m" in e
}
# Headers, sheet names and sentences: key → (zh, en).
COLUMNS: dict[str, tuple[str, str]] = {k: (v[0], v[1]) for k, v in _V["columns"].items()}
SHEETS: dict[str, tuple[str, str]] = {k: (v[0], v[1]) for k, v in _V["sheets"].items()}
TEXT: dict[str, tuple[str, str]] = {k: (v[0], v[1]) for k, v in _V["text"].items()}
FIELDS: dict[str, tuple[str, str]] = {k: (v[0], v[1]) for k, v in _V["fields"].items()}
#: Review.checks ``status`` → (zh, en).
CHECK_STATUS: dict[str, tuple[str, str]] = LABELS["check_status"]
#: Every accepted spelling of a comparator → its canonical form (``≥`` → ``>=``).
COMPARATOR_SPELLINGS: dict[str, str] = {
    spelling: canonical
    for canonical, entry in _V["comparators"].items()
    for spelling in (canonical, *entry.get("also", []))
}
_SYMBOLS = {canonical: entry["symbol"] for canonical, entry in _V["comparators"].items()}
_UNIT_SPELLINGS: dict[str, str] = {
    unicodedata.normalize("NFKC", s).casefold().replace(" ", ""): code
    for code, entry in _V["units"].items()
    for s in (code, entry["zh"], entry["en"], *entry.get("also", []))
}


def _lang(lang: str | None) -> str:
    return lang or options.lang


def _pick(pair: tuple[str, str], lang: str | None) -> str:
    return pair[0] if _lang(lang) == "zh" else pair[1]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _key(value: Any) -> str:
    # Booleans (Python or numpy) are written true/false in the file, as TOML writes them.
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def label(kind: str, value: Any, lang: str | None = None) -> str:
    """Display label of a vocabulary value (unknown values are shown as they are, missing as ``""``).

    Examples
    --------
    >>> label("grade", "forbidden", "zh"), label("line_type", "red", "en")
    ('禁止', 'red line (roads)')
    >>> label("road_class", "motorway", "zh")  # not in the vocabulary: shown as it is
    'motorway'
    """
    if _missing(value):
        return ""
    pair = LABELS.get(kind, {}).get(_key(value))
    return str(value) if pair is None else _pick(pair, lang)


def labels(kind: str, lang: str | None = None) -> dict[str, str]:
    """Every value of a vocabulary → its label in ``lang``, in the vocabulary's order."""
    return {v: _pick(pair, lang) for v, pair in LABELS.get(kind, {}).items()}


def colour(kind: str, value: Any, default: str = "#6e7781") -> str:
    """The one colour of a vocabulary value (``default`` for a value without one)."""
    return COLOURS.get(kind, {}).get(_key(value), default)


def tint(kind: str, value: Any, default: str = "#ffffff") -> str:
    """The light shade of a vocabulary value, for a table row's background (``default`` if none)."""
    entry = _V["values"].get(kind, {}).get(_key(value), {})
    return str(entry.get("tint", default))


def col(name: str, lang: str | None = None) -> str:
    """Header of a table column in ``lang``, with its unit (unknown columns keep their name)."""
    pair = COLUMNS.get(name)
    return name if pair is None else _pick(pair, lang)


def field_label(name: str, lang: str | None = None) -> str:
    """Label of a layer's column on a map popup or in the layer schema (its name if unknown)."""
    pair = FIELDS.get(name)
    return name if pair is None else _pick(pair, lang)


def layer_label(kind: str, lang: str | None = None) -> str:
    """Name of a layer kind (``"control_lines"`` → ``"五线"`` / ``"Control lines"``)."""
    return label("layer", kind, lang) or kind


def text(key: str, lang: str | None = None, **fields: Any) -> str:
    """Title or sentence ``key`` in ``lang``, with ``{town}``-style fields filled from ``fields``."""
    return _pick(TEXT[key], lang).format(**fields)


def check_status(status: Any, lang: str | None = None) -> str:
    """Label of a Review.checks ``status`` in ``lang`` (unknown values as they are)."""
    return label("check_status", status, lang)


def comparator_symbol(comparator: Any) -> str:
    """``>=`` → ``≥`` (other comparators, e.g. ``between``, as they are)."""
    if _missing(comparator):
        return ""
    return _SYMBOLS.get(str(comparator).strip(), str(comparator))


def unit_code(unit: Any) -> str | None:
    """The registry's code of a unit as a planner writes it (``m²/人`` → ``m2/person``, ``％`` →
    ``%``), or None when it is not a spelling of any known unit.

    Examples
    --------
    >>> unit_code("m²/人"), unit_code("％"), unit_code("km/km²"), unit_code("furlong")
    ('m2/person', '%', 'km/km2', None)
    """
    if _missing(unit):
        return None
    return _UNIT_SPELLINGS.get(unicodedata.normalize("NFKC", str(unit)).casefold().replace(" ", ""))


def unit_label(unit: Any, lang: str | None = None) -> str:
    """Human unit: ``m2/person`` → ``m²/人`` (zh) or ``m²/person`` (en); unknown units as they are."""
    if _missing(unit):
        return ""
    entry = _V["units"].get(str(unit))
    return str(unit) if entry is None else entry["zh" if _lang(lang) == "zh" else "en"]


def display_width(value: Any) -> int:
    """Columns a string takes in a monospace grid: East-Asian wide and full-width characters count 2."""
    s = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in s)


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
            words = frame[source]
            new[column] = words.where(words.notna() & (words.astype(str) != ""), frame[column])
    return frame.assign(**new) if new else frame


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
    shade = colour(kind, value)
    words = html.escape(label(kind, value, lang))
    return (
        f'<span class="tp-badge tp-{html.escape(kind)}-{html.escape(str(value))}" '
        f'style="background:{shade};color:#fff;border-radius:3px;padding:0 5px;'
        f'white-space:nowrap">{words}</span>'
    )
