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

from townplan_gis.core.crs import analysis_crs
from townplan_gis.core.errors import CRSError, MissingColumnError, SchemaError
from townplan_gis.core.geometry import keep_dimension, nonfinite, repair_geometry
from townplan_gis.core.repairs import Repair
from townplan_gis.core.schema import _key, _value_lookup, aliases, normalize_layer, rename_repairs
from townplan_gis.core.schema import rename_columns as _rename_columns

__all__ = ["choose_crs", "prepare_lines_frame", "prepare_projects"]

log = logging.getLogger(__name__)


def choose_crs(projects: gpd.GeoDataFrame, lines: gpd.GeoDataFrame, crs: Any = None) -> pyproj.CRS:
    """The metric analysis CRS of a review.

    ``crs`` if given; else the control lines' (then the projects') CRS when it is projected in
    metres and not Web Mercator (which inflates areas by 1/cos²φ); else the CGCS2000 3° Gauss-Krüger
    zone or UTM zone of the data (:func:`townplan_gis.core.crs.analysis_crs`).

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
        Not a GeoDataFrame, a layer that does not follow the ``control_lines`` schema, or lines
        with NaN/Inf vertices or without geometry (the message names their rows, codes and names).
    """
    if not isinstance(lines, gpd.GeoDataFrame):
        raise SchemaError(f"control lines must be a GeoDataFrame, got {type(lines).__name__}.")
    norm, repairs = normalize_layer(lines, "control_lines", allow_empty=True)
    geoms = np.asarray(norm.geometry.array, dtype=object)
    _refuse_lines(
        norm, nonfinite(geoms), "have NaN or infinite coordinates", "correct the vertices"
    )
    _refuse_lines(
        norm,
        shapely.is_missing(geoms) | shapely.is_empty(geoms),
        "have no geometry (null or empty; a line emptied by the repair of NaN/Inf or invalid "
        "vertices when a town was read shows in town.repairs as make_valid / collapsed)",
        "draw the line's polygon or delete the row",
    )
    if not norm.crs.equals(crs):
        norm = norm.to_crs(crs)
    norm, rep = repair_geometry(norm, "control_lines")
    geoms = np.asarray(norm.geometry.array, dtype=object)
    _refuse_lines(
        norm,
        shapely.is_missing(geoms) | shapely.is_empty(geoms),
        "collapse to nothing when their invalid geometry is repaired (make_valid)",
        "redraw these polygons",
    )
    return norm, repairs + rep


def _refuse_lines(lines: gpd.GeoDataFrame, bad: np.ndarray, what: str, fix: str) -> None:
    """Refuse control lines the review could not check: a line with NaN vertices or no geometry
    would silently stop covering anything, and projects inside it would pass."""
    if not bad.any():
        return
    rows = lines.index[bad]
    named = []
    for i, at in zip(rows[:10], np.flatnonzero(bad)[:10], strict=True):
        row = lines.iloc[at]
        label = ", ".join(
            f"{c} {row[c]!r}" for c in ("code", "name") if c in lines and pd.notna(row[c])
        )
        named.append(f"{i} ({row['line_type']}{', ' + label if label else ''})")
    more = f" … and {len(rows) - 10} more" if len(rows) > 10 else ""
    raise SchemaError(
        f"layer 'control_lines': {len(rows)} line(s) {what}: rows {'; '.join(named)}{more}. A "
        f"control line the review cannot measure would let projects inside it pass. Fix: {fix}."
    )


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


_MULTI = {2: shapely.multipolygons, 1: shapely.multilinestrings, 0: shapely.multipoints}
_PART_NAME = {2: "polygon", 1: "line", 0: "point"}


def _flat_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single-part pieces of each geometry (nested collections and Multi* opened) and the position
    of the geometry each piece came from."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    while len(parts) and np.isin(shapely.get_type_id(parts), [4, 5, 6, 7]).any():
        parts, sub = shapely.get_parts(parts, return_index=True)
        idx = idx[sub]
    return parts, idx


def split_parts(geoms: np.ndarray) -> dict[int, np.ndarray]:
    """Per dimension (2, 1, 0), each geometry's parts of that dimension as one Multi* geometry
    (None where it has none)."""
    geoms = np.asarray(geoms, dtype=object)
    parts, idx = _flat_parts(geoms)
    keep = ~shapely.is_empty(parts)
    parts, idx = parts[keep], idx[keep]
    dim = shapely.get_dimensions(parts)
    out = {}
    for d in (2, 1, 0):
        col = np.full(len(geoms), None, dtype=object)
        sel = dim == d
        if sel.any():
            _MULTI[d](parts[sel], indices=idx[sel], out=col)
        out[d] = col
    return out


def collect_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GeometryCollections normalised for the review: the parts of one dimension as a Multi*
    geometry, and a collection of those when it holds several dimensions.

    Returns the geometries and, per geometry, a note naming the parts of a mixed collection
    (``""`` for one of a single dimension, which loses nothing by becoming a Multi* geometry).
    """
    by_dim = split_parts(geoms)
    have = np.stack([~shapely.is_missing(by_dim[d]) for d in (2, 1, 0)], axis=1)
    count = have.sum(axis=1)
    out = np.full(len(geoms), None, dtype=object)
    note = np.full(len(geoms), "", dtype=object)
    for j, d in enumerate((2, 1, 0)):
        one = (count == 1) & have[:, j]
        out[one] = by_dim[d][one]
    out[count == 0] = shapely.GeometryCollection()
    for i in np.flatnonzero(count > 1):
        # Single parts, as keep_dimension and the GeoPackage writer expect of a collection.
        members = [g for d in (2, 1, 0) if by_dim[d][i] is not None for g in by_dim[d][i].geoms]
        out[i] = shapely.GeometryCollection(members)
        note[i] = " + ".join(
            f"{_PART_NAME[d]} ({len(shapely.get_parts(by_dim[d][i]))})"
            for d in (2, 1, 0)
            if by_dim[d][i] is not None
        )
    return out, note


def repair_parts(geoms: np.ndarray) -> np.ndarray:
    """``make_valid`` keeping each part's dimension: a polygon stays an area, a line a line, and a
    mixed collection keeps every dimension it had."""
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    mixed = shapely.get_type_id(geoms) == 7
    plain = np.flatnonzero(~mixed)
    if len(plain):
        fixed = shapely.make_valid(geoms[plain])
        dims = shapely.get_dimensions(geoms[plain])
        for d in (2, 1):
            sel = dims == d
            if sel.any():
                fixed[sel] = keep_dimension(fixed[sel], d)
        out[plain] = fixed
    for i in np.flatnonzero(mixed):
        by_dim = split_parts(geoms[i : i + 1])
        members = []
        for d in (2, 1, 0):
            g = by_dim[d][0]
            if g is None:
                continue
            g = keep_dimension(np.array([shapely.make_valid(g)], dtype=object), d)[0]
            members += list(shapely.get_parts(g))
        out[i] = shapely.GeometryCollection(members)
    return out


def part_measures(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per geometry: which dimensions it holds (bit mask: 1 points, 2 lines, 4 polygons), the area
    of its polygonal part (m²) and the length of its linear part (m)."""
    geoms = np.asarray(geoms, dtype=object)
    dims = shapely.get_dimensions(geoms)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    mask = np.where(ok & (dims >= 0), 1 << np.maximum(dims, 0), 0).astype(np.int64)
    area = np.where(ok & (dims == 2), shapely.area(geoms), 0.0)
    length = np.where(ok & (dims == 1), shapely.length(geoms), 0.0)
    mixed = np.flatnonzero(ok & (shapely.get_type_id(geoms) == 7))
    if len(mixed):
        by_dim = split_parts(geoms[mixed])
        have = {d: ~shapely.is_missing(by_dim[d]) for d in (2, 1, 0)}
        mask[mixed] = sum(np.where(have[d], 1 << d, 0) for d in (2, 1, 0))
        area[mixed] = np.where(have[2], shapely.area(by_dim[2]), 0.0)
        length[mixed] = np.where(have[1], shapely.length(by_dim[1]), 0.0)
    return mask, area, length


def prepare_projects(
    projects: gpd.GeoDataFrame, crs: pyproj.CRS
) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    """Projects ready for :func:`townplan_gis.fiveline.chunk.review_chunk`, one row per input row.

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        The caller's projects (Chinese column and value aliases accepted). Not modified.
    crs : pyproj.CRS
        The metric analysis CRS (:func:`choose_crs`); the geometries are reprojected to it.

    Returns
    -------
    (geopandas.GeoDataFrame, list of Repair)
        Columns ``project_id`` (the input's, else the index label), ``project_name``,
        ``project_type`` (canonical, None if unknown), ``_pos`` (0..n-1), ``_dim`` (0/1/2, −1 when
        invalid; a collection's highest part), ``_size`` (area m² for polygons, length m for lines,
        1 for points), ``_parts`` (bit mask of the dimensions held: 1 points, 2 lines, 4 polygons;
        0 when invalid), ``_area`` (m², polygonal part) and ``_length`` (m, linear part),
        ``_invalid`` (reason or "") and ``_repaired`` (note or ""); index = the input's index.
        A GeometryCollection keeps every part (each is reviewed by its own measure); NaN/Inf
        vertices make the project invalid (kept without geometry); Z values are dropped, recorded.

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
    if pd.api.types.infer_dtype(pid[present], skipna=True) not in ("string", "empty"):
        # Only ids that are not texts yet: converting 10⁶ texts again would copy every one.
        pid[present] = pid[present].astype(str)
    repairs: list[Repair] = rename_repairs("projects", renames)
    ptype, why = _project_type(df["project_type"])
    raw = np.asarray(df.geometry.array, dtype=object)
    # NaN/Inf vertices: GEOS would measure NaN, return an empty overlap or raise for the whole
    # review. Such a project is invalid (named, with its reason); the others are reviewed.
    # GEOS finds a geometry with a NaN/Inf x or y invalid ("Invalid Coordinate"), so the vertices
    # are read only where the validity test (needed below anyway) fails, or where there is a z.
    valid_raw = np.asarray(shapely.is_valid(raw), dtype=bool)
    suspect = np.flatnonzero(~valid_raw | np.asarray(shapely.has_z(raw), dtype=bool))
    nan = np.zeros(n, dtype=bool)
    nan[suspect] = nonfinite(raw[suspect])
    if nan.any():
        why[nan & (why == "").to_numpy()] = "NaN or infinite coordinates in the geometry"
        repairs.append(
            Repair(
                "projects",
                "nonfinite_geometry",
                df.index[nan].tolist(),
                "NaN/Inf vertices: project kept without geometry, verdict invalid",
            )
        )
        raw = raw.copy()
        raw[nan] = None
    geo = gpd.GeoSeries(raw, index=df.index, crs=df.crs) if nan.any() else df.geometry
    moved = df.crs is not None and not df.crs.equals(crs)
    if moved:
        geo = geo.to_crs(crs)
    geoms = np.asarray(geo.array, dtype=object).copy()
    has_z = np.asarray(shapely.has_z(geoms), dtype=bool)
    if has_z.any():
        geoms[has_z] = shapely.force_2d(geoms[has_z])
        repairs.append(
            Repair(
                "projects",
                "dropped_z",
                df.index[has_z].tolist(),
                "Z coordinates dropped: the review is 2-D (heights are not checked)",
            )
        )
    # A collection (a site plus its access road) keeps every part: each part is reviewed by its own
    # measure (area, length, inside-or-not) and its rows belong to the one project.
    colls = shapely.get_type_id(geoms) == 7
    if colls.any():
        geoms[colls], coll_note = collect_parts(geoms[colls])
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    repaired = pd.Series("", index=df.index, dtype=object)
    invalid = np.zeros(n, dtype=bool)
    check = np.flatnonzero(~empty)
    # The validity found above holds for the same geometries: not reprojected, nothing removed
    # or rebuilt (NaN vertices, Z, collections).
    same = not (moved or nan.any() or has_z.any() or colls.any())
    invalid[check] = ~(valid_raw[check] if same else shapely.is_valid(geoms[check]))
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        fixed = repair_parts(geoms[invalid])
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
    if colls.any():
        mixed = np.flatnonzero(colls)[coll_note != ""]
        if len(mixed):
            repairs.append(
                Repair(
                    "projects",
                    "collection_parts",
                    df.index[mixed].tolist(),
                    "geometry collections reviewed part by part: "
                    + "; ".join(
                        f"{df.index[i]}: {t}"
                        for i, t in zip(mixed[:5], coll_note[coll_note != ""][:5], strict=False)
                    ),
                )
            )
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    why[empty & (why == "").to_numpy()] = "empty or missing geometry"
    if (empty & ~nan).any():
        repairs.append(
            Repair(
                "projects",
                "empty_geometry",
                df.index[empty & ~nan].tolist(),
                "kept; verdict invalid",
            )
        )
    bad = (why != "").to_numpy()
    dims = np.where(bad, -1, shapely.get_dimensions(geoms))
    mask, area, length = part_measures(geoms)
    mask = np.where(bad, 0, mask)
    size = np.where(dims == 2, area, np.where(dims == 1, length, 1.0))
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
            "_parts": mask.astype(np.int64),
            "_area": area.astype(float),
            "_length": length.astype(float),
            "_invalid": text(why.to_numpy(dtype=object)),
            "_repaired": text(repaired.to_numpy(dtype=object)),
        },
        geometry=gpd.GeoSeries(geoms, index=df.index, crs=crs),
        index=df.index,
    )
    return out, repairs
