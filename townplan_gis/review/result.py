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

from townplan_gis.review.kernel import CONFLICT_COLUMNS
from townplan_gis.review.rules import GRADE_RANK, GRADES
from townplan_gis.review.text import as_series, join, join_groups, strings, take
from townplan_gis.schema import LINE_TYPES

__all__ = ["PROJECT_COLUMNS", "VERDICTS", "Review", "build_review", "project_findings"]

log = logging.getLogger(__name__)

VERDICTS = ("pass", "review", "reject", "invalid")
PROJECT_COLUMNS = [
    "project_id",
    "project_name",
    "project_type",
    "verdict",
    "worst_grade",
    "n_conflicts",
    "n_ignored",
    "reason",
    "reason_zh",
    *[f"{lt}_overlap_m2" for lt in LINE_TYPES],
    *[f"{lt}_overlap_length_m" for lt in LINE_TYPES],
]
_RANK_GRADE = {v: k for k, v in GRADE_RANK.items()}


class Review:
    """The outcome of :func:`townplan_gis.review`.

    Attributes
    ----------
    conflicts : geopandas.GeoDataFrame
        One row per project × control-line feature (``check = "overlap"``) and per setback finding
        (``check = "setback"``): ``project_id, project_name, project_type, line_type, line_id,
        line_name, zone, overlap_area_m2, overlap_area_mu, overlap_length_m, pct_of_project,
        pct_of_line, distance_m, grade, clause, procedure, clause_en, procedure_en, ignored,
        reason``; geometry = the overlap (setback: the part of the project inside the band).
    projects : geopandas.GeoDataFrame
        Aligned to the input projects' index, none dropped: ``verdict`` (pass/review/reject/invalid),
        ``worst_grade``, ``n_conflicts`` (not ignored), ``n_ignored``, ``reason``, and per line type
        ``<line>_overlap_m2`` (area, overlapping lines of one type counted once) and
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
        they carry no geometry (the GeoPackage does, with ``conflicts`` and ``projects`` layers).
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
            pd.DataFrame(frame.drop(columns=frame.geometry.name)).to_csv(
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


_GRADE_ZH = {"forbidden": "禁止", "review": "需审批", "notice": "提示"}


def project_findings(conflicts: pd.DataFrame) -> pd.DataFrame:
    """Per project with conflict rows: worst grades, counts, and its findings as one line.

    Projects never span review chunks, so this runs per chunk, in the worker threads.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``_pos``: ``worst_all`` and ``worst`` (grade rank of all rows / of the
        non-ignored ones, 0 for none), ``n_conflicts``, ``n_ignored``, and ``reason`` /
        ``reason_zh``: the non-ignored findings, worst grade first, ``"grade: reason; …"`` (null
        when all were ignored).
    """
    pos = conflicts["_pos"].to_numpy(dtype=np.int64)
    rank = conflicts["grade"].map(GRADE_RANK).fillna(0).to_numpy(dtype=np.int64)
    ignored = conflicts["ignored"].to_numpy(dtype=bool)
    at, inv = np.unique(pos, return_inverse=True)
    worst_all = np.zeros(len(at), dtype=np.int64)
    np.maximum.at(worst_all, inv, rank)
    worst = np.zeros(len(at), dtype=np.int64)
    np.maximum.at(worst, inv[~ignored], rank[~ignored])
    out = pd.DataFrame(
        {
            "worst_all": worst_all,
            "worst": worst,
            "n_conflicts": np.bincount(inv[~ignored], minlength=len(at)),
            "n_ignored": np.bincount(inv[ignored], minlength=len(at)),
        },
        index=pd.Index(at, name="_pos"),
    )
    keep = np.flatnonzero(~ignored)
    order = np.lexsort((-rank[keep], inv[keep]))
    group, rows = inv[keep][order], keep[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else group
    where = np.full(len(at), -1, dtype=np.int64)
    where[group[starts]] = np.arange(len(starts))
    place = pa.array(where, mask=where < 0)
    rows_ = pa.array(rows)
    for col, labels, sep, between in (
        ("reason", [None, "notice", "review", "forbidden"], ": ", "; "),
        (
            "reason_zh",
            [None, *(_GRADE_ZH[g] for g in ("notice", "review", "forbidden"))],
            "：",
            "；",
        ),
    ):
        text = join(take(pa.array(labels), rank[rows]), sep, strings(conflicts[col]).take(rows_))
        out[col] = as_series(join_groups(text, starts, between).take(place), index=out.index)
    return out


def build_review(
    prepared: gpd.GeoDataFrame,
    conflicts: gpd.GeoDataFrame,
    totals: pd.DataFrame,
    findings: pd.DataFrame,
    settings: dict[str, Any],
    repairs: pd.DataFrame,
) -> Review:
    """Assemble a :class:`Review` from the prepared projects, all conflict rows, the per-type
    totals (:func:`~townplan_gis.review.kernel.type_totals`) and the per-project findings
    (:func:`project_findings`), both indexed by project position."""
    n = len(prepared)
    at = findings.index.to_numpy(dtype=np.int64)

    def spread(col, fill=0):
        full = np.full(n, fill, dtype=np.int64)
        full[at] = findings[col].to_numpy(dtype=np.int64)
        return full

    worst_all, worst_real = spread("worst_all"), spread("worst")
    n_real, n_ign = spread("n_conflicts"), spread("n_ignored")
    verdict = np.select(
        [worst_real == GRADE_RANK["forbidden"], worst_real == GRADE_RANK["review"]],
        ["reject", "review"],
        "pass",
    ).astype(object)
    invalid = prepared["_invalid"].to_numpy(dtype=object) != ""
    verdict[invalid] = "invalid"
    worst = np.array([None, *(_RANK_GRADE[k] for k in (1, 2, 3))], dtype=object)[worst_all]
    where = np.full(n, -1, dtype=np.int64)
    where[at] = np.arange(len(at))
    place = pa.array(where, mask=where < 0)
    reason = strings(findings["reason"]).take(place)
    reason_zh = strings(findings["reason_zh"]).take(place)
    some = (n_ign > 0).astype(np.int64)
    reason = pc.coalesce(
        reason, take(pa.array(["no conflict", "no conflict (slivers ignored)"]), some)
    )
    reason_zh = pc.coalesce(reason_zh, take(pa.array(["无冲突", "无冲突（碎片已忽略）"]), some))
    if invalid.any():
        why = strings(prepared["_invalid"])
        reason = pc.if_else(pa.array(invalid), why, reason)
        reason_zh = pc.if_else(pa.array(invalid), join("输入无效：", why), reason_zh)
    note = prepared["_repaired"].to_numpy(dtype=object)
    fixed_ = note != ""
    if fixed_.any():
        note_arr, mask = strings(note), pa.array(fixed_)
        reason = pc.if_else(mask, join(reason, "; ", note_arr), reason)
        reason_zh = pc.if_else(mask, join(reason_zh, "；已修复：", note_arr), reason_zh)
    idx = prepared.index
    out = gpd.GeoDataFrame(
        {
            # Object dtype kept on purpose: converting 10⁶ texts to Arrow strings costs seconds.
            "project_id": pd.Series(
                prepared["project_id"].to_numpy(dtype=object), index=idx, dtype=object
            ),
            "project_name": pd.Series(
                prepared["project_name"].to_numpy(dtype=object), index=idx, dtype=object
            ),
            "project_type": pd.Series(
                prepared["project_type"].to_numpy(dtype=object), index=idx, dtype=object
            ),
            "verdict": pd.Series(verdict, index=idx, dtype=object),
            "worst_grade": pd.Series(worst, index=idx, dtype=object),
            "n_conflicts": n_real,
            "n_ignored": n_ign,
            "reason": as_series(reason, index=idx),
            "reason_zh": as_series(reason_zh, index=idx),
        },
        geometry=prepared.geometry.to_numpy(),
        crs=prepared.crs,
        index=prepared.index,
    )
    tot = totals.reindex(np.arange(n)).fillna(0.0)
    for col in PROJECT_COLUMNS[PROJECT_COLUMNS.index("reason_zh") + 1 :]:
        out[col] = tot[col].to_numpy() if col in tot else 0.0
    conflicts_out = conflicts[[*CONFLICT_COLUMNS, "geometry"]].reset_index(drop=True)
    return Review(conflicts_out, out, _summary(out, conflicts_out), settings, repairs)


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
    ign = conflicts["ignored"].to_numpy(dtype=bool)
    area = np.where(conflicts["check"].to_numpy() == "overlap", conflicts["overlap_area_m2"], 0.0)
    stats = pd.DataFrame(
        {
            "line_type": conflicts["line_type"].to_numpy(),
            "grade": conflicts["grade"].to_numpy(),
            "count": (~ign).astype(np.int64),
            "ignored": ign.astype(np.int64),
            "overlap_area_m2": area,
        }
    )
    grid = pd.MultiIndex.from_product([LINE_TYPES, GRADES], names=["line_type", "grade"])
    agg = stats.groupby(["line_type", "grade"]).sum().reindex(grid, fill_value=0).reset_index()
    agg.insert(0, "table", "conflicts")
    agg.insert(3, "verdict", None)
    agg["overlap_area_m2"] = agg["overlap_area_m2"].astype(float)
    return pd.concat([verdicts, agg], ignore_index=True)
