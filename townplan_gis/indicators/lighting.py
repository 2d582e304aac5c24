"""Main-road lighting: the share of trunk-road length that is lit.

A trunk road (by default arterial and secondary) counts as lit where it is flagged ``lit``, or where a
street light lies within the configurable reach. Source: Weicheng 2017 plan (main-road street-light rate
100 %, ``docs/sources.md#weicheng-2017``); the length definition and the 25 m default reach are tool-defined
[I] (``docs/sources.md#tool-defined``).
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
from townplan_gis.indicators._road_base import (
    TRUNK_CLASSES,
    column_or_empty,
    first_rows,
    road_lines,
    unclassified_mask,
)

__all__ = ["main_road_lighting_pct"]


def _unclassified(
    roads: gpd.GeoDataFrame, clip: Geometry | None, trunk_classes: Sequence[str]
) -> tuple[str, str]:
    """Notes on roads of unknown class: (all of them unknown → the NaN reason, some → the caveat).

    A road may keep ``road_class`` None when its red-line width is given (schema ``filled_unknown``);
    it could be a trunk road, so the rate is honest only about the classified roads. Only unknown
    roads reaching into the built-up area could change the value, so only they are counted.
    """
    unknown = unclassified_mask(roads)
    if not unknown.any():
        return "", ""
    trunk = ", ".join(trunk_classes)
    fix = "Fix: fill road_class (道路等级, e.g. 主干路 / 次干路) in the roads layer"
    if unknown.all():
        return (
            f"road_class (道路等级) is missing for all {len(roads)} road(s), so the trunk roads "
            f"({trunk}) cannot be identified. {fix}",
            "",
        )
    if clip is not None:
        unknown &= shapely.intersects(road_lines(roads), clip)
    if not unknown.any():
        return "", ""
    rows = roads.index[unknown].tolist()
    return "", (
        f"{len(rows)} road(s) without road_class (道路等级) in rows {first_rows(rows)} are left out: "
        f"the value covers only the classified roads. {fix}"
    )


def _lighting_result(
    roads: gpd.GeoDataFrame,
    streetlights: gpd.GeoDataFrame | None,
    clip: Geometry | None,
    *,
    reach_m: float,
    trunk_classes: Sequence[str],
) -> Result:
    all_unknown, some_unknown = _unclassified(roads, clip, trunk_classes)
    if all_unknown:
        return nan(all_unknown)
    trunk = roads[np.isin(text_column(roads, "road_class"), list(trunk_classes))]
    lit = column_or_empty(trunk, "lit").astype("boolean")
    has_lights = streetlights is not None and len(geoms_of(streetlights)) > 0
    if len(trunk) == 0:
        return nan(join_notes(f"no trunk roads ({', '.join(trunk_classes)})", some_unknown))
    if lit.isna().all() and not has_lights:
        return nan(
            join_notes(
                "no lighting data: trunk roads carry no 'lit' flag and there is no streetlights "
                "layer",
                some_unknown,
            )
        )
    lines = clip_to(road_lines(trunk), clip)
    trunk_u = shapely.union_all(lines)
    total = trunk_u.length
    if total <= 0:
        return nan(
            join_notes(
                f"no trunk roads ({', '.join(trunk_classes)}) inside the built-up area",
                some_unknown,
            )
        )
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
    notes.append(some_unknown)
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
        %; NaN without trunk roads, without any lighting data, or when no road has a
        ``road_class``. Roads of unknown class (None) are left out: the rate covers the classified
        roads only (``tp.town_indicators(town)`` says so in the note, with the rows).
    """
    return _lighting_result(
        roads,
        streetlights,
        builtup_geometry(builtup),
        reach_m=reach_m,
        trunk_classes=trunk_classes,
    ).value
