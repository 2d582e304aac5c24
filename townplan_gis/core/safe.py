"""Safe written copies of tables: spreadsheet formula injection, characters a workbook cannot hold.

A spreadsheet program treats a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (or with a tab
or carriage return before one) as a formula: a project id ``=1+1`` or a name
``=HYPERLINK("http://…","…")`` in a CSV or workbook that a planner opens would run. The OWASP
CSV-injection rule (https://owasp.org/www-community/attacks/CSV_Injection) is applied to every CSV and
workbook townplan_gis writes: such a *text* cell is written as text (a leading ``'`` in CSV; a string
cell with Excel's quote prefix in a workbook). Numbers stay numbers: the number −5 is written as −5,
only the text ``"-5"`` is escaped. The caller's data is never changed, only the written copy.

The Office Open XML format cannot store most ASCII control characters (XML 1.0 forbids them);
:func:`strip_illegal` removes them from the workbook copy and says which it removed, so the writer can
record it.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = [
    "EXCEL_MAX_CHARS",
    "FORMULA_START",
    "escape_formula",
    "is_formula_like",
    "safe_frame",
    "strip_illegal",
]

#: First characters that make a spreadsheet evaluate a text cell (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limit on the characters of one cell ("Excel specifications and limits").
EXCEL_MAX_CHARS = 32_767

_FORMULA_RE = r"^[=+\-@\t\r]"
# XML 1.0 forbids C0 controls other than tab, LF and CR, lone surrogates and U+FFFE/U+FFFF; openpyxl
# refuses the C0 ones (IllegalCharacterError) and writes the others into a file Excel cannot open.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def is_formula_like(value: Any) -> bool:
    """True when ``value`` is a text a spreadsheet would read as a formula (numbers never are)."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def escape_formula(value: Any) -> Any:
    """``value`` for a CSV cell: a text starting with ``= + - @``, tab or CR gets a leading ``'``.

    Parameters
    ----------
    value : Any
        A cell value.

    Returns
    -------
    Any
        ``"'" + value`` for such a text; anything else (numbers, None, other texts) unchanged.

    Examples
    --------
    >>> escape_formula("=1+1"), escape_formula("-5"), escape_formula(-5), escape_formula("A-1")
    ("'=1+1", "'-5", -5, 'A-1')
    """
    return "'" + value if is_formula_like(value) else value


def _text_mask(s: pd.Series) -> pd.Series | None:
    """Where a text column holds formula-like texts, or None when it holds no text at all."""
    try:
        return s.str.contains(_FORMULA_RE, regex=True, na=False).astype(bool)
    except (AttributeError, TypeError):  # no strings in the column: nothing to escape
        return None


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` safe to write as CSV: formula-like texts (cells and column names) escaped.

    Parameters
    ----------
    df : pandas.DataFrame
        The table to write. Not modified.

    Returns
    -------
    pandas.DataFrame
        A new frame with every text cell passed through :func:`escape_formula`, and the column names
        too; numeric, boolean and geometry columns are the caller's (not copied: pandas
        copy-on-write keeps the caller's frame unchanged).
    """
    out = df.copy(deep=False)
    for j in range(df.shape[1]):
        s = df.iloc[:, j]
        dtype = s.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            s = s.astype(object)
        elif not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
            continue
        mask = _text_mask(s)
        if mask is None or not mask.any():
            continue
        fixed = s.astype(object).copy()
        fixed[mask] = ["'" + v for v in fixed[mask]]
        out.isetitem(j, fixed)
    out.columns = [escape_formula(c) for c in df.columns]
    return out


def strip_illegal(text: str) -> tuple[str, list[str]]:
    """``text`` without the characters a workbook cannot hold, and those removed as ``U+XXXX``.

    Parameters
    ----------
    text : str

    Returns
    -------
    (str, list of str)
        The cleaned text and the distinct code points removed (empty when nothing was).

    Examples
    --------
    >>> strip_illegal("泵站\\x07A")
    ('泵站A', ['U+0007'])
    """
    found = _ILLEGAL.findall(text)
    if not found:
        return text, []
    return _ILLEGAL.sub("", text), [f"U+{ord(c):04X}" for c in dict.fromkeys(found)]
