"""Small shared pieces of the indicator families: the (value, note) result and input checks."""

from __future__ import annotations

import math
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import shapely
from shapely import Geometry

from townplan_gis.core.errors import MissingColumnError, TownPlanError
from townplan_gis.core.schema import aliases
from townplan_gis.indicators._geom import dissolve, metric_geoms

__all__ = [
    "Result",
    "builtup_geometry",
    "check_choice",
    "in_builtup",
    "join_notes",
    "nan",
    "per_capita",
    "ratio_pct",
    "require_column",
    "text_column",
]


class Result(NamedTuple):
    """An indicator value and the note explaining it (why NaN, what was assumed or left out)."""

    value: float
    note: str = ""


def nan(note: str) -> Result:
    """A value that cannot be computed, with the reason."""
    return Result(math.nan, note)


def check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    """Raise :class:`~townplan_gis.core.errors.TownPlanError` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise TownPlanError(f"{name} must be one of {list(allowed)}, got {value!r}.")


def require_column(gdf: gpd.GeoDataFrame, layer: str, column: str) -> None:
    """Raise :class:`~townplan_gis.core.errors.MissingColumnError` when ``column`` is absent.

    The indicator functions take canonical layers (``town.green`` …); a bare frame that skipped
    :func:`townplan_gis.core.schema.normalize_layer` gets the same message a Town would give.
    """
    if column in gdf.columns:
        return
    table = aliases()["columns"]
    names = {**table.get("common", {}), **table.get(layer, {})}.get(column, [])
    available = [c for c in gdf.columns if c != gdf.geometry.name]
    raise MissingColumnError(layer, column, available=available, aliases=names)


def text_column(gdf: gpd.GeoDataFrame, name: str) -> np.ndarray:
    """A text column as an object array, None where missing or absent (numpy compares it fast).

    Missing values of any kind (None, NaN, ``pd.NA`` of a ``string`` column) become None, so
    ``values == "paved"`` is a plain boolean array.
    """
    if name not in gdf.columns:
        return np.full(len(gdf), None, dtype=object)
    return np.asarray(gdf[name].array.to_numpy(dtype=object, na_value=None), dtype=object)


def builtup_geometry(builtup: gpd.GeoDataFrame | Geometry | None) -> Geometry | None:
    """The dissolved built-up area (None when there is none, or it has no area)."""
    if builtup is None:
        return None
    if isinstance(builtup, Geometry):
        geom = builtup
    else:
        geom = dissolve(metric_geoms(builtup))
    if geom.is_empty or geom.area <= 0:
        return None
    shapely.prepare(geom)
    return geom


def in_builtup(geoms: np.ndarray, clip: Geometry) -> np.ndarray:
    """Whether each feature lies (partly) in the built-up area: the scope of every count.

    A line or polygon counts when it shares interior with the built-up area (a park straddling the
    edge counts; one that only touches the edge from outside does not, since its area inside is 0);
    a point counts when it lies inside or on the edge. Missing or empty geometries are False.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely geometries
        The features, in the metric CRS of ``clip``.
    clip : shapely.Geometry
        The dissolved built-up area (:func:`builtup_geometry`).

    Returns
    -------
    numpy.ndarray of bool
        Aligned to ``geoms``.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return np.zeros(0, dtype=bool)
    hit = shapely.intersects(geoms, clip)
    edge = hit & (shapely.get_dimensions(geoms) > 0)
    if edge.any():
        hit[edge] = ~shapely.touches(geoms[edge], clip)
    return hit


def ratio_pct(part: float, whole: float) -> float:
    """``100 · part / whole``, NaN when ``whole`` is not positive."""
    return 100.0 * part / whole if whole > 0 else math.nan


def per_capita(total: float, population: float | None) -> float:
    """``total / population``, NaN when the population is unknown (None or NaN) or not positive."""
    if population is None or not population > 0:
        return math.nan
    return total / float(population)


def join_notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
