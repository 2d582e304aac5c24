"""Coordinate reference systems: plausibility of declared CRSs, the metric analysis CRS, GCJ-02.

Areas and lengths are measured only in a metric CRS. In China that is the CGCS2000 3-degree Gauss-Krüger
zone with the central meridian nearest the data (EPSG:4534–4554, "CGCS2000 / 3-degree Gauss-Kruger CM
75E…135E", false easting 500 km, no zone prefix); elsewhere the WGS 84 UTM zone. Source: EPSG registry,
``docs/sources.md#epsg``.

The package, by seam: :mod:`~townplan_gis.core.crs.metric` (the analysis CRS),
:mod:`~townplan_gis.core.crs.plausibility` (coordinates against their declared CRS, with what a
declared CRS allows in :mod:`~townplan_gis.core.crs.declared`) and :mod:`~townplan_gis.core.crs.gcj02`
(the display datum of Chinese web tiles, ``docs/sources.md#gcj-02``).
"""

from townplan_gis.core.crs.declared import MARGIN_DEG
from townplan_gis.core.crs.gcj02 import gcj02_to_wgs84, in_china, shift_to_gcj02, wgs84_to_gcj02
from townplan_gis.core.crs.metric import CGCS2000, analysis_crs, gk3_epsg, utm_epsg
from townplan_gis.core.crs.plausibility import check_coordinates

__all__ = [
    "CGCS2000",
    "MARGIN_DEG",
    "analysis_crs",
    "check_coordinates",
    "gcj02_to_wgs84",
    "gk3_epsg",
    "in_china",
    "shift_to_gcj02",
    "utm_epsg",
    "wgs84_to_gcj02",
]
