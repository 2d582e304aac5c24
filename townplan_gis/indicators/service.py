"""Service coverage along the street network: park service radius coverage and life circles.

* :func:`park_service_coverage` — 公园绿地服务半径覆盖率 as the city check-up defines it: residential land
  within the service radius of a park (≥ 5,000 m² → 500 m, 2,000–5,000 m² → 300 m) ÷ residential land
  of the built-up area; also by households; the blind spots as a layer
  (docs/sources.md#city-checkup-2021);
* :func:`life_circles` — GB 50180-2018 5-, 10- and 15-minute walks to schools, kindergartens, clinics,
  markets, parks and sports grounds: shares of residential land and of households within each
  (docs/sources.md#gb-50180-2018).

Distances are walked along the roads (:mod:`.network`): residential land joins the network at the
nearest point of an edge; with no roads the straight-line distance is used and labelled so. The
settings (radii, categories, entrance distance, cell size) are in ``townplan_gis/data/service.toml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.errors import TownPlanError
from townplan_gis.indicators._common import Result, builtup_geometry, nan
from townplan_gis.indicators._walk import (
    NETWORK,
    STRAIGHT,
    cell_size,
    cells,
    check_metres,
    distances,
    geoms_of_layer,
    residential_land,
    service_settings,
    shares,
    town_network,
)
from townplan_gis.indicators.network import EPS_M, StreetNetwork

__all__ = [
    "NETWORK",
    "STRAIGHT",
    "ServiceCoverage",
    "life_circles",
    "park_service_coverage",
    "service_settings",
]


@dataclass
class ServiceCoverage:
    """The outcome of :func:`park_service_coverage`.

    Attributes
    ----------
    quarters : pandas.DataFrame
        Aligned to the residential layer's index: ``land_m2`` (in the built-up area),
        ``covered_m2``, ``covered_pct``, ``households``, ``households_covered``,
        ``distance_m`` (walk from the quarter's nearest cell to a park within its radius; inf
        when none).
    blind_spots : geopandas.GeoDataFrame
        Residential land outside every park's radius (服务盲区), one row per quarter with some.
    parks : geopandas.GeoDataFrame
        The G1 parks: ``area_m2``, ``radius_m`` (NaN: too small to count).
    cells : geopandas.GeoDataFrame
        The residential cells measured: ``quarter``, ``area_m2``, ``distance_m``, ``covered``.
    summary : dict
        ``coverage_pct``, ``households_pct``, ``residential_m2``, ``covered_m2``, ``method``,
        ``parks_by_radius``, ``note``.
    """

    quarters: pd.DataFrame
    blind_spots: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    summary: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<ServiceCoverage: {s.get('coverage_pct', math.nan):.1f} % of residential land, "
            f"{s.get('households_pct', math.nan):.1f} % of households; {s.get('method')}>"
        )


def park_service_coverage(
    town: Any,
    *,
    network: bool = True,
    entrance_m: float | None = None,
    cell_m: float | None = -1.0,
    clip: Any = None,
    _net: StreetNetwork | None = None,
) -> ServiceCoverage:
    """Park service radius coverage (公园绿地服务半径覆盖率), walked along the streets.

    .. math:: C = 100 \\cdot \\frac{\\left|R \\cap \\{p : \\min_k (D(p, k) - r_k) \\le 0\\}\\right|}{|R|}

    with R the residential land of the built-up area, k the G1 parks, r_k = 500 m for a park of
    at least 5,000 m², 300 m for 2,000–5,000 m² (smaller parks do not count), and D(p, k) the walk
    from p to park k: a straight connector to the nearest point of a road edge, then along the
    roads to a stretch of road within ``entrance_m`` of the park. R is measured in grid cells of
    ``cell_m`` (each cell in or out by its representative point; the coverage boundary is placed to
    about half a cell), or by whole quarters with ``cell_m=None``. Households: each quarter's
    households × its covered share of land (households spread evenly over the quarter). Without
    roads (or ``network=False``) D is the straight-line distance to the park and the method says
    so. Sources: docs/sources.md#city-checkup-2021, docs/sources.md#gb-t-51346-2019,
    docs/sources.md#network-access; settings in ``townplan_gis/data/service.toml``.

    Parameters
    ----------
    town : Town
        With ``residential`` (quarters with ``households``), ``green`` (``green_class`` G1 parks),
        ``roads`` and ``builtup`` layers.
    network : bool, default True
        Walk along the roads; False for straight-line distances.
    entrance_m : float, optional
        A park is entered from roads within this distance of it (default 20 m).
    cell_m : float or None, optional
        Cell size in metres (default 20 m); None for whole quarters.
    clip : shapely geometry, optional
        The built-up area (default the town's ``builtup`` layer, dissolved).

    Returns
    -------
    ServiceCoverage
        ``.summary["coverage_pct"]`` (%), ``.summary["households_pct"]``, ``.quarters``,
        ``.blind_spots``, ``.parks``, ``.cells``.
    """
    cfg = service_settings()["park"]
    entrance = check_metres(cfg["entrance_m"] if entrance_m is None else entrance_m, "entrance_m")
    cell = cell_size(cell_m, cfg["cell_m"])
    if clip is None:
        clip = builtup_geometry(town.layers.get("builtup"))
    res, land, scope = residential_land(town, clip)
    green = town.layers.get("green")
    crs = getattr(town, "crs", None)
    if green is not None and len(green):
        g1 = green[green["green_class"].isin(cfg["green_classes"]).to_numpy()]
    else:
        g1 = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs))
    pgeoms = geoms_of_layer(g1)
    parea = shapely.area(pgeoms) if len(pgeoms) else np.empty(0)
    radius = np.full(len(pgeoms), np.nan)
    for cls in sorted(cfg["radius"], key=lambda c: -c["min_area_m2"]):
        radius = np.where(np.isnan(radius) & (parea >= cls["min_area_m2"]), cls["radius_m"], radius)
    parks = gpd.GeoDataFrame(
        {
            "name": g1["name"].to_numpy() if "name" in g1 else None,
            "area_m2": parea,
            "radius_m": radius,
        },
        index=g1.index,
        geometry=gpd.GeoSeries(pgeoms, index=g1.index, crs=crs),
    )
    counted = np.isfinite(radius)
    net = _net if _net is not None else town_network(town, network)
    if res is None:
        empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=crs))
        return ServiceCoverage(
            pd.DataFrame(),
            empty,
            parks,
            empty,
            {
                "coverage_pct": math.nan,
                "households_pct": math.nan,
                "note": "no residential layer",
                "method": NETWORK if net is not None else STRAIGHT,
            },
        )
    pieces, owner = cells(land, cell)
    points = shapely.point_on_surface(pieces)
    # One search per radius: a cell is covered when a park of some class is within its radius;
    # its distance is the shortest walk to such a park.
    d = np.full(len(points), np.inf)
    method = NETWORK if net is not None else STRAIGHT
    for r in sorted(set(radius[counted].tolist())):
        of = counted & (radius == r)
        dr, method = distances(
            net, points, pgeoms[of], np.zeros(int(of.sum())), entrance_m=entrance, limit=r
        )
        d = np.minimum(d, dr)
    covered = np.isfinite(d)
    cell_area = shapely.area(pieces)
    s = shares(res, land, owner, cell_area, covered)
    n = len(res)
    dist_q = (
        pd.Series(d).groupby(owner).min().reindex(range(n)).to_numpy()
        if len(owner)
        else np.full(n, np.inf)
    )
    quarters = pd.DataFrame(
        {
            "land_m2": s["land_m2"],
            "covered_m2": s["covered_m2"],
            "covered_pct": 100 * s["share"],
            "households": s["households"],
            "households_covered": s["households_covered"],
            "distance_m": np.where(np.isnan(dist_q), np.inf, dist_q),
        },
        index=res.index,
    )
    cell_frame = gpd.GeoDataFrame(
        {
            "quarter": res.index.to_numpy()[owner],
            "area_m2": cell_area,
            "distance_m": d,
            "covered": covered,
        },
        geometry=gpd.GeoSeries(pieces, crs=crs),
    )
    blind = cell_frame[~cell_frame["covered"]]
    if len(blind):
        blind = (
            blind[["quarter", "area_m2", "geometry"]]
            .dissolve(by="quarter", aggfunc="sum")
            .reset_index()
        )
        blind["name"] = res["name"].reindex(blind["quarter"]).to_numpy() if "name" in res else None
    else:
        blind = gpd.GeoDataFrame(
            {"quarter": [], "area_m2": [], "name": []}, geometry=gpd.GeoSeries([], crs=crs)
        )
    notes = [scope] if scope else []
    if not counted.any():
        notes.append("no G1 park of 2,000 m² or more: nothing is covered")
    if net is not None and net.n_components > 1:
        notes.append(f"the road network has {net.n_components} unconnected parts")
    if s["n_unknown_households"]:
        notes.append(
            f"{s['n_unknown_households']} quarter(s) without households left out of the household share"
        )
    if cell is not None:
        notes.append(f"residential land in {cell:g} m cells")
    summary = {
        "coverage_pct": s["coverage_pct"],
        "households_pct": s["households_pct"],
        "population_pct": s["population_pct"],
        "residential_m2": s["residential_m2"],
        "covered_m2": float(s["covered_m2"].sum()),
        "method": method,
        "parks_by_radius": {
            f"{r:g} m": int((radius == r).sum())
            for r in sorted(set(radius[counted].tolist()), reverse=True)
        },
        "entrance_m": entrance,
        "cell_m": cell,
        "note": "; ".join(notes),
    }
    return ServiceCoverage(quarters, blind, parks, cell_frame, summary)


def _category_sources(town: Any, spec: dict[str, Any]) -> np.ndarray:
    """Geometries of one life-circle category: facilities by type (and name), or G1 parks."""
    if "green_classes" in spec:
        green = town.layers.get("green")
        if green is None or len(green) == 0:
            return np.empty(0, dtype=object)
        g = green[green["green_class"].isin(spec["green_classes"]).to_numpy()]
        geoms = geoms_of_layer(g)
        return (
            geoms[shapely.area(geoms) >= float(spec.get("min_area_m2", 0.0))]
            if len(geoms)
            else geoms
        )
    fac = town.layers.get("facilities")
    if fac is None or len(fac) == 0:
        return np.empty(0, dtype=object)
    sel = fac["facility_type"].isin(spec["facility_types"]).to_numpy()
    words = spec.get("name_contains")
    if words:
        names = (
            fac["name"].astype(str).fillna("") if "name" in fac else pd.Series("", index=fac.index)
        )
        sel = sel & names.str.contains("|".join(map(str, words)), regex=True).to_numpy()
    geoms = geoms_of_layer(fac[sel])
    return geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]


LIFE_CIRCLE_COLUMNS = [
    "category",
    "label_zh",
    "label_en",
    "circle",
    "radius_m",
    "facilities",
    "residential_m2",
    "covered_m2",
    "covered_pct",
    "households_pct",
    "method",
    "note",
]


def life_circles(
    town: Any,
    *,
    network: bool = True,
    entrance_m: float | None = None,
    cell_m: float | None = -1.0,
    clip: Any = None,
    _net: StreetNetwork | None = None,
) -> pd.DataFrame:
    """Shares of residential land and households within each life circle (生活圈) of GB 50180-2018.

    .. math:: C_k = 100 \\cdot \\frac{|R \\cap \\{p : D(p, F_k) \\le r_k\\}|}{|R|}

    for each category k of ``[life_circles.categories]`` in ``townplan_gis/data/service.toml``
    (kindergarten 5 min ≈ 300 m; primary school, market, park ≥ 1 ha, sports ground 10 min ≈ 500 m;
    middle school and clinic 15 min ≈ 1,000 m), F_k its facilities, D the walk along the roads as in
    :func:`park_service_coverage` (straight line without roads, labelled). Schools are told apart by
    their names (幼儿园, 小学, 中学). Source: docs/sources.md#gb-50180-2018.

    Returns
    -------
    pandas.DataFrame
        One row per category: :data:`LIFE_CIRCLE_COLUMNS`; a category with no facility is 0 %
        (nothing serves it) with a note saying so.
    """
    cfg = service_settings()
    circles = cfg["life_circles"]
    entrance = check_metres(
        cfg["park"]["entrance_m"] if entrance_m is None else entrance_m, "entrance_m"
    )
    cell = cell_size(cell_m, cfg["park"]["cell_m"])
    if clip is None:
        clip = builtup_geometry(town.layers.get("builtup"))
    res, land, scope = residential_land(town, clip)
    net = _net if _net is not None else town_network(town, network)
    rows = []
    if res is None:
        for key, spec in circles["categories"].items():
            rows.append(
                (
                    key,
                    spec["label_zh"],
                    spec["label_en"],
                    spec["circle"],
                    float(circles[spec["circle"]]),
                    0,
                    math.nan,
                    math.nan,
                    math.nan,
                    math.nan,
                    "",
                    "no residential layer",
                )
            )
        return pd.DataFrame(rows, columns=LIFE_CIRCLE_COLUMNS)
    pieces, owner = cells(land, cell)
    points = shapely.point_on_surface(pieces)
    cell_area = shapely.area(pieces)
    for key, spec in circles["categories"].items():
        radius = float(circles[spec["circle"]])
        sources = _category_sources(town, spec)
        d, method = distances(
            net, points, sources, np.zeros(len(sources)), entrance_m=entrance, limit=radius
        )
        s = shares(res, land, owner, cell_area, d <= radius + EPS_M)
        note = [scope] if scope else []
        if len(sources) == 0:
            note.append(f"no {spec['label_en'].lower()} in the town: nothing served")
        rows.append(
            (
                key,
                spec["label_zh"],
                spec["label_en"],
                spec["circle"],
                radius,
                len(sources),
                s["residential_m2"],
                float(s["covered_m2"].sum()),
                s["coverage_pct"],
                s["households_pct"],
                method,
                "; ".join(note),
            )
        )
    return pd.DataFrame(rows, columns=LIFE_CIRCLE_COLUMNS)


def service_results(
    town: Any, clip: Any, *, park: ServiceCoverage | None = None, circles: Any = None
) -> list[tuple[str, Result]]:
    """The registry's service indicators of a town (for :func:`~townplan_gis.indicators.town_indicators`).

    ``park`` and ``circles``: :func:`park_service_coverage` and :func:`life_circles` of this town
    with the same built-up area, when the caller holds them already (each is computed once per
    job); otherwise computed here.
    """
    cats = list(service_settings()["life_circles"]["categories"])
    keys = ["park_service_coverage_pct", "park_service_coverage_households_pct"]
    keys += [f"life_circle_{c}_pct" for c in cats] + [
        f"life_circle_{c}_households_pct" for c in cats
    ]
    if town.layers.get("residential") is None:
        return [(k, nan("no residential layer")) for k in keys]
    _check_given(town, clip, park, circles, cats)
    net = town_network(town, True) if park is None or circles is None else None
    if park is None:
        park = park_service_coverage(town, clip=clip, _net=net)
    s = park.summary
    note = "; ".join(x for x in (_short(s["method"]), s["note"]) if x)
    out = [
        ("park_service_coverage_pct", _result(s["coverage_pct"], note)),
        ("park_service_coverage_households_pct", _result(s["households_pct"], note)),
    ]
    if circles is None:
        circles = life_circles(town, clip=clip, _net=net)
    lc = circles.set_index("category")
    for c in cats:
        row = lc.loc[c]
        n2 = "; ".join(x for x in (_short(str(row["method"])), row["note"]) if x)
        out.append((f"life_circle_{c}_pct", _result(row["covered_pct"], n2)))
    for c in cats:
        row = lc.loc[c]
        n2 = "; ".join(x for x in (_short(str(row["method"])), row["note"]) if x)
        out.append((f"life_circle_{c}_households_pct", _result(row["households_pct"], n2)))
    return out


def _check_given(town: Any, clip: Any, park: Any, circles: Any, cats: list[str]) -> None:
    """Refuse a coverage or life-circle table that is not this town's: its residential land
    (m², inside the built-up area) must be this town's, and the table must hold every category."""
    if park is None and circles is None:
        return
    _, land, _ = residential_land(town, clip)
    land_m2 = float(shapely.area(land).sum()) if len(land) else 0.0
    fix = "Fix: pass park_service_coverage(town) / life_circles(town) of this town, or leave them out."
    if park is not None:
        got = (
            getattr(park, "summary", {}).get("residential_m2")
            if isinstance(park, ServiceCoverage)
            else None
        )
        if got is None or not math.isclose(float(got), land_m2, rel_tol=1e-9, abs_tol=1e-6):
            raise TownPlanError(
                f"park= is not the park service coverage of this town (residential land "
                f"{got!r} m², the town has {land_m2:.1f} m²). {fix}"
            )
    if circles is not None:
        need = {"category", "covered_pct", "households_pct", "method", "note", "residential_m2"}
        ok = isinstance(circles, pd.DataFrame) and need <= set(circles.columns)
        if (
            not ok
            or set(circles["category"]) != set(cats)
            or not np.allclose(
                circles["residential_m2"].to_numpy(dtype=float), land_m2, rtol=1e-9, atol=1e-6
            )
        ):
            raise TownPlanError(
                f"circles= is not the life-circle table of this town (categories {cats}, "
                f"residential land {land_m2:.1f} m²). {fix}"
            )


def _short(method: str) -> str:
    return "walked along the roads" if method == NETWORK else "straight-line distance (no roads)"


def _result(value: float, note: str) -> Result:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return nan(note or "not computable")
    return Result(float(value), note)
