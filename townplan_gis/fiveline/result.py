"""The Review result: conflicts, per-project verdicts, a summary, and the settings used.

Verdicts (``docs/sources.md#grading``, the Review contract), first match wins:

1. ``invalid`` — unusable input (no or NaN geometry, unknown project type);
2. ``reject`` — any non-ignored conflict is ``forbidden``; a forbidden conflict is real even when the
   check is incomplete, so it is reported as such;
3. ``not_checked`` (未完成审查) — the check is incomplete: the project is not wholly inside the
   review's coverage (the area its line data covers), or a line type is neither in the line data
   nor declared absent. The reason says which, with the part outside in m² and %;
4. ``review`` — any non-ignored conflict is ``review``;
5. ``pass`` — inside the coverage, all five line types checked (present or declared absent), and
   nothing above notice (notices are listed: "notices only").

Grades rank forbidden > review > notice.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio

from townplan_gis.core.safe import safe_frame
from townplan_gis.core.schema import LINE_TYPES
from townplan_gis.fiveline.checks import FOUND, NEAREST, checks_frame, chunk_checks, fill_nearest
from townplan_gis.fiveline.grade import GRADE_TEXT
from townplan_gis.fiveline.kernel import CONFLICT_COLUMNS
from townplan_gis.fiveline.rules import GRADE_RANK, GRADES
from townplan_gis.fiveline.text import as_series, join, join_groups, strings, take
from townplan_gis.fiveline.totals import TOTAL_COLUMNS

__all__ = [
    "PROJECT_COLUMNS",
    "VERDICTS",
    "Review",
    "build_review",
    "chunk_findings",
    "project_findings",
]

log = logging.getLogger(__name__)

VERDICTS = ("pass", "review", "reject", "not_checked", "invalid")
#: The columns of :func:`project_findings`.
_FINDING_COLUMNS = ("verdict", "worst_grade", "n_conflicts", "n_ignored", "reason", "reason_zh")
_PROJECT_TEXT = ("project_id", "project_name", "project_type")
PROJECT_COLUMNS = [
    "project_id",
    "project_name",
    "project_type",
    *_FINDING_COLUMNS,
    "outside_coverage_pct",
    *TOTAL_COLUMNS,
]


class Review:
    """The outcome of :func:`townplan_gis.fiveline`.

    Attributes
    ----------
    conflicts : geopandas.GeoDataFrame
        One row per project × control-line feature (``check = "overlap"``) and per setback finding
        (``check = "setback"``): :data:`~townplan_gis.fiveline.kernel.CONFLICT_COLUMNS`
        (``project_id, project_name, project_type, line_type, line_id, line_name, zone, check,
        overlap_area_m2, overlap_area_mu`` (亩, 1 亩 = 10000/15 m²), ``overlap_length_m,
        pct_of_project, pct_of_line, distance_m, grade, clause, procedure, clause_en, procedure_en,
        ignored, reason, reason_zh``); geometry = the overlap (setback: the part of the project
        inside the band).
    projects : geopandas.GeoDataFrame
        Aligned to the input projects' index, none dropped: ``verdict``
        (pass/review/reject/not_checked/invalid, see the module docstring), ``worst_grade``,
        ``n_conflicts`` (not ignored), ``n_ignored``, ``reason``, ``reason_zh``,
        ``outside_coverage_pct`` (share of the project outside the review's coverage, % of its
        area, or of its length for line projects, or 100 for a point outside; NaN when invalid),
        and per line type ``<line>_overlap_m2`` (area, overlapping lines of one type counted once)
        and ``<line>_overlap_length_m`` (line projects and the linear parts of collections);
        geometry = the project.
    checks : pandas.DataFrame
        The evidence of the check, one row per project × line type (all five, in
        ``schema.LINE_TYPES`` order), indexed by (the project's index label, ``line_type``):
        ``project_id``; ``status`` — ``checked`` (the type is in the line data),
        ``declared_absent`` (declared: the town has none; the data has none either) or
        ``not_in_data`` (neither: the project cannot pass), ``project_invalid`` for invalid
        projects; ``features_found`` — features of the type overlapping the project or within the
        setback distance (0 is a result too; <NA> for invalid projects); ``nearest_distance_m`` —
        distance to the nearest feature of the type (0 when one overlaps or touches), NaN when the
        type has no features or none lies within the search distance (rule file
        ``[checks] nearest_search_m``, recorded in :attr:`settings`).
    evidence : dict
        What the check rests on: ``generated`` (ISO local time with offset), ``townplan_gis_version``,
        ``analysis_crs``, ``tolerance``, ``sources`` (per input layer: features and a SHA-256
        content hash of its WKB and attributes, stable across runs), ``files`` (rule file with its
        SHA-256), ``coverage`` (where it came from, area, hash) and ``line_types`` (status and
        feature count per type).
    summary : pandas.DataFrame
        Counts per verdict (``table = "verdict"``) and per line type × grade (``table = "conflicts"``),
        with ignored counts and the overlap area.
    settings : dict
        ``crs``, ``tolerance``, ``setbacks``, ``rules``, ``rules_version``, ``engine`` …,
        ``townplan_gis_version``.
    repairs : pandas.DataFrame
        What was changed in the inputs (aliases, reprojection, make_valid), as in ``Town.repairs``.
    """

    def __init__(self, conflicts, projects, summary, settings, repairs, checks=None, evidence=None):
        self.conflicts = conflicts
        self.projects = projects
        self.summary = summary
        self.settings = settings
        self.repairs = repairs
        self._checks = checks
        # The nearest-feature search of the evidence table, run on first read (see checks).
        self._pending: Any = None
        self.evidence = dict(evidence or {})

    @property
    def checks(self) -> pd.DataFrame | None:
        """The evidence table (see the class docstring); its nearest-feature search runs on the
        first read (:func:`~townplan_gis.fiveline.checks.fill_nearest`)."""
        if self._pending is not None:
            fill, self._pending = self._pending, None
            self._checks = fill(self._checks)
        return self._checks

    @checks.setter
    def checks(self, value: pd.DataFrame | None) -> None:
        self._checks, self._pending = value, None

    def __getstate__(self) -> dict[str, Any]:
        # A pickled Review carries its finished evidence table, not the search that makes it.
        _ = self.checks
        return self.__dict__.copy()

    def verdict_counts(self) -> pd.Series:
        """Number of projects per verdict (every verdict of :data:`VERDICTS`, zeros included)."""
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
        """Write ``conflicts.gpkg``, ``conflicts.csv``, ``projects.csv``, ``checks.csv`` and
        ``evidence.json`` into ``out_dir``.

        The CSV files are UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly;
        they carry no geometry (the GeoPackage does, with ``conflicts`` and ``projects`` layers, and
        the ``checks`` table as an attribute table). ``evidence.json`` is :attr:`evidence`. A text a
        spreadsheet would read as a formula (``=…``, ``+…``, ``-…``, ``@…``) is written with a
        leading ``'`` (:func:`townplan_gis.core.safe.safe_frame`).
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
        paths.update(self._write_evidence(out, gpkg))
        log.info("review written to %s", out)
        return paths

    def _write_evidence(self, out: Path, gpkg: Path) -> dict[str, Path]:
        """The checks table (CSV, and an attribute table in the GeoPackage) and evidence.json."""
        paths: dict[str, Path] = {}
        if self.checks is not None:
            table = self.checks.reset_index()
            path = out / "checks.csv"
            safe_frame(table).to_csv(path, index=False, encoding="utf-8-sig")
            paths["checks.csv"] = path
            attrs = table.astype(
                {
                    table.columns[0]: str,
                    "line_type": str,
                    "status": str,
                    "features_found": "float64",  # <NA> (invalid project) → an empty cell
                }
            )
            pyogrio.write_dataframe(attrs, gpkg, layer="checks")
        path = out / "evidence.json"
        path.write_text(
            json.dumps(self.evidence, ensure_ascii=False, indent=1, default=str) + "\n",
            encoding="utf-8",
        )
        paths["evidence.json"] = path
        return paths

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.verdict_counts().items())
        return (
            f"<Review: {len(self.projects)} projects ({counts}); {len(self.conflicts)} conflict rows; "
            f"rules {self.settings.get('rules')}; {self.settings.get('crs')}>"
        )

    def _repr_html_(self) -> str:
        from townplan_gis.core.reprs import review_html

        return review_html(self)


# By grade rank (0 = none), as GRADE_TEXT.
_GRADE_EN = pa.array(GRADE_TEXT.tolist(), type=pa.string())
_GRADE_ZH_BY_RANK = pa.array([None, "提示", "需审批", "禁止"], type=pa.string())
# Verdict codes: 0–3 the worst grade rank (0 none, 1 notice), 4 invalid, 5 not checked.
_VERDICT_BY_CODE = pa.array(
    ["pass", "pass", "review", "reject", "invalid", "not_checked"], type=pa.string()
)
_NOT_CHECKED = 5
# Without a finding (0), or with ignored slivers only (1). "No conflict" is said only of a project
# with no finding at all: slivers are overlaps too, so they are named.
_NONE_EN = pa.array(["no conflict", "sliver overlaps only (ignored)"])
_NONE_ZH = pa.array(["无冲突", "仅碎片重叠（已忽略）"])
# (en, zh): prefixes of notice-only passes, of incomplete checks, and of a rejection whose check
# is incomplete too.
_NOTICES = ("notices only: ", "仅提示事项：")
_INCOMPLETE = ("not checked: ", "未完成审查：")
_ALSO = ("; also not checked: ", "；另未完成审查：")
_THEN = ("; ", "；")


def _column(projects: pd.DataFrame, name: str) -> np.ndarray:
    if name in projects:
        return projects[name].to_numpy(dtype=object)
    return np.full(len(projects), "", dtype=object)


def project_findings(conflicts: pd.DataFrame | dict, projects: pd.DataFrame) -> pd.DataFrame:
    """Verdict, worst grade, counts and reasons of ``projects`` from their conflict rows.

    Projects never span review chunks, so this runs per chunk, in the worker threads.

    Parameters
    ----------
    conflicts : pandas.DataFrame or dict
        The projects' conflict rows (``_pos``, ``_rank``, ``ignored``, ``reason``, ``reason_zh``),
        as a frame or as the columns of :func:`~townplan_gis.fiveline.kernel.review_rows`.
    projects : pandas.DataFrame
        Prepared projects (``_pos``, ``_invalid``, ``_repaired``, and ``_incomplete`` /
        ``_incomplete_zh``: why the check is incomplete, "" when it is complete).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``_pos`` like ``projects``: ``verdict`` (see the module docstring),
        ``worst_grade``, ``n_conflicts`` (not ignored), ``n_ignored``, and ``reason`` /
        ``reason_zh``: the non-ignored findings, worst grade first, as ``"grade: reason; …"``;
        ``"notices only: …"`` when nothing is above notice; ``"not checked: <why>; …"`` when the
        check is incomplete; ``"no conflict"`` only when there is no finding at all.
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
    incomplete = (_column(projects, "_incomplete") != "") & ~invalid
    code = np.where(invalid, 4, np.where(worst == 3, 3, np.where(incomplete, _NOT_CHECKED, worst)))
    verdict = take(_VERDICT_BY_CODE, code)
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
    notices_only = ~invalid & ~incomplete & (worst == 1)
    texts = []
    for k, (col, labels, sep, between, none, bad, fix, why_col) in enumerate(
        (
            ("reason", _GRADE_EN, ": ", "; ", _NONE_EN, "", "; ", "_incomplete"),
            (
                "reason_zh",
                _GRADE_ZH_BY_RANK,
                "：",
                "；",
                _NONE_ZH,
                "输入无效：",
                "；已修复：",
                "_incomplete_zh",
            ),
        )
    ):
        found = join(take(labels, rank[rows]), sep, strings(conflicts[col]).take(pa.array(rows)))
        found = join_groups(found, starts, between).take(place)  # null: no real finding
        text = pc.coalesce(found, take(none, some))
        if notices_only.any():
            text = pc.if_else(pa.array(notices_only), join(_NOTICES[k], found), text)
        if incomplete.any():
            why = strings(_column(projects, why_col))
            rejected = pa.array(incomplete & (worst == 3))
            other = pa.array(incomplete & (worst < 3))
            text = pc.if_else(rejected, join(text, _ALSO[k], why), text)
            tail = pc.coalesce(join(_THEN[k], found), "")
            text = pc.if_else(other, join(_INCOMPLETE[k], why, tail), text)
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


def chunk_findings(conflicts, projects: pd.DataFrame, lines, rules=None) -> pd.DataFrame:
    """:func:`project_findings` and the evidence columns
    (:func:`~townplan_gis.fiveline.checks.chunk_checks`) of one chunk, by ``_pos``: what every engine
    computes per chunk, in its worker threads or on its dask workers."""
    found = project_findings(conflicts, projects)
    return pd.concat([found, chunk_checks(conflicts, projects, len(lines))], axis=1)


def build_review(
    prepared: gpd.GeoDataFrame,
    conflicts: gpd.GeoDataFrame,
    totals: pd.DataFrame,
    findings: pd.DataFrame,
    settings: dict[str, Any],
    repairs: pd.DataFrame,
    *,
    status: dict[str, str] | None = None,
    evidence: dict[str, Any] | None = None,
    lines: Any = None,
    search_m: float = 0.0,
) -> Review:
    """Assemble a :class:`Review` from the prepared projects, all conflict rows, the per-type
    totals (:func:`~townplan_gis.fiveline.totals.type_totals`, by project position), the
    per-project findings (:func:`chunk_findings`, every project's position), the status of each
    line type (``checked`` / ``declared_absent`` / ``not_in_data``) and the evidence record. With
    ``lines`` (the PreparedLines) the nearest features not found are searched within
    ``search_m`` when :attr:`Review.checks` is first read
    (:func:`~townplan_gis.fiveline.checks.fill_nearest`)."""
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
    outside = (
        prepared["_outside_pct"].to_numpy(dtype=float)
        if "_outside_pct" in prepared
        else np.full(n, np.nan)
    )
    out = gpd.GeoDataFrame(
        {
            # The prepared columns as they are: no conversion of 10⁶ texts to another dtype.
            **{c: _same(prepared[c], idx) for c in _PROJECT_TEXT},
            **{c: _same(findings[c], idx) for c in _FINDING_COLUMNS},
            "outside_coverage_pct": outside,
            **{c: table[:, k] for k, c in enumerate(TOTAL_COLUMNS)},
        },
        geometry=prepared.geometry.values,
        crs=prepared.crs,
        index=prepared.index,
    )
    conflicts_out = conflicts[[*CONFLICT_COLUMNS, "geometry"]].reset_index(drop=True)
    review = Review(conflicts_out, out, _summary(out, conflicts), settings, repairs, None, evidence)
    if status is not None:
        # Assembled on first read (5 rows per project), with the nearest-feature search.
        table = findings[[*FOUND, *NEAREST]]
        ids = prepared[["project_id", "_parts"]]
        geoms = np.asarray(prepared.geometry.array, dtype=object)

        def assemble(_):
            frame = checks_frame(ids, table, status)
            if lines is not None and search_m > 0:
                frame = fill_nearest(frame, geoms, lines, search_m)
            return frame

        review._pending = assemble
    return review


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
