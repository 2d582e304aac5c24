"""Buildable land of a parcel (可建设用地): what the control lines and their setbacks leave to build on.

Per parcel: the gross area; the land taken by each line type and purple tier and by each setback band;
the remainder as geometry (every part kept) in m² and 亩; its widest point (largest inscribed circle)
and the part of it where a square of the minimum width fits, so that a 3 m strip is not called
buildable; a relaxed and a strict variant where local rules give a range of setbacks. Sources:
docs/sources.md#setbacks-local, docs/sources.md#buildable-width, the review's rule file.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.analyses._geom import (
    EMPTY,
    drop_noise,
    grouped_union,
    polygonal,
    subdivide,
    threaded,
    to_mu,
)
from townplan_gis.analyses._lines import (
    buildable_settings,
    check_project_type,
    grade_lines,
    line_class,
    prepare_lines,
    rules_for,
    setback_distances,
)
from townplan_gis.core.errors import CRSError, GeometryTypeError, TownPlanError, _rows
from townplan_gis.core.schema import LINE_TYPES, ZONES
from townplan_gis.core.town import Town

__all__ = ["buildable_items", "buildable_land", "usable_part"]

_CLASSES = tuple(
    c for t in LINE_TYPES for c in ((f"purple_{z}" for z in ZONES) if t == "purple" else (t,))
)
_BANDS = ("red", "blue")


def usable_part(geoms: np.ndarray, min_width_m: float) -> np.ndarray:
    r"""The part of each polygon where a square of side ``min_width_m`` fits (opening by that square).

    .. math:: U = (R \ominus S_{w/2}) \oplus S_{w/2}

    erosion then dilation by ``w/2`` with mitred joins (a square structuring element): a rectangle
    wider than w comes back whole, a strip narrower than w vanishes. Exact for straight edges (GEOS
    offset curves); the result is clipped to the polygon. A polygon that is a rectangle (its
    oriented envelope has its area) is answered at once: itself when both sides exceed w, else
    nothing.
    """
    geoms = np.asarray(geoms, dtype=object)
    if min_width_m <= 0:
        return geoms
    out = np.full(len(geoms), EMPTY, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    simple = ok & (shapely.get_type_id(geoms) == 3) & (shapely.get_num_coordinates(geoms) == 5)
    box = np.flatnonzero(simple)
    env = shapely.oriented_envelope(geoms[box])
    rect = np.isclose(shapely.area(env), shapely.area(geoms[box]), rtol=1e-9, atol=1e-9)
    sides = _short_side(env[rect])
    fits = box[rect][sides > min_width_m]
    out[fits] = geoms[fits]
    rest = np.flatnonzero(ok & ~np.isin(np.arange(len(geoms)), box[rect]))
    if len(rest):
        r = min_width_m / 2
        g = geoms[rest]
        core = threaded(shapely.buffer, g, -r, join_style="mitre", mitre_limit=10.0)
        grown = threaded(shapely.buffer, core, r, join_style="mitre", mitre_limit=10.0)
        out[rest] = polygonal(threaded(shapely.intersection, grown, g))
    return out


def _short_side(rects: np.ndarray) -> np.ndarray:
    """The shorter side of each rectangle, m."""
    if len(rects) == 0:
        return np.empty(0)
    xy = shapely.get_coordinates(rects).reshape(len(rects), 5, 2)
    a = np.hypot(*(xy[:, 1] - xy[:, 0]).T)
    b = np.hypot(*(xy[:, 2] - xy[:, 1]).T)
    return np.minimum(a, b)


def _widest(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Diameter of the largest inscribed circle of each polygon, m (0 when empty), ±2·tolerance."""
    out = np.zeros(len(geoms))
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        radius = shapely.length(shapely.maximum_inscribed_circle(geoms[ok], tolerance))
        out[ok] = 2 * radius
    return out


def _parcels(parcels: gpd.GeoDataFrame, crs: Any) -> tuple[np.ndarray, list[str]]:
    if not isinstance(parcels, gpd.GeoDataFrame):
        raise TownPlanError(
            f"buildable_land needs the parcels as a GeoDataFrame, got {type(parcels).__name__}."
        )
    if parcels.crs is None:
        raise CRSError(
            "the parcels have no CRS, so their land cannot be measured. Fix: set it "
            "(parcels.set_crs('EPSG:4546') or the CRS the data is really in)."
        )
    frame = parcels if parcels.crs.equals(crs) else parcels.to_crs(crs)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    dims = shapely.get_dimensions(geoms)
    wrong = ~missing & (dims != 2)
    if wrong.any():
        rows = parcels.index[wrong]
        raise GeometryTypeError(
            f"parcels: rows {_rows(rows)} are not polygons "
            f"({sorted(set(shapely.get_type_id(geoms[wrong]).tolist()))} type ids); buildable land "
            f"is measured on parcel polygons. Fix: give the parcels' outlines as polygons."
        )
    notes = [""] * len(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        geoms[invalid] = polygonal(shapely.make_valid(geoms[invalid]))
        for i in np.flatnonzero(invalid):
            notes[i] = "invalid parcel outline repaired with make_valid"
    for i in np.flatnonzero(missing):
        notes[i] = "no geometry: nothing measured"
    return geoms, notes


def _items(frame: gpd.GeoDataFrame, rules, project_type: str, setbacks: bool):
    """Line pieces labelled by item: ``<class>`` (the line's land) and ``zone_<type>[_strict]``
    (the land within the setback distance, the line's own land included)."""
    geoms = np.asarray(frame.geometry.array, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    cls = line_class(frame, rules)
    grade = grade_lines(frame, rules, project_type)
    labels, shapes = [cls[ok]], [geoms[ok]]
    applies = setbacks and project_type in rules.setbacks["project_types"]
    if applies:
        for strict in (False, True):
            d = setback_distances(frame, rules, strict=strict)
            # Every red and blue line has a zone holding it (the line itself when it has no
            # setback), so that a zone always contains its line's own land.
            has = ok & np.isin(frame["line_type"].to_numpy(), _BANDS)
            suffix = "_strict" if strict else ""
            dist = np.nan_to_num(d[has], nan=0.0)
            zone = np.where(dist > 0, shapely.buffer(geoms[has], dist), geoms[has])
            labels.append(
                np.array(
                    [f"zone_{t}{suffix}" for t in frame["line_type"].to_numpy()[has]], dtype=object
                )
            )
            shapes.append(zone)
    excluded = sorted(set(cls[ok & np.isin(grade, ["forbidden", "review"])].tolist()))
    return np.concatenate(labels), np.concatenate(shapes), excluded, applies


class _ItemAreas:
    """The land of each item (line class or setback zone) in each parcel, unioned per item.

    One spatial-index query pairs parcels with item pieces; a piece that holds the whole parcel
    gives the parcel itself (no intersection computed); the rest are intersected in one call and
    unioned per (parcel, item) by pairwise reduction.
    """

    def __init__(
        self, pgeoms: np.ndarray, labels: np.ndarray, shapes: np.ndarray, max_vertices: int
    ):
        self.n = len(pgeoms)
        self.pgeoms = pgeoms
        pieces, owner = subdivide(shapes, max_vertices=max_vertices)
        item = labels[owner]
        self.names = sorted(set(item.tolist()))
        self.code = {k: i for i, k in enumerate(self.names)}
        item_id = np.array([self.code[k] for k in item], dtype=np.int64)
        shapely.prepare(pieces)
        left, right = shapely.STRtree(pieces).query(pgeoms, predicate="intersects")
        whole = shapely.contains_properly(pieces[right], pgeoms[left])
        inter = pgeoms[left].copy()
        cut = np.flatnonzero(~whole)
        inter[cut] = polygonal(
            threaded(shapely.intersection, pgeoms[left[cut]], pieces[right[cut]])
        )
        keep = whole | (shapely.area(inter) > 0)
        left, right, inter, whole = left[keep], right[keep], inter[keep], whole[keep]
        k = max(len(self.names), 1)
        uniq, inv = np.unique(left * k + item_id[right], return_inverse=True)
        covered = np.zeros(len(uniq), dtype=bool)
        covered[inv[whole]] = True
        rest = ~covered[inv]
        geoms = grouped_union(inter[rest], inv[rest], len(uniq))
        geoms[covered] = pgeoms[uniq[covered] // k]
        self.parcel, self.item, self.geoms = uniq // k, uniq % k, geoms
        self.whole = covered
        self._area = shapely.area(geoms)

    def _sel(self, name: str) -> np.ndarray:
        return self.item == self.code[name] if name in self.code else np.zeros(len(self.item), bool)

    def area(self, name: str) -> np.ndarray:
        out = np.zeros(self.n)
        sel = self._sel(name)
        out[self.parcel[sel]] = self._area[sel]
        return out

    def union(self, names: list[str], parcels: np.ndarray) -> np.ndarray:
        """Per parcel (of the mask ``parcels``), the union of these items' land in it (empty where
        none or outside the mask); a parcel wholly inside one of them is itself."""
        out = np.full(self.n, EMPTY, dtype=object)
        sel = parcels[self.parcel]
        any_item = np.zeros(len(self.item), dtype=bool)
        for name in names:
            any_item |= self._sel(name)
        sel &= any_item
        full = np.zeros(self.n, dtype=bool)
        full[self.parcel[sel & self.whole]] = True
        part = sel & ~full[self.parcel]
        out[:] = grouped_union(self.geoms[part], self.parcel[part], self.n)
        idx = np.flatnonzero(full)
        out[idx] = self.pgeoms[idx]
        return out


def buildable_land(
    parcels: gpd.GeoDataFrame,
    lines: gpd.GeoDataFrame | Town,
    *,
    setbacks: bool = True,
    rules: Any = None,
    project_type: str = "building",
    min_width_m: float | None = None,
    widest: bool = False,
    max_vertices: int = 256,
) -> gpd.GeoDataFrame:
    """The land of each parcel left to build on by the control lines and their setbacks.

    .. math:: B = P \\setminus \\Big( \\bigcup_{g(\\ell) \\in \\{forbidden, review\\}} \\ell
              \\ \\cup \\bigcup_{\\ell \\in red, blue} \\operatorname{buffer}(\\ell, d_\\ell) \\Big)

    where g(ℓ) is the review rule file's grade of line ℓ for ``project_type`` (for a building: every
    line but the purple harmony zone, which is a notice) and d_ℓ the setback distance: the rule
    file's (relaxed; 8 m from main roads, 5 m from others, 10 m from blue lines) or the larger
    distance of ``data/buildable.toml`` (strict; 12 m main roads, 8 m branch roads and roads of
    unknown class), a line's own ``setback_m`` in both. Lines of one class that overlap count
    once. The usable part U is B opened by a square of side w (``min_width_m``): only where a w × w
    square fits (a 3 m strip is not usable for w = 10 m); the widest point is the diameter of B's
    largest inscribed circle (GEOS, to ±0.1 m; with ``widest=True``). Sources: docs/sources.md#setbacks-local,
    docs/sources.md#buildable-width; the grades of ``townplan_gis/data/rules/default.toml``.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcel polygons in any CRS (measured in the lines' metric CRS). Not modified; invalid
        outlines are repaired (noted), rows without geometry kept with zeros (noted).
    lines : geopandas.GeoDataFrame or Town
        Control lines (Chinese names accepted), or a Town: its control lines, red lines taking
        their road class from the roads they contain, as the review does.
    setbacks : bool, default True
        Take the setback bands of red and blue lines (for project types subject to setbacks,
        ``[setbacks] project_types`` of the rules: buildings by default).
    rules : path or Rules, optional
        The review rules (default ``townplan_gis/data/rules/default.toml``).
    project_type : str, default "building"
        What is to be built: the lines graded forbidden or review for it are taken.
    min_width_m : float, optional
        Side of the square that must fit, m (default ``[width] min_width_m`` = 10 m).
    widest : bool, default False
        Also measure the widest point (``widest_m``, ``widest_strict_m``): the diameter of the
        largest inscribed circle, to ±0.1 m (GEOS; about 0.2 ms a parcel, so off by default for
        county-size inputs).
    max_vertices : int, default 256
        Lines with more vertices are cut into pieces for speed (results are the same).

    Returns
    -------
    geopandas.GeoDataFrame
        Aligned to ``parcels.index``; geometry = the relaxed buildable land (every part kept),
        ``geometry_strict`` the strict one. Columns: ``gross_m2, gross_mu``; ``taken_<class>_m2``
        for red, green, purple_core, purple_control, purple_harmony, blue, yellow (the line's land
        in the parcel, taken or not); ``setback_red_m2, setback_blue_m2`` and their ``_strict``
        variants (the band outside the line's own land); ``excluded_m2``; ``buildable_m2,
        buildable_mu, n_parts, usable_m2, usable_mu, buildable`` (usable > 0) and the
        same with ``_strict``; ``excluded_classes`` (what was taken), ``note``.

    Raises
    ------
    GeometryTypeError
        A parcel that is a line or a point.
    CRSError
        Parcels or lines without a CRS.
    TownPlanError
        An unknown project type, a negative width.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> def at(x0, y0, x1, y1):
    ...     return shapely.box(437_000 + x0, 3_855_000 + y0, 437_000 + x1, 3_855_000 + y1)
    >>> road = gpd.GeoDataFrame({"line_type": ["red"], "road_class": ["arterial"]},
    ...                         geometry=[at(0, -20, 100, 10)], crs="EPSG:4546")
    >>> parcel = gpd.GeoDataFrame(geometry=[at(0, 0, 100, 50)], crs="EPSG:4546")
    >>> b = buildable_land(parcel, road, widest=True)
    >>> b[["taken_red_m2", "setback_red_m2", "buildable_m2", "buildable_strict_m2"]].round(1).iloc[0].tolist()
    [1000.0, 800.0, 3200.0, 2800.0]
    >>> round(float(b["widest_m"].iloc[0]), 1)  # the remainder is 100 m × 32 m
    32.0
    """
    r = rules_for(rules)
    check_project_type(project_type)
    width_cfg = buildable_settings()["width"]
    w = float(width_cfg["min_width_m"] if min_width_m is None else min_width_m)
    if isinstance(min_width_m, bool) or not np.isfinite(w) or w < 0:
        raise TownPlanError(f"min_width_m must be a number of metres ≥ 0, got {min_width_m!r}.")
    frame, line_notes = prepare_lines(lines)
    crs = frame.crs
    pgeoms, notes = _parcels(parcels, crs)
    n = len(pgeoms)
    labels, shapes, excluded, applies = _items(frame, r, project_type, setbacks)
    items = _ItemAreas(pgeoms, labels, shapes, max_vertices)
    gross = shapely.area(pgeoms)
    result: dict[str, Any] = {"gross_m2": gross, "gross_mu": to_mu(gross)}
    extra_classes = {c for c in items.names if not c.startswith("zone_")} - set(_CLASSES)
    for c in [*_CLASSES, *sorted(extra_classes)]:
        result[f"taken_{c}_m2"] = items.area(c)
    noise = float(r.tolerance["noise_m2"])
    # A zone holds its line (see _items), so the band outside the line's own land is a difference
    # of areas, and the zones stand for the red and blue lines in what is taken.
    plain = [c for c in excluded if not (applies and c in _BANDS)]
    # The strict remainder differs from the relaxed one only where a strict zone reaches further.
    same = np.ones(n, dtype=bool)
    for t in _BANDS:
        same &= np.isclose(items.area(f"zone_{t}_strict"), items.area(f"zone_{t}"))
    variants: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for suffix in ("", "_strict"):
        zones = [f"zone_{t}{suffix}" for t in _BANDS] if applies else []
        for t in _BANDS:
            band = items.area(f"zone_{t}{suffix}") - items.area(t) if applies else np.zeros(n)
            result[f"setback_{t}{suffix}_m2"] = np.maximum(band, 0.0)
        measured = np.ones(n, dtype=bool) if not suffix else ~same
        taken = items.union([*plain, *zones], measured)
        remain = pgeoms.copy() if not suffix else variants[""][1].copy()
        hit = np.flatnonzero(measured & ~shapely.is_empty(taken))
        if suffix:
            remain[np.flatnonzero(measured)] = pgeoms[np.flatnonzero(measured)]
        if len(hit):
            cut = polygonal(threaded(shapely.difference, pgeoms[hit], taken[hit]))
            remain[hit] = drop_noise(cut, noise)
        variants[suffix] = (taken, remain)
    result["excluded_m2"] = shapely.area(variants[""][0])
    tol = float(width_cfg["circle_tolerance_m"])
    done: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for suffix, (_, remain) in variants.items():
        rem = np.where(shapely.is_missing(remain), EMPTY, remain).astype(object)
        b_area = shapely.area(rem)
        if suffix and "" in done:
            # Where the strict remainder is the relaxed one, so are its figures.
            u_area, wide = done[""][0].copy(), done[""][1].copy()
            diff = np.flatnonzero(~same)
            u_area[diff] = shapely.area(usable_part(rem[diff], w))
            if widest:
                wide[diff] = _widest(rem[diff], tol)
        else:
            u_area = shapely.area(usable_part(rem, w))
            wide = _widest(rem, tol) if widest else np.full(n, np.nan)
        done[suffix] = (u_area, wide)
        result[f"buildable{suffix}_m2"] = b_area
        result[f"buildable{suffix}_mu"] = to_mu(b_area)
        result[f"n_parts{suffix}"] = np.where(b_area > 0, shapely.get_num_geometries(rem), 0)
        if widest:
            result[f"widest{suffix}_m"] = wide
        result[f"usable{suffix}_m2"] = u_area
        result[f"usable{suffix}_mu"] = to_mu(u_area)
        result[f"buildable{suffix}"] = u_area > 0
    taken_text = ", ".join(excluded + ([f"setback {'/'.join(_BANDS)}"] if applies else []))
    result["excluded_classes"] = np.full(n, taken_text, dtype=object)
    why = np.where(
        (result["buildable_m2"] > 0) & ~result["buildable"],
        f"remainder narrower than {w:g} m everywhere",
        "",
    )
    extra = "; ".join(line_notes)
    result["note"] = [
        "; ".join(x for x in (a, b, extra) if x) for a, b in zip(notes, why, strict=True)
    ]
    # A parcel without geometry is not measured: NaN, never a zero that reads as "nothing left".
    missing = shapely.is_missing(pgeoms) | shapely.is_empty(pgeoms)
    if missing.any():
        for key, values in result.items():
            arr = np.asarray(values)
            if arr.dtype.kind == "f":
                result[key] = np.where(missing, np.nan, arr)
    out = gpd.GeoDataFrame(
        result,
        index=parcels.index.copy(),
        geometry=gpd.GeoSeries(variants[""][1], index=parcels.index, crs=crs),
    )
    out["geometry_strict"] = gpd.GeoSeries(variants["_strict"][1], index=parcels.index, crs=crs)
    out.attrs["min_width_m"] = w
    out.attrs["project_type"] = project_type
    out.attrs["rules"] = r.source
    return out


def buildable_items(result: gpd.GeoDataFrame) -> pd.DataFrame:
    """A :func:`buildable_land` result as a tidy table: one row per parcel and item.

    Items: ``gross``, ``taken_<class>``, ``setback_<type>[_strict]``, ``excluded``,
    ``buildable[_strict]``, ``usable[_strict]``; columns ``parcel, item, variant, area_m2,
    area_mu`` (for a report or a workbook sheet).
    """
    cols = [c for c in result.columns if c.endswith("_m2")]
    long = pd.DataFrame(result[cols]).rename_axis("parcel").reset_index()
    long = long.melt(id_vars="parcel", var_name="item", value_name="area_m2")
    long["item"] = long["item"].str.removesuffix("_m2")
    long["variant"] = np.where(long["item"].str.contains("_strict"), "strict", "relaxed")
    long["item"] = long["item"].str.replace("_strict", "", regex=False)
    long["area_mu"] = to_mu(long["area_m2"])
    return long[["parcel", "item", "variant", "area_m2", "area_mu"]]
