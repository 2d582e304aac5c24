"""Road indicators: network density, road area (two variants), paving rate, coverage, main-road lighting.

Every function takes the canonical ``roads`` layer (see :mod:`townplan_gis.core.schema`) in a metric CRS and
returns a plain number; the ``_…_result`` twins return the value with a note (what was assumed, what was left
out, why a value is NaN) and are what :func:`townplan_gis.indicators.town_indicators` reports.

Sources: domain brief §3 — road network density and road area after GB 50220 (secondary copy), road
classes and red-line widths after GB 50188-2007 [R], national density 8 km/km² and road area ratio 15 %
(2016 若干意见 §16), road-network coverage tool-defined (no standard definition exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import Geometry

from townplan_gis.indicators._common import (
    Result,
    builtup_geometry,
    check_choice,
    join_notes,
    nan,
    ratio_pct,
    text_column,
)
from townplan_gis.indicators._geom import (
    EMPTY_POLYGON,
    buffer_union_area,
    clip_to,
    geoms_of,
    metric_geoms,
    nested_union_areas,
    union_area,
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

# For roads without a width (reported in the note): lower bounds of GB 50188-2007 [R] (主干路 24–36 m, 干路 16–24 m, 支路
# 10–14 m, 巷路 carriageway 3.5 m, no red line of its own); 快速路 35–40 m after GB 50220-95 [R] (docs/sources.md).
DEFAULT_REDLINE_WIDTH_M: dict[str, float] = {
    "expressway": 35.0,
    "arterial": 24.0,
    "secondary": 16.0,
    "branch": 10.0,
    "lane": 3.5,
}
# Only the lane carriageway is given by GB 50188-2007 [R]; other classes need measured widths.
DEFAULT_CARRIAGEWAY_WIDTH_M: dict[str, float] = {"lane": 3.5}
TRUNK_CLASSES: tuple[str, ...] = ("arterial", "secondary")

Variant = Literal["redline", "carriageway"]
_VARIANTS: tuple[str, ...] = ("redline", "carriageway")


def _col(gdf: gpd.GeoDataFrame, name: str, dtype: str = "object") -> pd.Series:
    if name in gdf.columns:
        return gdf[name]
    return pd.Series(np.nan if dtype == "float" else None, index=gdf.index, dtype=dtype)


def _lines(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return metric_geoms(gdf)


def _km(length_m: float) -> str:
    return f"{length_m / 1000:.2f} km"


def _first_rows(labels: list, limit: int = 5) -> str:
    """Row labels for a note: the first few, then how many more."""
    more = f" … and {len(labels) - limit} more" if len(labels) > limit else ""
    return "[" + ", ".join(str(r) for r in labels[:limit]) + more + "]"


def _unclassified_mask(roads: gpd.GeoDataFrame) -> np.ndarray:
    """Roads whose class is unknown (None): the schema keeps them when a red-line width is given."""
    return np.array([c is None for c in text_column(roads, "road_class")], dtype=bool)


def internal_road_mask(
    roads: gpd.GeoDataFrame, residential: gpd.GeoDataFrame | None, *, tolerance_m: float = 1.0
) -> pd.Series:
    """Which roads are internal to a residential quarter (aligned to ``roads.index``).

    GB 50220 practice (domain brief §3): roads internal to residential quarters are not counted in the
    road network.

    A road is internal when it lies within a quarter grown by ``tolerance_m`` (digitising slack) and
    reaches into the quarter shrunk by ``tolerance_m``; a road running along a quarter's edge is public.

    Parameters
    ----------
    roads : GeoDataFrame
        Road centrelines.
    residential : GeoDataFrame or None
        Residential quarter polygons; None or empty → no road is internal.
    tolerance_m : float, default 1.0
        Digitising tolerance in metres.

    Returns
    -------
    pandas.Series of bool
    """
    mask = np.zeros(len(roads), dtype=bool)
    if residential is None or len(residential) == 0 or len(roads) == 0:
        return pd.Series(mask, index=roads.index)
    quarters = geoms_of(residential)
    grown = shapely.buffer(quarters, tolerance_m)
    shrunk = shapely.buffer(quarters, -tolerance_m)
    lines = _lines(roads)
    valid = ~(shapely.is_missing(lines) | shapely.is_empty(lines))
    idx = np.flatnonzero(valid)
    ri, qi = shapely.STRtree(grown).query(lines[idx], predicate="within")
    if len(ri):
        deep = shapely.intersects(lines[idx][ri], shrunk[qi])
        mask[idx[ri[deep]]] = True
    return pd.Series(mask, index=roads.index)


def _public(
    roads: gpd.GeoDataFrame, residential: gpd.GeoDataFrame | None, exclude_internal: bool
) -> tuple[gpd.GeoDataFrame, str]:
    if not exclude_internal:
        return roads, ""
    internal = internal_road_mask(roads, residential)
    n = int(internal.sum())
    if n == 0:
        return roads, ""
    mask = internal.to_numpy()
    length = float(np.nansum(shapely.length(_lines(roads)[mask])))
    note = f"{n} road(s) internal to residential quarters ({_km(length)}) excluded"
    return roads.iloc[np.flatnonzero(~mask)], note


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
    public, _ = _public(roads, residential, exclude_internal)
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
    public, _ = _public(roads, residential, exclude_internal)
    return _density_result(_road_length_result(public, clip), clip).value


# --- road surfaces and area --------------------------------------------------------------------------
def _widths(
    roads: gpd.GeoDataFrame, variant: Variant, default_widths: Mapping[str, float] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Widths per road, whether a class default was used, and whether the width is missing."""
    column = "redline_width_m" if variant == "redline" else "carriageway_width_m"
    given = pd.to_numeric(_col(roads, column, "float"), errors="coerce").to_numpy(dtype=float)
    given = np.where(given > 0, given, np.nan)
    if default_widths is None:
        default_widths = (
            DEFAULT_REDLINE_WIDTH_M if variant == "redline" else DEFAULT_CARRIAGEWAY_WIDTH_M
        )
    cls = text_column(roads, "road_class")
    fallback = np.full(len(roads), np.nan)
    for name, width in dict(default_widths).items():
        fallback[cls == name] = float(width)
    used_default = np.isnan(given) & ~np.isnan(fallback)
    widths = np.where(np.isnan(given), fallback, given)
    return widths, used_default, np.isnan(widths)


def _surfaces(
    roads: gpd.GeoDataFrame, variant: Variant, default_widths: Mapping[str, float] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Surface polygons per road (empty where no width is known), whether a class default was used,
    and whether the width is missing. Flat ends and mitred joins: the road land's own shape."""
    widths, used_default, missing = _widths(roads, variant, default_widths)
    geoms = shapely.buffer(
        _lines(roads), np.where(missing, 0.0, widths) / 2.0, cap_style="flat", join_style="mitre"
    )
    return np.where(missing, EMPTY_POLYGON, geoms), used_default, missing


def road_surfaces(
    roads: gpd.GeoDataFrame,
    *,
    variant: Variant = "redline",
    default_widths: Mapping[str, float] | None = None,
) -> gpd.GeoSeries:
    """Road surface polygons: each centreline buffered by half its width, flat ends and mitred bends.

    .. math:: s_i = \\operatorname{buf}_{flat}(r_i, w_i / 2)

    These are the polygons whose union :func:`road_area_m2` and ``paving_rate_pct(by="area")`` measure.
    Widths after GB 50188-2007 class defaults [R] where missing (:data:`DEFAULT_REDLINE_WIDTH_M`).

    Parameters
    ----------
    roads : GeoDataFrame
        Road centrelines with ``redline_width_m`` / ``carriageway_width_m`` in metres.
    variant : {"redline", "carriageway"}, default "redline"
        Red-line road land, or the carriageway.
    default_widths : mapping of road class to metres, optional
        Widths for roads without one; default :data:`DEFAULT_REDLINE_WIDTH_M` or
        :data:`DEFAULT_CARRIAGEWAY_WIDTH_M`; ``{}`` to use none.

    Returns
    -------
    GeoSeries
        Aligned to ``roads.index``; an empty polygon where no width is known.
    """
    check_choice("variant", variant, _VARIANTS)
    geoms, _, _ = _surfaces(roads, variant, default_widths)
    return gpd.GeoSeries(geoms, index=roads.index, crs=roads.crs)


def _area_notes(
    roads: gpd.GeoDataFrame, variant: Variant, used_default: np.ndarray, missing: np.ndarray
) -> str:
    notes = []
    label = "red-line" if variant == "redline" else "carriageway"
    if used_default.any():
        classes = sorted(
            {c for c in text_column(roads, "road_class")[used_default] if c is not None}
        )
        notes.append(
            f"{int(used_default.sum())} road(s) without a {label} width used the class default "
            f"({', '.join(classes)})"
        )
    if missing.any():
        length = float(shapely.length(_lines(roads)[missing]).sum())
        # Without a class no default width applies either: say which fix unlocks these roads.
        classless = missing & _unclassified_mask(roads)
        also = (
            f", {int(classless.sum())} of them also without road_class (道路等级) so no class "
            f"default applies (rows {_first_rows(roads.index[classless].tolist())}). Fix: fill "
            f"the width or road_class"
            if classless.any()
            else ""
        )
        notes.append(
            f"{int(missing.sum())} road(s) ({_km(length)}) without a {label} width left out{also}"
        )
    return join_notes(*notes)


def _redline_chain(
    roads: gpd.GeoDataFrame, clip: Geometry | None, default_widths: Mapping[str, float] | None
) -> tuple[list[float], str, bool]:
    """Red-line areas [paved, known surface, all] in one pass; note; whether any surface is usable."""
    geoms, used_default, missing = _surfaces(roads, "redline", default_widths)
    surface = text_column(roads, "surface")
    level = np.where(surface == "paved", 0, np.where(surface == "unpaved", 1, 2))
    level = np.where(missing, -1, level)
    areas = nested_union_areas(geoms, level, 3, clip=clip)
    # No roads at all is a real zero; roads that all lack a width are unknown.
    usable = len(roads) == 0 or bool((~missing).any())
    return areas, _area_notes(roads, "redline", used_default, missing), usable


def _carriageway_result(
    roads: gpd.GeoDataFrame, clip: Geometry | None, default_widths: Mapping[str, float] | None
) -> Result:
    if len(roads) == 0:
        return Result(0.0)
    surface = text_column(roads, "surface")
    paved = roads[surface == "paved"]
    unknown = int(pd.isna(surface).sum())
    note_unknown = f"{unknown} road(s) of unknown surface not counted as paved" if unknown else ""
    if len(paved) == 0:
        if unknown == len(roads):
            return nan("no road has a surface value: paved carriageway cannot be identified")
        return Result(0.0, note_unknown)
    geoms, used_default, missing = _surfaces(paved, "carriageway", default_widths)
    if missing.all():
        return nan("no paved road has a carriageway width (carriageway_width_m)")
    area = union_area(geoms[~missing], clip=clip)
    return Result(
        area, join_notes(_area_notes(paved, "carriageway", used_default, missing), note_unknown)
    )


def road_area_m2(
    roads: gpd.GeoDataFrame,
    builtup: gpd.GeoDataFrame | None = None,
    *,
    variant: Variant = "redline",
    default_widths: Mapping[str, float] | None = None,
) -> float:
    """Road area in m²: the union of road surfaces (flat-ended buffers), so crossings count once.

    .. math:: A_{road} = A\\left(\\left(\\bigcup_i \\operatorname{buf}_{flat}(r_i, w_i/2)\\right) \\cap B\\right)

    ``variant="redline"`` measures red-line road land; ``"carriageway"`` the carriageways of paved roads
    (the statistical yearbook convention). Source: domain brief §3 (GB 50220, secondary copy).

    Parameters
    ----------
    roads : GeoDataFrame
    builtup : GeoDataFrame, optional
        Clip to the built-up area (recommended: population and land share one scope).
    variant : {"redline", "carriageway"}
    default_widths : mapping, optional
        See :func:`road_surfaces`.

    Returns
    -------
    float
        m²; NaN when no road has a usable width (or, for the carriageway, no surface is known).
    """
    check_choice("variant", variant, _VARIANTS)
    clip = builtup_geometry(builtup)
    if variant == "carriageway":
        return _carriageway_result(roads, clip, default_widths).value
    areas, _, any_width = _redline_chain(roads, clip, default_widths)
    return areas[2] if any_width else float("nan")


def road_area_ratio_pct(
    roads: gpd.GeoDataFrame,
    builtup: gpd.GeoDataFrame,
    *,
    default_widths: Mapping[str, float] | None = None,
) -> float:
    """Road area ratio 道路面积率: red-line road land inside the built-up area ÷ built-up area, %.

    .. math:: R = 100 \\cdot A_{road} / A(B)

    Source: domain brief §3; 15 % by 2020 (2016 若干意见 §16).

    Parameters
    ----------
    roads, builtup : GeoDataFrame
        Road centrelines (``redline_width_m``) and built-up polygons in one metric CRS.
    default_widths : mapping, optional
        See :func:`road_surfaces`.

    Returns
    -------
    float
        %; NaN when the built-up area is empty or no road has a usable width.
    """
    clip = builtup_geometry(builtup)
    if clip is None:
        return float("nan")
    areas, _, any_width = _redline_chain(roads, clip, default_widths)
    return ratio_pct(areas[2], clip.area) if any_width else float("nan")


# --- paving ---------------------------------------------------------------------------------------------
def _paving_length_result(roads: gpd.GeoDataFrame, clip: Geometry | None) -> Result:
    surface = text_column(roads, "surface")
    known = pd.notna(surface)
    if not known.any():
        return nan("no road has a surface value (paved/unpaved)")
    lines = clip_to(_lines(roads), clip)
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

    No standard defines this indicator (domain brief §3, [I]); the distance defaults to 150 m and the
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
    public, _ = _public(roads, residential, exclude_internal)
    return _coverage_result(public, clip, distance_m).value
