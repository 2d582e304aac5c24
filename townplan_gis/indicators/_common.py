"""Small shared pieces of the indicator families: the (value, note) result and input checks."""

from __future__ import annotations

import math
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import shapely
from shapely import Geometry

from townplan_gis.indicators._geom import dissolve

__all__ = ["Result", "builtup_geometry", "is_missing_frame", "nan", "ratio_pct"]


class Result(NamedTuple):
    """An indicator value and the note explaining it (why NaN, what was assumed or left out)."""

    value: float
    note: str = ""


def nan(note: str) -> Result:
    """A value that cannot be computed, with the reason."""
    return Result(math.nan, note)


def is_missing_frame(gdf: gpd.GeoDataFrame | None) -> bool:
    return gdf is None or len(gdf) == 0


def builtup_geometry(builtup: gpd.GeoDataFrame | Geometry | None) -> Geometry | None:
    """The dissolved built-up area (None when there is none, or it has no area)."""
    if builtup is None:
        return None
    if isinstance(builtup, Geometry):
        geom = builtup
    else:
        geom = dissolve(np.asarray(builtup.geometry.array, dtype=object))
    if geom.is_empty or geom.area <= 0:
        return None
    shapely.prepare(geom)
    return geom


def ratio_pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole > 0 else math.nan


def join_notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
