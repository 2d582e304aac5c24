"""Coordinate reference systems: plausibility of declared CRSs, the metric analysis CRS, GCJ-02.

Areas and lengths are measured only in a metric CRS. In China that is the CGCS2000 3-degree Gauss-Krüger
zone with the central meridian nearest the data (EPSG:4534–4554, "CGCS2000 / 3-degree Gauss-Kruger CM
75E…135E", false easting 500 km, no zone prefix); elsewhere the WGS 84 UTM zone. Source: EPSG registry,
domain brief §5.

Coordinate plausibility: every layer's numbers are compared with its declared CRS before anything is
measured (:func:`check_coordinates`): a mislabelled layer would otherwise be reprojected to somewhere
else on Earth and silently overlap nothing. The checks follow how Chinese survey data goes wrong
(EPSG:4513–4533 are the zone-prefixed twins of 4534–4554; survey tables list northing first).

GCJ-02 is the obfuscated datum of Gaode/AMap and Tencent tiles. PROJ does not implement it; the forward
formula below is the published one (Krasovsky a = 6378245.0, ee = 0.00669342162296594323; reference
implementation eviltransform). It is for *display* over those tiles only: never measure in GCJ-02.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from townplan_gis.core.errors import CRSError, SchemaError, _rows
from townplan_gis.core.geometry import nonfinite
from townplan_gis.core.repairs import Repair

__all__ = [
    "CGCS2000",
    "analysis_crs",
    "check_coordinates",
    "gcj02_to_wgs84",
    "gk3_epsg",
    "in_china",
    "shift_to_gcj02",
    "utm_epsg",
    "wgs84_to_gcj02",
]

CGCS2000 = pyproj.CRS.from_epsg(4490)

# Mainland China's extent, generous; used to pick Gauss-Krüger over UTM.
_CHINA_BOX = (73.0, 18.0, 135.5, 54.0)
# The box inside which GCJ-02 applies (eviltransform's outOfChina test).
_GCJ_BOX = (72.004, 0.8293, 137.8347, 55.8271)


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
        if not (np.all(np.isfinite(lonlat)) and _inside(lonlat, (-180.0, -90.0, 180.0, 90.0))):
            raise CRSError(
                f"cannot choose an analysis CRS: a layer's extent (x {_span(b[0], b[2])}, y "
                f"{_span(b[1], b[3])}) is not a place on Earth in its declared CRS "
                f"{_label(gdf.crs)}. Fix: declare the CRS the coordinates were measured in "
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
    x0, y0, x1, y1 = _CHINA_BOX
    if x0 <= lon <= x1 and y0 <= lat <= y1:
        return pyproj.CRS.from_epsg(gk3_epsg(lon))
    return pyproj.CRS.from_epsg(utm_epsg(lon, lat))


# --- coordinate plausibility -----------------------------------------------------------------------
# How far outside its CRS's area of use a layer may lie, in degrees. Towns are measured in the
# nearest Gauss-Krüger zone, so a town on a zone edge lies up to 1.5° past it; 3° more keeps every
# honest survey while still telling a zone-prefixed, swapped or lon/lat-as-metres layer apart
# (those land thousands of kilometres away).
MARGIN_DEG = 3.0
# Northings of China in any Gauss-Krüger or UTM zone (about 9°N–63°N), and eastings without zone
# prefix (false easting 500 km): used to recognise metres in a layer declared in degrees.
_NORTHINGS = (1.0e6, 7.0e6)
_EASTINGS = (0.0, 1.0e6)
_WORLD = (-180.0, -90.0, 180.0, 90.0)


def _inside(b, box) -> np.ndarray:
    """Whether bounds ``b`` (xmin, ymin, xmax, ymax; one row or many) lie within ``box``."""
    b = np.asarray(b, dtype=float)
    return (
        (b[..., 0] >= box[0])
        & (b[..., 1] >= box[1])
        & (b[..., 2] <= box[2])
        & (b[..., 3] <= box[3])
    )


def _num(v: float) -> str:
    v = float(v)
    if abs(v) >= 1e9:
        return f"{v:.3g}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.6g}"


def _span(lo: float, hi: float) -> str:
    return _num(lo) if _num(lo) == _num(hi) else f"{_num(lo)} to {_num(hi)}"


def _label(crs: pyproj.CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else f"'{crs.name}'"


def _prefix_cm(prefix: np.ndarray | float) -> np.ndarray:
    """Central meridian (°E) of a Gauss-Krüger zone number used as an easting prefix, NaN if none.

    In China 3-degree zones are numbered 25–45 (CM = 3N) and 6-degree zones 13–23 (CM = 6N − 3):
    the two ranges do not overlap, so a prefix names its zone unambiguously.
    """
    p = np.asarray(prefix, dtype=float)
    return np.where(
        (p >= 25) & (p <= 45), 3 * p, np.where((p >= 13) & (p <= 23), 6 * p - 3, np.nan)
    )


@functools.cache
def _epsg_projected() -> dict[str, int]:
    from pyproj.database import query_crs_info
    from pyproj.enums import PJType

    infos = query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS)
    return {i.name: int(i.code) for i in infos}


def _gk(datum: str, *, zone: int | None = None, cm: float | None = None, three: bool = True) -> str:
    """``EPSG:4525 (CGCS2000 / 3-degree Gauss-Kruger zone 37)`` for a zone (prefixed) or a central
    meridian (CM form), as EPSG names them."""
    deg = "3-degree " if three else ""
    name = f"{datum} / {deg}Gauss-Kruger " + (f"zone {zone}" if zone is not None else f"CM {cm:g}E")
    code = _epsg_projected().get(name)
    return f"EPSG:{code} ({name})" if code else f"the CRS '{name}'"


def _gk_of_prefix(datum: str, p: int, *, prefixed: bool) -> str:
    three = 25 <= p <= 45
    cm = 3 * p if three else 6 * p - 3
    return _gk(datum, zone=p, three=three) if prefixed else _gk(datum, cm=cm, three=three)


Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class _Declared:
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
        name = _horizontal(self.crs).name
        head = name.split(" / ")[0] if " / " in name else ""
        return head if any(k.startswith(f"{head} / ") for k in _gk_names()) else "CGCS2000"


def _horizontal(crs: pyproj.CRS) -> pyproj.CRS:
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    if crs.is_compound and crs.sub_crs_list:
        crs = crs.sub_crs_list[0]
    return crs


def _area_box(crs: pyproj.CRS) -> tuple[Box | None, Box | None, str]:
    """The plausible box of coordinates in ``crs`` (its area of use widened by :data:`MARGIN_DEG`),
    the same in longitude/latitude, and the area's description."""
    area = crs.area_of_use
    if area is None:
        return (_WORLD if crs.is_geographic else None), None, "no area of use recorded"
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
def _declared(crs: pyproj.CRS) -> _Declared:
    h = _horizontal(crs)
    unit = h.axis_info[0].unit_name if h.axis_info else ""
    geographic = bool(h.is_geographic)
    box = lonlat = None
    area = ""
    if (geographic and unit == "degree") or h.is_projected:
        box, lonlat, area = _area_box(h)
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
            prefix = zone if zone and not np.isnan(_prefix_cm(zone)) else None
            if zone and prefix is None:
                cm = None  # a false easting that is no Chinese zone prefix: not this family
    three = "Gauss-Kruger" not in h.name or "3-degree" in h.name
    return _Declared(crs, _label(crs), geographic, box, lonlat, area, cm, prefix, three, unit)


@functools.cache
def _gk_names() -> frozenset[str]:
    return frozenset(k for k in _epsg_projected() if "Gauss-Kruger" in k)


# Why rows do not fit their declared CRS, in the order the refusal lists them. "fixable" is the one
# repaired: a zone prefix that names the declared zone's own central meridian.
_KINDS = (
    "fixable",
    "prefixed",
    "swapped",
    "swapped_prefixed",
    "lonlat",
    "unprefixed",
    "gk_metres",
    "swapped_metres",
    "not_degrees",
    "far",
)


def _zone_prefix(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The Gauss-Krüger zone prefix of 8-digit eastings from ``lo`` to ``hi``; NaN where the
    values are not 8 digits, do not share one prefix, or the prefix is no Chinese zone."""
    p = np.floor(lo / 1e6)
    ok = (lo >= 1e7) & (hi < 1e8) & (np.floor(hi / 1e6) == p) & ~np.isnan(_prefix_cm(p))
    return np.where(ok, p, np.nan)


def _classify(d: _Declared, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows whose bounds ``b`` lie outside ``d.box``: what their numbers look like (a name of
    :data:`_KINDS` per row) and the zone prefix they carry (NaN if none)."""
    xmin, ymin, xmax, ymax = (b[:, i] for i in range(4))
    x0, y0, x1, y1 = d.box  # type: ignore[misc]
    kind = np.full(len(b), "far", dtype=object)
    px, py = _zone_prefix(xmin, xmax), _zone_prefix(ymin, ymax)

    def within(lo, hi, a, c):
        return (a >= lo) & (c <= hi)

    def assign(mask, name):
        kind[(kind == "far") & mask] = name

    swapped = within(x0, x1, ymin, ymax) & within(y0, y1, xmin, xmax)
    if d.geographic:
        assign(swapped, "swapped")
        metres = ~(within(-180, 180, xmin, xmax) & within(-90, 90, ymin, ymax))
        north_x, north_y = within(*_NORTHINGS, xmin, xmax), within(*_NORTHINGS, ymin, ymax)
        assign(metres & ~np.isnan(px) & north_y, "prefixed")
        assign(metres & ~np.isnan(py) & north_x, "swapped_prefixed")
        assign(metres & within(*_EASTINGS, xmin, xmax) & north_y, "gk_metres")
        assign(metres & within(*_EASTINGS, ymin, ymax) & north_x, "swapped_metres")
        assign(metres, "not_degrees")
        return kind, np.where(np.isnan(px), py, px)
    # Longitude/latitude that, read as degrees, lie in the CRS's own area: told first, since near
    # the origin of a world-wide CRS (Web Mercator, UTM at the equator) they fit its box as metres.
    if d.lonlat is not None:
        assign(_inside(b, d.lonlat), "lonlat")
    y_ok = within(y0, y1, ymin, ymax)
    if d.cm is not None and d.prefix is None:
        with np.errstate(invalid="ignore"):
            same_cm = _prefix_cm(px) == d.cm
        assign(same_cm & y_ok & within(x0, x1, xmin - px * 1e6, xmax - px * 1e6), "fixable")
    assign(~np.isnan(px) & (px != (d.prefix or 0)) & y_ok, "prefixed")
    assign(swapped, "swapped")
    assign(~np.isnan(py) & (py != (d.prefix or 0)) & within(y0, y1, xmin, xmax), "swapped_prefixed")
    assign(within(-180, 180, xmin, xmax) & within(-90, 90, ymin, ymax), "lonlat")
    if d.prefix is not None:
        assign(within(*_EASTINGS, xmin, xmax) & y_ok, "unprefixed")
    return kind, np.where(np.isnan(px), py, px)


def _lonlat_crs(b: np.ndarray) -> str:
    """The geographic CRS to declare for longitude/latitude numbers ``b`` (bounds rows)."""
    box = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
    if _inside(box, _CHINA_BOX):
        return "EPSG:4490 (CGCS2000 longitude/latitude; EPSG:4326 for WGS 84 GPS data)"
    return "EPSG:4326 (WGS 84 longitude/latitude)"


def _explain(d: _Declared, kind: str, b: np.ndarray, prefix: float) -> tuple[str, str]:
    """(what the numbers look like, the fix) for rows of one kind (and one zone prefix)."""
    xs = _span(b[:, 0].min(), b[:, 2].max())
    ys = _span(b[:, 1].min(), b[:, 3].max())
    where = f"x {xs}, y {ys}"
    gk_hint = (
        "the CGCS2000 3-degree Gauss-Krüger zone whose central meridian is nearest the town, "
        "EPSG:4534–4554 (e.g. EPSG:4546 for 111°E); the zone cannot be read from eastings "
        "without prefix"
    )
    if kind in ("prefixed", "swapped_prefixed"):
        p = int(prefix)
        axis = "x" if kind == "prefixed" else "y"
        lo, hi = (
            (b[:, 0].min(), b[:, 2].max()) if kind == "prefixed" else (b[:, 1].min(), b[:, 3].max())
        )
        zone = _gk_of_prefix(d.datum, p, prefixed=True)
        plain = _gk_of_prefix(d.datum, p, prefixed=False)
        what = (
            f"eastings of 8 digits starting with {p} ({axis} {_span(lo, hi)}): the zone-prefixed "
            f"form of {zone}"
        )
        if kind == "swapped_prefixed":
            what = (
                f"swapped axes: x holds northings ({xs}) and y {what}, as survey tables list "
                f"X = northing first"
            )
        if d.cm is not None and not d.geographic:
            what += f"; the declared CRS has its central meridian at {d.cm:g}°E"
        elif d.geographic:
            what = f"projected numbers (metres), not degrees: {what}"
        fix = (
            f"declare {zone}, or strip the prefix (subtract {p * 1_000_000:,} from the eastings) "
            f"and declare {plain}"
        )
        if kind == "swapped_prefixed":
            fix = f"swap x and y in the source data, then {fix}"
        return what, fix
    if kind == "swapped":
        if d.geographic:
            return (
                f"swapped axes (latitude, longitude): x {xs} looks like latitudes and y {ys} like "
                f"longitudes",
                f"swap x and y in the source data (longitude first) and keep {d.label}",
            )
        return (
            f"swapped axes (northing, easting): x {xs} looks like northings and y {ys} like "
            f"eastings of {d.label}, as survey tables list X = northing first",
            f"swap x and y in the source data (easting first) and keep {d.label}",
        )
    if kind == "lonlat":
        return (
            f"the numbers look like longitude/latitude ({where}), not {d.unit}s of a projected CRS",
            f"declare {_lonlat_crs(b)}",
        )
    if kind == "unprefixed":
        p = int(d.prefix or 0)
        return (
            f"eastings without the zone prefix {p} ({where}), which {d.label} requires "
            f"(eastings of 8 digits, {p},xxx,xxx)",
            f"declare {_gk(d.datum, cm=d.cm, three=d.three)} (the same zone without prefix), or add "
            f"{p * 1_000_000:,} to the eastings",
        )
    if kind == "gk_metres":
        return (
            f"projected numbers (metres), not degrees: eastings x {xs} and northings y {ys} like "
            f"those of a Gauss-Krüger or UTM zone without zone prefix",
            f"declare the projected CRS they were measured in: {gk_hint}",
        )
    if kind == "swapped_metres":
        return (
            f"projected numbers (metres), not degrees, with swapped axes (northing, easting): "
            f"x {xs} looks like northings and y {ys} like eastings",
            f"swap x and y in the source data and declare the projected CRS they were measured "
            f"in: {gk_hint}",
        )
    if kind == "not_degrees":
        return (
            f"numbers beyond ±180/±90 ({where}): not degrees",
            "declare the projected CRS the coordinates were measured in, or correct them",
        )
    # "far": plausible numbers of no recognised mistake, in the wrong place.
    near = ""
    if not d.geographic:
        try:
            t = pyproj.Transformer.from_crs(d.crs, 4326, always_xy=True)
            lon, lat = t.transform(
                (b[:, 0].min() + b[:, 2].max()) / 2, (b[:, 1].min() + b[:, 3].max()) / 2
            )
        except pyproj.exceptions.ProjError:
            lon = lat = np.nan
        if np.isfinite(lon) and np.isfinite(lat) and abs(lat) <= 90:
            near = f", about {lon:.2f}°E {lat:.2f}°N"
    fix = "declare the CRS the coordinates were measured in, or correct them"
    if d.geographic and not d.crs.equals(pyproj.CRS.from_epsg(4326)):
        fix += " (EPSG:4326 for longitude/latitude outside this CRS's area)"
    return f"outside the area of use of the declared CRS ({d.area}): {where}{near}", fix


def check_coordinates(
    gdf: gpd.GeoDataFrame, *, layer: str, source: str | None = None
) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    """Compare a layer's coordinates with its declared CRS; repair a matching zone prefix, refuse
    every other mismatch.

    A layer whose numbers do not fit its CRS is reprojected to the wrong place and then silently
    overlaps nothing, so a review would pass it. Each feature's bounding box must lie inside the
    declared CRS's area of use (EPSG), widened by :data:`MARGIN_DEG` degrees (towns are measured in
    the nearest Gauss-Krüger zone, up to 1.5° past its edge). Features that do not are recognised:

    * **zone-prefixed eastings** (8 digits, 37 437 000) in a Gauss-Krüger CRS without prefix
      (CGCS2000 EPSG:4534–4554, 4502–4512, and the same zones of Xian 1980, Beijing 1954 …): when
      the prefix names the declared central meridian (3-degree zone N: CM 3N°E; 6-degree zone N:
      CM 6N − 3°E) it is removed, :math:`x' = x - N \\cdot 10^6`, and recorded as a
      ``zone_prefix_removed`` repair; any other prefix is refused with its zone's CRS;
    * eastings **without** the prefix in a zone-prefixed CRS (EPSG:4513–4533, 4491–4501);
    * **longitude/latitude** numbers in a projected CRS, and **projected metres** in a geographic one;
    * **swapped axes**: (northing, easting) in a projected CRS, (latitude, longitude) in a geographic
      one (the CGCS2000 EPSG definitions are northing-first; GIS files and this package are
      easting-first, ``always_xy``);
    * anything else far outside the area of use (x = 10¹², a zone 2,000 km off its meridian).

    Source: EPSG geodetic parameter registry (areas of use; EPSG:4513–4554 zone definitions).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer in its declared CRS. Not modified. A layer without CRS or without features, and
        a CRS without recorded area of use (a custom projection), are passed through.
    layer : str
        Layer name for the messages and repair records, e.g. ``"projects"``.
    source : str, optional
        The file it was read from, named in the message; default ``gdf.attrs["source"]``, which
        :func:`townplan_gis.read_layer` sets.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Repair)
        ``gdf`` itself when every feature fits; a copy with the zone prefixes removed and their
        ``zone_prefix_removed`` record otherwise. Feature count and index are unchanged.

    Raises
    ------
    CRSError
        Coordinates that do not fit the declared CRS in any other way. The message names the layer
        (and file), the rows, what the numbers look like and what to declare instead.
    SchemaError
        ``gdf`` is not a GeoDataFrame.

    Notes
    -----
    Features with a NaN or infinite coordinate (:func:`townplan_gis.core.geometry.nonfinite`), null
    and empty geometries are left to the geometry checks. Numbers that read as longitude/latitude
    inside a projected CRS's own area of use are refused even where they would fit as metres (Web
    Mercator, or a UTM zone at the equator, where they lie within 200 m of the false origin).
    Geographic CRSs covering the world (EPSG:4326) cannot tell (latitude, longitude) from
    (longitude, latitude) where both fit: swapped axes are recognised there only when the
    "latitude" exceeds 90°, as it does for all of China east of 90°E.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> site = gpd.GeoDataFrame(geometry=[shapely.box(37_437_000, 3_855_000, 37_437_100, 3_855_100)],
    ...                         crs="EPSG:4546")
    >>> fixed, repairs = check_coordinates(site, layer="projects")
    >>> fixed.total_bounds.tolist(), repairs[0].action
    ([437000.0, 3855000.0, 437100.0, 3855100.0], 'zone_prefix_removed')
    >>> lonlat = gpd.GeoDataFrame(geometry=[shapely.box(117.0, 30.0, 117.01, 30.01)], crs="EPSG:4547")
    >>> check_coordinates(lonlat, layer="builtup")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    townplan_gis.core.errors.CRSError: layer 'builtup': ... look like longitude/latitude ... declare EPSG:4490 ...
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(f"layer '{layer}' must be a GeoDataFrame, got {type(gdf).__name__}.")
    if gdf.crs is None or len(gdf) == 0:
        return gdf, []
    source = source or gdf.attrs.get("source")
    d = _declared(gdf.crs)
    if d.box is None:
        return gdf, []
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        off = ~_inside(bounds, d.box)
        if not d.geographic and d.lonlat is not None:
            off |= _inside(bounds, d.lonlat)
        off &= np.isfinite(bounds).all(axis=1)
    if not off.any():
        return gdf, []
    pos = np.flatnonzero(off)
    pos = pos[~nonfinite(geoms[pos])]
    if len(pos) == 0:
        return gdf, []
    kind, prefix = _classify(d, bounds[pos])
    wrong = kind != "fixable"
    if wrong.any():
        parts = []
        for k in _KINDS[1:]:
            sel = kind == k
            groups = np.unique(prefix[sel]) if k in ("prefixed", "swapped_prefixed") else [np.nan]
            for p in groups:
                here = sel & ((prefix == p) if not np.isnan(p) else True)
                if not here.any():
                    continue
                what, fix = _explain(d, k, bounds[pos[here]], p)
                rows = gdf.index[pos[here]].tolist()
                parts.append(
                    f"rows {_rows(rows)} ({len(rows)} of {len(gdf)} features): {what}. Fix: {fix}."
                )
        src = f" ({source})" if source else ""
        how = (
            " To declare a CRS, re-declare it without reprojecting (QGIS: Set Layer CRS; "
            "geopandas: gdf.set_crs(..., allow_override=True)), or pass assume_crs= for data "
            "without one."
        )
        raise CRSError(
            f"layer '{layer}'{src}: coordinates do not fit the declared CRS {d.label}; "
            + " ".join(parts)
            + how
        )
    # Every stray row carries a prefix naming the declared meridian: remove it, row for row.
    out = gdf.copy()
    new = geoms.copy()
    repairs = []
    for p in np.unique(prefix):
        at = pos[prefix == p]
        shift = float(p) * 1e6

        def strip(c: np.ndarray, shift: float = shift) -> np.ndarray:
            c = c.copy()
            c[:, 0] -= shift
            return c

        has_z = np.asarray(shapely.has_z(new[at]), dtype=bool)
        for z in (False, True):
            sub = at[has_z == z]
            if len(sub):
                new[sub] = shapely.transform(new[sub], strip, include_z=z)
        zone = _gk_of_prefix(d.datum, int(p), prefixed=True)
        repairs.append(
            Repair(
                layer,
                "zone_prefix_removed",
                gdf.index[at].tolist(),
                f"eastings carried the zone prefix {int(p)} of {zone}; {int(shift):,} subtracted "
                f"from x: the declared {d.label} has no prefix (central meridian {d.cm:g}°E)",
            )
        )
    out[out.geometry.name] = gpd.GeoSeries(new, index=out.index, crs=out.crs)
    return out, repairs


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
