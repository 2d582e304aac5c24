"""Main-road lighting: the share of trunk-road length that is lit.

A trunk road (by default arterial and secondary) counts as lit where it is flagged ``lit``, or where a
street light lies within the configurable reach. Source: Weicheng 2017 plan (main-road street-light rate
100 %, domain brief §1 C); the length definition and the 25 m default reach are tool-defined [I].
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely
from shapely import Geometry

from townplan_gis.indicators._common import (
    Result,
    builtup_geometry,
    join_notes,
    nan,
    ratio_pct,
    text_column,
)
from townplan_gis.indicators._geom import clip_to, covered_length, geoms_of
from townplan_gis.indicators.roads import TRUNK_CLASSES, _col, _lines

__all__ = ["main_road_lighting_pct"]


def _lighting_result(
    roads: gpd.GeoDataFrame,
    streetlights: gpd.GeoDataFrame | None,
    clip: Geometry | None,
    *,
    reach_m: float,
    trunk_classes: Sequence[str],
) -> Result:
    trunk = roads[np.isin(text_column(roads, "road_class"), list(trunk_classes))]
    lit = _col(trunk, "lit").astype("boolean")
    has_lights = streetlights is not None and len(geoms_of(streetlights)) > 0
    if len(trunk) == 0:
        return nan(f"no trunk roads ({', '.join(trunk_classes)})")
    if lit.isna().all() and not has_lights:
        return nan(
            "no lighting data: trunk roads carry no 'lit' flag and there is no streetlights layer"
        )
    lines = clip_to(_lines(trunk), clip)
    trunk_u = shapely.union_all(lines)
    total = trunk_u.length
    if total <= 0:
        return nan(f"no trunk roads ({', '.join(trunk_classes)}) inside the built-up area")
    flagged = shapely.union_all(lines[lit.fillna(False).to_numpy(dtype=bool)])
    lit_len = flagged.length
    if has_lights:
        rest = shapely.difference(trunk_u, flagged)
        lit_len += covered_length(rest, geoms_of(streetlights), reach_m)
    notes = []
    if has_lights:
        notes.append(f"lit = flagged lit or within {reach_m:g} m of a street light")
    unknown = int(lit.isna().sum())
    if unknown:
        notes.append(
            f"{unknown} trunk road(s) without a lit flag count only where a street light reaches"
        )
    return Result(ratio_pct(lit_len, total), join_notes(*notes))


def main_road_lighting_pct(
    roads: gpd.GeoDataFrame,
    builtup: gpd.GeoDataFrame | None = None,
    streetlights: gpd.GeoDataFrame | None = None,
    *,
    reach_m: float = 25.0,
    trunk_classes: Sequence[str] = TRUNK_CLASSES,
) -> float:
    """Main-road lighting rate: trunk-road length lit ÷ trunk-road length, %.

    .. math:: L = 100 \\cdot \\frac{|T \\cap (F \\cup \\bigcup_j \\operatorname{buf}(p_j, s))|}{|T|}

    where T is the trunk network inside the built-up area, F the trunk roads flagged ``lit`` and p_j the
    street lights with reach s. Source: Weicheng plan (main-road street-light rate 100 %); the length
    definition and the default reach of 25 m (half a typical 50 m spacing) are tool-defined [I].

    Parameters
    ----------
    roads : GeoDataFrame
        With ``road_class`` and the nullable boolean ``lit``.
    builtup : GeoDataFrame, optional
    streetlights : GeoDataFrame, optional
        Street-light points.
    reach_m : float, default 25
    trunk_classes : sequence of str, default ("arterial", "secondary")

    Returns
    -------
    float
        %; NaN without trunk roads or without any lighting data.
    """
    return _lighting_result(
        roads,
        streetlights,
        builtup_geometry(builtup),
        reach_m=reach_m,
        trunk_classes=trunk_classes,
    ).value
