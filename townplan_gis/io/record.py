"""The town record that every container shares: a town's settings (name, population, statistics,
metadata, CRS, declared-absent line types) and its repair history, as stored beside the layers in a
GeoPackage table, a folder's ``town.toml`` or a PostGIS schema, and the rebuilding of a Town from them.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj

from townplan_gis.core.errors import DataFileError
from townplan_gis.core.repairs import Repair
from townplan_gis.core.town import Town, _check_population, _check_statistics

__all__ = [
    "INDEX_COLUMN",
    "META_TABLE",
    "RECOMPUTED_ON_READ",
    "TOWN_KEYS",
    "check_meta",
    "prepare_for_write",
    "town_from_parts",
    "town_record",
]

#: The attribute table holding the town record in a GeoPackage (key → JSON value).
META_TABLE = "townplan_town"
INDEX_COLUMN = "townplan_index"


# Keys of town.toml (and of the GeoPackage's townplan_town table). absent_line_types declares the
# control-line types a town does not have (the review counts them as checked).
TOWN_KEYS = (
    "name",
    "population",
    "statistics",
    "metadata",
    "crs",
    "assume_crs",
    "absent_line_types",
    "repairs",
)


def check_meta(meta: dict[str, Any], source: str) -> None:
    """Refuse town settings of the wrong type or value, naming the file and the key.

    Unknown keys are refused by the caller for town.toml (:data:`TOWN_KEYS`); the GeoPackage
    table and PostGIS carry keys of their own (``tables``).
    """

    def refuse(key: str, wanted: str, example: str) -> None:
        raise DataFileError(
            f"{source}: '{key}' must be {wanted}, got {meta[key]!r} "
            f"({type(meta[key]).__name__}). Fix: write it as {example}."
        )

    if "name" in meta and not (isinstance(meta["name"], str) and meta["name"].strip()):
        refuse("name", "non-empty text", 'name = "蒲州镇"')
    for key in ("statistics", "metadata"):
        if key in meta and not isinstance(meta[key], dict):
            refuse(key, "a table", f"a [{key}] section with one 'key = value' per line")
    for key in ("crs", "assume_crs"):
        value = meta.get(key)
        if value is None or isinstance(value, bool) or not isinstance(value, (str, int)):
            if value is not None:
                refuse(key, "an EPSG code as text", f'{key} = "EPSG:4546"')
            continue
        try:
            pyproj.CRS.from_user_input(value)
        except pyproj.exceptions.CRSError as exc:
            raise DataFileError(
                f"{source}: {key} = {value!r} is not a coordinate reference system ({exc}). Fix: "
                f'write an EPSG code as text, e.g. {key} = "EPSG:4546" (CGCS2000 GK CM 111E).'
            ) from exc
    if "population" in meta:
        try:
            _check_population(meta["population"])
        except DataFileError as exc:
            raise DataFileError(f"{source}: {exc}") from exc
    if "statistics" in meta:
        try:
            _check_statistics(meta["statistics"])
        except DataFileError as exc:
            raise DataFileError(f"{source}: {exc}") from exc
    absent = meta.get("absent_line_types")
    if absent is not None and not (
        isinstance(absent, list) and all(isinstance(t, str) for t in absent)
    ):
        refuse("absent_line_types", "a list of line types", 'absent_line_types = ["purple"]')
    history = meta.get("repairs")
    fields = {"layer", "action", "rows", "detail"}
    if history is not None and not (
        isinstance(history, list) and all(isinstance(r, dict) and fields <= set(r) for r in history)
    ):
        raise DataFileError(
            f"{source}: 'repairs' is the record townplan_gis writes of the changes it made, a list "
            f"of tables with {sorted(fields)}; got {history!r:.80}. Fix: remove the key (the "
            f"record is then lost) or restore it from the file townplan_gis wrote."
        )


# Repairs that describe the data as it is rather than a change made to it: Town re-derives them
# from the stored layers on every read (a road still without a class, a geometry still empty), so
# the fresh record is the true one. The saved copy would be a duplicate, or stale once a planner has
# filled the class or drawn the geometry in the file. Changes that cannot be re-derived (renames,
# reprojection, make_valid, collapsed, extracted parts, encoding) are kept from the saved history.
RECOMPUTED_ON_READ = frozenset(
    {"filled_unknown", "empty_geometry", "nonfinite_vertices", "duplicate_ids"}
)


def town_from_parts(
    default_name: str,
    layers: dict,
    meta: dict,
    repairs: list[Repair],
    *,
    source: str | None = None,
    **kwargs: Any,
) -> Town:
    check_meta(meta, source or default_name)
    history = [
        Repair(r["layer"], r["action"], r["rows"], r["detail"])
        for r in meta.get("repairs", [])
        if r["action"] not in RECOMPUTED_ON_READ
    ]
    repairs = history + repairs
    return Town(
        kwargs.pop("name", None) or meta.get("name") or default_name,
        layers=layers,
        population=kwargs.pop("population", meta.get("population")),
        statistics=kwargs.pop("statistics", meta.get("statistics")),
        crs=kwargs.pop("crs", None) or meta.get("crs"),
        assume_crs=kwargs.pop("assume_crs", None) or meta.get("assume_crs"),
        metadata={**(meta.get("metadata") or {}), **kwargs.pop("metadata", {})},
        absent_line_types=kwargs.pop("absent_line_types", meta.get("absent_line_types")),
        _repairs=repairs,
        **kwargs,
    )


def town_record(town: Town) -> dict[str, Any]:
    return {
        "name": town.name,
        "population": town.population,
        "statistics": town.statistics,
        "metadata": town.metadata,
        "absent_line_types": list(getattr(town, "absent_line_types", [])),
        "crs": f"EPSG:{town.crs.to_epsg()}"
        if town.crs is not None and town.crs.to_epsg()
        else None,
        "repairs": [
            {
                **r.as_dict(),
                "rows": [x if isinstance(x, (int, float, str)) else str(x) for x in r.rows],
            }
            for r in town._repairs
        ],
    }


def prepare_for_write(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf
    if not (isinstance(gdf.index, pd.RangeIndex) and gdf.index.start == 0 and gdf.index.step == 1):
        out = gdf.copy()
        out[INDEX_COLUMN] = gdf.index
        out = out.reset_index(drop=True)
    return out
