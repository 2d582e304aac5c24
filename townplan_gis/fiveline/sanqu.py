"""The three control lines (三区三线) in the review, and the choice of line families to check.

Since the 2019 opinions on the three control lines (``docs/sources.md#three-lines-2019``) a project is
first checked against 生态保护红线 (``eco_redline``), 永久基本农田 (``farmland``) and 城镇开发边界
(``dev_boundary``). The five lines (五线) and these three are two *families* of line types
(:data:`~townplan_gis.core.schema.spec.LINE_FAMILIES`); :func:`review` checks the families a caller
selects, in one review, and says in the evidence which were checked and which were not.

The ecological red line and permanent basic farmland are checked like the five lines: what lies
inside is the conflict, graded by the rule file (``data/rules/default.toml``: forbidden, except the
limited activities each admits, which are review).

The development boundary is checked the other way round: the conflict is the part of an urban-type
project **outside** the boundary. The review's overlap engine is not changed for it. Instead the
boundary polygons are turned into their complement within the extent of the 三区三线 data
(:func:`outside_boundary`):

.. math:: O = E \\setminus \\bigcup_i B_i

(E the extent — ``sanqu_extent``, else the review's coverage, else the convex hull of the control
lines; :math:`B_i` the boundary polygons), and O goes to the engine as the one ``dev_boundary`` feature,
named after the boundary + 以外 (蒲州镇城镇开发边界以外). The ordinary overlap of a project with O is then exactly the part of the project
outside the boundary (inside the extent), in m², 亩 and % of the project; the reasons say
「超出城镇开发边界「蒲州镇城镇开发边界」：…」 / "outside 城镇开发边界 '…'" (``data/vocab.toml``,
``reason_outside_boundary``; tables name the line type 城镇开发边界外). Village and
agricultural types outside get a notice, urban types a review (the rule file lists them).

No silent pass: a project outside the extent of the 三区三线 data is outside the review's coverage
(the coverage given to the engine is the coverage ∩ the extent), so it is ``not_checked``, never
``pass``. Line types of a family that is not selected are recorded ``not_selected`` in
:attr:`Review.evidence` (``line_types``) and have no rows in :attr:`Review.checks`; the families
themselves are in ``evidence["families"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.errors import SchemaError, TownPlanError
from townplan_gis.core.repairs import repairs_frame
from townplan_gis.core.schema import absent_types, normalize_layer, value_key
from townplan_gis.core.schema.spec import LINE_FAMILIES
from townplan_gis.core.town import Town
from townplan_gis.fiveline.engine import review as review_lines
from townplan_gis.fiveline.engine import town_inputs
from townplan_gis.fiveline.result import Review

__all__ = ["FAMILY_NAMES", "outside_boundary", "resolve_families", "review"]

log = logging.getLogger(__name__)

#: The names a caller may give a family (``families=("five", "三区三线")``).
FAMILY_NAMES: dict[str, tuple[str, ...]] = {
    "five": ("five", "五线", "fiveline", "five_lines", "five-lines"),
    "three": ("three", "三区三线", "三线", "三条控制线", "sanqu", "three_lines", "three-lines"),
}

#: The name of the complement feature that stands for the development boundary in a review.
OUTSIDE_NAME = "城镇开发边界以外"


def resolve_families(families: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """Canonical family names (``"five"``, ``"three"``) in their order, or None for the default.

    ``"five,three"`` (the command line's spelling) and Chinese names (五线, 三区三线) are accepted.

    Raises
    ------
    TownPlanError
        An unknown family name, or an empty selection.
    """
    if families is None:
        return None
    items = families.split(",") if isinstance(families, str) else list(families)
    lookup = {value_key(n): fam for fam, names in FAMILY_NAMES.items() for n in names}
    out, unknown = set(), []
    for item in items:
        fam = lookup.get(value_key(item)) if isinstance(item, str) else None
        if fam is None:
            unknown.append(item)
        else:
            out.add(fam)
    if unknown or not out:
        raise TownPlanError(
            f"families: unknown or no family {unknown or list(items)}. Accepted: 'five' (五线: "
            f"{', '.join(LINE_FAMILIES['five'])}) and 'three' (三区三线: "
            f"{', '.join(LINE_FAMILIES['three'])}), e.g. families=('five', 'three')."
        )
    return tuple(f for f in LINE_FAMILIES if f in out)


def _polygons(obj: Any, crs: Any, what: str) -> shapely.Geometry:
    """The union of the polygons of a geometry or layer, in ``crs`` (a bare geometry is taken to be
    in it already)."""
    if isinstance(obj, shapely.Geometry):
        geoms = np.array([obj], dtype=object)
    elif isinstance(obj, gpd.GeoDataFrame | gpd.GeoSeries):
        series = obj if isinstance(obj, gpd.GeoSeries) else obj.geometry
        if series.crs is not None and crs is not None and not series.crs.equals(crs):
            series = series.to_crs(crs)
        geoms = np.asarray(series.array, dtype=object)
    else:
        raise SchemaError(
            f"{what} must be a polygon, a GeoSeries or a GeoDataFrame of polygons, got "
            f"{type(obj).__name__}."
        )
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    geoms = shapely.make_valid(geoms)
    parts = shapely.get_parts(geoms)
    polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    if not len(polys):
        raise SchemaError(f"{what} has no polygon (a line or point cannot bound an area).")
    return shapely.union_all(polys)


def _hull(lines: gpd.GeoDataFrame) -> shapely.Geometry:
    """The convex hull of the control lines (the engine's default coverage, computed the same way)."""
    geoms = np.asarray(lines.geometry.array, dtype=object)
    return shapely.convex_hull(
        shapely.multipoints(shapely.get_coordinates(shapely.convex_hull(geoms)))
    )


def outside_boundary(
    boundaries: gpd.GeoDataFrame, extent: shapely.Geometry, *, source: str = ""
) -> gpd.GeoDataFrame:
    """The area outside the urban development boundary within an extent, as one control line.

    .. math:: O = E \\setminus \\bigcup_i B_i

    Parameters
    ----------
    boundaries : geopandas.GeoDataFrame
        The development-boundary polygons (canonical ``control_lines`` columns). Not modified.
    extent : shapely geometry
        The extent of the 三区三线 data, in the boundaries' CRS.
    source : str
        Where the extent came from, recorded in the feature's ``source``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row, ``line_type = "dev_boundary"``, ``name`` = the boundaries' names + 以外
        (城镇开发边界以外 when they have none),
        ``code = "dev_boundary:outside"``, geometry O (empty when the boundary covers the extent).
        Source: ``docs/sources.md#three-lines-2019``.
    """
    geoms = shapely.make_valid(np.asarray(boundaries.geometry.array, dtype=object))
    inside = shapely.union_all(geoms) if len(geoms) else shapely.Polygon()
    outside = shapely.difference(extent, inside)
    parts = shapely.get_parts(outside)
    polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    outside = shapely.union_all(polys) if len(polys) else shapely.Polygon()
    names = [str(n) for n in boundaries.get("name", pd.Series(dtype=object)).dropna().unique()]
    of = f"{'、'.join(names)} " if names else ""
    return gpd.GeoDataFrame(
        {
            "line_type": ["dev_boundary"],
            "name": [f"{'、'.join(names)}以外" if names else OUTSIDE_NAME],
            "code": ["dev_boundary:outside"],
            "source": [
                f"complement of the urban development boundary {of}({len(boundaries)} feature(s)) "
                f"within {source or 'the extent of the 三区三线 data'}"
            ],
        },
        geometry=[outside],
        crs=boundaries.crs,
    )


@dataclass
class Plan:
    """What the engine is given for a family selection, and what the evidence says about it."""

    lines: gpd.GeoDataFrame
    coverage: Any
    absent: list[str]
    selected: tuple[str, ...]
    chosen: str
    not_selected: list[str] = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)
    repairs: list = field(default_factory=list)
    sanqu: dict[str, Any] = field(default_factory=dict)


def plan_families(
    lines: gpd.GeoDataFrame,
    *,
    coverage: Any = None,
    absent: Sequence[str] | None = None,
    families: str | Iterable[str] | None = None,
    sanqu_extent: Any = None,
) -> Plan:
    """The lines, coverage and absent types that make the engine check the selected families.

    Default selection: every family with a line type in the data or declared absent (the five lines
    when there is neither). Rows of unselected families are left out (counted in the evidence);
    their types go to the engine as absent and are relabelled ``not_selected`` afterwards.
    """
    declared = absent_types(absent)
    norm, rep = normalize_layer(lines, "control_lines", allow_empty=True)
    types = norm["line_type"].to_numpy(dtype=object)
    present = {t for t in types if isinstance(t, str)} | set(declared)
    chosen_fams = resolve_families(families)
    if chosen_fams is None:
        selected = tuple(f for f, ts in LINE_FAMILIES.items() if present & set(ts)) or ("five",)
        chosen = "default: the families with lines in the data or declared absent"
    else:
        selected = chosen_fams
        chosen = f"families={list(chosen_fams)}"
    wanted = {t for f in selected for t in LINE_FAMILIES[f]}
    not_selected = [t for f, ts in LINE_FAMILIES.items() if f not in selected for t in ts]
    dropped = ~pd.Series(types, index=norm.index).isin(wanted) & pd.notna(types)
    dev = (types == "dev_boundary") & ~dropped.to_numpy()
    plan = Plan(
        lines=lines,
        coverage=coverage,
        absent=declared + [t for t in not_selected if t not in declared],
        selected=selected,
        chosen=chosen,
        not_selected=not_selected,
    )
    if dropped.any():
        plan.sanqu["left_out"] = {
            t: int((types == t).sum()) for t in not_selected if (types == t).any()
        }
    three = "three" in selected
    extent, extent_source = None, ""
    if three and sanqu_extent is not None:
        extent = _polygons(sanqu_extent, lines.crs, "sanqu_extent")
        extent_source = str(
            getattr(sanqu_extent, "attrs", {}).get("source", "the given sanqu_extent")
        )
        base = _polygons(coverage, lines.crs, "coverage") if coverage is not None else _hull(norm)
        cover = shapely.intersection(base, extent)
        frame = gpd.GeoDataFrame(geometry=[cover], crs=lines.crs)
        was = (
            str(getattr(coverage, "attrs", {}).get("source", "the given coverage"))
            if coverage is not None
            else "the convex hull of the control lines"
        )
        frame.attrs["source"] = f"{was} ∩ the extent of the 三区三线 data ({extent_source})"
        plan.coverage = frame
    if three:
        plan.sanqu["extent"] = extent_source or (
            str(getattr(coverage, "attrs", {}).get("source", "the review's coverage"))
            if coverage is not None
            else "the convex hull of the control lines (no coverage given)"
        )
    if not dropped.any() and not dev.any():
        return plan  # the engine reads the caller's frame and records its repairs itself
    keep = norm[~dropped.to_numpy() & ~dev]
    parts = [keep]
    if dev.any():
        if extent is None:
            extent = _polygons(coverage, lines.crs, "coverage") if coverage is not None else None
            extent = _hull(norm) if extent is None else extent
        outside = outside_boundary(norm[dev], extent, source=plan.sanqu["extent"])
        plan.sanqu["dev_boundary"] = {
            "features": int(dev.sum()),
            "checked_as": f"{OUTSIDE_NAME}: the extent minus the boundary polygons",
        }
        if outside.geometry.iloc[0].is_empty:
            # The boundary covers the whole extent: no project can lie outside it. The engine is
            # told the type is absent, and the evidence says it was checked and why.
            plan.absent.append("dev_boundary")
            plan.overrides["dev_boundary"] = "checked"
            plan.sanqu["dev_boundary"]["outside"] = "none: the boundary covers the whole extent"
        else:
            parts.append(outside)
    plan.lines = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=lines.crs)
    plan.repairs = rep
    return plan


def annotate(result: Review, plan: Plan) -> Review:
    """Record the family selection in the Review (evidence, settings, checks); returns it."""
    relabel = {t: "not_selected" for t in plan.not_selected} | plan.overrides
    ev_types = result.evidence.get("line_types", {})
    for t, status in relabel.items():
        if t in ev_types:
            ev_types[t]["status"] = status
    result.evidence["families"] = {
        "selected": list(plan.selected),
        "not_selected": [f for f in LINE_FAMILIES if f not in plan.selected],
        "chosen": plan.chosen,
        "line_types": {f: list(LINE_FAMILIES[f]) for f in LINE_FAMILIES},
    }
    if plan.sanqu:
        result.evidence["sanqu"] = dict(plan.sanqu)
    record = result.settings.get("line_types", {})
    if record:
        record["declared_absent"] = [
            t for t in record.get("declared_absent", []) if t not in relabel
        ]
        record["present"] = list(record.get("present", [])) + [
            t for t, s in plan.overrides.items() if s == "checked"
        ]
        record["not_selected"] = list(plan.not_selected)
    result.settings["families"] = list(plan.selected)
    # The evidence table is assembled on its first read (Review.checks): relabelled after that.
    result.defer_checks(lambda frame: _relabel(frame, plan.overrides, plan.not_selected))
    if plan.repairs:
        result.repairs = pd.concat([repairs_frame(plan.repairs), result.repairs], ignore_index=True)
    return result


def _relabel(
    checks: pd.DataFrame | None, relabel: dict[str, str], drop: Sequence[str]
) -> pd.DataFrame | None:
    """The evidence table without the rows of unselected line types, and with the status of the
    relabelled ones replaced."""
    if checks is None or "status" not in checks or not len(checks):
        return checks
    kind = checks.index.get_level_values(-1)
    out = checks[~np.isin(np.asarray(kind, dtype=object), list(drop))].copy()
    if relabel:
        kind = out.index.get_level_values(-1)
        status = out["status"]
        if isinstance(status.dtype, pd.CategoricalDtype):
            new = sorted({s for s in relabel.values() if s not in status.cat.categories})
            status = status.cat.add_categories(new)
        for t, s in relabel.items():
            status = status.where(~((kind == t) & (status != "project_invalid")), s)
        out["status"] = status
    return out


def review(
    projects: gpd.GeoDataFrame | Town,
    control_lines: gpd.GeoDataFrame | None = None,
    *,
    families: str | Iterable[str] | None = None,
    sanqu_extent: Any = None,
    coverage: Any = None,
    absent: Sequence[str] | None = None,
    derive: bool | Sequence[str] = False,
    crs: Any = None,
    rules: Any = None,
    **options: Any,
) -> Review:
    """Check every project against the selected line families — the five lines (五线) and the
    three control lines (三区三线) — in one review.

    Everything but the two keywords below is :func:`townplan_gis.fiveline.engine.review`'s (its
    docstring describes the grading, the coverage and what a pass means).

    Parameters
    ----------
    projects, control_lines
        As :func:`townplan_gis.fiveline.engine.review`; a :class:`~townplan_gis.Town` is reviewed
        whole (:func:`~townplan_gis.fiveline.engine.town_inputs`).
    families : str or sequence of str, optional
        ``"five"`` (五线: red, green, purple, blue, yellow) and/or ``"three"`` (三区三线:
        eco_redline, farmland, dev_boundary); ``"five,three"`` accepted. Default: every family with
        a line type in the data or declared absent (the five lines when there is neither), stated
        in ``Review.evidence["families"]``. A selected family without data leaves every project
        ``not_checked`` (its types are ``not_in_data``), as for the five lines.
    sanqu_extent : polygon, GeoSeries or GeoDataFrame, optional
        The area the 三区三线 data covers, when it is less than the review's coverage: a project
        outside it is ``not_checked``, and the development boundary is checked within it. Default:
        the review's coverage (the town boundary for a Town).

    Returns
    -------
    Review
        With ``evidence["families"]`` (selected, not selected, how chosen) and, when the three
        lines are checked, ``evidence["sanqu"]`` (their extent, how the development boundary was
        checked, rows of unselected families left out).

    Raises
    ------
    TownPlanError
        An unknown family; everything :func:`townplan_gis.fiveline.engine.review` raises.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> def at(x0, y0, x1, y1):  # metres near Puzhou in EPSG:4546
    ...     return shapely.box(437_000 + x0, 3_855_000 + y0, 437_000 + x1, 3_855_000 + y1)
    >>> lines = gpd.GeoDataFrame({"line_type": ["城镇开发边界"]}, geometry=[at(0, 0, 100, 100)],
    ...                          crs="EPSG:4546")
    >>> sites = gpd.GeoDataFrame({"project_type": ["住宅"]}, geometry=[at(80, 0, 120, 10)],
    ...                          crs="EPSG:4546")
    >>> r = review(sites, lines, coverage=at(-500, -500, 500, 500),
    ...            absent=["eco_redline", "farmland"])
    >>> r.projects["verdict"].tolist(), float(r.conflicts["overlap_area_m2"].iloc[0])
    (['review'], 200.0)
    >>> r.evidence["families"]["selected"]
    ['three']
    """
    if isinstance(projects, Town):
        if control_lines is not None:
            raise TownPlanError(
                "review(town) takes the town's own projects and control lines; to review other "
                "lines, pass review(projects, control_lines, coverage=town.boundary)."
            )
        projects, control_lines, coverage, absent, crs = town_inputs(
            projects, derive=derive, coverage=coverage, absent=absent, crs=crs, rules=rules
        )
        derive = False
    if control_lines is None:
        raise TownPlanError("review(projects, control_lines): the control lines are missing.")
    plan = plan_families(
        control_lines,
        coverage=coverage,
        absent=absent,
        families=families,
        sanqu_extent=sanqu_extent,
    )
    result = review_lines(
        projects,
        plan.lines,
        coverage=plan.coverage,
        absent=plan.absent,
        derive=derive,
        crs=crs,
        rules=rules,
        **options,
    )
    return annotate(result, plan)
