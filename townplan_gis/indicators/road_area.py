"""Road area indicators: the road surfaces (red-line land or paved carriageway), road area and the road
area ratio. A road without a width of its own takes its class default and the note says how many.

Sources: road area after GB 50220 (``docs/sources.md#gb-50220-95``), class widths after GB 50188-2007
(``docs/sources.md#gb-50188-2007``, [R]), road area ratio 15 % by 2020
(``docs/sources.md#opinions-2016``).
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
    nested_union_areas,
    union_area,
)
from townplan_gis.indicators._road_base import (
    DEFAULT_CARRIAGEWAY_WIDTH_M,
    DEFAULT_REDLINE_WIDTH_M,
    column_or_empty,
    first_rows,
    km_text,
    road_lines,
    unclassified_mask,
)

__all__ = ["road_area_m2", "road_area_ratio_pct", "road_surfaces"]

Variant = Literal["redline", "carriageway"]
_VARIANTS: tuple[str, ...] = ("redline", "carriageway")


# --- road surfaces and area --------------------------------------------------------------------------
def _widths(
    roads: gpd.GeoDataFrame, variant: Variant, default_widths: Mapping[str, float] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Widths per road, whether a class default was used, and whether the width is missing."""
    column = "redline_width_m" if variant == "redline" else "carriageway_width_m"
    given = pd.to_numeric(column_or_empty(roads, column, "float"), errors="coerce").to_numpy(
        dtype=float
    )
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
        road_lines(roads),
        np.where(missing, 0.0, widths) / 2.0,
        cap_style="flat",
        join_style="mitre",
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
        length = float(shapely.length(road_lines(roads)[missing]).sum())
        # Without a class no default width applies either: say which fix unlocks these roads.
        classless = missing & unclassified_mask(roads)
        also = (
            f", {int(classless.sum())} of them also without road_class (道路等级) so no class "
            f"default applies (rows {first_rows(roads.index[classless].tolist())}). Fix: fill "
            f"the width or road_class"
            if classless.any()
            else ""
        )
        notes.append(
            f"{int(missing.sum())} road(s) ({km_text(length)}) without a {label} width left out{also}"
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
    (the statistical yearbook convention). Source: GB 50220, secondary copy (``docs/sources.md#gb-50220-95``).

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

    Source: 15 % by 2020 (2016 若干意见 §16, ``docs/sources.md#opinions-2016``).

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
