"""OpenStreetMap features → the town's layers other than roads (green, water, heritage, facilities,
street lights, residential quarters), the clip to the extract, and the built-up estimate.

Each builder selects the features an entry table of ``data/osm.toml`` matches, records the skipped
ones with their reason on the layer's :class:`~townplan_gis.io.osm_mapping.Ledger`, and returns the
selection with a private ``_entry`` column (the mapping used); :func:`clip_layer` cuts it to the
area the extract covers, and :func:`note_entries` records each mapping for the rows that remain.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from townplan_gis.core.crs import analysis_crs
from townplan_gis.core.geometry import keep_dimension
from townplan_gis.io.osm_mapping import Ledger, entry, label, match_entries
from townplan_gis.io.osm_roads import feature_names, parse_width_m

__all__ = [
    "build_entry_layer",
    "build_water",
    "clip_layer",
    "estimate_builtup",
    "note_entries",
]

_DIM = {"points": 0, "lines": 1, "multipolygons": 2}
_DRAWN = {0: "drawn as a point", 1: "drawn as a line", 2: "drawn as an area"}


def _select(
    source: Mapping[str, gpd.GeoDataFrame],
    data: Mapping[str, Any],
    path: tuple[str, ...],
    ledger: Ledger,
    dims: tuple[int, ...],
) -> gpd.GeoDataFrame:
    """Features of the allowed dimensions matched by a mapping entry (skips recorded)."""
    parts = []
    for layer, frame in source.items():
        names = match_entries(frame, data, path)
        hit = names.notna().to_numpy().copy()
        ledger.read += int(hit.sum())
        if not hit.any():
            continue
        if _DIM[layer] not in dims:
            allowed = " and ".join({0: "points", 1: "lines", 2: "areas"}[d] for d in dims)
            for name in pd.unique(names[hit]):
                rows = (names == name).to_numpy()
                ledger.skip(
                    f"{label(path, name)} {_DRAWN[_DIM[layer]]}: the {ledger.layer} layer holds "
                    f"{allowed} only",
                    frame["osm_ref"][rows],
                )
            continue
        for name in pd.unique(names[hit]):
            rule = entry(data, path, name)
            if "skip" in rule:
                rows = (names == name).to_numpy()
                ledger.skip(f"{label(path, name)}: {rule['skip']}", frame["osm_ref"][rows])
                hit &= ~rows
        sel = frame[hit].copy()
        sel["_entry"] = names[hit].to_numpy(dtype=object)
        parts.append(sel)
    crs = next(iter(source.values())).crs
    if not parts:
        return gpd.GeoDataFrame({"osm_ref": [], "_entry": []}, geometry=[], crs=crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=crs)


def build_entry_layer(
    source: Mapping[str, gpd.GeoDataFrame],
    data: Mapping[str, Any],
    kind: str,
    ledger: Ledger,
) -> gpd.GeoDataFrame:
    """Green, heritage, facilities, street lights or residential quarters, before clipping."""
    dims = {
        "green": (2,),
        "heritage": (0, 2),
        "facilities": (0, 2),
        "streetlights": (0,),
        "residential": (2,),
    }[kind]
    sel = _select(source, data, (kind,), ledger, dims)
    names = feature_names(sel, data["names"]["keys"])
    out = gpd.GeoDataFrame(
        {"osm_ref": sel["osm_ref"], "name": names, "_entry": sel["_entry"]},
        geometry=sel.geometry.array,
        crs=sel.crs,
    )
    if kind == "green":
        out.insert(
            0, "green_class", [entry(data, ("green",), n)["green_class"] for n in out["_entry"]]
        )
    elif kind == "facilities":
        types = [entry(data, ("facilities",), n)["facility_type"] for n in out["_entry"]]
        out.insert(0, "facility_type", types)
    elif kind == "heritage":
        title = sel.get("protection_title", pd.Series(None, index=sel.index, dtype=object))
        level = sel.get("heritage", pd.Series(None, index=sel.index, dtype=object))
        grade = title.where(title.notna(), "heritage=" + level.astype(str))
        out.insert(
            1, "grade", grade.where(title.notna() | level.notna(), None).to_numpy(dtype=object)
        )
    elif kind == "streetlights":
        kind_col = pd.Series("street_lamp", index=sel.index, dtype=object)
        for key in ("light:method", "lamp_type"):
            if key in sel.columns:
                kind_col = sel[key].where(sel[key].notna(), kind_col)
        out = out.drop(columns="name")
        out.insert(0, "kind", kind_col.to_numpy(dtype=object))
    elif kind == "residential":
        out = _limit_quarters(out, data, ledger)
    return out


def _limit_quarters(
    quarters: gpd.GeoDataFrame, data: Mapping[str, Any], ledger: Ledger
) -> gpd.GeoDataFrame:
    """Residential areas that are quarters: named (when required) and no larger than the limit."""
    limits = data["residential_limits"]
    keep = np.ones(len(quarters), dtype=bool)
    if limits["require_name"]:
        unnamed = quarters["name"].isna().to_numpy()
        ledger.skip(
            "unnamed landuse=residential: a neighbourhood's housing land, not a residential "
            "quarter (its streets are public roads) [I]",
            quarters["osm_ref"][unnamed],
        )
        keep &= ~unnamed
    if len(quarters):
        metric = quarters.to_crs(_local_crs(quarters))
        area_ha = metric.area.to_numpy() / 1e4
    else:
        area_ha = np.zeros(0)
    large = keep & (area_ha > limits["max_area_ha"])
    ledger.skip(
        f"named landuse=residential larger than {limits['max_area_ha']:g} ha: a neighbourhood or "
        f"village, not a residential quarter (GB 50180-2018) [I]",
        [
            f"{r} ({a:.0f} ha)"
            for r, a in zip(quarters["osm_ref"][large], area_ha[large], strict=True)
        ],
    )
    keep &= ~large
    out = quarters[keep].copy()
    out.insert(0, "households", np.nan)
    return out


def build_water(
    source: Mapping[str, gpd.GeoDataFrame], data: Mapping[str, Any], ledger: Ledger
) -> gpd.GeoDataFrame:
    """Water areas, and watercourses (lines) as bands of their width where no area covers them."""
    areas = _select(source, data, ("water", "areas"), ledger, (2,))
    lines = source["lines"]
    has = lines["waterway"].notna().to_numpy() if "waterway" in lines.columns else np.zeros(0, bool)
    ways = lines[has]
    # Watercourses are read through [water.waterways]; riverbank/dock on lines are unclosed areas.
    names = (
        match_entries(ways, data, ("water", "waterways"))
        if len(ways)
        else pd.Series([], dtype=object)
    )
    area_tags = {k.split("=", 1)[1] for k in data["water"]["areas"] if k.startswith("waterway=")}
    counted = ~ways["waterway"].isin(area_tags).to_numpy() if len(ways) else np.zeros(0, bool)
    ledger.read += int(counted.sum())
    other = counted & names.isna().to_numpy()
    for value in pd.unique(ways["waterway"][other]):
        rows = other & (ways["waterway"] == value).to_numpy()
        ledger.skip(
            f"waterway={value}: a structure or feature, not a watercourse", ways["osm_ref"][rows]
        )
    sel = ways[counted & names.notna().to_numpy()].copy()
    sel["_entry"] = names[counted & names.notna().to_numpy()].to_numpy(dtype=object)
    crs = lines.crs
    local = _local_crs(pd.concat([areas[["geometry"]], sel[["geometry"]]]) if len(sel) else areas)
    bands = np.empty(len(sel), dtype=object)
    if len(sel):
        width, _ = parse_width_m(sel.get("width", pd.Series(None, index=sel.index, dtype=object)))
        default = sel["_entry"].map(lambda n: entry(data, ("water", "waterways"), n)["width_m"])
        tagged = width.notna().to_numpy()
        use = np.where(tagged, width.to_numpy(), default.to_numpy(dtype=float))
        metric = gpd.GeoSeries(sel.geometry.array, crs=crs).to_crs(local)
        water_union = shapely.union_all(
            gpd.GeoSeries(areas.geometry.array, crs=crs).to_crs(local).array
        )
        inside = (
            shapely.length(shapely.intersection(metric.array, water_union))
            if not water_union.is_empty
            else np.zeros(len(sel))
        )
        covered = inside >= 0.9 * shapely.length(metric.array)
        ledger.skip(
            "watercourse lying (≥ 90 % of its length) inside a mapped water area: already there",
            sel["osm_ref"][covered],
        )
        bands = shapely.buffer(metric.array, use / 2.0, cap_style="flat")
        sel["_tagged"] = tagged
        sel = sel[~covered]
        bands = gpd.GeoSeries(bands[~covered], crs=local).to_crs(crs).array
    out_areas = gpd.GeoDataFrame(
        {"osm_ref": areas["osm_ref"], "name": feature_names(areas, data["names"]["keys"]),
         "_entry": areas["_entry"], "_band": False, "_tagged": False},
        geometry=areas.geometry.array, crs=crs,
    )  # fmt: skip
    out_lines = gpd.GeoDataFrame(
        {"osm_ref": sel["osm_ref"], "name": feature_names(sel, data["names"]["keys"]),
         "_entry": sel["_entry"], "_band": True, "_tagged": sel.get("_tagged", False)},
        geometry=bands, crs=crs,
    )  # fmt: skip
    return gpd.GeoDataFrame(pd.concat([out_areas, out_lines], ignore_index=True), crs=crs)


def _local_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    gdf = frame if isinstance(frame, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=frame)
    if len(gdf) == 0 or gdf.geometry.is_empty.all():
        return pyproj.CRS.from_epsg(3857)
    return analysis_crs(gdf)


def clip_layer(
    gdf: gpd.GeoDataFrame, region: shapely.Geometry | None, ledger: Ledger, what: str
) -> gpd.GeoDataFrame:
    """The features cut to ``region`` (lon/lat); those wholly outside are recorded as skipped.

    A line or area crossing the edge keeps its part inside (of its own dimension: a way only
    touching the edge from outside is outside); the cut rows are flagged ``_cut``.
    """
    out = gdf.reset_index(drop=True)
    out["_cut"] = False
    if region is None or len(out) == 0:
        return out
    shapely.prepare(region)
    geoms = np.asarray(out.geometry.array, dtype=object)
    covered = shapely.covered_by(geoms, region)
    cut = ~covered & shapely.intersects(geoms, region)
    dims = shapely.get_dimensions(geoms)
    new = geoms.copy()
    if cut.any():
        pieces = shapely.intersection(geoms[cut], region)
        for d in (0, 1, 2):
            m = dims[cut] == d
            if m.any():
                pieces[m] = keep_dimension(pieces[m], d)
        new[cut] = pieces
    outside = ~covered & (~cut | shapely.is_empty(new))
    ledger.skip(f"outside {what}", out["osm_ref"][outside])
    out[out.geometry.name] = gpd.GeoSeries(new, crs=out.crs)
    out["_cut"] = cut & ~outside
    return out[~outside].reset_index(drop=True)


def note_entries(
    gdf: gpd.GeoDataFrame,
    data: Mapping[str, Any],
    path: tuple[str, ...],
    ledger: Ledger,
    field_name: str | None,
) -> None:
    """Record each mapping used (``leisure=park → G1: why``) with the rows it gave."""
    for name in pd.unique(gdf["_entry"]):
        rule = entry(data, path, name)
        rows = gdf.index[(gdf["_entry"] == name).to_numpy()]
        target = f" → {rule[field_name]}" if field_name and field_name != "width_m" else ""
        ledger.note("osm_mapped", rows, f"{label(path, name)}{target}: {rule['why']}")


def estimate_builtup(
    source: Mapping[str, gpd.GeoDataFrame],
    data: Mapping[str, Any],
    region: shapely.Geometry | None,
    local: pyproj.CRS,
) -> tuple[gpd.GeoDataFrame | None, str]:
    """The built-up estimate (lon/lat) and how it was made, or (None, why none could be made).

    .. math:: B = \\{ p : A \\ominus \\} \\quad A = \\bigcup (L \\cup G) \\oplus c \\ominus c

    the union of built-up land-use areas L and buildings G, grown then shrunk by c = ``close_m``
    (a morphological closing: the street gaps between blocks are filled), pieces under
    ``min_area_ha`` dropped, clipped to the extract.
    """
    cfg = data["builtup"]
    polys = source["multipolygons"]
    mask = np.zeros(len(polys), dtype=bool)
    if "landuse" in polys.columns:
        mask |= polys["landuse"].isin(cfg["landuse"]).to_numpy()
    n_landuse = int(mask.sum())
    if cfg["buildings"] and "building" in polys.columns:
        buildings = (polys["building"].notna() & (polys["building"] != "no")).to_numpy()
        n_buildings = int((buildings & ~mask).sum())
        mask |= buildings
    else:
        n_buildings = 0
    if not mask.any():
        return None, (
            f"no built-up land use ({', '.join(cfg['landuse'])}) and no buildings in the extract"
        )
    geoms = gpd.GeoSeries(polys.geometry.array[mask], crs=polys.crs).to_crs(local).array
    close = float(cfg["close_m"])
    grown = shapely.union_all(shapely.buffer(geoms, close, quad_segs=4))
    closed = shapely.buffer(grown, -close, quad_segs=4)
    if region is not None:
        closed = shapely.intersection(
            closed, gpd.GeoSeries([region], crs="EPSG:4326").to_crs(local).iloc[0]
        )
    parts = shapely.get_parts(keep_dimension(np.array([closed], dtype=object), 2)[0])
    big = parts[shapely.area(parts) >= cfg["min_area_ha"] * 1e4]
    dropped = len(parts) - len(big)
    if len(big) == 0:
        return None, (
            f"the built-up land use and buildings make no piece of {cfg['min_area_ha']:g} ha or "
            f"more after closing by {close:g} m"
        )
    geom = shapely.union_all(big)
    frame = gpd.GeoDataFrame(
        {"name": ["built-up area estimated from OpenStreetMap"]}, geometry=[geom], crs=local
    ).to_crs("EPSG:4326")
    how = (
        f"ESTIMATE from OpenStreetMap, not a surveyed built-up boundary: the union of "
        f"{n_landuse} built-up land-use area(s) (landuse={'/'.join(cfg['landuse'])}) and "
        f"{n_buildings} building(s), closed by {close:g} m (grown then shrunk), "
        f"{dropped} piece(s) under {cfg['min_area_ha']:g} ha left out, {len(big)} kept, "
        f"{geom.area / 1e6:.3f} km² (data/osm.toml [builtup]). Every figure per built-up area "
        f"rests on it; pass builtup= (a surveyed 建成区) for figures to report"
    )
    return frame, how
