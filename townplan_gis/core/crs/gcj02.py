"""GCJ-02, the obfuscated datum of Gaode/AMap and Tencent tiles (``docs/sources.md#gcj-02``).

PROJ does not implement it; the forward formula below is the published one (Krasovsky a = 6378245.0,
ee = 0.00669342162296594323; reference implementation eviltransform). It is for *display* over those
tiles only: never measure in GCJ-02.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from townplan_gis.core.errors import CRSError

__all__ = ["gcj02_to_wgs84", "in_china", "shift_to_gcj02", "wgs84_to_gcj02"]

# The box inside which GCJ-02 applies (eviltransform's outOfChina test).
_GCJ_BOX = (72.004, 0.8293, 137.8347, 55.8271)


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Whether points fall in the box where GCJ-02 applies (outside it the shift is zero)."""
    x0, y0, x1, y1 = _GCJ_BOX
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)


_A = 6378245.0
_EE = 0.00669342162296594323


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sq) * np.pi)
    d_lon = (d_lon * 180.0) / (_A / sq * np.cos(rad) * np.pi)
    return d_lon, d_lat


def wgs84_to_gcj02(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS 84 / CGCS2000 longitudes and latitudes to GCJ-02 (vectorised; unchanged outside China).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(120.0, 30.0)
    >>> round(float(lon), 9), round(float(lat), 9)
    (120.004660446, 29.997534332)
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    d_lon, d_lat = _delta(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def gcj02_to_wgs84(lon, lat, *, iterations: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Invert :func:`wgs84_to_gcj02` by fixed-point iteration (converges to ~1e-9 m in 2–3 steps).

    The one-step inverse most libraries use is off by up to a few metres; iterating
    ``w ← w − (f(w) − g)`` removes that error.
    """
    g_lon, g_lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(iterations):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon, w_lat = w_lon - (f_lon - g_lon), w_lat - (f_lat - g_lat)
    return w_lon, w_lat


def shift_to_gcj02(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Shift every vertex of geographic (EPSG:4326/4490) geometries to GCJ-02, for display only."""
    if geoms.crs is None or not geoms.crs.is_geographic:
        raise CRSError(
            "shift_to_gcj02 needs longitude/latitude geometries; reproject to EPSG:4326 first."
        )

    def _shift(coords: np.ndarray) -> np.ndarray:
        x, y = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return gpd.GeoSeries(shapely.transform(geoms.array, _shift), index=geoms.index, crs=geoms.crs)
