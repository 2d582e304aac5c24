"""Road indicators: network length and density, paving rate, coverage; road area (two variants) in
:mod:`townplan_gis.indicators.road_area`, main-road lighting in :mod:`townplan_gis.indicators.lighting`.

Every function takes the canonical ``roads`` layer (see :mod:`townplan_gis.core.schema`) in a metric CRS and
returns a plain number; the ``_…_result`` twins return the value with a note (what was assumed, what was left
out, why a value is NaN) and are what :func:`townplan_gis.indicators.town_indicators` reports.

Sources: road network density after GB 50220 (``docs/sources.md#gb-50220-95``, secondary copy), road
classes after GB 50188-2007 (``docs/sources.md#gb-50188-2007``, [R]), national density 8 km/km²
(``docs/sources.md#opinions-2016``), road-network coverage tool-defined
(``docs/sources.md#tool-defined``: no standard definition exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import geopandas as gpd
import pandas as pd
import shapely
from shapely import Geometry

from townplan_gis.indicators._common import (
    Result,
    builtup_geometry,
    check_choice,
    nan,
    ratio_pct,
    text_column,
)
from townplan_gis.indicators._geom import buffer_union_area, clip_to, geoms_of
from townplan_gis.indicators._road_base import (
    DEFAULT_CARRIAGEWAY_WIDTH_M,
    DEFAULT_REDLINE_WIDTH_M,
    TRUNK_CLASSES,
    internal_road_mask,
    public_roads,
    road_lines,
)
from townplan_gis.indicators.road_area import (
    _redline_chain,
    road_area_m2,
    road_area_ratio_pct,
    road_surfaces,
)

__all__ = [
    "DEFAULT_CARRIAGEWAY_WIDTH_M",
    "DEFAULT_REDLINE_WIDTH_M",
    "TRUNK_CLASSES",
    "internal_road_mask",
    "paving_rate_pct",
    "road_area_m2",
    "road_area_ratio_pct",
    "road_coverage_pct",
    "road_length_km",
    "road_network_density_km_per_km2",
    "road_surfaces",
]


# --- length and density -------------------------------------------------------------------------------
def _road_length_result(roads: gpd.GeoDataFrame, clip: Geometry | None) -> Result:
    lines = clip_to(geoms_of(roads), clip)
    if len(lines) == 0:
        return Result(0.0)
    # union_all nodes the lines, so coincident duplicates and overlapping stretches count once.
    merged = shapely.union_all(lines)
    length = merged.length
    dup = float(shapely.length(lines).sum()) - length
    note = (
        f"{dup / 1000:.3f} km of coincident duplicate centreline counted once" if dup > 1.0 else ""
    )
    return Result(length / 1000.0, note)


def road_length_km(
    roads: gpd.GeoDataFrame,
    builtup: gpd.GeoDataFrame | None = None,
    *,
    residential: gpd.GeoDataFrame | None = None,
    exclude_internal: bool = True,
) -> float:
    """Road centreline length inside the built-up area, each stretch of road counted once, in km.

    .. math:: L = \\left|\\left(\\bigcup_i r_i\\right) \\cap B\\right| / 1000

    Parameters
    ----------
    roads : GeoDataFrame
        Road centrelines in a metric CRS.
    builtup : GeoDataFrame, optional
        Built-up area polygons; without it the whole network is measured.
    residential : GeoDataFrame, optional
        Residential quarters, whose internal roads are excluded when ``exclude_internal``.
    exclude_internal : bool, default True
        Leave out roads internal to residential quarters (GB 50220 practice).

    Returns
    -------
    float
        Length in km.
    """
    public, _ = public_roads(roads, residential, exclude_internal)
    return _road_length_result(public, builtup_geometry(builtup)).value


def _density_result(length: Result, clip: Geometry | None) -> Result:
    if clip is None:
        return nan("no built-up area (layer missing or empty): density needs the built-up area")
    return Result(length.value / (clip.area / 1e6), length.note)


def road_network_density_km_per_km2(
    roads: gpd.GeoDataFrame,
    builtup: gpd.GeoDataFrame,
    *,
    residential: gpd.GeoDataFrame | None = None,
    exclude_internal: bool = True,
) -> float:
    """Road network density 路网密度, km of centreline per km² of built-up area.

    .. math:: \\rho = \\frac{\\left|\\left(\\bigcup_i r_i\\right) \\cap B\\right|_{km}}{A(B)_{km^2}}

    Each road counts once: coincident duplicate centrelines are merged before measuring; a road half
    outside the built-up area counts half. Source: GB 50220 (secondary copy); national target 8 km/km²
    (2016 若干意见 §16).

    Parameters
    ----------
    roads, builtup : GeoDataFrame
        Road centrelines and built-up polygons in one metric CRS.
    residential : GeoDataFrame, optional
        Residential quarters; their internal roads are excluded when ``exclude_internal``.
    exclude_internal : bool, default True

    Returns
    -------
    float
        km/km²; NaN when the built-up area is empty.

    Examples
    --------
    >>> import townplan_gis as tp
    >>> town = tp.sample_town()
    >>> round(road_network_density_km_per_km2(town.roads, town.builtup, residential=town.residential), 2)
    5.67
    """
    clip = builtup_geometry(builtup)
    public, _ = public_roads(roads, residential, exclude_internal)
    return _density_result(_road_length_result(public, clip), clip).value


# --- paving ---------------------------------------------------------------------------------------------
def _paving_length_result(roads: gpd.GeoDataFrame, clip: Geometry | None) -> Result:
    surface = text_column(roads, "surface")
    known = pd.notna(surface)
    if not known.any():
        return nan("no road has a surface value (paved/unpaved)")
    lines = clip_to(road_lines(roads), clip)
    paved_len = shapely.union_all(lines[surface == "paved"]).length
    known_len = shapely.union_all(lines[known]).length
    if known_len <= 0:
        return nan("no road of known surface inside the built-up area")
    note = ""
    if not known.all():
        note = f"{int((~known).sum())} road(s) of unknown surface left out"
    return Result(ratio_pct(paved_len, known_len), note)


def paving_rate_pct(
    roads: gpd.GeoDataFrame,
    builtup: gpd.GeoDataFrame | None = None,
    *,
    by: Literal["length", "area"] = "length",
    default_widths: Mapping[str, float] | None = None,
) -> float:
    """Paving rate 硬化率: paved share of the roads of known surface, %.

    .. math:: P_{len} = 100 \\cdot \\frac{|\\bigcup_{paved} r_i \\cap B|}{|\\bigcup_{known} r_i \\cap B|}
        \\qquad P_{area} = 100 \\cdot \\frac{A(\\bigcup_{paved} s_i \\cap B)}{A(\\bigcup_{known} s_i \\cap B)}

    Roads of unknown surface are left out of both terms. Source: Ezhou/Weicheng 2017 plans (target
    lost in the source, 90 % assumed; Weicheng: all built-up roads hardened).

    Parameters
    ----------
    roads : GeoDataFrame
        Road centrelines with ``surface`` (paved/unpaved), in a metric CRS.
    builtup : GeoDataFrame, optional
        Clip to the built-up area; without it the whole network is measured.
    by : {"length", "area"}, default "length"
        Measure centreline length, or red-line surface area (:func:`road_surfaces`).
    default_widths : mapping, optional
        For ``by="area"``; see :func:`road_surfaces`.

    Returns
    -------
    float
        %; NaN when no road has a surface value (or, by area, a usable width).
    """
    check_choice("by", by, ("length", "area"))
    clip = builtup_geometry(builtup)
    if by == "length":
        return _paving_length_result(roads, clip).value
    areas, _, any_width = _redline_chain(roads, clip, default_widths)
    return ratio_pct(areas[0], areas[1]) if any_width else float("nan")


# --- coverage -------------------------------------------------------------------------------------------
def _coverage_result(roads: gpd.GeoDataFrame, clip: Geometry | None, distance_m: float) -> Result:
    if clip is None:
        return nan(
            "no built-up area (layer missing or empty): coverage is a share of the built-up area"
        )
    lines = geoms_of(roads)
    note = f"tool-defined: built-up area within {distance_m:g} m of a public road centreline"
    if len(lines) == 0:
        return Result(0.0, note)
    near = lines[shapely.dwithin(lines, clip, distance_m)]
    covered = buffer_union_area(near, distance_m, clip)
    return Result(ratio_pct(covered, clip.area), note)


def road_coverage_pct(
    roads: gpd.GeoDataFrame,
    builtup: gpd.GeoDataFrame,
    *,
    distance_m: float = 150.0,
    residential: gpd.GeoDataFrame | None = None,
    exclude_internal: bool = True,
) -> float:
    """Road-network coverage 路网覆盖率 (tool-defined): built-up share within ``distance_m`` of a road, %.

    .. math:: C = 100 \\cdot A\\left(B \\cap \\bigcup_i \\operatorname{buf}(r_i, d)\\right) / A(B)

    No standard defines this indicator (``docs/sources.md#tool-defined``, [I]); the distance defaults to 150 m and the
    value is labelled tool-defined. Roads internal to residential quarters are not public roads.

    Parameters
    ----------
    roads, builtup : GeoDataFrame
        Road centrelines and built-up polygons in one metric CRS.
    distance_m : float, default 150
        Distance d in metres.
    residential : GeoDataFrame, optional
        Residential quarters; their internal roads are excluded when ``exclude_internal``.
    exclude_internal : bool, default True

    Returns
    -------
    float
        %; NaN when the built-up area is empty.
    """
    clip = builtup_geometry(builtup)
    public, _ = public_roads(roads, residential, exclude_internal)
    return _coverage_result(public, clip, distance_m).value
