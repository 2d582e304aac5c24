"""Per-project totals of a review: overlap area and length per line type, overlaps counted once.

Overlapping control polygons of one type (a parcel crossed by two road strips that meet) must not be
counted twice (QGIS "overlap analysis" semantics, ``docs/sources.md#review-ui-practice``): per project and type, the overlaps are unioned
and measured once (:meth:`~townplan_gis.fiveline.overlap.Reference.union_measures`). Only where it
is needed: the overlaps of lines that meet no other line of their type are disjoint and simply add
up, and where one overlap is the whole project it is the union. Runs per chunk, in the worker
threads (or dask workers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.overlap import Reference
from townplan_gis.fiveline.rows import Rows

__all__ = ["TOTAL_COLUMNS", "type_totals"]

#: The columns of :func:`type_totals`: overlap area (m²), then overlap length (m), per line type.
TOTAL_COLUMNS = [f"{lt}_overlap_m2" for lt in LINE_TYPES] + [
    f"{lt}_overlap_length_m" for lt in LINE_TYPES
]


def type_totals(rows: Rows, lines: PreparedLines, engine: Reference) -> pd.DataFrame:
    """Per project position and line type: overlap area (m²) and length (m), overlaps counted once.

    Overlapping control polygons of one type are unioned per project before measuring (module
    docstring). Ignored slivers count: they are real overlap.

    Parameters
    ----------
    rows : Rows
        Conflict rows (their overlaps are used, setback findings are not).
    lines : PreparedLines
        The lines the rows refer to.
    engine : Reference
        Measures the unions (:meth:`~townplan_gis.fiveline.overlap.Reference.union_measures`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``_pos``, columns ``<line>_overlap_m2`` and ``<line>_overlap_length_m``.
    """
    over = np.flatnonzero(~rows.setback)
    if not len(over):
        return pd.DataFrame(columns=TOTAL_COLUMNS, dtype="float64")
    pos = rows.pos[over]
    line = rows.line[over]
    lt_code = lines.arrays["line_type_code"][line].astype(np.int64)
    geoms = rows.geometry[over]
    shared = lines.arrays["overlaps_same_type"][line].copy()
    dims = rows.dim[over].astype(np.int64)
    # Unioned per project, type and dimension: a collection's polygon part is measured by area and
    # its line part by length, and neither hides the other.
    key = (pos * len(LINE_TYPES) + lt_code) * 3 + np.clip(dims, 0, 2)
    # Disjoint overlaps (lines that meet no other line of their type, or the only overlap of a
    # shared line in a project and type) add up directly ...
    inv = pd.factorize(key)[0]
    shared &= np.bincount(inv, weights=shared)[inv] > 1
    ov_area, ov_len = rows.area_m2[over], rows.length_m[over]
    part_area = np.where((dims == 2) & ~shared, ov_area, 0.0)
    part_len = np.where((dims == 1) & ~shared, ov_len, 0.0)
    # ... where one overlap is the whole project (a project inside a line), the union is that
    # overlap ...
    pct = rows.pct_of_project[over]
    whole = shared & (dims >= 1) & (pct >= 100.0 * (1 - 1e-12))
    first = np.unique(key[whole], return_index=True)[1]
    w_idx = np.flatnonzero(whole)[first]
    shared &= ~np.isin(key, key[w_idx])
    w_area = np.where(dims[w_idx] == 2, ov_area[w_idx], 0.0)
    w_len = np.where(dims[w_idx] == 1, ov_len[w_idx], 0.0)
    # ... the others are unioned per project and type.
    codes, uniq = pd.factorize(key[shared])
    u_area, u_len = engine.union_measures(geoms[shared], codes, len(uniq), line=line[shared])
    key = np.concatenate([key, key[w_idx], uniq])
    area = np.concatenate([part_area, w_area, u_area])
    length = np.concatenate([part_len, w_len, u_len])
    key = key // 3
    positions, row = np.unique(key // len(LINE_TYPES), return_inverse=True)
    col = key % len(LINE_TYPES)
    table = np.zeros((len(positions), 2 * len(LINE_TYPES)))
    np.add.at(table, (row, col), area)
    np.add.at(table, (row, col + len(LINE_TYPES)), length)
    return pd.DataFrame(table, index=pd.Index(positions, name="_pos"), columns=TOTAL_COLUMNS)
