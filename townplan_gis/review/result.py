"""The Review result: conflicts, per-project verdicts, a summary, and the settings used.

Verdicts (domain brief §4, the Review contract): a project is ``reject`` if any non-ignored conflict is
``forbidden``, ``review`` if any is ``review``, else ``pass`` (notice-only projects pass, with the notices
listed); unusable input gives ``invalid``. Grades rank forbidden > review > notice.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from townplan_gis._safe import safe_frame
from townplan_gis.review.grading import GRADE_TEXT
from townplan_gis.review.kernel import CONFLICT_COLUMNS
from townplan_gis.review.rules import GRADE_RANK, GRADES
from townplan_gis.review.text import as_series, join, join_groups, strings, take
from townplan_gis.review.totals import TOTAL_COLUMNS
from townplan_gis.schema import LINE_TYPES

__all__ = ["PROJECT_COLUMNS", "VERDICTS", "Review", "build_review", "project_findings"]

log = logging.getLogger(__name__)

VERDICTS = ("pass", "review", "reject", "invalid")
#: The columns of :func:`project_findings`.
_FINDING_COLUMNS = ("verdict", "worst_grade", "n_conflicts", "n_ignored", "reason", "reason_zh")
_PROJECT_TEXT = ("project_id", "project_name", "project_type")
PROJECT_COLUMNS = ["project_id", "project_name", "project_type", *_FINDING_COLUMNS, *TOTAL_COLUMNS]


class Review:
    """The outcome of :func:`townplan_gis.review`.

    Attributes
    ----------
    conflicts : geopandas.GeoDataFrame
        One row per project × control-line feature (``check = "overlap"``) and per setback finding
        (``check = "setback"``): :data:`~townplan_gis.review.kernel.CONFLICT_COLUMNS`
        (``project_id, project_name, project_type, line_type, line_id, line_name, zone, check,
        overlap_area_m2, overlap_area_mu`` (亩, 1 亩 = 10000/15 m²), ``overlap_length_m,
        pct_of_project, pct_of_line, distance_m, grade, clause, procedure, clause_en, procedure_en,
        ignored, reason, reason_zh``); geometry = the overlap (setback: the part of the project
        inside the band).
    projects : geopandas.GeoDataFrame
        Aligned to the input projects' index, none dropped: ``verdict`` (pass/review/reject/invalid),
        ``worst_grade``, ``n_conflicts`` (not ignored), ``n_ignored``, ``reason``, ``reason_zh``, and
        per line type ``<line>_overlap_m2`` (area, overlapping lines of one type counted once) and
        ``<line>_overlap_length_m`` (for line projects); geometry = the project.
    summary : pandas.DataFrame
        Counts per verdict (``table = "verdict"``) and per line type × grade (``table = "conflicts"``),
        with ignored counts and the overlap area.
    settings : dict
        ``crs``, ``tolerance``, ``setbacks``, ``rules``, ``rules_version``, ``engine`` …,
        ``townplan_gis_version``.
    repairs : pandas.DataFrame
        What was changed in the inputs (aliases, reprojection, make_valid), as in ``Town.repairs``.
    """

    def __init__(self, conflicts, projects, summary, settings, repairs):
        self.conflicts = conflicts
        self.projects = projects
        self.summary = summary
        self.settings = settings
        self.repairs = repairs

    def verdict_counts(self) -> pd.Series:
        """Number of projects per verdict (all four verdicts, zeros included)."""
        return self.projects["verdict"].value_counts().reindex(VERDICTS, fill_value=0)

    @property
    def any_rejected(self) -> bool:
        return bool((self.projects["verdict"] == "reject").any())

    @property
    def all_pass(self) -> bool:
        return bool((self.projects["verdict"] == "pass").all())

    def for_project(self, project_id: str) -> gpd.GeoDataFrame:
        """The conflict rows of one project (by ``project_id``)."""
        return self.conflicts[self.conflicts["project_id"] == str(project_id)]

    def to_files(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``conflicts.gpkg``, ``conflicts.csv`` and ``projects.csv`` into ``out_dir``.

        The CSV files are UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly;
        they carry no geometry (the GeoPackage does, with ``conflicts`` and ``projects`` layers). A
        text a spreadsheet would read as a formula (``=…``, ``+…``, ``-…``, ``@…``) is written with a
        leading ``'`` (:func:`townplan_gis._safe.safe_frame`).
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        gpkg = out / "conflicts.gpkg"
        if gpkg.exists():
            gpkg.unlink()
        conflicts = self.conflicts
        if len(conflicts):
            conflicts.to_file(gpkg, layer="conflicts", driver="GPKG", geometry_type="Unknown")
        else:
            conflicts.set_geometry(gpd.GeoSeries([], crs=conflicts.crs)).to_file(
                gpkg, layer="conflicts", driver="GPKG", geometry_type="Unknown"
            )
        self.projects.to_file(gpkg, layer="projects", driver="GPKG", geometry_type="Unknown")
        paths = {"conflicts.gpkg": gpkg}
        for name, frame in (("conflicts.csv", conflicts), ("projects.csv", self.projects)):
            path = out / name
            # Formula-like texts (a project id "=1+1") escaped: Excel must never evaluate them.
            safe_frame(pd.DataFrame(frame.drop(columns=frame.geometry.name))).to_csv(
                path, index=False, encoding="utf-8-sig"
            )
            paths[name] = path
        log.info("review written to %s", out)
        return paths

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.verdict_counts().items())
        return (
            f"<Review: {len(self.projects)} projects ({counts}); {len(self.conflicts)} conflict rows; "
            f"rules {self.settings.get('rules')}; {self.settings.get('crs')}>"
        )

    def _repr_html_(self) -> str:
        from townplan_gis._display import review_html

        return review_html(self)


# By grade rank (0 = none), as GRADE_TEXT.
_GRADE_EN = pa.array(GRADE_TEXT.tolist(), type=pa.string())
_GRADE_ZH_BY_RANK = pa.array([None, "提示", "需审批", "禁止"], type=pa.string())
_VERDICT_BY_RANK = pa.array(["pass", "pass", "review", "reject", "invalid"], type=pa.string())
_NONE_EN = pa.array(["no conflict", "no conflict (slivers ignored)"])
_NONE_ZH = pa.array(["无冲突", "无冲突（碎片已忽略）"])


def project_findings(conflicts: pd.DataFrame | dict, projects: pd.DataFrame) -> pd.DataFrame:
    """Verdict, worst grade, counts and reasons of ``projects`` from their conflict rows.

    Projects never span review chunks, so this runs per chunk, in the worker threads.

    Parameters
    ----------
    conflicts : pandas.DataFrame or dict
        The projects' conflict rows (``_pos``, ``_rank``, ``ignored``, ``reason``, ``reason_zh``),
        as a frame or as the columns of :func:`~townplan_gis.review.kernel.review_rows`.
    projects : pandas.DataFrame
        Prepared projects (``_pos``, ``_invalid``, ``_repaired``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``_pos`` like ``projects``: ``verdict``, ``worst_grade``, ``n_conflicts`` (not
        ignored), ``n_ignored``, and ``reason`` / ``reason_zh``: the non-ignored findings, worst
        grade first, as ``"grade: reason; …"``.
    """
    at = projects["_pos"].to_numpy(dtype=np.int64)
    m = len(at)
    # Row → project within ``projects`` (positions are sorted within a chunk, not always 0..m-1).
    inv = np.searchsorted(at, np.asarray(conflicts["_pos"], dtype=np.int64))
    rank = np.asarray(conflicts["_rank"], dtype=np.int64)
    ignored = np.asarray(conflicts["ignored"], dtype=bool)
    worst_all = np.zeros(m, dtype=np.int64)
    np.maximum.at(worst_all, inv, rank)
    worst = np.zeros(m, dtype=np.int64)
    np.maximum.at(worst, inv[~ignored], rank[~ignored])
    n_real = np.bincount(inv[~ignored], minlength=m)
    n_ign = np.bincount(inv[ignored], minlength=m)
    invalid = projects["_invalid"].to_numpy(dtype=object) != ""
    verdict = take(_VERDICT_BY_RANK, np.where(invalid, 4, worst))
    keep = np.flatnonzero(~ignored)
    order = np.lexsort((-rank[keep], inv[keep]))
    group, rows = inv[keep][order], keep[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else group
    where = np.full(m, -1, dtype=np.int64)
    where[group[starts]] = np.arange(len(starts))
    place = pa.array(where, mask=where < 0)
    some = (n_ign > 0).astype(np.int64)
    note = projects["_repaired"].to_numpy(dtype=object)
    repaired = note != ""
    texts = []
    for col, labels, sep, between, none, bad, fix in (
        ("reason", _GRADE_EN, ": ", "; ", _NONE_EN, "", "; "),
        ("reason_zh", _GRADE_ZH_BY_RANK, "：", "；", _NONE_ZH, "输入无效：", "；已修复："),
    ):
        text = join(take(labels, rank[rows]), sep, strings(conflicts[col]).take(pa.array(rows)))
        text = pc.coalesce(join_groups(text, starts, between).take(place), take(none, some))
        if invalid.any():
            why = strings(projects["_invalid"])
            text = pc.if_else(pa.array(invalid), join(bad, why), text)
        if repaired.any():
            text = pc.if_else(pa.array(repaired), join(text, fix, strings(note)), text)
        texts.append(text)
    index = pd.Index(at, name="_pos")
    return pd.DataFrame(
        {
            "verdict": as_series(verdict, index=index),
            "worst_grade": as_series(take(_GRADE_EN, worst_all), index=index),
            "n_conflicts": pd.Series(n_real, index=index),
            "n_ignored": pd.Series(n_ign, index=index),
            "reason": as_series(texts[0], index=index),
            "reason_zh": as_series(texts[1], index=index),
        }
    )


def _same(column: pd.Series, index: pd.Index) -> pd.Series:
    """``column`` on ``index``, without a copy or a dtype change (an object column of texts would
    otherwise be converted to Arrow strings, 10⁵ at a time)."""
    return pd.Series(column.array, index=index, dtype=column.dtype, copy=False)


def build_review(
    prepared: gpd.GeoDataFrame,
    conflicts: gpd.GeoDataFrame,
    totals: pd.DataFrame,
    findings: pd.DataFrame,
    settings: dict[str, Any],
    repairs: pd.DataFrame,
) -> Review:
    """Assemble a :class:`Review` from the prepared projects, all conflict rows, the per-type
    totals (:func:`~townplan_gis.review.totals.type_totals`, by project position) and the
    per-project findings (:func:`project_findings`, every project's position)."""
    n = len(prepared)
    if not np.array_equal(findings.index.to_numpy(), np.arange(n)):
        findings = findings.sort_index()
    idx = prepared.index
    # Totals exist for the projects with overlaps only: the others are 0.
    table = np.zeros((n, len(TOTAL_COLUMNS)))
    if len(totals):
        table[totals.index.to_numpy(dtype=np.int64)] = totals.reindex(
            columns=TOTAL_COLUMNS, fill_value=0.0
        ).to_numpy(dtype=float)
    out = gpd.GeoDataFrame(
        {
            # The prepared columns as they are: no conversion of 10⁶ texts to another dtype.
            **{c: _same(prepared[c], idx) for c in _PROJECT_TEXT},
            **{c: _same(findings[c], idx) for c in _FINDING_COLUMNS},
            **{c: table[:, k] for k, c in enumerate(TOTAL_COLUMNS)},
        },
        geometry=prepared.geometry.values,
        crs=prepared.crs,
        index=prepared.index,
    )
    conflicts_out = conflicts[[*CONFLICT_COLUMNS, "geometry"]].reset_index(drop=True)
    return Review(conflicts_out, out, _summary(out, conflicts), settings, repairs)


def _summary(projects: pd.DataFrame, conflicts: pd.DataFrame) -> pd.DataFrame:
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
    # Counts and overlap area per line type × grade, from the rows' codes (no text grouping).
    ign = conflicts["ignored"].to_numpy(dtype=bool)
    overlap = conflicts["check"].to_numpy(dtype=object) == "overlap"
    area = np.where(overlap, conflicts["overlap_area_m2"].to_numpy(dtype=float), 0.0)
    grades = [GRADE_RANK[g] for g in GRADES]
    cell = conflicts["_lt"].to_numpy(dtype=np.int64) * 4 + conflicts["_rank"].to_numpy(np.int64)
    size = 4 * len(LINE_TYPES)
    count = np.bincount(cell[~ign], minlength=size)
    ignored = np.bincount(cell[ign], minlength=size)
    total = np.bincount(cell, weights=area, minlength=size)
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
