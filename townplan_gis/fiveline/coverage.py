"""What a review covers: the area its line data describes, and the line types it checked.

A project can only pass a check that was made. Two things make a check incomplete:

* **coverage** — the area the control-line data covers. A project 30 km from the town, or entered
  in the wrong coordinate system, overlaps no line only because there are no lines there. The
  coverage is the town boundary (``review(town)``), a polygon given
  as ``review(..., coverage=...)``, or else the convex hull of the control lines (with a logged
  warning: the hull of the lines is a guess of the area the data describes, and the smallest convex
  one, so that no project far from every line passes). A project passes only when it lies wholly
  inside: the part outside, by area (polygons), length (lines) or inside-or-not (points), must not
  exceed float noise (the rule file's ``noise_m2`` for areas, 1 mm for lengths and points);
* **line types** — each of the five types must be in the line data or declared absent
  (``absent=["purple"]``, ``Town(absent_line_types=...)``: "declared: the town has none"). A type
  both in the data and declared absent is an error.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyproj
import shapely

from townplan_gis.core.errors import CRSError, SchemaError, _rows
from townplan_gis.core.geometry import keep_dimension, nonfinite
from townplan_gis.core.vocab import LINE_ZH
from townplan_gis.fiveline.evidence import layer_sha256
from townplan_gis.fiveline.text import coded_series, fixed, join, take

__all__ = [
    "COVER_TOLERANCE_M",
    "coverage_gaps",
    "mark_incomplete",
    "missing_reason",
    "outside_parts",
    "resolve_coverage",
]

log = logging.getLogger(__name__)

#: Lengths (m) and point distances outside the coverage below this are float noise, not outside.
COVER_TOLERANCE_M = 1e-3


def resolve_coverage(
    coverage: Any, lines: gpd.GeoDataFrame, crs: pyproj.CRS, lines_crs: Any
) -> tuple[Any, dict[str, Any]]:
    """The review's coverage polygon in the analysis CRS, and its record for the evidence.

    Parameters
    ----------
    coverage : shapely geometry, GeoSeries, GeoDataFrame or None
        A bare geometry, or a layer without CRS, is taken to be in the control lines' CRS
        (``lines_crs``). ``None``: the convex hull of ``lines``, with a logged warning.
    lines : geopandas.GeoDataFrame
        The prepared control lines, in ``crs``.
    crs : pyproj.CRS
        The analysis CRS.

    Returns
    -------
    (shapely geometry or None, dict)
        The (prepared) coverage, None when there are neither lines nor a coverage; and
        ``{"source", "features", "area_m2", "sha256"}``.

    Raises
    ------
    TownPlanError
        A coverage that is not a polygon layer or geometry, has NaN/Inf coordinates, or is empty.
    """
    if coverage is None:
        geoms = np.asarray(lines.geometry.array, dtype=object)
        if not len(geoms):
            return None, {
                "source": "none: no control lines and no coverage given, so no project can be "
                "shown to be inside the area the line data describes",
                "features": 0,
                "area_m2": 0.0,
            }
        # One hull over all the lines' vertices, without a point object per vertex.
        hull = shapely.convex_hull(shapely.geometrycollections(geoms))
        log.warning(
            "review: no coverage given; the convex hull of the %d control lines (%.0f m²) is taken "
            "as the area the line data covers. Pass coverage= (the town boundary) to review "
            "against the real extent.",
            len(geoms),
            hull.area,
        )
        shapely.prepare(hull)
        return hull, {
            "source": "convex hull of the control lines (no coverage given)",
            "features": len(geoms),
            "area_m2": float(hull.area),
        }
    source = "given"
    if isinstance(coverage, gpd.GeoDataFrame | gpd.GeoSeries):
        source = str(coverage.attrs.get("source", f"given ({type(coverage).__name__})"))
        layer = coverage if isinstance(coverage, gpd.GeoSeries) else coverage.geometry
        raw = np.asarray(layer.array, dtype=object)
        from_crs = layer.crs if layer.crs is not None else lines_crs
    elif isinstance(coverage, shapely.Geometry):
        raw = np.array([coverage], dtype=object)
        from_crs = lines_crs
        source = f"given ({coverage.geom_type}, in the control lines' CRS)"
    else:
        raise SchemaError(
            f"coverage must be a polygon, a GeoSeries or a GeoDataFrame of polygons, got "
            f"{type(coverage).__name__}."
        )
    bad = nonfinite(raw)
    if bad.any():
        raise SchemaError(
            f"coverage: NaN or infinite coordinates in rows {_rows(np.flatnonzero(bad))}. Fix: "
            f"correct the boundary polygon."
        )
    if from_crs is None:
        raise CRSError("coverage has no CRS and the control lines have none either.")
    digest = layer_sha256(gpd.GeoSeries(raw, crs=from_crs))
    series = gpd.GeoSeries(raw, crs=from_crs)
    if not series.crs.equals(crs):
        series = series.to_crs(crs)
    geoms = np.asarray(series.array, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    polys = keep_dimension(geoms, 2)
    cover = shapely.union_all(polys) if len(polys) else shapely.Polygon()
    if cover.is_empty or cover.area <= 0:
        raise SchemaError(
            "coverage has no polygon of positive area (lines or points cannot say which area the "
            "line data covers). Fix: pass the town boundary polygon."
        )
    shapely.prepare(cover)
    return cover, {
        "source": source,
        "features": len(raw),
        "area_m2": float(cover.area),
        "sha256": digest,
    }


def coverage_gaps(
    prepared: gpd.GeoDataFrame, cover: shapely.Geometry | None, noise_m2: float
) -> tuple[np.ndarray, pa.Array, pa.Array]:
    """Per project, the share outside the coverage (%) and why, in English and Chinese.

    Returns
    -------
    (numpy.ndarray, pyarrow.Array, pyarrow.Array)
        ``outside_pct`` (NaN for invalid projects, 0 inside), and the reasons (null where the
        project is inside).
    """
    n = len(prepared)
    held = prepared["_parts"].to_numpy()
    valid = held > 0
    pct = np.where(valid, 0.0, np.nan)
    en = pa.nulls(n, pa.string())
    zh = pa.nulls(n, pa.string())
    if not valid.any():
        return pct, en, zh
    idx = np.flatnonzero(valid)
    if cover is None:
        pct[idx] = 100.0
        mask = pa.array(valid)
        en = pc.if_else(mask, "no review coverage: no control lines and no coverage given", en)
        zh = pc.if_else(mask, "无审查范围：既无控制线，也未给出审查范围", zh)
        return pct, en, zh
    geoms = np.asarray(prepared.geometry.array, dtype=object)
    out = idx[~shapely.covers(cover, geoms[idx])]
    if not len(out):
        return pct, en, zh
    diff = outside_parts(geoms[out], cover)
    area_out = shapely.area(keep_dimension(diff, 2))
    len_out = shapely.length(keep_dimension(diff, 1))
    pts = keep_dimension(geoms[out], 0)
    # A project without a point part keeps an empty point here, which GEOS counts as one geometry.
    n_pts = np.where(shapely.is_empty(pts), 0, shapely.get_num_geometries(pts))
    pts_out = np.zeros(len(out), dtype=np.int64)
    has_pts = np.flatnonzero(n_pts > 0)
    if len(has_pts):
        parts, which = shapely.get_parts(pts[has_pts], return_index=True)
        far = shapely.distance(parts, cover) > COVER_TOLERANCE_M
        pts_out[has_pts] = np.bincount(which[far], minlength=len(has_pts))
    area_out = np.where(area_out > noise_m2, area_out, 0.0)
    len_out = np.where(len_out > COVER_TOLERANCE_M, len_out, 0.0)
    real = (area_out > 0) | (len_out > 0) | (pts_out > 0)
    out, area_out, len_out, pts_out, n_pts = (
        out[real],
        area_out[real],
        len_out[real],
        pts_out[real],
        n_pts[real],
    )
    if not len(out):
        return pct, en, zh
    area = prepared["_area"].to_numpy()[out]
    length = prepared["_length"].to_numpy()[out]
    dim = prepared["_dim"].to_numpy()[out]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(
            dim == 2,
            area_out / area * 100,
            np.where(dim == 1, len_out / length * 100, pts_out / np.maximum(n_pts, 1) * 100),
        )
    pct[out] = np.clip(share, 0.0, 100.0)
    amount = np.where(dim == 2, area_out, np.where(dim == 1, len_out, pts_out))
    # Texts by dimension taken from three-word tables (not a Python string per project).
    by_dim = 2 - np.clip(dim, 0, 2)
    unit = take(pa.array([" m²", " m", " point(s)"]), by_dim)
    unit_zh = take(pa.array([" m²", " m", " 个点"]), by_dim)
    # Areas and lengths to 0.1; points are counted ("1 个点", not "1.0 个点").
    digits = fixed(amount, 1)
    points = dim == 0
    if points.any():
        mask = pa.array(points)
        digits = pc.replace_with_mask(digits, mask, fixed(amount[points], 0))
    share_txt = fixed(pct[out], 1)
    # A collection's lower parts outside are named after its main part.
    extra_en = extra_zh = pa.repeat("", len(out))
    line_too = (dim == 2) & (len_out > 0)
    if line_too.any():
        extra_en = pc.if_else(
            pa.array(line_too), join("; its line part ", fixed(len_out, 1), " m"), extra_en
        )
        extra_zh = pc.if_else(
            pa.array(line_too), join("；线状部分 ", fixed(len_out, 1), " m"), extra_zh
        )
    pts_too = (dim >= 1) & (pts_out > 0)
    if pts_too.any():
        extra_en = pc.if_else(pa.array(pts_too), join(extra_en, "; points of it"), extra_en)
        extra_zh = pc.if_else(pa.array(pts_too), join(extra_zh, "；点状部分"), extra_zh)
    en_out = join(
        "outside the review coverage: ", digits, unit, " (", share_txt, " % of project)", extra_en
    )
    zh_out = join("超出审查范围：", digits, unit_zh, "（占项目 ", share_txt, " %）", extra_zh)
    mask = np.zeros(n, dtype=bool)
    mask[out] = True
    place = np.full(n, -1, dtype=np.int64)
    place[out] = np.arange(len(out))
    pick = pa.array(place, mask=place < 0)
    return pct, en_out.take(pick), zh_out.take(pick)


def outside_parts(geoms: np.ndarray, cover: shapely.Geometry) -> np.ndarray:
    """``shapely.difference(geoms, cover)``: the part of each project outside the coverage.

    A project that does not meet the coverage at all is wholly outside, so its part outside is
    itself and no difference is computed. That is the common case where the work is: a county's
    projects reviewed against one town's boundary, where a difference with a boundary of thousands
    of vertices costs tens of microseconds a project and the test on the prepared coverage about
    one. Tested equal to ``shapely.difference`` (areas and lengths) in tests/test_review_completeness.py.
    """
    parts = geoms.copy()
    meets = np.flatnonzero(shapely.intersects(cover, geoms))
    parts[meets] = shapely.difference(geoms[meets], cover)
    return parts


def missing_reason(missing: list[str]) -> tuple[str, str]:
    """Why a project is not checked when line types are neither in the data nor declared absent."""
    if not missing:
        return "", ""
    names = ", ".join(f"{t} ({LINE_ZH[t]})" for t in missing)
    names_zh = "、".join(LINE_ZH[t] for t in missing)
    return (
        f"not checked against {names}: not in the line data and not declared absent (declare "
        f"absent={missing} if the town has none)",
        f"未核对{names_zh}：控制线数据中没有，也未声明本镇没有",
    )


def mark_incomplete(
    prepared: gpd.GeoDataFrame, cover: shapely.Geometry | None, missing: list[str], noise_m2: float
) -> gpd.GeoDataFrame:
    """The prepared projects with ``_incomplete`` / ``_incomplete_zh`` (why the check of each is
    incomplete, "" when complete; dictionary-encoded by
    :func:`~townplan_gis.fiveline.text.coded_series`) and ``_outside_pct`` (% outside the
    coverage)."""
    pct, en, zh = coverage_gaps(prepared, cover, noise_m2)
    miss_en, miss_zh = missing_reason(missing)
    valid = prepared["_parts"].to_numpy() > 0
    if miss_en and valid.any():
        # Only the valid projects' texts change, usually all of them (then no row is replaced:
        # Arrow's if_else or replace_with_mask would copy 10⁶ texts for nothing, ≈ 0.5 s each).
        mask = pa.array(valid)
        en_v = pc.coalesce(join(en.filter(mask), "; ", miss_en), miss_en)
        zh_v = pc.coalesce(join(zh.filter(mask), "；", miss_zh), miss_zh)
        all_valid = bool(valid.all())
        en = en_v if all_valid else pc.replace_with_mask(en, mask, en_v)
        zh = zh_v if all_valid else pc.replace_with_mask(zh, mask, zh_v)
    out = prepared.copy(deep=False)
    # Dictionary-encoded: a missing line type gives every project the same text, held once; the
    # chunks take their rows' texts as Arrow strings, with no Python string per project.
    out["_incomplete"] = coded_series(en, index=prepared.index)
    out["_incomplete_zh"] = coded_series(zh, index=prepared.index)
    out["_outside_pct"] = pct
    return out
