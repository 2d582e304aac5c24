"""The conflicts frame of a review: :data:`CONFLICT_COLUMNS` looked up from :class:`Rows`."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.fiveline.grade import CHECK_TEXT, GRADE_TEXT, MU_M2
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.rows import Rows
from townplan_gis.fiveline.text import STR

__all__ = ["CONFLICT_COLUMNS", "conflicts_frame", "empty_conflicts"]

#: The columns of :attr:`Review.conflicts <townplan_gis.fiveline.result.Review.conflicts>`.
CONFLICT_COLUMNS = [
    "project_id",
    "project_name",
    "project_type",
    "line_type",
    "line_id",
    "line_name",
    "zone",
    "check",
    "overlap_area_m2",
    "overlap_area_mu",
    "overlap_length_m",
    "pct_of_project",
    "pct_of_line",
    "distance_m",
    "grade",
    "clause",
    "procedure",
    "clause_en",
    "procedure_en",
    "ignored",
    "reason",
    "reason_zh",
]
_TEXT_COLUMNS = ("clause", "procedure", "clause_en", "procedure_en")


def conflicts_frame(
    rows: Rows, projects: pd.DataFrame, lines: PreparedLines, crs: Any = None
) -> gpd.GeoDataFrame:
    """The conflicts GeoDataFrame (:data:`CONFLICT_COLUMNS`) of ``rows``.

    Parameters
    ----------
    rows : Rows
    projects : pandas.DataFrame
        Prepared projects (``_pos`` ascending, ``project_id``, ``project_name``,
        ``project_type``): all of the review's, or the chunk the rows come from.
    lines : PreparedLines
        Its per-line tables give the line columns.
    crs : CRS-like, optional
        Default the lines' CRS.
    """
    crs = lines.crs if crs is None else crs
    if not len(rows):
        return empty_conflicts(crs)
    line = rows.line
    at = projects["_pos"].to_numpy(dtype=np.int64)
    # Rows → rows of ``projects`` (positions ascending: all projects, or a chunk of them).
    whole = len(at) and at[0] == 0 and at[-1] == len(at) - 1
    pos = rows.pos if whole else np.searchsorted(at, rows.pos)
    data: dict[str, pd.Series] = {}

    def text(values: np.ndarray) -> pd.Series:
        return pd.Series(values, dtype=object, copy=False)

    for col in ("project_id", "project_name", "project_type"):
        data[col] = text(projects[col].to_numpy(dtype=object)[pos])
    for col in ("line_type", "line_id", "line_name", "zone"):
        data[col] = text(lines.arrays[col][line])
    data["check"] = text(CHECK_TEXT[rows.setback.astype(np.int64)])
    data["overlap_area_m2"] = pd.Series(rows.area_m2, dtype="float64", copy=False)
    data["overlap_area_mu"] = pd.Series(rows.area_m2 / MU_M2, dtype="float64", copy=False)
    data["overlap_length_m"] = pd.Series(rows.length_m, dtype="float64", copy=False)
    data["pct_of_project"] = pd.Series(rows.pct_of_project, dtype="float64", copy=False)
    data["pct_of_line"] = pd.Series(rows.pct_of_line, dtype="float64", copy=False)
    data["distance_m"] = pd.Series(rows.distance_m, dtype="float64", copy=False)
    data["grade"] = text(GRADE_TEXT[rows.rank.astype(np.int64)])
    for k, col in enumerate(_TEXT_COLUMNS):
        data[col] = text(rows.texts[:, k][rows.text])
    data["ignored"] = pd.Series(rows.ignored, dtype=bool, copy=False)
    data["reason"] = pd.Series(rows.reason, dtype=STR)
    data["reason_zh"] = pd.Series(rows.reason_zh, dtype=STR)
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(rows.geometry, crs=crs), copy=False)


def empty_conflicts(crs: Any) -> gpd.GeoDataFrame:
    """No conflict rows: :data:`CONFLICT_COLUMNS` with their dtypes."""
    numbers = {
        "overlap_area_m2",
        "overlap_area_mu",
        "overlap_length_m",
        "pct_of_project",
        "pct_of_line",
        "distance_m",
    }
    kinds = {c: "float64" for c in numbers} | {"ignored": "bool"}
    cols = {c: pd.Series(dtype=kinds.get(c, "object")) for c in CONFLICT_COLUMNS}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(crs=crs))
