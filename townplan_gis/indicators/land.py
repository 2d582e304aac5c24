"""Land and residential indicators: built-up area, construction land per capita and its GB 50188 grade,
residential quarters (households, green land ratio, the "≥ 100 households with green ≥ 30 %" test).

Sources: ``docs/sources.md#ezhou-2017`` and ``#weicheng-2017`` (built-up area ≥ 2 km², one quarter of ≥ 100
households with green ≥ 30 %), ``docs/sources.md#gb-50188-2007`` (Table 5.2.1 grades [R]),
``docs/sources.md#gb-50180-2018`` (quarter green ≥ 30 % new, 25 % renewal [S~]).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.indicators._common import (
    builtup_geometry,
    per_capita,
    require_column,
    text_column,
)
from townplan_gis.indicators._geom import geoms_of, metric_geoms
from townplan_gis.indicators.green import GREEN_LAND_CLASSES

__all__ = [
    "GB50188_GRADES",
    "built_up_area_km2",
    "construction_land_grade",
    "construction_land_per_capita_m2",
    "residential_quarters",
]

# GB 50188-2007 Table 5.2.1 [R]: (lower bound exclusive, upper bound inclusive, grade), m²/person.
GB50188_GRADES: tuple[tuple[float, float, int], ...] = (
    (60.0, 80.0, 1),
    (80.0, 100.0, 2),
    (100.0, 120.0, 3),
    (120.0, 140.0, 4),
)


def built_up_area_km2(builtup: gpd.GeoDataFrame) -> float:
    """Built-up area 建成区面积: area of the dissolved built-up polygons (overlaps once), km².

    .. math:: A(B) = A\\left(\\bigcup_k b_k\\right) / 10^6

    Source: Ezhou/Weicheng 2017, ≥ 2 km² (``docs/sources.md#ezhou-2017``).

    Parameters
    ----------
    builtup : GeoDataFrame
        Built-up (建成区) polygons in a metric CRS.

    Returns
    -------
    float
        km²; 0.0 when the layer has no polygon with an area.
    """
    geom = builtup_geometry(builtup)
    return 0.0 if geom is None else geom.area / 1e6


def construction_land_per_capita_m2(builtup: gpd.GeoDataFrame, population: float | None) -> float:
    """Construction land per capita 人均建设用地, m²/person.

    .. math:: c = A(B) / P

    The built-up area stands for the construction land (no land-use layer in the town model); population
    and land must share one statistical scope (``docs/sources.md#tool-defined``). Source: GB 50188-2007
    Table 5.2.1 [R] (``docs/sources.md#gb-50188-2007``).

    Parameters
    ----------
    builtup : GeoDataFrame
        Built-up polygons in a metric CRS.
    population : float or None
        Resident population.

    Returns
    -------
    float
        m²/person; NaN when the population is unknown or zero, or the built-up layer has no area
        (never a fake 0 m²/person).
    """
    geom = builtup_geometry(builtup)
    if geom is None:
        return math.nan
    return per_capita(geom.area, population)


def construction_land_grade(value_m2: float) -> float:
    """GB 50188-2007 grade (1–4) of a per-capita construction land value; NaN outside 60–140 m².

    Grades: I >60–80, II >80–100, III >100–120, IV >120–140 m²/person [R]; new towns plan at grade II.
    """
    if value_m2 is None or math.isnan(value_m2):
        return math.nan
    for low, high, grade in GB50188_GRADES:
        if low < value_m2 <= high:
            return float(grade)
    return math.nan


def residential_quarters(
    residential: gpd.GeoDataFrame,
    green: gpd.GeoDataFrame | None = None,
    *,
    min_households: float = 100,
    min_green_pct: float = 30.0,
) -> pd.DataFrame:
    """Per residential quarter: households, area, green land and the model-quarter test.

    .. math:: r_q = 100 \\cdot A\\left(q \\cap \\bigcup_{class \\in \\{G1,G2,G3,XG\\}} g_i\\right) / A(q)

    A quarter qualifies when it has at least ``min_households`` households and ``r_q`` ≥
    ``min_green_pct`` (Ezhou/Weicheng 2017: one quarter of ≥ 100 households with green ≥ 30 %).
    Overlapping green polygons count once.

    Parameters
    ----------
    residential : GeoDataFrame
        Quarter polygons with ``households``.
    green : GeoDataFrame, optional
        Green land with ``green_class``; without it every quarter has 0 m² of green land.
    min_households : float, default 100
    min_green_pct : float, default 30

    Returns
    -------
    pandas.DataFrame
        Aligned to ``residential.index``: ``name, households, area_m2, green_m2, green_ratio_pct,
        qualifies`` (``qualifies`` is False when households are unknown).

    Examples
    --------
    >>> import townplan_gis as tp
    >>> town = tp.sample_town()
    >>> residential_quarters(town.residential, town.green)["qualifies"].tolist()
    [True, False, False, False]
    """
    require_column(residential, "residential", "households")
    if green is not None:
        require_column(green, "green", "green_class")
    quarters = metric_geoms(residential)
    area = np.nan_to_num(shapely.area(quarters), nan=0.0)
    green_m2: np.ndarray = np.zeros(len(residential))
    if green is not None and len(green) and len(residential):
        land = np.isin(text_column(green, "green_class"), GREEN_LAND_CLASSES)
        geoms = geoms_of(metric_geoms(green)[land])
        if len(geoms):
            ok = ~(shapely.is_missing(quarters) | shapely.is_empty(quarters))
            qtree = shapely.STRtree(np.where(ok, quarters, shapely.Polygon()))
            gi, _ = qtree.query(geoms, predicate="intersects")
            touching = geoms[np.unique(gi)]
            if len(touching):
                # Union first so overlapping green polygons count once; its parts are disjoint.
                pieces = shapely.get_parts(shapely.union_all(touching))
                pi, qi = qtree.query(pieces, predicate="intersects")
                inter = shapely.area(shapely.intersection(pieces[pi], quarters[qi]))
                green_m2 = np.bincount(qi, weights=inter, minlength=len(residential))
    hh = pd.to_numeric(residential["households"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(area > 0, 100.0 * green_m2 / area, np.nan)
    qualifies = (hh >= min_households) & (ratio >= min_green_pct)
    name = residential["name"] if "name" in residential.columns else None
    return pd.DataFrame(
        {
            "name": name if name is not None else pd.Series(None, index=residential.index),
            "households": hh,
            "area_m2": area,
            "green_m2": green_m2,
            "green_ratio_pct": ratio,
            "qualifies": qualifies,
        },
        index=residential.index,
    )
