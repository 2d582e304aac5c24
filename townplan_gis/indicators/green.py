"""Green indicators: green coverage, green land ratio, park green per capita — kept separate.

* 绿化覆盖率 green coverage: the vertical projection of all vegetation — green land of every class plus tree
  canopy (points buffered by their crown radius) — overlaps counted once, inside the built-up area.
* 绿地率 green land ratio: green **land** G1+G2+G3+XG (CJJ/T 85-2017), never above the coverage.
* 人均公园绿地 park green per capita: G1 park green ÷ population.

Sources: ``docs/sources.md#cjj-t-85-2017`` (classes; coverage definition [S]); Ezhou/Weicheng ≥ 30 % and
≥ 4 m²/person (``docs/sources.md#ezhou-2017``, ``docs/sources.md#weicheng-2017``).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import Geometry

from townplan_gis.indicators._common import (
    Result,
    builtup_geometry,
    in_builtup,
    join_notes,
    nan,
    per_capita,
    ratio_pct,
    require_column,
    text_column,
)
from townplan_gis.indicators._geom import discs, metric_geoms, nested_union_areas

__all__ = [
    "GREEN_LAND_CLASSES",
    "canopy_geometries",
    "green_coverage_pct",
    "green_land_ratio_pct",
    "park_count",
    "park_green_area_m2",
    "park_green_per_capita_m2",
]

GREEN_LAND_CLASSES: tuple[str, ...] = ("G1", "G2", "G3", "XG")


def canopy_geometries(
    canopy: gpd.GeoDataFrame, *, default_crown_diameter_m: float | None = None
) -> gpd.GeoSeries:
    """Canopy as polygons: tree points buffered by half their crown diameter; polygons kept as drawn.

    Parameters
    ----------
    canopy : GeoDataFrame
        Tree points with ``crown_diameter_m`` and/or canopy polygons.
    default_crown_diameter_m : float, optional
        Crown diameter for points without one; without it such points are left out (empty polygon).

    Returns
    -------
    GeoSeries
        Aligned to ``canopy.index``.
    """
    geoms = metric_geoms(canopy)
    is_point = np.isin(shapely.get_type_id(geoms), [0, 4])
    if "crown_diameter_m" in canopy.columns:
        crown = pd.to_numeric(canopy["crown_diameter_m"], errors="coerce").to_numpy(dtype=float)
    else:
        crown = np.full(len(canopy), np.nan)
    if default_crown_diameter_m is not None:
        crown = np.where(np.isnan(crown) | (crown <= 0), default_crown_diameter_m, crown)
    usable = is_point & (crown > 0)
    out = geoms.copy()
    out[is_point] = shapely.Polygon()
    single = usable & (shapely.get_type_id(geoms) == 0) & ~shapely.is_empty(geoms)
    if single.any():
        out[single] = discs(geoms[single], crown[single] / 2.0)
    multi = usable & ~single
    if multi.any():
        out[multi] = shapely.buffer(geoms[multi], crown[multi] / 2.0, quad_segs=4)
    return gpd.GeoSeries(out, index=canopy.index, crs=canopy.crs)


def _green_chain(
    green: gpd.GeoDataFrame | None,
    canopy: gpd.GeoDataFrame | None,
    clip: Geometry | None,
    default_crown_diameter_m: float | None,
) -> tuple[list[float], str]:
    """Areas [G1, green land, green land + EG + canopy] inside ``clip``, and a note."""
    parts, levels, notes = [], [], []
    if green is not None:
        require_column(green, "green", "green_class")
    if green is not None and len(green):
        cls = text_column(green, "green_class")
        lv = np.where(cls == "G1", 0, np.where(np.isin(cls, GREEN_LAND_CLASSES), 1, 2))
        parts.append(metric_geoms(green))
        levels.append(lv)
    if canopy is not None and len(canopy):
        geoms = canopy_geometries(canopy, default_crown_diameter_m=default_crown_diameter_m)
        pts = np.isin(shapely.get_type_id(metric_geoms(canopy)), [0, 4])
        dropped = int((pts & shapely.is_empty(np.asarray(geoms.array, dtype=object))).sum())
        if dropped:
            notes.append(f"{dropped} tree point(s) without crown_diameter_m left out of the canopy")
        parts.append(np.asarray(geoms.array, dtype=object))
        levels.append(np.full(len(geoms), 2))
    if not parts:
        return [0.0, 0.0, 0.0], ""
    areas = nested_union_areas(np.concatenate(parts), np.concatenate(levels), 3, clip=clip)
    return areas, join_notes(*notes)


def _coverage_result(areas: list[float], note: str, clip: Geometry | None, have: bool) -> Result:
    if clip is None:
        return nan(
            "no built-up area (layer missing or empty): green coverage is a share of the built-up area"
        )
    if not have:
        return nan("no green or canopy layer")
    return Result(ratio_pct(areas[2], clip.area), note)


def green_coverage_pct(
    green: gpd.GeoDataFrame | None,
    builtup: gpd.GeoDataFrame,
    canopy: gpd.GeoDataFrame | None = None,
    *,
    default_crown_diameter_m: float | None = None,
) -> float:
    """Green coverage 绿化覆盖率: built-up share under green land or tree canopy, %.

    .. math:: C_g = 100 \\cdot A\\left(B \\cap \\left(\\bigcup_i g_i \\cup \\bigcup_j c_j\\right)\\right) / A(B)

    Overlapping polygons (a tree over a park, two overlapping parks) count once.
    Source: ``docs/sources.md#cjj-t-85-2017`` [S]; Ezhou/Weicheng ≥ 30 % (``docs/sources.md#ezhou-2017``).

    Parameters
    ----------
    green : GeoDataFrame or None
        Green polygons of every class (``green_class``), in a metric CRS.
    builtup : GeoDataFrame
        Built-up polygons.
    canopy : GeoDataFrame, optional
        Tree points (``crown_diameter_m``) and canopy polygons, see :func:`canopy_geometries`.
    default_crown_diameter_m : float, optional
        Crown diameter in metres for tree points without one.

    Returns
    -------
    float
        %; NaN without a built-up area or without green and canopy layers.

    Examples
    --------
    >>> import townplan_gis as tp
    >>> town = tp.sample_town()
    >>> round(green_coverage_pct(town.green, town.builtup, town.canopy), 1)
    15.1
    """
    clip = builtup_geometry(builtup)
    if clip is None:
        return math.nan
    areas, note = _green_chain(green, canopy, clip, default_crown_diameter_m)
    have = green is not None or canopy is not None
    return _coverage_result(areas, note, clip, have).value


def green_land_ratio_pct(green: gpd.GeoDataFrame, builtup: gpd.GeoDataFrame) -> float:
    """Green land ratio 绿地率: G1+G2+G3+XG land inside the built-up area ÷ built-up area, %.

    .. math:: R_g = 100 \\cdot A\\left(B \\cap \\bigcup_{class \\in \\{G1,G2,G3,XG\\}} g_i\\right) / A(B)

    Source: CJJ/T 85-2017 (``docs/sources.md#cjj-t-85-2017``). Always ≤ :func:`green_coverage_pct`.

    Parameters
    ----------
    green : GeoDataFrame
        Green polygons with ``green_class``, in a metric CRS; EG (regional green) is not green land.
    builtup : GeoDataFrame
        Built-up polygons.

    Returns
    -------
    float
        %; NaN when the built-up layer has no area.
    """
    clip = builtup_geometry(builtup)
    if clip is None:
        return math.nan
    areas, _ = _green_chain(green, None, clip, None)
    return ratio_pct(areas[1], clip.area)


def park_green_area_m2(green: gpd.GeoDataFrame, builtup: gpd.GeoDataFrame | None = None) -> float:
    """Park green area 公园绿地面积: union of the G1 park green, inside the built-up area when given, m².

    .. math:: A_{G1} = A\\left(B \\cap \\bigcup_{class = G1} g_i\\right)

    Source: CJJ/T 85-2017 class G1 (``docs/sources.md#cjj-t-85-2017``).

    Parameters
    ----------
    green : GeoDataFrame
        Green polygons with ``green_class``, in a metric CRS.
    builtup : GeoDataFrame, optional
        Clip to the built-up area; without it all G1 land is measured.

    Returns
    -------
    float
        m² (overlapping parks counted once).
    """
    areas, _ = _green_chain(green, None, builtup_geometry(builtup), None)
    return areas[0]


def park_green_per_capita_m2(
    green: gpd.GeoDataFrame, population: float | None, builtup: gpd.GeoDataFrame | None = None
) -> float:
    """Park green per capita 人均公园绿地面积, m²/person.

    .. math:: g = A\\left(B \\cap \\bigcup_{class = G1} g_i\\right) / P

    Source: ``docs/sources.md#cjj-t-85-2017`` [S~]; Ezhou/Weicheng ≥ 4 m²/person
    (``docs/sources.md#ezhou-2017``; GB 50137 ≥ 8 for cities [R], ``docs/sources.md#gb-50137-2011``).

    Parameters
    ----------
    green : GeoDataFrame
        Green polygons with ``green_class``, in a metric CRS.
    population : float or None
        Resident population, in the statistical scope of ``builtup``.
    builtup : GeoDataFrame, optional
        Clip to the built-up area (recommended).

    Returns
    -------
    float
        m²/person; NaN when the population is unknown or zero.
    """
    return per_capita(park_green_area_m2(green, builtup), population)


def _park_count_result(green: gpd.GeoDataFrame, clip: Geometry | None) -> Result:
    """G1 features counted in the built-up area (all of them, with a note, when there is none)."""
    require_column(green, "green", "green_class")
    geoms = metric_geoms(green)
    g1 = (text_column(green, "green_class") == "G1") & ~(
        shapely.is_missing(geoms) | shapely.is_empty(geoms)
    )
    if clip is None:
        return Result(
            float(g1.sum()),
            "no built-up area (layer missing or empty): every G1 feature of the layer counted",
        )
    inside = g1 & in_builtup(geoms, clip)
    outside = int(g1.sum() - inside.sum())
    note = f"{outside} G1 feature(s) outside the built-up area not counted" if outside else ""
    return Result(float(inside.sum()), note)


def park_count(green: gpd.GeoDataFrame, builtup: gpd.GeoDataFrame | None = None) -> int:
    """Number of G1 park green features (public green leisure places) in the built-up area, a count.

    .. math:: n = \\left|\\{\\, i : class_i = G1,\\ g_i \\cap B \\ne \\emptyset \\,\\}\\right|

    A feature counts when part of it lies inside the built-up area B (a park straddling the edge
    counts once; one that only touches the edge from outside does not), the scope of
    :func:`park_green_area_m2`, so a park 5 km out of town adds neither area nor count.
    Source: Ezhou/Weicheng 2017 "one public green leisure place"; class G1 of CJJ/T 85-2017.

    Parameters
    ----------
    green : GeoDataFrame
        Green polygons with ``green_class``, in a metric CRS.
    builtup : GeoDataFrame, optional
        The built-up area; without it every G1 feature with a geometry is counted (what
        ``tp.town_indicators(town)`` does, with a note, for a town without a built-up layer).

    Returns
    -------
    int
    """
    return int(_park_count_result(green, builtup_geometry(builtup)).value)
