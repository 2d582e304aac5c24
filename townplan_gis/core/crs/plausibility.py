"""Coordinate plausibility: every layer's numbers compared with its declared CRS before anything is
measured (:func:`check_coordinates`). A mislabelled layer would otherwise be reprojected to somewhere
else on Earth and silently overlap nothing. The checks follow how Chinese survey data goes wrong
(EPSG:4513–4533 are the zone-prefixed twins of 4534–4554; survey tables list northing first):
``docs/sources.md#epsg``."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from townplan_gis.core.crs.declared import (
    EASTINGS,
    NORTHINGS,
    Declared,
    declared,
    gk_name,
    gk_of_prefix,
    prefix_cm,
)
from townplan_gis.core.crs.extent import CHINA_BOX, inside, span_text
from townplan_gis.core.errors import CRSError, SchemaError, _rows
from townplan_gis.core.geometry import nonfinite
from townplan_gis.core.repairs import Repair

__all__ = ["check_coordinates"]

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
    ok = (lo >= 1e7) & (hi < 1e8) & (np.floor(hi / 1e6) == p) & ~np.isnan(prefix_cm(p))
    return np.where(ok, p, np.nan)


def _classify(d: Declared, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        north_x, north_y = within(*NORTHINGS, xmin, xmax), within(*NORTHINGS, ymin, ymax)
        assign(metres & ~np.isnan(px) & north_y, "prefixed")
        assign(metres & ~np.isnan(py) & north_x, "swapped_prefixed")
        assign(metres & within(*EASTINGS, xmin, xmax) & north_y, "gk_metres")
        assign(metres & within(*EASTINGS, ymin, ymax) & north_x, "swapped_metres")
        assign(metres, "not_degrees")
        return kind, np.where(np.isnan(px), py, px)
    # Longitude/latitude that, read as degrees, lie in the CRS's own area: told first, since near
    # the origin of a world-wide CRS (Web Mercator, UTM at the equator) they fit its box as metres.
    if d.lonlat is not None:
        assign(inside(b, d.lonlat), "lonlat")
    y_ok = within(y0, y1, ymin, ymax)
    if d.cm is not None and d.prefix is None:
        with np.errstate(invalid="ignore"):
            same_cm = prefix_cm(px) == d.cm
        assign(same_cm & y_ok & within(x0, x1, xmin - px * 1e6, xmax - px * 1e6), "fixable")
    assign(~np.isnan(px) & (px != (d.prefix or 0)) & y_ok, "prefixed")
    assign(swapped, "swapped")
    assign(~np.isnan(py) & (py != (d.prefix or 0)) & within(y0, y1, xmin, xmax), "swapped_prefixed")
    assign(within(-180, 180, xmin, xmax) & within(-90, 90, ymin, ymax), "lonlat")
    if d.prefix is not None:
        assign(within(*EASTINGS, xmin, xmax) & y_ok, "unprefixed")
    return kind, np.where(np.isnan(px), py, px)


def _lonlat_crs(b: np.ndarray) -> str:
    """The geographic CRS to declare for longitude/latitude numbers ``b`` (bounds rows)."""
    box = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
    if inside(box, CHINA_BOX):
        return "EPSG:4490 (CGCS2000 longitude/latitude; EPSG:4326 for WGS 84 GPS data)"
    return "EPSG:4326 (WGS 84 longitude/latitude)"


def _explain(d: Declared, kind: str, b: np.ndarray, prefix: float) -> tuple[str, str]:
    """(what the numbers look like, the fix) for rows of one kind (and one zone prefix)."""
    xs = span_text(b[:, 0].min(), b[:, 2].max())
    ys = span_text(b[:, 1].min(), b[:, 3].max())
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
        zone = gk_of_prefix(d.datum, p, prefixed=True)
        plain = gk_of_prefix(d.datum, p, prefixed=False)
        what = (
            f"eastings of 8 digits starting with {p} ({axis} {span_text(lo, hi)}): the zone-prefixed "
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
            f"declare {gk_name(d.datum, cm=d.cm, three=d.three)} (the same zone without prefix), or add "
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
    d = declared(gdf.crs)
    if d.box is None:
        return gdf, []
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    bounds = shapely.bounds(geoms)
    with np.errstate(invalid="ignore"):
        off = ~inside(bounds, d.box)
        if not d.geographic and d.lonlat is not None:
            off |= inside(bounds, d.lonlat)
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
        zone = gk_of_prefix(d.datum, int(p), prefixed=True)
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
