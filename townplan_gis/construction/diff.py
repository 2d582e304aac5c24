"""Features added, removed and changed in one layer between two vintages of a town.

Features are paired first by their key column (``project_id`` for projects, ``code`` for control
lines, ``name`` for the rest; rule file ``[compare.keys]``) where the key is given and unique in both
vintages, then the rest by equal geometry (equal on a ``precision_m`` grid, 1 cm by default). A pair
whose geometry or canonical attributes differ is *changed* (the columns are named); what is left is
*added* or *removed*. The measures are geometric: for polygon layers the area of the union after
minus the union before (overlaps counted once), for line layers the length of the lines after farther
than ``line_tolerance_m`` from every line before, for the others the number of features. Sources:
docs/sources.md#programme-rules.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.schema import LAYERS
from townplan_gis.core.schema.spec import LINE, POLYGON

__all__ = ["CHANGE_COLUMNS", "diff_layer", "measure_of"]

CHANGE_COLUMNS = [
    "layer",
    "change",
    "key",
    "name",
    "measure",
    "before",
    "after",
    "delta",
    "columns",
    "row_before",
    "row_after",
]


def measure_of(kind: str) -> str:
    """``"area_m2"`` for polygon layers, ``"length_m"`` for line layers, else ``"count"``."""
    types = set(LAYERS[kind].geometry)
    if types <= set(POLYGON):
        return "area_m2"
    if types <= set(LINE):
        return "length_m"
    return "count"


def _geoms(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.asarray(gdf.geometry.array, dtype=object)


def _geometry_keys(gdf: gpd.GeoDataFrame, grid: float) -> np.ndarray:
    geoms = _geoms(gdf)
    out = np.full(len(geoms), None, dtype=object)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if ok.any():
        g = geoms[ok].copy()
        # A one-part Multi* equals its part (a GeoPackage layer stores all its polygons as multi
        # once one of them is).
        single = np.isin(shapely.get_type_id(g), [4, 5, 6]) & (shapely.get_num_geometries(g) == 1)
        g[single] = shapely.get_geometry(g[single], 0)
        snapped = shapely.normalize(shapely.set_precision(g, grid))
        out[ok] = shapely.to_wkb(snapped)
    return out


def _values(gdf: gpd.GeoDataFrame, columns: list[str]) -> pd.DataFrame:
    """Attribute values in a comparable form (numbers rounded to 1e-6, missing as None)."""
    out = {}
    for c in columns:
        s = gdf[c] if c in gdf.columns else pd.Series(None, index=gdf.index, dtype=object)
        if pd.api.types.is_float_dtype(s):
            s = s.round(6)
        out[c] = s.astype(object).where(s.notna(), None)
    return pd.DataFrame(out, index=gdf.index)


def _pairs_by(left: pd.Series, right: pd.Series) -> list[tuple[int, int]]:
    """Positional pairs with equal values (None never pairs); repeated values pair in order."""
    a = pd.DataFrame({"v": left.to_numpy(), "i": np.arange(len(left))}).dropna(subset=["v"])
    b = pd.DataFrame({"v": right.to_numpy(), "j": np.arange(len(right))}).dropna(subset=["v"])
    a["n"] = a.groupby("v", sort=False).cumcount()
    b["n"] = b.groupby("v", sort=False).cumcount()
    m = a.merge(b, on=["v", "n"])
    return list(zip(m["i"].tolist(), m["j"].tolist(), strict=True))


def _unique_keys(s: pd.Series) -> pd.Series:
    return s.where(s.notna() & ~s.duplicated(keep=False), None)


def _measure(geoms: np.ndarray, measure: str) -> np.ndarray:
    if measure == "area_m2":
        return shapely.area(geoms)
    if measure == "length_m":
        return shapely.length(geoms)
    return np.ones(len(geoms))


def _pieces(
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame,
    kind: str,
    measure: str,
    tol: float,
    *,
    same: tuple[np.ndarray, np.ndarray],
    grid: float,
) -> tuple[gpd.GeoDataFrame, float, float]:
    """The geometric differences per feature (added pieces of ``after``, removed of ``before``)
    and the total added and removed measure (unions: overlaps once). Features unchanged in the
    other vintage (``same``: masks of before, after) have no piece; pieces below the grid's
    resolution (noding noise of the unions) are dropped."""
    gb, ga = _geoms(before), _geoms(after)
    ub = shapely.union_all(gb[~shapely.is_missing(gb)]) if len(gb) else shapely.Polygon()
    ua = shapely.union_all(ga[~shapely.is_missing(ga)]) if len(ga) else shapely.Polygon()
    if measure == "length_m":
        # Flat ends: a road extended by 60 m is 60 m of new road, not 60 m less the tolerance.
        ref_b = shapely.buffer(ub, tol, cap_style="flat") if tol > 0 else ub
        ref_a = shapely.buffer(ua, tol, cap_style="flat") if tol > 0 else ua
        added_total = float(shapely.length(shapely.difference(ua, ref_b)))
        removed_total = float(shapely.length(shapely.difference(ub, ref_a)))
    else:
        ref_b, ref_a = ub, ua
        added_total = float(shapely.area(shapely.difference(ua, ub)))
        removed_total = float(shapely.area(shapely.difference(ub, ua)))
    rows = []
    smallest = 100 * grid * grid if measure == "area_m2" else grid
    for change, frame, geoms, ref, skip in (
        ("added", after, ga, ref_b, same[1]),
        ("removed", before, gb, ref_a, same[0]),
    ):
        diff = np.full(len(geoms), None, dtype=object)
        diff[~skip] = shapely.difference(geoms[~skip], ref)
        size = np.nan_to_num(_measure(diff, measure))
        keep = np.flatnonzero(~skip & ~shapely.is_missing(diff) & (size > smallest))
        names = frame["name"] if "name" in frame.columns else pd.Series(None, index=frame.index)
        for i in keep:
            rows.append(
                (kind, change, names.iloc[i], measure, float(size[i]), frame.index[i], diff[i])
            )
    pieces = gpd.GeoDataFrame(
        rows,
        columns=["layer", "change", "name", "measure", "value", "row", "geometry"],
        geometry="geometry",
        crs=after.crs if after.crs is not None else before.crs,
    )
    pieces["value"] = pieces["value"].astype("float64")
    return pieces, added_total, removed_total


def diff_layer(
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame,
    kind: str,
    *,
    key: str | None = None,
    precision_m: float = 0.01,
    line_tolerance_m: float = 0.5,
) -> tuple[gpd.GeoDataFrame, dict[str, Any], gpd.GeoDataFrame]:
    """Features added, removed and changed between two vintages of one canonical layer.

    Parameters
    ----------
    before, after : geopandas.GeoDataFrame
        The layer in both vintages, canonical (as a Town holds it), in one metric CRS.
    kind : str
        The layer kind (``roads``, ``green`` …).
    key : str, optional
        The column that names a feature across vintages (default ``name``).
    precision_m, line_tolerance_m : float
        Geometry equality grid, and the distance within which a line is not new (m).

    Returns
    -------
    changes : geopandas.GeoDataFrame
        One row per added, removed or changed feature (:data:`CHANGE_COLUMNS`): its measure before
        and after (m², m or 1), the delta, the columns that changed (``geometry`` included);
        geometry the feature after (before for a removed one).
    summary : dict
        ``n_before, n_after, added, removed, changed, unchanged, measure, total_before,
        total_after, delta, added_measure, removed_measure`` (totals over unions for area and
        length layers).
    pieces : geopandas.GeoDataFrame
        The geometric differences, one row per feature with a part new (``added``) or gone
        (``removed``): ``layer, change, name, measure, value, row``, geometry (area and length
        layers; empty for count layers).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> b = gpd.GeoDataFrame({"name": ["北街"], "road_class": ["branch"]},
    ...                      geometry=[LineString([(0, 0), (100, 0)])], crs="EPSG:4546")
    >>> a = gpd.GeoDataFrame({"name": ["北街", "东街"], "road_class": ["branch", "branch"]},
    ...                      geometry=[LineString([(0, 0), (160, 0)]), LineString([(0, 50), (0, 90)])],
    ...                      crs="EPSG:4546")
    >>> changes, summary, pieces = diff_layer(b, a, "roads")
    >>> changes[["change", "name", "delta", "columns"]].values.tolist()
    [['changed', '北街', 60.0, 'geometry'], ['added', '东街', 40.0, '']]
    >>> summary["added_measure"], pieces["value"].round(1).tolist()
    (100.0, [60.0, 40.0])
    """
    key = key or "name"
    measure = measure_of(kind)
    columns = [c.name for c in LAYERS[kind].columns if c.name in before or c.name in after]
    if key not in columns and key in before.columns and key in after.columns:
        columns.append(key)
    vb, va = _values(before, columns), _values(after, columns)
    hb, ha = _geometry_keys(before, precision_m), _geometry_keys(after, precision_m)
    pairs: list[tuple[int, int]] = []
    if key in before.columns and key in after.columns:
        pairs = _pairs_by(_unique_keys(vb[key]), _unique_keys(va[key]))
    left_b = np.setdiff1d(np.arange(len(before)), [i for i, _ in pairs])
    left_a = np.setdiff1d(np.arange(len(after)), [j for _, j in pairs])
    more = _pairs_by(pd.Series(hb[left_b]), pd.Series(ha[left_a]))
    pairs += [(int(left_b[i]), int(left_a[j])) for i, j in more]
    mb = _measure(_geoms(before), measure) if len(before) else np.zeros(0)
    ma = _measure(_geoms(after), measure) if len(after) else np.zeros(0)
    ib = np.array([i for i, _ in pairs], dtype=int)
    ja = np.array([j for _, j in pairs], dtype=int)
    old = vb.iloc[ib].reset_index(drop=True)
    new = va.iloc[ja].reset_index(drop=True)
    differs = ~((old == new) | (old.isna() & new.isna()))
    differs["geometry"] = hb[ib] != ha[ja]
    changed = np.flatnonzero(differs.to_numpy(dtype=bool).any(axis=1))
    names = np.array(differs.columns)
    rows, geoms = [], []
    for k in changed:
        i, j = ib[k], ja[k]
        diff = names[differs.iloc[k].to_numpy(dtype=bool)].tolist()
        rows.append(_change(kind, "changed", va.iloc[j], key, measure, mb[i], ma[j], diff,
                            before.index[i], after.index[j]))  # fmt: skip
        geoms.append(_geoms(after)[j])
    n_changed = len(changed)
    paired_a = {j for _, j in pairs}
    paired_b = {i for i, _ in pairs}
    for j in range(len(after)):
        if j not in paired_a:
            rows.append(_change(kind, "added", va.iloc[j], key, measure, np.nan, ma[j], [],
                                None, after.index[j]))  # fmt: skip
            geoms.append(_geoms(after)[j])
    for i in range(len(before)):
        if i not in paired_b:
            rows.append(_change(kind, "removed", vb.iloc[i], key, measure, mb[i], np.nan, [],
                                before.index[i], None))  # fmt: skip
            geoms.append(_geoms(before)[i])
    crs = after.crs if after.crs is not None else before.crs
    frame = pd.DataFrame(rows, columns=CHANGE_COLUMNS).astype(
        {"before": "float64", "after": "float64", "delta": "float64"}
    )
    for col in ("row_before", "row_after"):  # index labels, None where there is no row
        frame[col] = pd.Series([r[col] for r in rows], index=frame.index, dtype=object)
    changes = gpd.GeoDataFrame(
        frame,
        geometry=gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=crs),
    )
    if measure == "count":
        pieces = gpd.GeoDataFrame(
            columns=["layer", "change", "name", "measure", "value", "row", "geometry"],
            geometry="geometry",
            crs=crs,
        ).astype({"value": "float64"})
        added_m, removed_m = float(len(after) - len(paired_a)), float(len(before) - len(paired_b))
        total_b, total_a = float(len(before)), float(len(after))
    else:
        same_b = np.zeros(len(before), dtype=bool)
        same_a = np.zeros(len(after), dtype=bool)
        unchanged = np.setdiff1d(np.arange(len(pairs)), changed)
        same_b[ib[unchanged]] = True
        same_a[ja[unchanged]] = True
        pieces, added_m, removed_m = _pieces(
            before,
            after,
            kind,
            measure,
            line_tolerance_m,
            same=(same_b, same_a),
            grid=precision_m,
        )
        total_b = float(_measure(np.array([shapely.union_all(_geoms(before))]), measure)[0])
        total_a = float(_measure(np.array([shapely.union_all(_geoms(after))]), measure)[0])
    summary = {
        "n_before": len(before),
        "n_after": len(after),
        "added": len(after) - len(paired_a),
        "removed": len(before) - len(paired_b),
        "changed": n_changed,
        "unchanged": len(pairs) - n_changed,
        "measure": measure,
        "total_before": total_b,
        "total_after": total_a,
        "delta": total_a - total_b,
        "added_measure": added_m,
        "removed_measure": removed_m,
    }
    return changes, summary, pieces


def _change(kind, change, values, key, measure, before, after, columns, row_b, row_a) -> dict:
    return {
        "layer": kind,
        "change": change,
        "key": values.get(key),
        "name": values.get("name"),
        "measure": measure,
        "before": float(before),
        "after": float(after),
        "delta": float(np.nan_to_num(after) - np.nan_to_num(before)),
        "columns": ", ".join(columns),
        "row_before": row_b,
        "row_after": row_a,
    }
