"""The metric CRS a town is measured in: the CGCS2000 3-degree Gauss-Krüger zone nearest the data in
China (EPSG:4534–4554, no zone prefix), the WGS 84 UTM zone elsewhere (``docs/sources.md#epsg``)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from townplan_gis.core.crs.extent import CHINA_BOX, WORLD, crs_label, inside, span_text
from townplan_gis.core.errors import CRSError

__all__ = ["CGCS2000", "analysis_crs", "gk3_epsg", "utm_epsg"]

CGCS2000 = pyproj.CRS.from_epsg(4490)


def gk3_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (CM form, no zone prefix) for a longitude.

    .. math:: N = \\lfloor lon / 3 + 0.5 \\rfloor,\\quad \\mathrm{EPSG} = 4534 + (N - 25)

    Examples
    --------
    >>> gk3_epsg(110.3)
    4546
    >>> gk3_epsg(117.2)
    4548
    """
    zone = math.floor(lon / 3 + 0.5)
    if not 25 <= zone <= 45:
        raise CRSError(
            f"longitude {lon:.4f} is outside the CGCS2000 3-degree zones 25–45 (75°E–135°E). "
            f"Fix: pass crs= explicitly."
        )
    return 4534 + zone - 25


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone containing (lon, lat): 326NN north, 327NN south."""
    zone = min(int((lon + 180) // 6) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def _lonlat_centre(gdfs: Iterable[gpd.GeoDataFrame]) -> tuple[float, float]:
    boxes = []
    for gdf in gdfs:
        if gdf is None or len(gdf) == 0 or gdf.crs is None:
            continue
        # Features with a NaN or infinite vertex are left out of the extent, not the whole layer.
        rows = shapely.bounds(np.asarray(gdf.geometry.array, dtype=object))
        rows = rows[np.isfinite(rows).all(axis=1)]
        if len(rows) == 0:
            continue
        b = np.concatenate([rows[:, :2].min(axis=0), rows[:, 2:].max(axis=0)])
        if gdf.crs.is_geographic:
            lonlat = np.asarray(b, dtype=float)
        else:
            try:
                t = pyproj.Transformer.from_crs(gdf.crs, 4326, always_xy=True)
                lonlat = np.asarray(t.transform_bounds(*b), dtype=float)
            except pyproj.exceptions.ProjError:
                lonlat = np.full(4, np.nan)
        # Numbers that do not fit the CRS give inf (or a PROJ error): say so instead of choosing
        # a zone from them or passing a bare pyproj error on.
        if not (np.all(np.isfinite(lonlat)) and inside(lonlat, WORLD)):
            raise CRSError(
                f"cannot choose an analysis CRS: a layer's extent (x {span_text(b[0], b[2])}, y "
                f"{span_text(b[1], b[3])}) is not a place on Earth in its declared CRS "
                f"{crs_label(gdf.crs)}. Fix: declare the CRS the coordinates were measured in "
                f"(see townplan_gis.check_coordinates), or pass crs=."
            )
        boxes.append(lonlat)
    if not boxes:
        raise CRSError("cannot choose an analysis CRS: no layer has geometry and a CRS. Pass crs=.")
    arr = np.vstack(boxes)
    return (arr[:, 0].min() + arr[:, 2].max()) / 2, (arr[:, 1].min() + arr[:, 3].max()) / 2


def analysis_crs(*layers: gpd.GeoDataFrame, crs: object | None = None) -> pyproj.CRS:
    """The metric CRS to measure these layers in.

    Parameters
    ----------
    *layers : geopandas.GeoDataFrame
        Layers with a CRS; the centre of their joint extent picks the zone (never the first row).
    crs : anything pyproj accepts, optional
        Use this CRS instead; it must be projected with metre units.

    Returns
    -------
    pyproj.CRS
        The caller's CRS, else CGCS2000 3-degree GK (EPSG:4534–4554) inside China, else WGS 84 UTM.
    """
    if crs is not None:
        chosen = pyproj.CRS.from_user_input(crs)
        unit = chosen.axis_info[0].unit_name if chosen.axis_info else ""
        if not chosen.is_projected or unit not in ("metre", "meter"):
            raise CRSError(
                f"analysis CRS {chosen.to_string()} is not a projected CRS in metres. Fix: pass a "
                f"metric CRS such as EPSG:4546 (CGCS2000 GK CM 111E) or a UTM zone."
            )
        return chosen
    lon, lat = _lonlat_centre(layers)
    x0, y0, x1, y1 = CHINA_BOX
    if x0 <= lon <= x1 and y0 <= lat <= y1:
        return pyproj.CRS.from_epsg(gk3_epsg(lon))
    return pyproj.CRS.from_epsg(utm_epsg(lon, lat))
