"""Shared machinery of the service coverage: settings, residential cells, distances to sources.

Residential land is cut into grid cells (aligned to multiples of the cell size); each cell is in or out
by its representative point. Distances are walked along the street network
(:mod:`townplan_gis.indicators.network`), or measured straight when the town has no roads (labelled).
"""

from __future__ import annotations

import math
from functools import cache
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.datafiles import load_toml_text
from townplan_gis.core.errors import TownPlanError
from townplan_gis.indicators.network import EPS_M, StreetNetwork, street_network

__all__ = [
    "NETWORK",
    "STRAIGHT",
    "cell_size",
    "cells",
    "check_metres",
    "distances",
    "geoms_of_layer",
    "residential_land",
    "service_settings",
    "shares",
    "town_network",
]

NETWORK = "network (walked along the roads, access at the nearest point of an edge)"
STRAIGHT = "straight line (fallback: the town has no roads)"
_SOURCE = "townplan_gis/data/service.toml"


@cache
def service_settings() -> dict[str, Any]:
    """``townplan_gis/data/service.toml`` as a dict (park radii, life circles, categories)."""
    text = resources.files("townplan_gis.data").joinpath("service.toml").read_text("utf-8")
    return load_toml_text(text, source=_SOURCE)


def geoms_of_layer(gdf: gpd.GeoDataFrame | None) -> np.ndarray:
    if gdf is None or len(gdf) == 0:
        return np.empty(0, dtype=object)
    return np.asarray(gdf.geometry.array, dtype=object)


def cells(land: np.ndarray, cell_m: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Residential land cut by a grid of ``cell_m`` (aligned to multiples of it): pieces, owners."""
    ok = np.flatnonzero(~(shapely.is_missing(land) | shapely.is_empty(land)))
    if cell_m is None or len(ok) == 0:
        return land[ok], ok
    b = shapely.bounds(land[ok])
    x0, y0 = np.floor(b[:, 0] / cell_m), np.floor(b[:, 1] / cell_m)
    nx = np.maximum(np.ceil(b[:, 2] / cell_m) - x0, 1).astype(np.int64)
    ny = np.maximum(np.ceil(b[:, 3] / cell_m) - y0, 1).astype(np.int64)
    count = nx * ny
    owner = np.repeat(np.arange(len(ok)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    gx = (np.repeat(x0, count) + k % np.repeat(nx, count)) * cell_m
    gy = (np.repeat(y0, count) + k // np.repeat(nx, count)) * cell_m
    boxes = shapely.box(gx, gy, gx + cell_m, gy + cell_m)
    pieces = shapely.intersection(land[ok][owner], boxes)
    pieces, idx = shapely.get_parts(pieces, return_index=True)
    keep = (shapely.get_dimensions(pieces) == 2) & (shapely.area(pieces) > 0)
    return pieces[keep], ok[owner[idx[keep]]]


def distances(
    net: StreetNetwork | None,
    points: np.ndarray,
    sources: np.ndarray,
    head_start: np.ndarray,
    *,
    entrance_m: float,
    limit: float,
) -> tuple[np.ndarray, str]:
    """Distance from each point to its nearest source (plus the source's head start), and how."""
    if len(sources) == 0 or len(points) == 0:
        return np.full(len(points), np.inf), NETWORK if net is not None else STRAIGHT
    if net is None:
        tree = shapely.STRtree(sources)
        left, right = tree.query(points, predicate="dwithin", distance=limit + EPS_M)
        d = shapely.distance(points[left], sources[right]) + head_start[right]
        best = pd.Series(d).groupby(left).min()
        out = np.full(len(points), np.inf)
        out[best.index.to_numpy()] = best.to_numpy()
        return np.where(out <= limit + EPS_M, out, np.inf), STRAIGHT
    access = net.access(sources, entrance_m=entrance_m, extra_cost=head_start)
    d, _ = net.distances(points, access, limit=limit)
    return d, NETWORK


def residential_land(town: Any, clip: Any) -> tuple[gpd.GeoDataFrame | None, np.ndarray, str]:
    """Residential quarters, their land inside the built-up area, and the scope note."""
    res = town.layers.get("residential")
    if res is None or len(res) == 0:
        return None, np.empty(0, dtype=object), ""
    geoms = geoms_of_layer(res)
    if clip is None:
        return res, geoms, "no built-up area: every residential quarter counted"
    return res, shapely.intersection(geoms, clip), ""


def town_network(town: Any, use: bool) -> StreetNetwork | None:
    roads = town.layers.get("roads")
    return street_network(geoms_of_layer(roads)) if use and roads is not None else None


def _weights(res: gpd.GeoDataFrame, column: str) -> np.ndarray:
    if column not in res:
        return np.full(len(res), np.nan)
    return pd.to_numeric(res[column], errors="coerce").to_numpy(dtype=float)


def shares(res, land, owner, cell_area, covered) -> dict[str, Any]:
    """Covered land and households per quarter, and the totals."""
    n = len(res)
    land_m2 = shapely.area(np.where(pd.isna(land), shapely.Polygon(), land).astype(object))
    cov = np.bincount(owner, weights=cell_area * covered, minlength=n)
    share = np.divide(cov, land_m2, out=np.zeros(n), where=land_m2 > 0)
    hh = _weights(res, "households")
    inside = land_m2 > 0
    known = inside & np.isfinite(hh)
    total_land = land_m2.sum()
    out = {
        "land_m2": land_m2,
        "covered_m2": cov,
        "share": share,
        "households": hh,
        "households_covered": hh * share,
        "coverage_pct": 100 * cov.sum() / total_land if total_land > 0 else math.nan,
        "households_pct": (
            100 * np.sum(hh[known] * share[known]) / hh[known].sum()
            if known.any() and hh[known].sum() > 0
            else math.nan
        ),
        "residential_m2": float(total_land),
        "n_unknown_households": int((inside & ~np.isfinite(hh)).sum()),
    }
    pop = _weights(res, "population")
    pk = inside & np.isfinite(pop)
    out["population_pct"] = (
        100 * np.sum(pop[pk] * share[pk]) / pop[pk].sum()
        if pk.any() and pop[pk].sum() > 0
        else math.nan
    )
    return out


def check_metres(value: Any, name: str) -> float:
    """``value`` as metres, refusing what is not a number ≥ 0 (TownPlanError naming ``name``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise TownPlanError(f"{name} must be a number of metres ≥ 0, got {value!r}.")
    return float(value)


def cell_size(cell_m: Any, default: float) -> float | None:
    """The cell size in metres: ``default`` for the sentinel -1, None for whole quarters."""
    if cell_m is None:
        return None
    if isinstance(cell_m, int | float) and not isinstance(cell_m, bool) and cell_m == -1.0:
        return float(default)
    size = check_metres(cell_m, "cell_m")
    if size <= 0:
        raise TownPlanError(f"cell_m must be > 0 metres or None (whole quarters), got {cell_m!r}.")
    return size
