"""Facility indicators: presence (counts per ``facility_type``) and household service coverage.

Counts follow the scope of the areas and lengths: a facility counts when part of it lies inside the
built-up area. The utility plants in :data:`TOWNSHIP_WIDE_FACILITY_TYPES` (a landfill, a sewage or water
plant, a substation, a gas station) serve the town through a network or a collection chain from where
their siting rules put them, usually apart from dwellings and outside the built-up area; they are counted
over the whole facilities layer, and every such value says so in its note.

Service coverage is the share of households of residential quarters whose quarter lies within a service
radius of a facility of the type. The radii are configurable; the defaults are recalled values [R] or
tool-defined [I] and are reported with the value: garbage collection point 70 m (CJJ 27-2012 §3.2 [R]),
public toilet 500 m (CJJ 14-2016, town spacing 300–500 m [R]), market 1,000 m [I].
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import Geometry

from townplan_gis.core.errors import TownPlanError
from townplan_gis.indicators._common import (
    Result,
    builtup_geometry,
    in_builtup,
    nan,
    require_column,
)
from townplan_gis.indicators._geom import geoms_of, metric_geoms
from townplan_gis.indicators.registry import TOWNSHIP_WIDE_FACILITY_TYPES, facility_types

__all__ = [
    "DEFAULT_SERVICE_RADIUS_M",
    "TOWNSHIP_WIDE_FACILITY_TYPES",
    "facility_counts",
    "household_service_coverage_pct",
    "households_served",
]

DEFAULT_SERVICE_RADIUS_M: dict[str, float] = {
    "public_toilet": 500.0,
    "garbage_point": 70.0,
    "market": 1000.0,
}


def _count_results(
    facilities: gpd.GeoDataFrame, clip: Geometry | None, township_wide: tuple[str, ...]
) -> dict[str, Result]:
    """Count per facility type (every known type, zeros included), each with its scope note."""
    types = _types(facilities)
    geoms = metric_geoms(facilities)
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    inside = in_builtup(geoms, clip) if clip is not None else located
    out: dict[str, Result] = {}
    for t in dict.fromkeys([*facility_types(), *np.unique(types).tolist()]):
        if not t:
            continue
        of_type = types == t
        n_all = int(of_type.sum())
        if t in township_wide:
            out[t] = Result(
                float(n_all),
                f"township-wide: every {t} counted, in or outside the built-up area (a utility "
                f"plant serving the town)",
            )
            continue
        if clip is None:
            out[t] = Result(
                float(n_all),
                f"no built-up area (layer missing or empty): every {t} of the layer counted",
            )
            continue
        n_in = int((of_type & inside).sum())
        n_out = int((of_type & located & ~inside).sum())
        n_none = n_all - n_in - n_out
        notes = []
        if n_out:
            notes.append(f"{n_out} {t} outside the built-up area not counted")
        if n_none:
            notes.append(f"{n_none} {t} without a geometry not counted")
        out[t] = Result(float(n_in), "; ".join(notes))
    return out


def facility_counts(
    facilities: gpd.GeoDataFrame,
    builtup: gpd.GeoDataFrame | None = None,
    *,
    township_wide: tuple[str, ...] | list[str] = TOWNSHIP_WIDE_FACILITY_TYPES,
) -> pd.Series:
    """Number of facilities per type, for every known type (zeros included), a count.

    .. math:: n_t = \\left|\\{\\, i : type_i = t,\\ f_i \\cap B \\ne \\emptyset \\,\\}\\right|

    With ``builtup``, a facility counts when part of it lies inside the built-up area B (a point
    on the edge counts; a polygon that only touches the edge from outside does not); the types in
    ``township_wide`` are counted over the whole layer. Without ``builtup`` every facility counts.
    Source: Ezhou/Weicheng 2017 presence targets (a market, a landfill, sewage treatment, a parking
    lot, a culture/fitness venue).

    Parameters
    ----------
    facilities : GeoDataFrame
        With the canonical ``facility_type`` column, in a metric CRS.
    builtup : GeoDataFrame, optional
        The built-up area.
    township_wide : sequence of str, default :data:`TOWNSHIP_WIDE_FACILITY_TYPES`
        Types counted inside and outside the built-up area alike (``()`` for none).

    Returns
    -------
    pandas.Series
        Indexed by facility type, integer counts.
    """
    res = _count_results(facilities, builtup_geometry(builtup), tuple(township_wide))
    return pd.Series([int(r.value) for r in res.values()], index=list(res), dtype=int)


def _types(facilities: gpd.GeoDataFrame) -> np.ndarray:
    # Plain strings; a missing type (refused by the schema, possible in a bare frame) becomes "".
    require_column(facilities, "facilities", "facility_type")
    col = facilities["facility_type"]
    return np.asarray(col.array.to_numpy(dtype=object, na_value=""), dtype=str)


def _quarter_points(residential: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Representative points of the quarters with a geometry, and their positions."""
    quarters = metric_geoms(residential)
    ok = np.flatnonzero(~(shapely.is_missing(quarters) | shapely.is_empty(quarters)))
    return shapely.point_on_surface(quarters[ok]), ok


def _served(
    points: np.ndarray, positions: np.ndarray, n: int, targets: np.ndarray, radius_m: float
) -> np.ndarray:
    served = np.zeros(n, dtype=bool)
    if len(targets) and len(points):
        hit, _ = shapely.STRtree(targets).query(points, predicate="dwithin", distance=radius_m)
        served[positions[np.unique(hit)]] = True
    return served


def households_served(
    residential: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    facility_type: str,
    *,
    radius_m: float,
) -> pd.Series:
    """Whether each quarter lies within ``radius_m`` of a facility of ``facility_type``.

    .. math:: s_q = \\left[d(p_q, F_t) \\le r\\right]

    A quarter is served when its representative point p_q (inside the polygon) is within the radius of
    the facility geometry. Tool-defined [I]; see :data:`DEFAULT_SERVICE_RADIUS_M` for the sources of
    the default radii.

    Parameters
    ----------
    residential : GeoDataFrame
        Residential quarter polygons, in a metric CRS.
    facilities : GeoDataFrame
        Facilities with ``facility_type``, in the same CRS.
    facility_type : str
        A canonical facility type (``public_toilet``, ``garbage_point``, ``market`` …).
    radius_m : float
        Service radius in metres.

    Returns
    -------
    pandas.Series of bool
        Aligned to ``residential.index``.
    """
    targets = geoms_of(metric_geoms(facilities)[_types(facilities) == facility_type])
    points, positions = _quarter_points(residential)
    served = _served(points, positions, len(residential), targets, radius_m)
    return pd.Series(served, index=residential.index)


def _service_results(
    residential: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame | None,
    radii: dict[str, float],
) -> dict[str, Result]:
    """Household service coverage for several facility types, sharing the per-layer work."""
    if residential is None:
        return {t: nan("no residential layer: households unknown") for t in radii}
    if facilities is None:
        return {t: nan("no facilities layer") for t in radii}
    require_column(residential, "residential", "households")
    hh = pd.to_numeric(residential["households"], errors="coerce").to_numpy(dtype=float)
    known = ~np.isnan(hh) & (hh >= 0)
    total = hh[known].sum()
    if not known.any() or total <= 0:
        return {t: nan("no residential quarter has a household count") for t in radii}
    types = _types(facilities)
    geoms = metric_geoms(facilities)
    points, positions = _quarter_points(residential)
    out = {}
    for t, radius_m in radii.items():
        targets = geoms_of(geoms[types == t])
        served = _served(points, positions, len(residential), targets, radius_m)
        note = f"radius {radius_m:g} m from the quarter's representative point"
        if (~known).any():
            note += f"; {int((~known).sum())} quarter(s) without households left out"
        no_geom = len(residential) - len(positions)
        if no_geom:
            note += f"; {no_geom} quarter(s) without a geometry counted as not served"
        if len(targets) == 0:
            note += f"; no facility of type {t}"
        out[t] = Result(float(100.0 * hh[known & served].sum() / total), note)
    return out


def household_service_coverage_pct(
    residential: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    facility_type: str,
    *,
    radius_m: float | None = None,
) -> float:
    """Share of households within ``radius_m`` of a facility of a type, %.

    .. math:: S_t = 100 \\cdot \\frac{\\sum_{q:\\ d(p_q, F_t) \\le r_t} h_q}{\\sum_q h_q}

    with p_q the representative point and h_q the households of quarter q, F_t the facilities of type t.
    Tool-defined [I]; default radii in :data:`DEFAULT_SERVICE_RADIUS_M`.

    Returns
    -------
    float
        %; NaN when no quarter has a household count.
    """
    if radius_m is None:
        if facility_type not in DEFAULT_SERVICE_RADIUS_M:
            raise TownPlanError(
                f"no default service radius for facility type '{facility_type}'. Fix: pass "
                f"radius_m=… (defaults exist for {sorted(DEFAULT_SERVICE_RADIUS_M)})."
            )
        radius_m = DEFAULT_SERVICE_RADIUS_M[facility_type]
    return _service_results(residential, facilities, {facility_type: radius_m})[facility_type].value
