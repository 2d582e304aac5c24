"""Assembling the Review: the projects table, the summary and the evidence table from the chunks.

Every engine returns, per chunk, its rows (:class:`~townplan_gis.fiveline.rows.Rows`), its projects'
per-type totals and their findings (:class:`~townplan_gis.fiveline.chunk.Work`). The rows are kept
(or streamed to a GeoPackage); the summary counts per line type × grade are added up chunk by chunk
(:func:`summary_counts`), so that they need no row once the chunk is gone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.fiveline.checks import FOUND, NEAREST, checks_frame, fill_nearest
from townplan_gis.fiveline.findings import FINDING_COLUMNS
from townplan_gis.fiveline.lines import PreparedLines
from townplan_gis.fiveline.result import VERDICTS, Review
from townplan_gis.fiveline.rows import Rows
from townplan_gis.fiveline.rules import GRADE_RANK, GRADES
from townplan_gis.fiveline.totals import TOTAL_COLUMNS

__all__ = ["build_review", "summary_counts"]

_PROJECT_TEXT = ("project_id", "project_name", "project_type")
_CELLS = 4 * len(LINE_TYPES)  # line type × grade rank (0–3)


def summary_counts(rows: Rows, lines: PreparedLines) -> np.ndarray:
    """Per line type × grade rank: rows not ignored, rows ignored, and overlap area (m²), as a
    (3, 20) array that adds up over chunks."""
    cell = lines.arrays["line_type_code"][rows.line].astype(np.int64) * 4 + rows.rank
    ign = rows.ignored
    area = np.where(rows.setback, 0.0, rows.area_m2)
    return np.stack(
        [
            np.bincount(cell[~ign], minlength=_CELLS).astype(float),
            np.bincount(cell[ign], minlength=_CELLS).astype(float),
            np.bincount(cell, weights=area, minlength=_CELLS),
        ]
    )


def _same(column: pd.Series, index: pd.Index) -> pd.Series:
    """``column`` on ``index``, without a copy or a dtype change (an object column of texts would
    otherwise be converted to Arrow strings, 10⁵ at a time)."""
    return pd.Series(column.array, index=index, dtype=column.dtype, copy=False)


def build_review(
    prepared: gpd.GeoDataFrame,
    conflicts: gpd.GeoDataFrame | None,
    totals: np.ndarray,
    findings: pd.DataFrame,
    counts: np.ndarray,
    settings: dict[str, Any],
    repairs: pd.DataFrame,
    *,
    status: dict[str, str] | None = None,
    evidence: dict[str, Any] | None = None,
    lines: PreparedLines | None = None,
    search_m: float = 0.0,
    conflicts_file: Path | None = None,
    n_conflicts: int = 0,
) -> Review:
    """Assemble a :class:`Review` from the prepared projects, the conflict rows (a frame, or
    ``conflicts_file`` holding ``n_conflicts`` streamed rows), the per-type totals
    (:func:`~townplan_gis.fiveline.totals.type_totals`: an array of ``TOTAL_COLUMNS`` × projects,
    by project position), the per-project
    findings (every project's position), the summary counts (:func:`summary_counts`, added up),
    the status of each line type (``checked`` / ``declared_absent`` / ``not_in_data``) and the
    evidence record. With ``lines`` (the PreparedLines) the nearest features not found are
    searched within ``search_m`` when :attr:`Review.checks` is first read
    (:func:`~townplan_gis.fiveline.checks.fill_nearest`)."""
    n = len(prepared)
    if not np.array_equal(findings.index.to_numpy(), np.arange(n)):
        findings = findings.sort_index()
    idx = prepared.index
    if totals.shape != (len(TOTAL_COLUMNS), n):
        raise ValueError(
            f"build_review: totals of shape {totals.shape}, not {(len(TOTAL_COLUMNS), n)}"
        )
    outside = (
        prepared["_outside_pct"].to_numpy(dtype=float)
        if "_outside_pct" in prepared
        else np.full(n, np.nan)
    )
    out = gpd.GeoDataFrame(
        {
            # The prepared columns as they are: no conversion of 10⁶ texts to another dtype.
            **{c: _same(prepared[c], idx) for c in _PROJECT_TEXT},
            **{c: _same(findings[c], idx) for c in FINDING_COLUMNS},
            "outside_coverage_pct": outside,
            **{c: totals[k] for k, c in enumerate(TOTAL_COLUMNS)},
        },
        geometry=prepared.geometry.values,
        crs=prepared.crs,
        index=prepared.index,
        # The columns as they are, not copied into one block per dtype (0.25 GB at 10⁶ projects).
        copy=False,
    )
    review = Review(
        conflicts,
        out,
        _summary(out, counts),
        settings,
        repairs,
        None,
        evidence,
        conflicts_file=conflicts_file,
        n_conflicts=n_conflicts,
    )
    if status is not None:
        # Assembled on first read (5 rows per project), with the nearest-feature search.
        table = findings[[*FOUND, *NEAREST]]
        ids = prepared[["project_id", "_parts"]]
        geoms = np.asarray(prepared.geometry.array, dtype=object)

        def assemble(_: pd.DataFrame | None) -> pd.DataFrame:
            frame = checks_frame(ids, table, status)
            if lines is not None and search_m > 0:
                frame = fill_nearest(frame, geoms, lines, search_m)
            return frame

        review.defer_checks(assemble)
    return review


def _summary(projects: pd.DataFrame, counts: np.ndarray) -> pd.DataFrame:
    v = projects["verdict"].value_counts().reindex(VERDICTS, fill_value=0)
    verdicts = pd.DataFrame(
        {
            "table": "verdict",
            "line_type": None,
            "grade": None,
            "verdict": list(VERDICTS),
            "count": v.to_numpy(dtype=np.int64),
            "ignored": 0,
            "overlap_area_m2": np.nan,
        }
    )
    # Counts and overlap area per line type × grade, added up chunk by chunk.
    grades = [GRADE_RANK[g] for g in GRADES]
    count, ignored, total = counts
    at = np.array([lt * 4 + g for lt in range(len(LINE_TYPES)) for g in grades])
    agg = pd.DataFrame(
        {
            "table": "conflicts",
            "line_type": np.repeat(list(LINE_TYPES), len(grades)),
            "grade": list(GRADES) * len(LINE_TYPES),
            "verdict": None,
            "count": count[at].astype(np.int64),
            "ignored": ignored[at].astype(np.int64),
            "overlap_area_m2": total[at].astype(float),
        }
    )
    return pd.concat([verdicts, agg], ignore_index=True)
