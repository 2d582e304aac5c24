"""Control lines derived from a town's layers, for towns without a surveyed five-line plan.

* red 道路红线: road centrelines buffered by half the red-line width (``redline_width_m``, else the GB
  50188-2007 class default, lower bound of its range [R]: 主干路 24 m, 干路 16 m, 支路 10 m, 巷路 3.5 m);
* blue 蓝线: water polygons;
* purple 紫线: heritage polygons (points get a core radius) as the core zone, with a construction-control
  ring and a harmony ring around it [I];
* green 绿线: green land of classes G1/G2/G3 (CJJ/T 85-2017);
* yellow 黄线: infrastructure facilities (water/sewage plants, substations, gas, landfill, fire and bus
  stations; 城市黄线管理办法 第二条 [R]), points given a radius.

Every derived row has ``derived = True`` and a ``source`` naming the layer and row. The defaults live in
the rule file (``[derive]``). Derived lines are an approximation of the statutory lines; a review based
on them says so in every row's ``line_id`` (``derived:…``) and ``source``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.errors import SchemaError, _rows
from townplan_gis.core.schema import LINE_TYPES, normalize_layer
from townplan_gis.fiveline.rules import Rules, load_rules

__all__ = ["attach_road_class", "derive_control_lines", "derive_red_lines"]

_COLUMNS = [
    "line_type",
    "zone",
    "name",
    "code",
    "source",
    "road_class",
    "redline_width_m",
    "derived",
]


def _frame(data: dict[str, Any], geoms, crs) -> gpd.GeoDataFrame:
    n = len(geoms)
    cols = {c: data.get(c, [None] * n) for c in _COLUMNS}
    cols["derived"] = [True] * n
    out = gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=crs))
    out["redline_width_m"] = pd.to_numeric(out["redline_width_m"], errors="coerce")
    return out


def _names(gdf: gpd.GeoDataFrame) -> list:
    if "name" in gdf:
        return [None if pd.isna(v) else str(v) for v in gdf["name"]]
    return [None] * len(gdf)


def _lines_from(layer: gpd.GeoDataFrame, line_type: str, kind: str, source, geoms=None):
    """One ``line_type`` row per feature of ``layer`` (code ``derived:<kind>:<index>``)."""
    return _frame(
        {
            "line_type": [line_type] * len(layer),
            "name": _names(layer),
            "code": [f"derived:{kind}:{i}" for i in layer.index],
            "source": list(source),
        },
        layer.geometry.array if geoms is None else geoms,
        layer.crs,
    )


def derive_red_lines(
    roads: gpd.GeoDataFrame,
    *,
    widths: Mapping[str, float] | None = None,
    cap_style: str = "round",
    rules: str | Path | Rules | None = None,
) -> gpd.GeoDataFrame:
    """Red-line polygons from road centrelines: each road buffered by half its red-line width.

    .. math:: R_i = \\operatorname{buffer}(c_i,\\ w_i / 2),\\quad
              w_i = \\texttt{redline\\_width\\_m}_i \\text{ or } W(\\texttt{road\\_class}_i)

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Road centrelines with ``road_class`` (Chinese aliases accepted) and optional
        ``redline_width_m`` and ``name``, in a metric CRS. Not modified.
    widths : mapping, optional
        Class → red-line width in metres, overriding ``[derive.red_width_m]`` of the rule file
        (default GB 50188-2007 lower bounds [R]: arterial 24, secondary 16, branch 10, lane 3.5).
    cap_style : {"round", "flat", "square"}, default "round"
        End caps; round joins consecutive segments without gaps at the corners.
    rules : path or Rules, optional

    Returns
    -------
    geopandas.GeoDataFrame
        Control-line rows ``line_type = "red"`` with ``road_class``, ``redline_width_m`` (used),
        ``derived = True``, ``code = "derived:roads:<index>"``, one per road, index aligned to
        ``roads``.

    Raises
    ------
    SchemaError
        A road with neither a positive ``redline_width_m`` nor a class with a default width (the
        message lists the rows).
    """
    norm, _ = normalize_layer(roads, "roads", allow_empty=True)
    if norm.crs is not None and norm.crs.is_geographic:
        from townplan_gis.core.crs import analysis_crs

        norm = norm.to_crs(analysis_crs(norm))
    table = {**load_rules(rules).derive.get("red_width_m", {}), **(widths or {})}
    default = norm["road_class"].map(table).astype("float64")
    width = norm["redline_width_m"].where(norm["redline_width_m"] > 0, default)
    missing = width.isna() | ~(width > 0)
    if missing.any():
        classes = sorted(set(norm.loc[missing, "road_class"].astype(str)))
        raise SchemaError(
            f"layer 'roads': rows {_rows(norm.index[missing])} have no redline_width_m and their "
            f"road_class {classes} has no positive default width in [derive.red_width_m] "
            f"(known: {sorted(table)}). Fix: fill redline_width_m or road_class, or pass "
            f"widths={{class: metres}}."
        )
    geoms = shapely.buffer(
        np.asarray(norm.geometry.array), width.to_numpy() / 2, cap_style=cap_style
    )
    out = _frame(
        {
            "line_type": ["red"] * len(norm),
            "name": _names(norm),
            "code": [f"derived:roads:{i}" for i in norm.index],
            "source": [
                "derived from roads: "
                + ("redline_width_m" if given else "GB 50188-2007 class default")
                for given in (norm["redline_width_m"] > 0).to_numpy()
            ],
            "road_class": norm["road_class"].tolist(),
            "redline_width_m": width.to_numpy(),
        },
        geoms,
        norm.crs,
    )
    out.index = norm.index
    return out


def _purple(heritage: gpd.GeoDataFrame, cfg: Mapping[str, float]) -> gpd.GeoDataFrame:
    geoms = np.asarray(heritage.geometry.array, dtype=object)
    dims = shapely.get_dimensions(geoms)
    core = np.where(dims == 0, shapely.buffer(geoms, cfg["point_core_radius_m"]), geoms)
    control_outer = shapely.buffer(core, cfg["control_width_m"])
    harmony_outer = shapely.buffer(core, cfg["control_width_m"] + cfg["harmony_width_m"])
    control = shapely.difference(control_outer, core)
    harmony = shapely.difference(harmony_outer, control_outer)
    names = _names(heritage)
    n = len(heritage)
    frames = []
    for zone, g in (("core", core), ("control", control), ("harmony", harmony)):
        frames.append(
            _frame(
                {
                    "line_type": ["purple"] * n,
                    "zone": [zone] * n,
                    "name": names,
                    "code": [f"derived:heritage:{i}:{zone}" for i in heritage.index],
                    "source": [f"derived from heritage ({zone}) [I]"] * n,
                },
                g,
                heritage.crs,
            )
        )
    return pd.concat(frames, ignore_index=True)


def derive_control_lines(
    town=None,
    *,
    roads: gpd.GeoDataFrame | None = None,
    water: gpd.GeoDataFrame | None = None,
    heritage: gpd.GeoDataFrame | None = None,
    green: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    line_types: Sequence[str] | None = None,
    rules: str | Path | Rules | None = None,
) -> gpd.GeoDataFrame:
    """Control lines derived from town layers (see the module docstring for each line).

    Parameters
    ----------
    town : Town, optional
        Take the layers from this town (``roads``, ``water``, ``heritage``, ``green``, ``facilities``);
        explicit keyword layers win.
    roads, water, heritage, green, facilities : geopandas.GeoDataFrame, optional
        Canonical layers in one metric CRS.
    line_types : sequence of str, optional
        Which lines to derive (default all five for which a layer is given).
    rules : path or Rules, optional
        Its ``[derive]`` table sets widths, radii and classes.

    Returns
    -------
    geopandas.GeoDataFrame
        Rows in the ``control_lines`` schema plus ``road_class``, ``redline_width_m``, ``derived``.
    """
    layers = {
        "roads": roads,
        "water": water,
        "heritage": heritage,
        "green": green,
        "facilities": facilities,
    }
    if town is not None:
        for kind in layers:
            if layers[kind] is None and town.has(kind):
                layers[kind] = town.layers[kind]
    wanted = set(line_types or LINE_TYPES)
    cfg = load_rules(rules).derive
    crs = next((g.crs for g in layers.values() if g is not None), None)
    if town is not None and crs is None:
        crs = town.crs
    parts = []
    if "red" in wanted and layers["roads"] is not None:
        parts.append(derive_red_lines(layers["roads"], rules=rules).reset_index(drop=True))
    if "blue" in wanted and layers["water"] is not None:
        w = layers["water"]
        parts.append(_lines_from(w, "blue", "water", ["derived from water"] * len(w)))
    if "purple" in wanted and layers["heritage"] is not None:
        parts.append(_purple(layers["heritage"], cfg["purple"]))
    if "green" in wanted and layers["green"] is not None:
        g = layers["green"]
        g = g[g["green_class"].isin(cfg["green"]["classes"])]
        source = [f"derived from green ({c})" for c in g["green_class"]]
        parts.append(_lines_from(g, "green", "green", source))
    if "yellow" in wanted and layers["facilities"] is not None:
        f = layers["facilities"]
        f = f[f["facility_type"].isin(cfg["yellow"]["facility_types"])]
        geoms = np.asarray(f.geometry.array, dtype=object)
        radius = float(cfg["yellow"]["point_radius_m"])
        geoms = np.where(shapely.get_dimensions(geoms) == 0, shapely.buffer(geoms, radius), geoms)
        source = [f"derived from facilities ({t})" for t in f["facility_type"]]
        parts.append(_lines_from(f, "yellow", "facilities", source, geoms))
    parts = [
        p.to_crs(crs) if p.crs is not None and crs is not None and not p.crs.equals(crs) else p
        for p in parts
    ]
    if not parts:
        return _frame({}, [], crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=crs)


def attach_road_class(lines: gpd.GeoDataFrame, roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Fill ``road_class`` of red lines that lack it from the road centrelines they contain.

    Each red-line polygon takes the class of the road with the longest centreline length (m) inside
    it, so that setbacks follow the road class (8 m main roads, 5 m others; docs/sources.md#setbacks-local).

    Parameters
    ----------
    lines : geopandas.GeoDataFrame
        Control lines with ``line_type`` (canonical values) and optional ``road_class``. Not
        modified.
    roads : geopandas.GeoDataFrame
        Road centrelines with canonical ``road_class``; reprojected to ``lines``' CRS if needed.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``lines`` with ``road_class`` filled where a red line contains a classed road;
        rows that contain none keep None (the ``red_default`` setback applies).
    """
    out = lines.copy()
    if "road_class" not in out:
        out["road_class"] = None
    unclassed = np.flatnonzero(((out["line_type"] == "red") & out["road_class"].isna()).to_numpy())
    if not len(unclassed) or not len(roads):
        return out
    rd = roads if roads.crs is None or roads.crs.equals(out.crs) else roads.to_crs(out.crs)
    rd_geoms = np.asarray(rd.geometry.array, dtype=object)
    red = np.asarray(out.geometry.array, dtype=object)[unclassed]
    left, right = shapely.STRtree(rd_geoms).query(red, predicate="intersects")
    length = shapely.length(shapely.intersection(red[left], rd_geoms[right]))
    pairs = pd.DataFrame(
        {"line": unclassed[left], "cls": rd["road_class"].to_numpy()[right], "len": length}
    )
    pairs = pairs[(pairs["len"] > 0) & pairs["cls"].notna()]
    best = pairs.groupby(["line", "cls"])["len"].sum().reset_index()
    best = best.sort_values(["line", "len"], ascending=[True, False]).drop_duplicates("line")
    col = out.columns.get_loc("road_class")
    out.iloc[best["line"].to_numpy(), col] = best["cls"].to_numpy()
    return out
