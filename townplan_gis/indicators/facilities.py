"""Facility indicators: presence (counts per ``facility_type``) and household service coverage.

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

from townplan_gis.errors import TownPlanError
from townplan_gis.indicators._common import Result, nan
from townplan_gis.indicators._geom import geoms_of
from townplan_gis.indicators.registry import facility_types

__all__ = [
    "DEFAULT_SERVICE_RADIUS_M",
    "facility_counts",
    "household_service_coverage_pct",
    "households_served",
]

DEFAULT_SERVICE_RADIUS_M: dict[str, float] = {
    "public_toilet": 500.0,
    "garbage_point": 70.0,
    "market": 1000.0,
}


def facility_counts(facilities: gpd.GeoDataFrame) -> pd.Series:
    """Number of facilities per type, for every known type (zeros included).

    Parameters
    ----------
    facilities : GeoDataFrame
        With the canonical ``facility_type`` column.

    Returns
    -------
    pandas.Series
        Indexed by facility type, integer counts.
    """
    counts = facilities["facility_type"].value_counts()
    types = list(dict.fromkeys([*facility_types(), *counts.index]))
    return counts.reindex(types, fill_value=0).astype(int)


def households_served(
    residential: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    facility_type: str,
    *,
    radius_m: float,
) -> pd.Series:
    """Whether each quarter lies within ``radius_m`` of a facility of ``facility_type``.

    A quarter is served when its representative point (inside the polygon) is within the radius of the
    facility geometry.

    Returns
    -------
    pandas.Series of bool
        Aligned to ``residential.index``.
    """
    served = np.zeros(len(residential), dtype=bool)
    types = np.asarray(facilities["facility_type"].astype(object), dtype=object)
    targets = geoms_of(np.asarray(facilities.geometry.array, dtype=object)[types == facility_type])
    quarters = np.asarray(residential.geometry.array, dtype=object)
    ok = ~(shapely.is_missing(quarters) | shapely.is_empty(quarters))
    if len(targets) and ok.any():
        pts = shapely.point_on_surface(quarters[ok])
        hit, _ = shapely.STRtree(targets).query(pts, predicate="dwithin", distance=radius_m)
        served[np.flatnonzero(ok)[np.unique(hit)]] = True
    return pd.Series(served, index=residential.index)


def _service_result(
    residential: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame | None,
    facility_type: str,
    radius_m: float,
) -> Result:
    if residential is None:
        return nan("no residential layer: households unknown")
    if facilities is None:
        return nan("no facilities layer")
    hh = pd.to_numeric(residential["households"], errors="coerce")
    known = hh.notna() & (hh >= 0)
    if not known.any() or hh[known].sum() <= 0:
        return nan("no residential quarter has a household count")
    served = households_served(residential, facilities, facility_type, radius_m=radius_m)
    value = 100.0 * hh[known & served].sum() / hh[known].sum()
    note = f"radius {radius_m:g} m from the quarter's representative point"
    if (~known).any():
        note += f"; {int((~known).sum())} quarter(s) without households left out"
    if not (facilities["facility_type"] == facility_type).any():
        note += f"; no facility of type {facility_type}"
    return Result(float(value), note)


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
    return _service_result(residential, facilities, facility_type, radius_m).value
