"""Site search (选址): candidate sites of a given size for a project type, clear of every constraint.

The free land is the search area (the built-up area, the town boundary or the development boundary)
minus every control line graded ``forbidden`` or ``review`` for the project type and the setback bands
of red and blue lines (the review's rules), minus the land already occupied (roads, residential
quarters, green land, water, heritage, facilities, planned projects). Candidate rectangles on a grid
are kept where they lie wholly in the free land, ranked by a stated score, chosen without overlap, and
each is reviewed with ``tp.review`` to show it passes. Sources: docs/sources.md#site-search.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.analyses._geom import EMPTY, polygonal, to_mu
from townplan_gis.analyses._lines import (
    check_project_type,
    grade_lines,
    line_class,
    prepare_lines,
    rules_for,
    setback_distances,
)
from townplan_gis.analyses._site_grid import candidates, choose, describe_rank
from townplan_gis.core.errors import MissingLayerError, TownPlanError
from townplan_gis.core.town import Town
from townplan_gis.fiveline import Review, review
from townplan_gis.fiveline.sanqu import outside_boundary

__all__ = ["OCCUPIED_LAYERS", "SiteSearch", "find_sites"]

#: Layers whose land is taken already (excluded from the free land by default).
OCCUPIED_LAYERS = ("roads", "residential", "green", "water", "heritage", "facilities", "projects")
_LABEL_ZH = {
    "roads": "道路",
    "residential": "居住小区",
    "green": "绿地",
    "water": "水域",
    "heritage": "文物古迹",
    "facilities": "公共设施",
    "projects": "已列建设项目",
}
_POINT_CLEARANCE_M = 10.0
_WEIGHTS = {"road": 0.5, "near": 0.3, "compact": 0.2}


@dataclass
class SiteSearch:
    """The outcome of :func:`find_sites`.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        One row per site, best first: ``rank, site_id, area_m2, area_mu, width_m, length_m,
        angle_deg, score, score_road, score_near, score_compact, road_distance_m, road_name,
        near_distance_m, near_name, free_part_m2, verdict, passes_review, review_reason, reason,
        reason_zh``; geometry = the site rectangle.
    constraints : pandas.DataFrame
        The 选址 summary: every constraint checked (``constraint, kind, grade, features,
        setback_m, sites_touching, min_distance_m, status``), ``status`` ``clear`` when no site
        shares land with it.
    review : Review
        ``tp.review`` of the sites as projects of the project type in the town.
    settings : dict
        Area, width, project type, search area, weights, the candidates tried, scored and
        reviewed, and ``refused_by_review`` (verdict and reason of every candidate the review
        refused, left out of ``sites``; expected empty, since the free land excludes what the
        review grades forbidden or review).
    """

    sites: gpd.GeoDataFrame
    constraints: pd.DataFrame
    review: Review | None
    settings: dict[str, Any] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """The sites as a tidy table without geometry (for a report or a workbook sheet)."""
        return pd.DataFrame(self.sites.drop(columns="geometry"))

    def __repr__(self) -> str:
        s = self.settings
        return (
            f"<SiteSearch: {len(self.sites)} site(s) of {s.get('area_m2', 0):,.0f} m² for "
            f"{s.get('project_type')} in {s.get('within')}; {len(self.constraints)} constraints "
            f"checked>"
        )

    def _repr_html_(self) -> str:
        cols = ["rank", "site_id", "area_m2", "score", "verdict", "reason_zh"]
        return f"<p>{self!r}</p>" + self.table()[cols].to_html(index=False)


def _search_area(town: Town, within: Any, lines: gpd.GeoDataFrame) -> tuple[Any, str]:
    if isinstance(within, str):
        if within == "dev_boundary":
            dev = lines[lines["line_type"] == "dev_boundary"]
            if len(dev) == 0:
                raise MissingLayerError(
                    f"town '{town.name}' has no development boundary (城镇开发边界) among its control "
                    f"lines. Fix: use within='builtup', or add the boundary as line_type "
                    f"'dev_boundary'."
                )
            return shapely.union_all(np.asarray(dev.geometry.array, dtype=object)), "城镇开发边界"
        if within in ("builtup", "boundary"):
            area = town.dissolved(within)
            if area is None or area.is_empty:
                raise MissingLayerError(
                    f"town '{town.name}' has no '{within}' layer to search in. Fix: add it, or pass "
                    f"within= a polygon."
                )
            return area, {"builtup": "建成区", "boundary": "镇域"}[within]
        raise TownPlanError(
            f"within must be 'builtup', 'boundary', 'dev_boundary' or a polygon, got {within!r}."
        )
    if isinstance(within, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = within.to_crs(town.crs) if within.crs is not None else within.set_crs(town.crs)
        return shapely.union_all(np.asarray(geoms.geometry.array, dtype=object)), "given area"
    if isinstance(within, shapely.Geometry):
        return within, "given area"
    raise TownPlanError(f"within must be a layer name or a polygon, got {type(within).__name__}.")


def _occupied(town: Town, layers: tuple[str, ...], rules) -> list[tuple[str, np.ndarray]]:
    """Land taken already, per layer: roads as their red-line surface, points with a clearance."""
    out = []
    for kind in layers:
        if not town.has(kind):
            continue
        gdf = town.layers[kind]
        geoms = np.asarray(gdf.geometry.array, dtype=object)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        geoms = geoms[ok]
        if kind == "roads":
            widths = rules.derive.get("red_width_m", {})
            w = pd.to_numeric(gdf["redline_width_m"], errors="coerce").to_numpy(dtype=float)[ok]
            by_class = gdf["road_class"].astype(object).map(widths).astype(float).to_numpy()[ok]
            w = np.where(np.isfinite(w), w, by_class)
            w = np.where(np.isfinite(w) & (w > 0), w, widths.get("lane", 3.5))
            geoms = shapely.buffer(geoms, w / 2, cap_style="flat")
        else:
            dims = shapely.get_dimensions(geoms)
            geoms = np.where(dims < 2, shapely.buffer(geoms, _POINT_CLEARANCE_M), geoms)
        out.append((kind, geoms))
    return out


def _targets(town: Town, near: Any) -> tuple[np.ndarray, np.ndarray, str]:
    """Geometries and names the ``near`` criterion measures to (facility types, a layer, a shape)."""
    if near is None:
        return np.empty(0, dtype=object), np.empty(0, dtype=object), ""
    if isinstance(near, str | list | tuple):
        types = [near] if isinstance(near, str) else list(near)
        if not town.has("facilities"):
            raise MissingLayerError(f"near={near!r} needs the town's facilities layer.")
        f = town.facilities
        unknown = sorted(set(types) - set(f["facility_type"].dropna()))
        if unknown:
            raise TownPlanError(
                f"near: the town has no facilities of type {unknown}; it has "
                f"{sorted(set(f['facility_type'].dropna()))}."
            )
        sel = f[f["facility_type"].isin(types)]
        return (
            np.asarray(sel.geometry.array, dtype=object),
            sel["name"].astype(object).fillna(sel["facility_type"]).to_numpy(dtype=object),
            "/".join(types),
        )
    if isinstance(near, gpd.GeoDataFrame | gpd.GeoSeries):
        g = near.to_crs(town.crs) if near.crs is not None else near.set_crs(town.crs)
        names = (
            g["name"] if isinstance(g, gpd.GeoDataFrame) and "name" in g else g.index.astype(str)
        )
        return np.asarray(g.geometry.array, dtype=object), np.asarray(names, dtype=object), "given"
    if isinstance(near, shapely.Geometry):
        return np.array([near], dtype=object), np.array(["given"], dtype=object), "given"
    raise TownPlanError(
        f"near must be facility type(s) such as 'school', a layer or a geometry, got {near!r}."
    )


class _Constraint(NamedTuple):
    """One constraint of the search: its name, kind, grade, geometries, setback, and whether
    sites must keep off it (a notice-graded line does not block)."""

    name: str
    kind: str
    grade: str
    geoms: np.ndarray
    setback_m: float
    blocks: bool


def _constraints(town: Town, lines, rules, project_type: str, occupied: tuple[str, ...]):
    """Every constraint the search checks: each line class with its grade for the project type,
    the setback zones of red and blue lines (for types subject to setbacks), the occupied land."""
    out = []
    geoms = np.asarray(lines.geometry.array, dtype=object)
    dev = lines["line_type"].to_numpy() == "dev_boundary"
    if dev.any():
        # A development boundary constrains the land outside it, as the review checks it
        # (townplan_gis/fiveline/sanqu.py): its class stands for that complement here.
        extent = (
            shapely.union_all(np.asarray(town.boundary.geometry.array, dtype=object))
            if town.has("boundary")
            else shapely.convex_hull(shapely.union_all(geoms))
        )
        geoms = geoms.copy()
        geoms[dev] = outside_boundary(lines[dev], extent).geometry.iloc[0]
    cls = line_class(lines, rules)
    grade = grade_lines(lines, rules, project_type)
    for c in sorted(set(cls.tolist())):
        sel = cls == c
        blocks = bool(np.isin(grade[sel], ["forbidden", "review"]).any())
        out.append(
            _Constraint(
                c, "control line", "/".join(sorted(set(grade[sel]))), geoms[sel], np.nan, blocks
            )
        )
    if project_type in rules.setbacks["project_types"]:
        d = setback_distances(lines, rules, strict=False)
        for t in ("red", "blue"):
            sel = (lines["line_type"].to_numpy() == t) & np.isfinite(d)
            if sel.any():
                zone = shapely.buffer(geoms[sel], d[sel])
                grade_t = str(rules.setbacks[t]["grade"])
                out.append(
                    _Constraint(
                        f"setback {t}", "setback", grade_t, zone, float(np.nanmax(d[sel])), True
                    )
                )
    for kind, g in _occupied(town, occupied, rules):
        out.append(_Constraint(kind, "occupied land", "occupied", g, np.nan, True))
    return out


def _number(value: Any, name: str, *, positive: bool = True) -> float:
    bad = isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value)
    if bad or value < 0 or (positive and value == 0):
        need = "> 0" if positive else "≥ 0"
        raise TownPlanError(f"{name} must be a number {need}, got {value!r}.")
    return float(value)


def find_sites(
    town: Town,
    *,
    area_m2: float,
    min_width_m: float | None = None,
    project_type: str = "building",
    within: Any = "builtup",
    near: Any = None,
    n: int = 10,
    road_classes: tuple[str, ...] | list[str] = ("arterial", "secondary"),
    reach_m: float = 500.0,
    weights: dict[str, float] | None = None,
    occupied: tuple[str, ...] | list[str] = OCCUPIED_LAYERS,
    rules: Any = None,
    step_m: float | None = None,
) -> SiteSearch:
    """Candidate sites of a given size for a project type, clear of every constraint, ranked.

    The free land F is the search area minus (1) every control line the review's rules grade
    ``forbidden`` or ``review`` for ``project_type``, (2) the setback bands of red and blue lines
    for project types subject to setbacks (8 m main roads, 5 m others, 10 m blue lines; the review's
    distances), (3) the ``occupied`` layers (roads as their red-line surface, points with a 10 m
    clearance). Candidates are rectangles of ``area_m2`` — a square of side √A, and 2:1 and 3:2
    rectangles whose short side is at least ``min_width_m`` — at angles 0°, 45°, 90°, 135° on a
    grid of step ``step_m`` (default a quarter of the square's side), kept where wholly inside F.
    Each is scored

    .. math:: s = \\frac{w_r s_r + w_n s_n + w_c s_c}{w_r + w_n + w_c},\\quad
              s_r = \\max(0, 1 - d_{road}/R),\\ s_n = \\max(0, 1 - d_{near}/R),\\ s_c = 16A/P^2

    (d_road: distance to the nearest road of ``road_classes``; d_near: to the nearest ``near``
    target, the term dropped without ``near``; s_c = 1 for a square; R = ``reach_m``; default
    weights 0.5, 0.3, 0.2), chosen best first without overlapping a better one, and reviewed with
    ``tp.review``. Design choices [I]: docs/sources.md#site-search.

    Parameters
    ----------
    town : Town
        With control lines and the search area's layer.
    area_m2 : float
        Site area, m² (30 亩 = 20,000 m²).
    min_width_m : float, optional
        Least width of the site, m; a square wider than √A is used when it is larger.
    project_type : str, default "building"
    within : {"builtup", "boundary", "dev_boundary"} or polygon, default "builtup"
        Where to search: the built-up area, the town boundary, the development boundary (control
        lines of type ``dev_boundary``) or a given polygon / layer (the town's CRS when it has none).
    near : str, list of str, GeoDataFrame or geometry, optional
        What a site should be near: facility types (``"school"``) or a layer or shape.
    n : int, default 10
    road_classes : sequence of str, default ("arterial", "secondary")
        Roads whose distance is scored.
    reach_m : float, default 500
        Distance at which the road and near terms score 0, m.
    weights : dict, optional
        ``{"road": 0.5, "near": 0.3, "compact": 0.2}``, any subset.
    occupied : sequence of str, default :data:`OCCUPIED_LAYERS`
        Layers whose land is taken already.
    rules : path or Rules, optional
        The review rules.
    step_m : float, optional
        Grid step of the candidates, m.

    Returns
    -------
    SiteSearch
        ``.sites`` (best first), ``.constraints`` (the 选址 summary, each ``clear``), ``.review``.

    Raises
    ------
    MissingLayerError
        No search area, no facilities for ``near``.
    TownPlanError
        A non-positive area, an unknown project type, weight or occupied layer.
    """
    if not isinstance(town, Town):
        raise TownPlanError(f"find_sites needs a Town, got {type(town).__name__}.")
    area = _number(area_m2, "area_m2")
    width = None if min_width_m is None else _number(min_width_m, "min_width_m")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise TownPlanError(f"n must be a whole number ≥ 1, got {n!r}.")
    reach = _number(reach_m, "reach_m")
    check_project_type(project_type)
    w = dict(_WEIGHTS)
    for key, value in (weights or {}).items():
        if key not in _WEIGHTS:
            raise TownPlanError(f"unknown weight {key!r}; accepted {list(_WEIGHTS)}.")
        w[key] = _number(value, f"weights[{key!r}]", positive=False)
    bad = sorted(set(occupied) - set(OCCUPIED_LAYERS))
    if bad:
        raise TownPlanError(f"occupied: unknown layer(s) {bad}; accepted {list(OCCUPIED_LAYERS)}.")
    r = rules_for(rules)
    lines, _ = prepare_lines(town)
    region, region_name = _search_area(town, within, lines)
    constraints = _constraints(town, lines, r, project_type, tuple(occupied))
    blocking = [c.geoms for c in constraints if c.blocks]
    blocked = shapely.union_all(np.concatenate(blocking)) if blocking else EMPTY
    free = polygonal(np.array([shapely.difference(region, blocked)], dtype=object))[0]
    # Candidates, scored and chosen.
    roads = town.layer("roads", empty_ok=True)
    rsel = roads[roads["road_class"].isin(list(road_classes))] if len(roads) else roads
    targets, target_names, near_label = _targets(town, near)
    cand = candidates(free, area, width, step_m)
    picked, scored = choose(
        cand,
        roads=(
            np.asarray(rsel.geometry.array, dtype=object),
            rsel["name"].astype(object).fillna(rsel["road_class"]).to_numpy(dtype=object)
            if len(rsel)
            else np.empty(0, dtype=object),
        ),
        near=(targets, target_names),
        weights=w if near is not None else {**w, "near": 0.0},
        reach=reach,
        n=2 * n,
    )
    sites = _review_sites(town, picked, project_type, r, n)
    return _assemble(
        sites,
        constraints,
        region_name,
        area,
        width,
        project_type,
        w,
        near_label,
        cand,
        scored,
        free,
    )


def _review_sites(town, picked, project_type, rules, n):
    """Review the picked candidates as projects; keep the first ``n`` that are not refused."""
    if len(picked) == 0:
        return picked, None, []
    frame = gpd.GeoDataFrame(
        {
            "project_id": [f"S{i + 1:02d}" for i in range(len(picked))],
            "name": [f"候选地块{i + 1}" for i in range(len(picked))],
            "project_type": project_type,
        },
        geometry=gpd.GeoSeries(picked.geometry.to_numpy(), crs=town.crs),
    )
    result = review(town.with_layer("projects", frame), rules=rules)
    verdict = result.projects["verdict"].to_numpy(dtype=object)
    picked = picked.assign(
        verdict=verdict,
        passes_review=verdict == "pass",
        review_reason=result.projects["reason"].to_numpy(dtype=object),
    )
    ok = ~np.isin(verdict, ["reject", "review", "invalid"])
    # A candidate the review refuses is left out, and said so (settings["refused_by_review"]).
    refused = picked.loc[~ok, ["verdict", "review_reason"]].to_dict("records")
    return picked[ok].head(n).reset_index(drop=True), result, refused


def _assemble(
    sites_review,
    constraints,
    region_name,
    area,
    width,
    project_type,
    w,
    near_label,
    cand,
    scored,
    free,
) -> SiteSearch:
    sites, result, refused = sites_review
    crs = None if result is None else result.conflicts.crs
    sites = describe_rank(sites, w, near_label)
    geoms = (
        np.asarray(sites.geometry.array, dtype=object) if len(sites) else np.empty(0, dtype=object)
    )
    rows = []
    for name, kind, grade, cgeoms, setback, excl in constraints:
        # Every constraint is measured against the sites found: clear means no land shared.
        cgeoms = cgeoms[~(shapely.is_missing(cgeoms) | shapely.is_empty(cgeoms))]
        touching, dmin = 0, np.nan
        if len(geoms) and len(cgeoms):
            tree = shapely.STRtree(cgeoms)
            left, right = tree.query(geoms, predicate="intersects")
            shared = shapely.area(shapely.intersection(geoms[left], cgeoms[right])) > 1e-6
            touching = len(set(left[shared].tolist()))
            _, dist = tree.query_nearest(geoms, return_distance=True, all_matches=False)
            dmin = float(np.min(dist))
        status = "not a constraint" if not excl else ("clear" if touching == 0 else "shared")
        rows.append((name, kind, grade, len(cgeoms), setback, touching, dmin, status))
    table = pd.DataFrame(
        rows,
        columns=[
            "constraint",
            "kind",
            "grade",
            "features",
            "setback_m",
            "sites_touching",
            "min_distance_m",
            "status",
        ],
    )
    settings = {
        "area_m2": area,
        "area_mu": float(to_mu(area)),
        "min_width_m": width,
        "project_type": project_type,
        "within": region_name,
        "free_land_m2": float(shapely.area(free)),
        "weights": dict(w),
        "near": near_label,
        "candidates": len(cand),
        "scored": int(scored),
        "reviewed": 0 if result is None else len(result.projects),
        "refused_by_review": refused,
    }
    out = gpd.GeoDataFrame(sites, geometry="geometry", crs=crs) if len(sites) else sites
    return SiteSearch(sites=out, constraints=table, review=result, settings=settings)
