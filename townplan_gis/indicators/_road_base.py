"""What every road indicator shares: the class defaults, the trunk classes, and which roads count.

Roads internal to residential quarters are not part of the road network (GB 50220 practice,
``docs/sources.md#gb-50220-95``); default widths by class are the shared vocabulary's
(``data/vocab.toml``; ``docs/sources.md#gb-50188-2007``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.vocab import CARRIAGEWAY_WIDTH_M, RED_WIDTH_M
from townplan_gis.indicators._common import text_column
from townplan_gis.indicators._geom import geoms_of, metric_geoms

__all__ = [
    "DEFAULT_CARRIAGEWAY_WIDTH_M",
    "DEFAULT_REDLINE_WIDTH_M",
    "TRUNK_CLASSES",
    "column_or_empty",
    "first_rows",
    "internal_road_mask",
    "km_text",
    "public_roads",
    "road_lines",
    "unclassified_mask",
]

# Default widths by road class, for roads whose width is missing (reported in the note): the shared
# vocabulary's (data/vocab.toml [values.road_class]; docs/sources.md#gb-50188-2007): red lines at the
# lower bound of each GB 50188-2007 range [R], the carriageway of a lane only.
DEFAULT_REDLINE_WIDTH_M: dict[str, float] = RED_WIDTH_M
DEFAULT_CARRIAGEWAY_WIDTH_M: dict[str, float] = CARRIAGEWAY_WIDTH_M
TRUNK_CLASSES: tuple[str, ...] = ("arterial", "secondary")


def column_or_empty(gdf: gpd.GeoDataFrame, name: str, dtype: str = "object") -> pd.Series:
    if name in gdf.columns:
        return gdf[name]
    return pd.Series(np.nan if dtype == "float" else None, index=gdf.index, dtype=dtype)


def road_lines(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return metric_geoms(gdf)


def km_text(length_m: float) -> str:
    return f"{length_m / 1000:.2f} km"


def first_rows(labels: list, limit: int = 5) -> str:
    """Row labels for a note: the first few, then how many more."""
    more = f" … and {len(labels) - limit} more" if len(labels) > limit else ""
    return "[" + ", ".join(str(r) for r in labels[:limit]) + more + "]"


def unclassified_mask(roads: gpd.GeoDataFrame) -> np.ndarray:
    """Roads whose class is unknown (None): the schema keeps them when a red-line width is given."""
    return np.array([c is None for c in text_column(roads, "road_class")], dtype=bool)


def internal_road_mask(
    roads: gpd.GeoDataFrame, residential: gpd.GeoDataFrame | None, *, tolerance_m: float = 1.0
) -> pd.Series:
    """Which roads are internal to a residential quarter (aligned to ``roads.index``).

    GB 50220 practice (``docs/sources.md#gb-50220-95``): roads internal to residential quarters are not counted in the
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
    lines = road_lines(roads)
    valid = ~(shapely.is_missing(lines) | shapely.is_empty(lines))
    idx = np.flatnonzero(valid)
    ri, qi = shapely.STRtree(grown).query(lines[idx], predicate="within")
    if len(ri):
        deep = shapely.intersects(lines[idx][ri], shrunk[qi])
        mask[idx[ri[deep]]] = True
    return pd.Series(mask, index=roads.index)


def public_roads(
    roads: gpd.GeoDataFrame, residential: gpd.GeoDataFrame | None, exclude_internal: bool
) -> tuple[gpd.GeoDataFrame, str]:
    """The roads counted in the network (internal ones left out when asked), and the note saying so."""
    if not exclude_internal:
        return roads, ""
    internal = internal_road_mask(roads, residential)
    n = int(internal.sum())
    if n == 0:
        return roads, ""
    mask = internal.to_numpy()
    length = float(np.nansum(shapely.length(road_lines(roads)[mask])))
    note = f"{n} road(s) internal to residential quarters ({km_text(length)}) excluded"
    return roads.iloc[np.flatnonzero(~mask)], note
