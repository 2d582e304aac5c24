"""Tiny towns for the indicator and standard tests: local metres offset into EPSG:4545 (GK CM 108E)."""

from __future__ import annotations

import geopandas as gpd
import shapely

CRS = "EPSG:4545"
X0, Y0 = 500_000.0, 3_800_000.0


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def line(*pts: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in pts])


def point(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def gdf(geoms: list, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=CRS)


def square_km() -> gpd.GeoDataFrame:
    """The 1 km × 1 km built-up area of the issue's examples."""
    return gdf([box(0, 0, 1000, 1000)], name=["建成区"])


def roads(geoms: list, **columns) -> gpd.GeoDataFrame:
    n = len(geoms)
    columns.setdefault("road_class", ["branch"] * n)
    return gdf(geoms, **columns)
