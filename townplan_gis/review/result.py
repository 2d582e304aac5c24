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

from townplan_gis.review.kernel import CONFLICT_COLUMNS
from townplan_gis.review.rules import GRADE_RANK, GRADES
from townplan_gis.schema import LINE_TYPES

__all__ = ["PROJECT_COLUMNS", "VERDICTS", "Review", "build_review"]

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


def _project_reasons(conflicts: pd.DataFrame, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per project: the non-ignored findings, worst grade first, as one line (English, Chinese)."""
    en, zh = np.full(n, "", dtype=object), np.full(n, "", dtype=object)
    keep = ~conflicts["ignored"].to_numpy(dtype=bool)
    if not keep.any():
        return en, zh
    pos = conflicts["_pos"].to_numpy(dtype=np.int64)[keep]
    grade = pd.Series(conflicts["grade"].to_numpy(dtype=object)[keep])
    order = np.lexsort((-grade.map(GRADE_RANK).fillna(0).to_numpy(), pos))
    pos = pos[order]
    first = np.r_[True, pos[1:] != pos[:-1]]
    starts = np.flatnonzero(first)
    for out, col, label, sep, join in (
        (en, "reason", grade.to_numpy(dtype=object), ": ", "; "),
        (zh, "reason_zh", grade.map(_GRADE_ZH).fillna("").to_numpy(dtype=object), "：", "；"),
    ):
        text = (label + sep + conflicts[col].to_numpy(dtype=object)[keep])[order]
        text = np.where(first, "", join).astype(object) + text
        # reduceat on an object array concatenates the strings of each project in one C loop.
        out[pos[starts]] = np.add.reduceat(text, starts)
    return en, zh


def build_review(
    prepared: gpd.GeoDataFrame,
    conflicts: gpd.GeoDataFrame,
    totals: pd.DataFrame,
    settings: dict[str, Any],
    repairs: pd.DataFrame,
) -> Review:
    """Assemble a :class:`Review` from the prepared projects, all conflict rows and type totals."""
    n = len(prepared)
    pos = conflicts["_pos"].to_numpy(dtype=np.int64)
    rank = conflicts["grade"].map(GRADE_RANK).fillna(0).to_numpy(dtype=np.int64)
    ignored = conflicts["ignored"].to_numpy(dtype=bool)
    worst_all = np.zeros(n, dtype=np.int64)
    np.maximum.at(worst_all, pos, rank)
    worst_real = np.zeros(n, dtype=np.int64)
    np.maximum.at(worst_real, pos[~ignored], rank[~ignored])
    n_real = np.bincount(pos[~ignored], minlength=n)
    n_ign = np.bincount(pos[ignored], minlength=n)
    verdict = np.select(
        [worst_real == GRADE_RANK["forbidden"], worst_real == GRADE_RANK["review"]],
        ["reject", "review"],
        "pass",
    ).astype(object)
    invalid = prepared["_invalid"].to_numpy() != ""
    verdict[invalid] = "invalid"
    worst = np.array([_RANK_GRADE.get(int(r)) for r in worst_all], dtype=object)
    reason, reason_zh = _project_reasons(conflicts, n)
    reason_zh = np.where(
        invalid,
        "输入无效：" + prepared["_invalid"].to_numpy(dtype=object),
        np.where(reason_zh == "", np.where(n_ign > 0, "无冲突（碎片已忽略）", "无冲突"), reason_zh),
    )
    reason = np.where(
        invalid,
        prepared["_invalid"].to_numpy(),
        np.where(
            reason == "",
            np.where(n_ign > 0, "no conflict (slivers ignored)", "no conflict"),
            reason,
        ),
    )
    note = prepared["_repaired"].to_numpy()
    reason = np.where(note != "", reason + "; " + note, reason)
    reason_zh = np.where(note != "", reason_zh + "；已修复：" + note, reason_zh)
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
            "reason": pd.Series(reason, index=idx, dtype=object),
            "reason_zh": pd.Series(reason_zh, index=idx, dtype=object),
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
