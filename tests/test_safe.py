"""The safe-output rules (townplan_gis.core.safe): formula-like texts escaped for CSV, numbers left as
numbers, the caller's frame untouched, characters a workbook cannot hold found and removed."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from townplan_gis.core.safe import (
    FORMULA_START,
    escape_formula,
    is_formula_like,
    safe_frame,
    strip_illegal,
)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+86 10 1234", "'+86 10 1234"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("A-1", "A-1"),  # only the first character counts
        ("游客中心", "游客中心"),
        ("", ""),
        ("'=1", "'=1"),  # already text
        (-5, -5),  # a number is a number
        (-5.5, -5.5),
        (None, None),
    ],
)
def test_escape_formula(value, written):
    assert escape_formula(value) == written
    assert type(escape_formula(value)) is type(written)


def test_safe_frame_escapes_text_cells_and_names_only():
    df = pd.DataFrame(
        {
            "project_id": ["=1+1", "P2", "-5", None],
            "n": [1, -5, 3, 4],
            "x": [-1.5, 2.0, np.nan, 0.0],
            "mixed": pd.Series(["@x", -5, 2.5, None], dtype=object),
            "kind": pd.Categorical(["=a", "b", "b", "c"]),
            "=cmd": ["a", "b", "c", "d"],
        }
    )
    before = df.copy()
    out = safe_frame(df)
    pd.testing.assert_frame_equal(df, before)  # the caller's frame is not changed
    assert list(out.columns) == ["project_id", "n", "x", "mixed", "kind", "'=cmd"]
    assert out["project_id"].tolist()[:3] == ["'=1+1", "P2", "'-5"]
    assert out["project_id"].isna().tolist() == [False, False, False, True]
    assert out["n"].tolist() == [1, -5, 3, 4] and out["n"].dtype == df["n"].dtype
    pd.testing.assert_series_equal(out["x"], df["x"])
    assert out["mixed"].tolist()[:3] == ["'@x", -5, 2.5]
    assert out["kind"].tolist() == ["'=a", "b", "b", "c"]
    csv = out.to_csv(index=False)
    back = pd.read_csv(io.StringIO(csv), keep_default_na=False)
    assert back.loc[0, "project_id"] == "'=1+1" and back.loc[1, "n"] == -5
    assert csv.splitlines()[2].split(",")[1] == "-5"  # the number −5 is written as −5


def test_safe_frame_pandas_string_dtype():
    df = pd.DataFrame({"name": pd.Series(["+1", "ok", None], dtype="string")})
    assert safe_frame(df)["name"].tolist()[:2] == ["'+1", "ok"]
    assert df["name"].tolist()[0] == "+1"


def test_strip_illegal():
    assert strip_illegal("泵站\x07A\x00") == ("泵站A", ["U+0007", "U+0000"])
    # tab, LF and CR are legal in a workbook: kept
    assert strip_illegal("a\tb\nc\rd") == ("a\tb\nc\rd", [])
    assert strip_illegal("x\ufffey\x1f") == ("xy", ["U+FFFE", "U+001F"])


@given(st.text(max_size=20))
def test_escaped_text_is_never_formula_like_and_loses_nothing(s):
    out = escape_formula(s)
    assert not is_formula_like(out)
    assert out == s or (out == "'" + s and s[:1] in FORMULA_START)


@given(st.lists(st.one_of(st.integers(), st.floats(allow_nan=False)), min_size=1, max_size=10))
def test_numbers_are_never_escaped(values):
    df = pd.DataFrame({"v": values})
    pd.testing.assert_frame_equal(safe_frame(df), df)
