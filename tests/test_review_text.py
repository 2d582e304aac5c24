"""Column-wise text helpers of the review (townplan_gis.fiveline.text)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from townplan_gis.fiveline.text import (
    STR,
    Coded,
    as_series,
    fixed,
    join,
    join_groups,
    strings,
    take,
)


def test_fixed_decimals_signs_and_special_values():
    values = [0.0, 12.0, 12.34, 0.05, -3.25, -0.04, 99.96, float("nan"), float("inf"), 2e15]
    assert fixed(values, 1).to_pylist() == [
        "0.0",
        "12.0",
        "12.3",
        "0.0",  # half to even on the scaled value, as numpy.round
        "-3.2",
        "0.0",  # rounds to zero: no "-0.0"
        "100.0",
        "nan",
        "inf",
        "2000000000000000.0",
    ]
    assert fixed([7.125, 1.0], 2).to_pylist() == ["7.12", "1.00"]
    assert fixed([3.6], 0).to_pylist() == ["4"]


@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), max_size=50), st.integers(0, 4))
def test_fixed_agrees_with_numpy_round(values, digits):
    expected = [f"{v:.{digits}f}" for v in np.round(np.asarray(values, dtype=float), digits)]
    expected = [e[1:] if e.startswith("-") and float(e) == 0 else e for e in expected]
    assert fixed(values, digits).to_pylist() == expected


def test_join_take_and_groups():
    a = strings(["甲", None, "c"])
    assert join("<", a, ">").to_pylist() == ["<甲>", None, "<c>"]
    assert take(pa.array(["x", "y"]), np.array([1, 0, 1])).to_pylist() == ["y", "x", "y"]
    runs = join_groups(pa.array(["a", "b", "c", "d"]), np.array([0, 1, 3]), "; ")
    assert runs.to_pylist() == ["a", "b; c", "d"]


def test_strings_from_series_and_objects():
    s = pd.Series(["一", np.nan, "三"], dtype=STR)
    assert strings(s).to_pylist() == ["一", None, "三"]
    assert strings(np.array(["a", None, float("nan")], dtype=object)).to_pylist() == [
        "a",
        None,
        None,
    ]
    out = as_series(pa.array(["p", None]), index=[5, 6])
    assert out.dtype == STR and out.index.tolist() == [5, 6] and pd.isna(out[6])


def test_coded_texts_expand_take_and_join():
    grades = np.array([None, "notice", "review"], dtype=object)
    a = Coded([2, 0, 1], grades)
    b = Coded([1, 1], grades)
    assert a.values().tolist() == ["review", None, "notice"]
    assert a.take([2, 0]).values().tolist() == ["notice", "review"]
    assert a.equals("review").tolist() == [True, False, False]
    # A table shared by every part is kept as it is; the codes are chained.
    both = Coded.concat([a, b])
    assert both.table is grades
    assert both.values().tolist() == ["review", None, "notice", "notice", "notice"]
    # Chunk-local tables (the projects of each chunk) are chained, the codes shifted.
    ids = Coded.concat(
        [
            Coded([1, 0], np.array(["P1", "P2"], dtype=object)),
            Coded([0], np.array(["P3"], dtype=object)),
        ]
    )
    assert ids.values().tolist() == ["P2", "P1", "P3"]
    assert len(ids) == 3


def test_coded_series_holds_each_text_once_and_reads_back_by_slice():
    from townplan_gis.fiveline.text import coded_series, plain_texts

    texts = pa.array(["outside: 12.5 m²", None, "outside: 12.5 m²", "未核对紫线"] * 25_000)
    s = coded_series(texts, index=pd.RangeIndex(100_000))
    arr = pa.array(s.array)
    assert pa.types.is_dictionary(arr.type) and len(arr.dictionary) == 3  # "", and the two texts
    assert strings(s.iloc[1:4]).to_pylist() == ["", "outside: 12.5 m²", "未核对紫线"]
    assert strings(coded_series(pa.nulls(3, pa.string()))).to_pylist() == ["", "", ""]
    # A partition for a worker: plain texts of its own rows, not the whole table of texts.
    many = coded_series(pa.array([f"outside: {i} m²" for i in range(100_000)]))
    frame = pd.DataFrame({"t": many, "n": np.arange(100_000)})
    part = plain_texts(frame.iloc[10:20])
    assert part["t"].tolist() == [f"outside: {i} m²" for i in range(10, 20)]
    assert len(pickle.dumps(part)) < len(pickle.dumps(frame.iloc[10:20])) / 50
