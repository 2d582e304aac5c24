"""Preparing the inputs of a review: projects (kept row for row) and control lines (normalised).

Nothing is dropped: a project with no geometry, a geometry that collapses on repair, or an unknown
project type is kept with ``_dim = -1`` and its reason, and gets the verdict ``invalid``. Invalid
geometries are repaired with ``make_valid`` (keeping the original dimension) and the repair is recorded.
The caller's frames are never modified.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from townplan_gis.crs import analysis_crs
from townplan_gis.errors import CRSError, MissingColumnError, SchemaError
from townplan_gis.geometry import keep_dimension, repair_geometry
from townplan_gis.repairs import Repair
from townplan_gis.review.convex import convex_rings
from townplan_gis.schema import _key, _value_lookup, aliases, normalize_layer, rename_repairs
from townplan_gis.schema import rename_columns as _rename_columns

__all__ = ["choose_crs", "prepare_lines_frame", "prepare_projects"]

log = logging.getLogger(__name__)


def choose_crs(projects: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, crs: Any = None) -> pyproj.CRS:
    """The metric analysis CRS of a review.

    ``crs`` if given; else the control lines' (then the projects') CRS when it is projected in
    metres and not Web Mercator (which inflates areas by 1/cos²φ); else the CGCS2000 3° Gauss-Krüger
    zone or UTM zone of the data (:func:`townplan_gis.crs.analysis_crs`).

    Raises
    ------
    CRSError
        Either layer has no CRS.
    """
    for name, gdf in (("projects", projects), ("control_lines", lines)):
        if gdf.crs is None:
            raise CRSError(
                f"layer '{name}' has no CRS. Fix: set it (gdf.set_crs('EPSG:4490')) or read the "
                f"data with assume_crs=."
            )
    if crs is not None:
        return analysis_crs(crs=crs)
    for gdf in (lines, projects):
        c = gdf.crs
        unit = c.axis_info[0].unit_name if c.axis_info else ""
        # Web Mercator is in metres but inflates areas by 1/cos²(lat) (≈ 1.5 at 35° N): never measure in it.
        mercator = c.to_epsg() in (3857, 900913) or "mercator" in c.name.casefold()
        if c.is_projected and unit in ("metre", "meter") and not mercator:
            return c
    return analysis_crs(projects, lines)


def prepare_lines_frame(
    lines: gpd.GeoDataFrame, crs: pyproj.CRS
) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    """Normalise control lines (Chinese aliases, line_type/zone domains), reproject and repair them.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Repair)
        A new frame in ``crs`` (``lines`` is not modified) and the repairs made (aliases,
        make_valid).

    Raises
    ------
    SchemaError
        Not a GeoDataFrame, or a layer that does not follow the ``control_lines`` schema.
    """
    if not isinstance(lines, gpd.GeoDataFrame):
        raise SchemaError(f"control lines must be a GeoDataFrame, got {type(lines).__name__}.")
    norm, repairs = normalize_layer(lines, "control_lines", allow_empty=True)
    if not norm.crs.equals(crs):
        norm = norm.to_crs(crs)
    norm, rep = repair_geometry(norm, "control_lines")
    return norm, repairs + rep


def _project_type(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Canonical project types (None where unknown or missing) and, per row, why not ("" if fine).

    Each distinct value is looked up once: 10⁵ projects carry a handful of type names.
    """
    lookup = _value_lookup("project_type")
    codes, uniq = pd.factorize(series)  # -1 for missing
    uniq = list(uniq)
    canon = np.array([lookup.get(_key(v)) for v in uniq] + [None], dtype=object)
    blank = np.array([str(v).strip() == "" for v in uniq] + [True])
    accepted = ", ".join(aliases()["values"]["project_type"])
    text = np.array(
        [f"unknown project_type '{v}' (accepted: {accepted})" for v in uniq] + [""], dtype=object
    )
    reason = np.where(blank, "project_type missing", np.where(canon == None, text, ""))  # noqa: E711
    return (
        pd.Series(canon[codes], index=series.index, dtype=object),
        pd.Series(reason[codes], index=series.index, dtype=object),
    )


def _fill_ids(pid: pd.Series, present: pd.Series) -> np.ndarray:
    """Project ids, the index label where a row has none."""
    out = pid.to_numpy(dtype=object).copy()
    missing = ~present.to_numpy(dtype=bool)
    if missing.any():
        out[missing] = [str(i) for i in pid.index[missing]]
    return out


def prepare_projects(projects: gpd.GeoDataFrame, crs: pyproj.CRS, *, rings: bool = False):
    """Projects ready for :func:`townplan_gis.review.kernel.review_chunk`, one row per input row.

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        The caller's projects (Chinese column and value aliases accepted). Not modified.
    crs : pyproj.CRS
        The metric analysis CRS (:func:`choose_crs`); the geometries are reprojected to it.

    rings : bool, default False
        Also return the projects' convex rings
        (:func:`~townplan_gis.review.convex.convex_rings`, row by row), which the overlap kernel
        would otherwise compute per chunk.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Repair[, ConvexRings])
        Columns ``project_id`` (the input's, else the index label), ``project_name``,
        ``project_type`` (canonical, None if unknown), ``_pos`` (0..n-1), ``_dim`` (0/1/2, −1 when
        invalid), ``_size`` (area m² for polygons, length m for lines, 1 for points), ``_invalid``
        (reason or "") and ``_repaired`` (note or ""); index = the input's index.

    Raises
    ------
    SchemaError, MissingColumnError
        Not a GeoDataFrame, or no ``project_type`` column (after aliases).
    """
    if not isinstance(projects, gpd.GeoDataFrame):
        raise SchemaError(f"projects must be a GeoDataFrame, got {type(projects).__name__}.")
    renames, _ = _rename_columns(projects, "projects")
    df = projects.rename(columns=renames)
    if "project_type" not in df:
        table = aliases()["columns"].get("projects", {})
        raise MissingColumnError(
            "projects",
            "project_type",
            available=[c for c in projects.columns if c != projects.geometry.name],
            aliases=table.get("project_type", []),
        )
    n = len(df)
    raw = df["project_id"] if "project_id" in df else pd.Series(None, index=df.index, dtype=object)
    pid = raw.astype(object).where(raw.notna(), None)
    if pd.api.types.is_float_dtype(raw):
        # Ids read from Excel/shapefiles arrive as 1001.0: written back as "1001".
        whole = raw.notna() & (raw % 1 == 0)
        pid[whole] = raw[whole].astype(np.int64).astype(str)
    present = pid.notna()
    pid[present] = pid[present].astype(str)
    ptype, why = _project_type(df["project_type"])
    geo = df.geometry if df.crs is None or df.crs.equals(crs) else df.geometry.to_crs(crs)
    geoms = np.asarray(geo.array, dtype=object)
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    else:
        geoms = geoms.copy()
    dims = shapely.get_dimensions(geoms)  # -1 for None/empty collections
    colls = shapely.get_type_id(geoms) == 7
    if colls.any():
        # A mixed collection is reviewed by its highest-dimension part (a site plus its label point).
        parts, idx = shapely.get_parts(geoms[colls], return_index=True)
        top = np.full(colls.sum(), -1)
        np.maximum.at(top, idx, shapely.get_dimensions(parts))
        sub = geoms[colls]
        for d in (2, 1, 0):
            if (top == d).any():
                sub[top == d] = keep_dimension(sub[top == d], d)
        geoms[colls] = sub
        dims[colls] = top
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    repaired = pd.Series("", index=df.index, dtype=object)
    repairs: list[Repair] = rename_repairs("projects", renames)
    # A small convex polygon is valid by construction (convex_rings checks what GEOS would); GEOS
    # checks the others.
    convex = convex_rings(geoms)
    invalid = np.zeros(n, dtype=bool)
    check = np.flatnonzero(~empty & ~convex.ok)
    invalid[check] = ~shapely.is_valid(geoms[check])
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = shapely.make_valid(geoms[invalid])
        for d in (2, 1):
            sel = dims[invalid] == d
            if sel.any():
                fixed[sel] = keep_dimension(fixed[sel], d)
        geoms[invalid] = fixed
        repaired[invalid] = ["geometry repaired (" + str(r) + ")" for r in reasons]
        repairs.append(
            Repair(
                "projects",
                "make_valid",
                df.index[invalid].tolist(),
                "invalid project geometry repaired",
            )
        )
        collapsed = np.zeros(n, dtype=bool)
        collapsed[invalid] = shapely.is_empty(fixed)
        why[collapsed & (why == "").to_numpy()] = "geometry collapsed when repaired"
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    why[empty & (why == "").to_numpy()] = "empty or missing geometry"
    if empty.any():
        repairs.append(
            Repair("projects", "empty_geometry", df.index[empty].tolist(), "kept; verdict invalid")
        )
    bad = (why != "").to_numpy()
    dims = np.where(bad, -1, shapely.get_dimensions(geoms))
    size = np.where(dims == 2, shapely.area(geoms), np.where(dims == 1, shapely.length(geoms), 1.0))
    name = df["name"] if "name" in df else pd.Series(None, index=df.index)

    def text(values) -> pd.Series:
        # Object dtype on purpose: pandas 3 would convert every text to an Arrow string (47 ms
        # per 10⁵ projects, on the review's serial path), and the review only passes them on.
        return pd.Series(np.asarray(values, dtype=object), index=df.index, dtype=object, copy=False)

    out = gpd.GeoDataFrame(
        {
            "project_id": text(_fill_ids(pid, present)),
            "project_name": text(name.to_numpy(dtype=object)),
            "project_type": text(ptype.to_numpy(dtype=object)),
            "_pos": np.arange(n),
            "_dim": dims.astype(np.int64),
            "_size": size.astype(float),
            "_invalid": text(why.to_numpy(dtype=object)),
            "_repaired": text(repaired.to_numpy(dtype=object)),
        },
        geometry=gpd.GeoSeries(geoms, index=df.index, crs=crs),
        index=df.index,
    )
    return (out, repairs, convex) if rings else (out, repairs)
