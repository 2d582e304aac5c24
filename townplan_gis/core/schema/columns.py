"""Column names as planners' files write them: renaming them to the canonical ones through the alias
table, choosing among several candidates by their values, and the record of the renames."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema.spec import Column, aliases, value_key, value_lookup

__all__ = ["accepted_values", "blank_cells", "column_aliases", "rename_columns", "rename_repairs"]


def column_aliases(kind: str) -> dict[str, list[str]]:
    """Canonical column → its accepted aliases, for one layer kind (common aliases included)."""
    return {**aliases()["columns"].get("common", {}), **aliases()["columns"].get(kind, {})}


def accepted_values(col: Column) -> tuple[str, ...]:
    """The canonical values a column accepts (its domain, else the alias table's values)."""
    return col.domain or tuple(aliases()["values"].get(col.name, {}))


def rename_columns(gdf: gpd.GeoDataFrame, kind: str) -> tuple[dict[str, str], list[str]]:
    """The renames that bring a layer's column names to the canonical ones, through the alias table.

    Matching ignores case and runs of white space (``" 道路等级 "``, ``ROAD_CLASS``). A canonical
    column already present is left alone and no alias is renamed onto it; each present column is
    renamed at most once. The frame itself is not changed: apply the result with
    ``gdf.rename(columns=renames)``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer as read. Not modified.
    kind : str
        Layer kind whose aliases apply (the common aliases are included), one of :data:`LAYERS`.

    Returns
    -------
    renames : dict of str to str
        Present column name → canonical name, for the columns that need a rename.
    canonical : list of str
        Every canonical column name the alias table knows for ``kind``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> roads = gpd.GeoDataFrame({"道路等级": ["主干路"]}, geometry=[LineString([(0, 0), (1, 0)])])
    >>> rename_columns(roads, "roads")[0]
    {'道路等级': 'road_class'}
    """
    table = column_aliases(kind)
    present = {value_key(c): c for c in gdf.columns if c != gdf.geometry.name}
    renames: dict[str, str] = {}
    for canonical, names in table.items():
        if canonical in gdf.columns:
            continue
        candidates = []
        for n in (canonical, *names):
            col = present.get(value_key(n))
            if col is not None and col not in renames and col not in table:
                candidates.append(col)
        if candidates:
            renames[_best_candidate(gdf, canonical, list(dict.fromkeys(candidates)))] = canonical
    return renames, list(table)


def rename_repairs(kind: str, renames: Mapping[str, str]) -> list[Repair]:
    """The record of column renames (``[]`` when none): one ``renamed_columns`` Repair of the layer.

    Examples
    --------
    >>> rename_repairs("control_lines", {"类型": "line_type"})[0].detail
    '类型→line_type'
    """
    if not renames:
        return []
    return [Repair(kind, "renamed_columns", [], ", ".join(f"{a}→{b}" for a, b in renames.items()))]


def _best_candidate(gdf: gpd.GeoDataFrame, canonical: str, candidates: list[str]) -> str:
    """Of several columns that could be ``canonical``, the one whose values fit its vocabulary.

    Generic names (``type``, ``class``, ``id``) are common in GIS exports with other meanings: an
    OpenStreetMap or CAD export's ``type`` holds geometry types (``multipolygon``). When a layer
    has both ``type`` and, say, ``linetype``, the column whose values are control-line types is
    taken; among equally good ones the alias table's order decides (specific names come first).
    """
    lookup = value_lookup(canonical)
    if len(candidates) == 1 or not lookup:
        return candidates[0]

    def share_known(col: str) -> float:
        values = gdf[col][~blank_cells(gdf[col])]
        distinct = pd.unique(values)
        if len(distinct) == 0:
            return 0.0
        return sum(value_key(v) in lookup for v in distinct) / len(distinct)

    scores = [share_known(c) for c in candidates]
    return candidates[scores.index(max(scores))]


def blank_cells(series: pd.Series) -> pd.Series:
    """Null, NaN and whitespace-only cells: missing values, not unknown ones."""
    blank_text = (series.astype("string").str.strip() == "").fillna(False).astype(bool)
    return series.isna() | blank_text
