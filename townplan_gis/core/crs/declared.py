"""What a declared CRS allows: its area of use widened by a margin, and its Gauss-Krüger family (central
meridian, zone prefix, 3- or 6-degree numbering), as EPSG defines them (``docs/sources.md#epsg``)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyproj

from townplan_gis.core.crs.extent import WORLD, crs_label

__all__ = [
    "EASTINGS",
    "MARGIN_DEG",
    "NORTHINGS",
    "Box",
    "Declared",
    "declared",
    "gk_name",
    "gk_of_prefix",
    "prefix_cm",
]

# How far outside its CRS's area of use a layer may lie, in degrees. Towns are measured in the
# nearest Gauss-Krüger zone, so a town on a zone edge lies up to 1.5° past it; 3° more keeps every
# honest survey while still telling a zone-prefixed, swapped or lon/lat-as-metres layer apart
# (those land thousands of kilometres away).
MARGIN_DEG = 3.0
# Northings of China in any Gauss-Krüger or UTM zone (about 9°N–63°N), and eastings without zone
# prefix (false easting 500 km): used to recognise metres in a layer declared in degrees.
NORTHINGS = (1.0e6, 7.0e6)
EASTINGS = (0.0, 1.0e6)


def prefix_cm(prefix: np.ndarray | float) -> np.ndarray:
    """Central meridian (°E) of a Gauss-Krüger zone number used as an easting prefix, NaN if none.

    In China 3-degree zones are numbered 25–45 (CM = 3N) and 6-degree zones 13–23 (CM = 6N − 3):
    the two ranges do not overlap, so a prefix names its zone unambiguously.
    """
    p = np.asarray(prefix, dtype=float)
    return np.where(
        (p >= 25) & (p <= 45), 3 * p, np.where((p >= 13) & (p <= 23), 6 * p - 3, np.nan)
    )


@functools.cache
def epsg_projected() -> dict[str, int]:
    from pyproj.database import query_crs_info
    from pyproj.enums import PJType

    infos = query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS)
    return {i.name: int(i.code) for i in infos}


def gk_name(
    datum: str, *, zone: int | None = None, cm: float | None = None, three: bool = True
) -> str:
    """``EPSG:4525 (CGCS2000 / 3-degree Gauss-Kruger zone 37)`` for a zone (prefixed) or a central
    meridian (CM form), as EPSG names them."""
    deg = "3-degree " if three else ""
    name = f"{datum} / {deg}Gauss-Kruger " + (f"zone {zone}" if zone is not None else f"CM {cm:g}E")
    code = epsg_projected().get(name)
    return f"EPSG:{code} ({name})" if code else f"the CRS '{name}'"


def gk_of_prefix(datum: str, p: int, *, prefixed: bool) -> str:
    three = 25 <= p <= 45
    cm = 3 * p if three else 6 * p - 3
    return gk_name(datum, zone=p, three=three) if prefixed else gk_name(datum, cm=cm, three=three)


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Declared:
    """What a declared CRS allows: a plausible box of coordinates and its Gauss-Krüger zone."""

    crs: pyproj.CRS
    label: str
    geographic: bool
    box: Box | None  # plausible coordinates in the CRS's units, x = easting/longitude
    lonlat: Box | None  # the same in longitude/latitude
    area: str
    cm: float | None  # central meridian of a Gauss-Krüger CRS (transverse Mercator, k = 1)
    prefix: int | None  # zone number carried in its false easting, None for the CM form
    three: bool  # 3-degree (True) or 6-degree zone numbering
    unit: str

    @property
    def datum(self) -> str:
        """How EPSG names this CRS's Gauss-Krüger siblings (``CGCS2000``, ``Xian 1980`` …);
        CGCS2000, China's current datum, for every other CRS."""
        name = horizontal(self.crs).name
        head = name.split(" / ")[0] if " / " in name else ""
        return head if any(k.startswith(f"{head} / ") for k in gk_names()) else "CGCS2000"


def horizontal(crs: pyproj.CRS) -> pyproj.CRS:
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    if crs.is_compound and crs.sub_crs_list:
        crs = crs.sub_crs_list[0]
    return crs


def area_box(crs: pyproj.CRS) -> tuple[Box | None, Box | None, str]:
    """The plausible box of coordinates in ``crs`` (its area of use widened by :data:`MARGIN_DEG`),
    the same in longitude/latitude, and the area's description."""
    area = crs.area_of_use
    if area is None:
        return (WORLD if crs.is_geographic else None), None, "no area of use recorded"
    w, s, e, n = area.bounds
    if w > e:  # crosses the antimeridian
        w, e = -180.0, 180.0
    text = f"{area.name.rstrip('.')}: {w:g}–{e:g}°E, {s:g}–{n:g}°N, with a {MARGIN_DEG:g}° margin"
    lonlat = (
        max(w - MARGIN_DEG, -180.0),
        max(s - MARGIN_DEG, -90.0),
        min(e + MARGIN_DEG, 180.0),
        min(n + MARGIN_DEG, 90.0),
    )
    if crs.is_geographic:
        return lonlat, lonlat, text
    t = pyproj.Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
    for box in (lonlat, (w, s, e, n)):
        try:
            out = tuple(float(v) for v in t.transform_bounds(*box, densify_pts=21))
        except pyproj.exceptions.ProjError:
            continue
        if np.all(np.isfinite(out)) and out[0] < out[2] and out[1] < out[3]:
            return out, lonlat, text  # type: ignore[return-value]
    return None, lonlat, text


@functools.lru_cache(maxsize=64)
def declared(crs: pyproj.CRS) -> Declared:
    h = horizontal(crs)
    unit = h.axis_info[0].unit_name if h.axis_info else ""
    geographic = bool(h.is_geographic)
    box = lonlat = None
    area = ""
    if (geographic and unit == "degree") or h.is_projected:
        box, lonlat, area = area_box(h)
    cm: float | None = None
    prefix: int | None = None
    op = h.coordinate_operation if h.is_projected else None
    if op is not None and op.method_name == "Transverse Mercator":
        par = {q.name: float(q.value) for q in op.params if isinstance(q.value, (int, float))}
        fe = par.get("False easting", 0.0)
        if (
            par.get("Scale factor at natural origin") == 1.0
            and par.get("Latitude of natural origin") == 0.0
            and par.get("False northing") == 0.0
            and (fe - 500_000.0) % 1e6 == 0
        ):
            cm = float(par.get("Longitude of natural origin", np.nan))
            zone = int((fe - 500_000.0) // 1e6)
            prefix = zone if zone and not np.isnan(prefix_cm(zone)) else None
            if zone and prefix is None:
                cm = None  # a false easting that is no Chinese zone prefix: not this family
    three = "Gauss-Kruger" not in h.name or "3-degree" in h.name
    return Declared(crs, crs_label(crs), geographic, box, lonlat, area, cm, prefix, three, unit)


@functools.cache
def gk_names() -> frozenset[str]:
    return frozenset(k for k in epsg_projected() if "Gauss-Kruger" in k)
