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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.reprs import review_html
from townplan_gis.core.safe import safe_frame
from townplan_gis.fiveline.findings import FINDING_COLUMNS
from townplan_gis.fiveline.memory import BYTES_PER_ROW, available_bytes
from townplan_gis.fiveline.totals import TOTAL_COLUMNS

__all__ = ["PROJECT_COLUMNS", "VERDICTS", "Review"]

log = logging.getLogger(__name__)

VERDICTS = ("pass", "review", "reject", "not_checked", "invalid")
PROJECT_COLUMNS = [
    "project_id",
    "project_name",
    "project_type",
    *FINDING_COLUMNS,
    "outside_coverage_pct",
    *TOTAL_COLUMNS,
]
#: The layer of a review's GeoPackage holding the conflict rows.
CONFLICTS_LAYER = "conflicts"


class Review:
    """The outcome of :func:`townplan_gis.fiveline`.

    Attributes
    ----------
    conflicts : geopandas.GeoDataFrame
        One row per project × control-line feature (``check = "overlap"``) and per setback finding
        (``check = "setback"``): :data:`~townplan_gis.fiveline.conflicts.CONFLICT_COLUMNS`
        (``project_id, project_name, project_type, line_type, line_id, line_name, zone, check,
        overlap_area_m2, overlap_area_mu`` (亩, 1 亩 = 10000/15 m²), ``overlap_length_m,
        pct_of_project, pct_of_line, distance_m, grade, clause, procedure, clause_en, procedure_en,
        ignored, reason, reason_zh``); geometry = the overlap (setback: the part of the project
        inside the band). A review made with ``out=`` (:func:`~townplan_gis.fiveline.engine.review`)
        streamed its rows to :attr:`conflicts_file` instead: reading ``conflicts`` loads them when
        they fit in memory and raises :class:`~townplan_gis.core.errors.TownPlanError` otherwise
        (:meth:`iter_conflicts` reads them in batches).
    n_conflicts : int
        The number of conflict rows.
    conflicts_file : pathlib.Path or None
        The GeoPackage holding the conflict rows (layer ``conflicts``) of a streamed review.
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

    def __init__(
        self,
        conflicts: gpd.GeoDataFrame | None,
        projects: gpd.GeoDataFrame,
        summary: pd.DataFrame,
        settings: dict[str, Any],
        repairs: pd.DataFrame,
        checks: pd.DataFrame | None = None,
        evidence: dict[str, Any] | None = None,
        *,
        conflicts_file: Path | None = None,
        n_conflicts: int | None = None,
    ) -> None:
        if conflicts is None and conflicts_file is None:
            raise TownPlanError("Review: conflicts or conflicts_file is needed.")
        self._conflicts = conflicts
        self.conflicts_file = conflicts_file
        self.n_conflicts = len(conflicts) if conflicts is not None else int(n_conflicts or 0)
        self.projects = projects
        self.summary = summary
        self.settings = settings
        self.repairs = repairs
        self._checks = checks
        # What the evidence table still needs, run on its first read (see checks, defer_checks).
        self._pending: Callable[[pd.DataFrame | None], pd.DataFrame | None] | None = None
        self.evidence = dict(evidence or {})

    @property
    def conflicts(self) -> gpd.GeoDataFrame:
        """The conflict rows (see the class docstring); a streamed review's are read from its
        GeoPackage when they fit in memory."""
        if self._conflicts is None:
            need = self.n_conflicts * BYTES_PER_ROW
            if need > 0.5 * available_bytes():
                raise TownPlanError(
                    f"this review streamed its {self.n_conflicts:,} conflict rows to "
                    f"{self.conflicts_file} (layer '{CONFLICTS_LAYER}'); at ≈ {need / 2**30:.1f} GB "
                    f"they do not fit in memory here. Fix: read them in batches with "
                    f"review.iter_conflicts(), or open the GeoPackage in QGIS."
                )
            self._conflicts = pyogrio.read_dataframe(self.conflicts_file, layer=CONFLICTS_LAYER)
        return self._conflicts

    @conflicts.setter
    def conflicts(self, value: gpd.GeoDataFrame) -> None:
        self._conflicts = value
        self.n_conflicts = len(value)

    def iter_conflicts(self, batch_size: int = 100_000) -> Iterator[gpd.GeoDataFrame]:
        """The conflict rows in frames of up to ``batch_size`` rows, in order (bounded memory for
        a streamed review)."""
        for start in range(0, self.n_conflicts, batch_size):
            if self._conflicts is not None:
                yield self._conflicts.iloc[start : start + batch_size]
            else:
                # The review appended the rows in order, so their feature ids run 1 … n: a batch
                # is a range of ids, read through the primary key. (Skipping features would read
                # every row before the batch: quadratic over a county's 10⁷ rows.)
                yield pyogrio.read_dataframe(
                    self.conflicts_file,
                    layer=CONFLICTS_LAYER,
                    where=f"fid > {start} AND fid <= {start + batch_size}",
                )

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

    def defer_checks(self, step: Callable[[pd.DataFrame | None], pd.DataFrame | None]) -> None:
        """Have ``step`` applied to the evidence table when it is next read, after any step
        deferred before: the review's own assembly and nearest-feature search, then a wrapper's
        changes (the 三区三线 review relabels the line types it did not select). The search costs
        seconds for a county and many callers never read the table."""
        before = self._pending
        self._pending = step if before is None else (lambda frame: step(before(frame)))

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
        if self._conflicts is None:
            quoted = str(project_id).replace("'", "''")
            return pyogrio.read_dataframe(
                self.conflicts_file, layer=CONFLICTS_LAYER, where=f"project_id = '{quoted}'"
            )
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
        streamed_here = self._conflicts is None and _same_file(self.conflicts_file, gpkg)
        if gpkg.exists() and not streamed_here:
            gpkg.unlink()
        if not streamed_here:
            # In memory, or streamed elsewhere: copied batch by batch (bounded memory).
            for k, batch in enumerate(self._batches()):
                batch.to_file(
                    gpkg,
                    layer=CONFLICTS_LAYER,
                    driver="GPKG",
                    geometry_type="Unknown",
                    append=k > 0,
                )
        self.projects.to_file(gpkg, layer="projects", driver="GPKG", geometry_type="Unknown")
        paths = {"conflicts.gpkg": gpkg}
        path = out / "conflicts.csv"
        for k, batch in enumerate(self._batches()):
            # Formula-like texts (a project id "=1+1") escaped: Excel must never evaluate them.
            safe_frame(pd.DataFrame(batch.drop(columns=batch.geometry.name))).to_csv(
                path,
                index=False,
                encoding="utf-8-sig" if k == 0 else "utf-8",
                mode="w" if k == 0 else "a",
                header=k == 0,
            )
        paths["conflicts.csv"] = path
        path = out / "projects.csv"
        frame = self.projects
        safe_frame(pd.DataFrame(frame.drop(columns=frame.geometry.name))).to_csv(
            path, index=False, encoding="utf-8-sig"
        )
        paths["projects.csv"] = path
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

    def _batches(self, size: int = 200_000) -> Iterator[gpd.GeoDataFrame]:
        """:meth:`iter_conflicts`, or the empty frame when there is no row (one batch at least,
        so that the files get their columns)."""
        if self.n_conflicts:
            yield from self.iter_conflicts(size)
        elif self._conflicts is not None:
            yield self._conflicts.set_geometry(
                gpd.GeoSeries([], crs=self._conflicts.crs), crs=self._conflicts.crs
            )
        else:
            yield pyogrio.read_dataframe(self.conflicts_file, layer=CONFLICTS_LAYER)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.verdict_counts().items())
        return (
            f"<Review: {len(self.projects)} projects ({counts}); {self.n_conflicts} conflict rows; "
            f"rules {self.settings.get('rules')}; {self.settings.get('crs')}>"
        )

    def _repr_html_(self) -> str:
        return review_html(self)


def _same_file(a: Path | None, b: Path) -> bool:
    return a is not None and b.exists() and a.resolve() == b.resolve()
