"""Control-line self-check (控制线自检): do the lines agree with each other before projects are reviewed?

``tp.check_lines(lines)`` finds every contact between two line features that the compatibility matrix
(``townplan_gis/data/line_matrix.toml``) does not allow, classifies it (重叠 overlap, 压占 contained,
交叉 crossing), grades it (conflict, check, notice) with the resolution its priority rule suggests, and
finds the digitising errors within one type: duplicates, near-duplicates, slivers and gaps narrower
than a tolerance, invalid and empty geometry. Each finding is a numbered patch (图斑编号) so it can be
tracked to resolution. Sources: docs/sources.md#three-lines-2019, docs/sources.md#line-matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.analyses._geom import metric_frame, to_mu
from townplan_gis.analyses._pairs import contacts, gaps
from townplan_gis.analyses._report import (
    KIND_ZH,
    SEVERITY_ORDER,
    checked_pairs,
    line_classes,
    lines_status,
    number_patches,
    resolutions,
)
from townplan_gis.analyses.matrix import SEVERITY_ZH, LineMatrix, load_line_matrix
from townplan_gis.core.errors import TownPlanError
from townplan_gis.core.geometry import repair_geometry
from townplan_gis.core.repairs import repairs_frame
from townplan_gis.core.schema import normalize_layer
from townplan_gis.core.town import Town

__all__ = ["PATCH_COLUMNS", "LineCheck", "check_lines"]

#: Columns of :attr:`LineCheck.patches` (before ``geometry``).
PATCH_COLUMNS = [
    "patch_id",
    "patch_key",
    "check",
    "kind",
    "kind_zh",
    "severity",
    "severity_zh",
    "row_a",
    "type_a",
    "zone_a",
    "code_a",
    "name_a",
    "row_b",
    "type_b",
    "zone_b",
    "code_b",
    "name_b",
    "area_m2",
    "area_mu",
    "pct_of_a",
    "pct_of_b",
    "width_m",
    "keeps",
    "resolution_zh",
    "resolution_en",
    "source",
]
_SEVERITY_ORDER = SEVERITY_ORDER


@dataclass
class LineCheck:
    """The outcome of :func:`check_lines`.

    Attributes
    ----------
    patches : geopandas.GeoDataFrame
        One row per finding (图斑), :data:`PATCH_COLUMNS` and the patch geometry: ``patch_id``
        (``TB-0001`` …, numbered in a stable order for the same input), ``patch_key`` (a hash of the
        kind, the two features' codes and the patch's position and area: unchanged when other
        patches come or go, for tracking), ``check`` (``between_types``, ``within_type``,
        ``geometry``), ``kind`` (``overlap``, ``contained``, ``crossing``, ``duplicate``,
        ``near_duplicate``, ``sliver``, ``gap``, ``invalid``, ``empty``), ``severity``
        (``conflict``, ``check``, ``notice``), the two features (``row_*`` = input index label),
        the area in m² and 亩 (1 亩 = 10000/15 m²), its share of each feature, the width of a
        sliver or gap (2·area ÷ perimeter, m), the line the priority rule keeps and the suggested
        resolution with its source.
    pairs : pandas.DataFrame
        Every combination of line types (and purple tiers) present, with the matrix entry applied
        and what was found: ``contacts`` (pairs of features sharing land), ``findings``,
        ``area_m2``, ``status`` (``clear``: checked, nothing found; ``found``; ``allowed``: they may
        share land). Nothing unchecked is passed over in silence.
    lines : pandas.DataFrame
        Aligned to the input lines: ``n_findings``, ``worst_severity`` (``""`` when none),
        ``patch_ids``.
    settings : dict
        The matrix file and version, the tolerances, the CRS, the number of features.
    """

    patches: gpd.GeoDataFrame
    pairs: pd.DataFrame
    lines: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """Findings per severity and kind: ``severity, kind, kind_zh, patches, area_m2, area_mu``."""
        p = self.patches
        if len(p) == 0:
            return pd.DataFrame(
                columns=["severity", "kind", "kind_zh", "patches", "area_m2", "area_mu"]
            )
        g = p.groupby(["severity", "kind"], sort=False).agg(
            patches=("patch_id", "size"), area_m2=("area_m2", "sum")
        )
        g = g.reset_index()
        g["kind_zh"] = g["kind"].map(KIND_ZH)
        g["area_mu"] = to_mu(g["area_m2"])
        g = g.sort_values(
            ["severity", "kind"],
            key=lambda s: s.map(_SEVERITY_ORDER) if s.name == "severity" else s,
        )
        return g[["severity", "kind", "kind_zh", "patches", "area_m2", "area_mu"]].reset_index(
            drop=True
        )

    @property
    def passed(self) -> bool:
        """True when lines were checked and nothing is graded ``conflict`` or ``check`` (notices
        may remain); False for no lines at all: nothing checked is no pass."""
        if not self.settings.get("n_lines", 0):
            return False
        return not self.patches["severity"].isin(["conflict", "check"]).any()

    def table(self) -> pd.DataFrame:
        """The patches as a tidy table without geometry (for a report or a workbook sheet)."""
        return pd.DataFrame(self.patches.drop(columns="geometry"))

    def __repr__(self) -> str:
        counts = self.patches["severity"].value_counts()
        text = ", ".join(f"{k} {int(counts.get(k, 0))}" for k in _SEVERITY_ORDER)
        return (
            f"<LineCheck: {self.settings.get('n_lines', 0)} line features, "
            f"{len(self.patches)} patches ({text})>"
        )

    def _repr_html_(self) -> str:
        head = self.table().head(20)
        cols = [
            "patch_id",
            "kind_zh",
            "severity_zh",
            "code_a",
            "name_a",
            "code_b",
            "name_b",
            "area_m2",
        ]
        return f"<p>{self!r}</p>" + head[cols].to_html(index=False, float_format="{:,.1f}".format)


def _inputs(lines: Any, crs: Any) -> tuple[gpd.GeoDataFrame, pd.DataFrame, str]:
    """Canonical, valid, metric lines; the geometry findings of the input; where they came from."""
    if isinstance(lines, Town):
        frame = lines.layer("control_lines", empty_ok=True)
        if frame.crs is None:
            frame = frame.set_crs(lines.crs)
        rep = lines.repairs
        rep = rep[rep["layer"] == "control_lines"]
        origin = f"town {lines.name}"
    elif isinstance(lines, gpd.GeoDataFrame):
        frame, norm_rep = normalize_layer(lines, "control_lines", allow_empty=True)
        frame, fixed = repair_geometry(frame, "control_lines")
        rep = repairs_frame([*norm_rep, *fixed])
        origin = str(lines.attrs.get("source", "control lines"))
    else:
        raise TownPlanError(
            f"check_lines needs the control lines as a GeoDataFrame or a Town, got "
            f"{type(lines).__name__}."
        )
    frame = metric_frame(frame, layer="control_lines", crs=crs)
    found = rep[rep["action"].isin(["make_valid", "empty_geometry", "collapsed"])]
    return frame, found, origin


def _geometry_findings(frame: gpd.GeoDataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """One finding per feature whose geometry was invalid (repaired to be checked) or empty."""
    rows = []
    for action, kind in (("make_valid", "invalid"), ("empty_geometry", "empty")):
        for labels, detail in found.loc[found["action"] == action, ["rows", "detail"]].itertuples(
            index=False
        ):
            for label in labels:
                rows.append((frame.index.get_loc(label), kind, detail))
    return pd.DataFrame(rows, columns=["a", "kind", "detail"])


def check_lines(
    lines: gpd.GeoDataFrame | Town,
    *,
    matrix: str | Path | LineMatrix | None = None,
    tolerance_m: float | None = None,
    crs: Any = None,
    max_vertices: int = 256,
) -> LineCheck:
    """Check that the control lines agree with each other (控制线冲突检测).

    Every pair of features whose interiors meet is classified — ``contained`` (压占, the overlap
    covers ≥ 98 % of the smaller one), ``crossing`` (交叉, one cuts the other apart: a road over a
    river), ``overlap`` (重叠), ``sliver`` (an overlap narrower than the tolerance: a digitising
    error) — and graded by the compatibility matrix: ``conflict`` (must be resolved), ``check``,
    ``notice`` (normal, e.g. a bridge), or ``allowed`` (not listed: road junctions, tiers of one
    site). Within one type: ``duplicate`` (Hausdorff distance ≤ tolerance), ``near_duplicate``
    (intersection ÷ union ≥ 0.9), ``gap`` (narrower than the tolerance between two features:
    mitred closing of the pair minus the closings of each), and the input's ``invalid`` (repaired
    with ``make_valid`` to be checked) and ``empty`` geometries. Areas in m² and 亩 (1 亩 =
    10000/15 m²). Sources: docs/sources.md#three-lines-2019 (三条控制线 不交叉、不重叠、不冲突; the
    ecological red line keeps its integrity), docs/sources.md#line-matrix (the five-line grading).

    Parameters
    ----------
    lines : geopandas.GeoDataFrame or Town
        Control-line polygons with ``line_type`` (Chinese names accepted: 红线 …), optional
        ``zone``, ``code``, ``name``; or a Town (its ``control_lines``; the geometry it repaired on
        reading is reported as ``invalid``). Not modified.
    matrix : path or LineMatrix, optional
        A compatibility matrix overriding ``townplan_gis/data/line_matrix.toml``.
    tolerance_m : float, optional
        Gap and sliver width in metres (default the matrix's ``gap_width_m``, 0.5 m).
    crs : CRS-like, optional
        Metric CRS to measure in; default the lines' own when projected, else CGCS2000 3° GK.
    max_vertices : int, default 256
        Polygons with more vertices are cut into pieces for speed (results are the same).

    Returns
    -------
    LineCheck
        ``.patches`` (GeoDataFrame, one row per 图斑), ``.pairs`` (every type combination present
        and what was found, ``clear`` included), ``.lines`` (aligned to the input), ``.summary``,
        ``.passed``.

    Raises
    ------
    SchemaError
        No ``line_type`` column, or a value that is not a line type.
    CRSError
        Lines without a CRS.
    DataFileError
        A malformed matrix file.
    TownPlanError
        ``lines`` is neither a GeoDataFrame nor a Town; a negative tolerance.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> def at(x0, y0, x1, y1):  # metres near Puzhou, EPSG:4546
    ...     return shapely.box(437_000 + x0, 3_855_000 + y0, 437_000 + x1, 3_855_000 + y1)
    >>> lines = gpd.GeoDataFrame(
    ...     {"line_type": ["blue", "yellow"], "code": ["LAN-1", "HUX-1"]},
    ...     geometry=[at(0, 0, 100, 50), at(80, 0, 130, 50)], crs="EPSG:4546")
    >>> result = check_lines(lines)
    >>> result.patches[["patch_id", "kind", "severity", "area_m2", "keeps"]].to_dict("records")
    [{'patch_id': 'TB-0001', 'kind': 'overlap', 'severity': 'conflict', 'area_m2': 1000.0, 'keeps': 'blue'}]
    """
    if tolerance_m is not None and (
        isinstance(tolerance_m, bool)
        or not isinstance(tolerance_m, int | float)
        or not tolerance_m >= 0
    ):
        raise TownPlanError(f"tolerance_m must be a number of metres ≥ 0, got {tolerance_m!r}.")
    m = load_line_matrix(matrix)
    tolerance = dict(m.tolerance)
    if tolerance_m is not None:
        tolerance["gap_width_m"] = float(tolerance_m)
    frame, found, origin = _inputs(lines, crs)
    return run_check(frame, found, m, tolerance, max_vertices=int(max_vertices), origin=origin)


def run_check(
    frame: gpd.GeoDataFrame,
    found: pd.DataFrame,
    m: LineMatrix,
    tolerance: dict[str, float],
    *,
    max_vertices: int = 256,
    origin: str = "control lines",
) -> LineCheck:
    """The self-check of canonical, valid lines in a metric CRS (``found``: the geometry repairs).

    :func:`check_lines` normalises its input through the layer schema first; this entry takes any
    line type the matrix knows, so the three control lines of 三区三线 are checked here before the
    schema accepts them.
    """
    geoms = np.asarray(frame.geometry.array, dtype=object)
    line_type = frame["line_type"].to_numpy(dtype=object)
    zone = frame["zone"].to_numpy(dtype=object)
    unknown = sorted(set(line_type[pd.notna(line_type)].tolist()) - set(m.types))
    if unknown:
        raise TownPlanError(
            f"line types {unknown} are not in the compatibility matrix ({m.source}); their "
            f"contacts could not be graded. Fix: add [types.<name>] and its [[pair]] entries."
        )
    parts, part_geoms, near = contacts(
        geoms, line_type, tolerance=tolerance, max_vertices=max_vertices
    )
    gap_rows, gap_geoms = gaps(geoms, near, tolerance=tolerance)
    # A corner contact leaves wedges about (w/2)² in size: a gap must be larger than w².
    big = gap_rows["area_m2"].to_numpy() > tolerance["gap_width_m"] ** 2
    gap_rows, gap_geoms = gap_rows[big].reset_index(drop=True), gap_geoms[big]
    geom_rows = _geometry_findings(frame, found)
    found_all, patch_geoms, contact_stats = resolutions(
        m, frame, parts, part_geoms, gap_rows, gap_geoms, geom_rows
    )
    patches = number_patches(found_all, patch_geoms, frame, crs=frame.crs)
    pairs = checked_pairs(m, line_classes(m, line_type, zone), contact_stats, patches)
    status = lines_status(frame.index, patches)
    epsg = frame.crs.to_epsg() if frame.crs is not None else None
    settings = {
        "matrix": m.source,
        "matrix_version": m.version,
        "tolerance": dict(tolerance),
        "crs": f"EPSG:{epsg}" if epsg else str(frame.crs),
        "n_lines": len(frame),
        "source": origin,
        "severity_zh": dict(SEVERITY_ZH),
    }
    return LineCheck(patches=patches, pairs=pairs, lines=status, settings=settings)
