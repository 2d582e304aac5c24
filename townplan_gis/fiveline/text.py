"""Column-wise text for conflict rows, built with Arrow compute kernels.

A county review writes two reasons (English, Chinese) for each of 10⁵–10⁶ conflict rows. Built
element by element in Python (numpy object arrays, f-strings) that costs seconds and holds the GIL,
so the second review thread waits for it; Arrow's string kernels run in C++ without the GIL and are
≈ 7× faster. The columns reach pandas as its ``str`` dtype (Arrow-backed), without conversion.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "STR",
    "Coded",
    "as_series",
    "coded_series",
    "fixed",
    "join",
    "join_groups",
    "plain_texts",
    "strings",
    "take",
]

#: pandas' default string dtype (pandas ≥ 3): Arrow storage, NaN for missing.
STR = pd.StringDtype("pyarrow", na_value=np.nan)

# Beyond this magnitude the scaled integer of :func:`fixed` could overflow int64.
_EXACT_LIMIT = 1e14


def strings(values) -> pa.Array:
    """An Arrow string array from a sequence, Series or array; None/NaN become null."""
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks().cast(pa.string())
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    if isinstance(values, pd.Series | pd.Index) and isinstance(
        values.dtype, pd.StringDtype | pd.ArrowDtype
    ):
        # Arrow storage read as it is; a dictionary-encoded column (coded_series) is decoded.
        arr = pa.array(values.array).cast(pa.string())
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    arr = np.asarray(values, dtype=object)
    missing = pd.isna(arr)
    if missing.any():
        arr = arr.copy()
        arr[missing] = None
    return pa.array(arr, type=pa.string(), from_pandas=True)


def take(table: pa.Array, codes: np.ndarray) -> pa.Array:
    """``table[codes]`` (a table of distinct texts expanded to rows)."""
    return table.take(pa.array(np.asarray(codes, dtype=np.int64)))


def fixed(values, digits: int) -> pa.Array:
    """Numbers as text with exactly ``digits`` decimals (``12.0``, ``3.25``); ``nan``/``inf`` as such.

    Rounds half to even on the scaled value, like :func:`numpy.round`.
    """
    x = np.asarray(values, dtype=float)
    exact = np.isfinite(x) & (np.abs(x) < _EXACT_LIMIT)
    scale = 10**digits
    k = np.rint(np.abs(np.where(exact, x, 0.0)) * scale).astype(np.int64)
    text = pc.cast(pa.array(k // scale), pa.string())
    if digits > 0:
        frac = pc.utf8_lpad(pc.cast(pa.array(k % scale), pa.string()), width=digits, padding="0")
        text = pc.binary_join_element_wise(text, frac, ".")
    negative = (x < 0) & (k > 0) & exact
    if negative.any():
        text = pc.if_else(pa.array(negative), pc.binary_join_element_wise("-", text, ""), text)
    if not exact.all():
        other = [f"{v:.{digits}f}" if np.isfinite(v) else str(v) for v in x[~exact]]
        text = pc.replace_with_mask(text, pa.array(~exact), pa.array(other, type=pa.string()))
    return text


def join(*parts) -> pa.Array:
    """Element-wise concatenation of Arrow string arrays and Python strings (null stays null)."""
    return pc.binary_join_element_wise(*parts, "")


def join_groups(values: pa.Array, starts: np.ndarray, separator: str) -> pa.Array:
    """Join consecutive runs of ``values`` (runs begin at ``starts``) into one string per run."""
    offsets = np.append(np.asarray(starts, dtype=np.int32), np.int32(len(values)))
    lists = pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values)
    return pc.binary_join(lists, separator)


def as_series(values: pa.Array | Sequence, index=None) -> pd.Series:
    """A pandas ``str`` Series over an Arrow string array (no per-element conversion)."""
    return pd.Series(values, index=index, dtype=STR)


def coded_series(values: pa.Array | pa.ChunkedArray, index=None) -> pd.Series:
    """A pandas Series over the Arrow dictionary encoding of ``values`` (null → ""): each distinct
    text held once, however many rows repeat it; :func:`strings` reads it back as Arrow strings."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count == len(values):  # the usual case: "" for every row, without hashing them
        coded = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(len(values), dtype=np.int32)), pa.array([""], type=pa.string())
        )
    else:
        coded = pc.fill_null(values, "").dictionary_encode()
    return pd.Series(pd.arrays.ArrowExtensionArray(coded), index=index, copy=False)


def plain_texts(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its dictionary-encoded text columns (:func:`coded_series`) as plain Arrow
    strings: a slice of such a column still holds the whole table of texts, which pickling a
    partition (the dask engine) would copy in full to every worker."""
    coded = [
        c
        for c, t in frame.dtypes.items()
        if isinstance(t, pd.ArrowDtype) and pa.types.is_dictionary(t.pyarrow_dtype)
    ]
    if not coded:
        return frame
    out = frame.copy(deep=False)
    for c in coded:
        out[c] = as_series(strings(frame[c]), index=frame.index)
    return out


class Coded:
    """A text column as integer codes into a table of texts, expanded once at the end.

    Conflict rows repeat a few texts (a line's id and name, a grade, a clause) over many rows. As
    object arrays they would be copied, with a reference-count update per element under the GIL,
    for each chunk, again when the chunk's rows are put in order, again when the chunks are
    joined, and once more when the chunks are freed. As codes they are plain integers until
    :meth:`values` expands them, once, for the joined rows.

    Parameters
    ----------
    codes : numpy.ndarray of int
        Row → position in ``table``.
    table : numpy.ndarray of object
        The texts (None for missing).
    """

    __slots__ = ("codes", "table")

    def __init__(self, codes, table: np.ndarray) -> None:
        self.codes = np.asarray(codes, dtype=np.int64)
        self.table = table

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, idx) -> Coded:
        """The rows at ``idx``, still coded."""
        return Coded(self.codes[idx], self.table)

    def values(self) -> np.ndarray:
        """The texts, one per row (an object array)."""
        return self.table[self.codes]

    def equals(self, text: str) -> np.ndarray:
        """Per row, whether its text is ``text`` (compared once per table entry)."""
        return (self.table == text)[self.codes]

    @staticmethod
    def concat(parts: Sequence[Coded]) -> Coded:
        """The rows of ``parts`` one after the other; tables shared by all parts are not copied."""
        first = parts[0].table
        if all(p.table is first for p in parts):
            return Coded(np.concatenate([p.codes for p in parts]), first)
        sizes = np.array([len(p.table) for p in parts])
        offset = np.cumsum(sizes) - sizes
        codes = np.concatenate([p.codes + o for p, o in zip(parts, offset, strict=True)])
        return Coded(codes, np.concatenate([p.table for p in parts]))
