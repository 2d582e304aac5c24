"""A Town from an OpenStreetMap extract (``.osm`` or ``.osm.pbf``): :func:`read_osm`.

Roads, green land, water, heritage, facilities, street lights and residential quarters are read
through the mapping tables of ``townplan_gis/data/osm.toml`` (a user file may override them), cut to
the area the extract covers (its ``<bounds>``, and the chosen administrative boundary), and recorded
in ``town.repairs``: every mapping with its reason, every default, every skipped feature by reason,
and per layer ``features read = kept + skipped``. The road classes follow CJJ 37-2012 and GB
50188-2007 (``docs/sources.md#osm``). OpenStreetMap data is © OpenStreetMap contributors under the
ODbL 1.0; ``town.metadata["osm_attribution"]`` says so, for maps and reports to show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from townplan_gis.core.crs import analysis_crs
from townplan_gis.core.errors import DataFileError
from townplan_gis.core.repairs import Repair
from townplan_gis.core.town import Town
from townplan_gis.io.files import read_layer
from townplan_gis.io.osm_layers import (
    build_entry_layer,
    build_water,
    clip_layer,
    estimate_builtup,
    note_entries,
)
from townplan_gis.io.osm_mapping import Ledger, load_osm_mapping, tag_keys
from townplan_gis.io.osm_read import read_bounds, read_osm_layers
from townplan_gis.io.osm_roads import build_roads, feature_names, finish_roads

__all__ = ["read_osm"]

ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"
_CLASS_FIELD = {"green": "green_class", "facilities": "facility_type"}


def _lonlat(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise DataFileError(
            f"{what} has no CRS. Fix: give it one (a .prj, or gdf.set_crs(...)) so that it can be "
            f"laid over the OpenStreetMap data (EPSG:4326)."
        )
    return gdf.to_crs("EPSG:4326")


def _admin(polys: gpd.GeoDataFrame, keys: list[str]) -> gpd.GeoDataFrame:
    admin = polys[polys["boundary"] == "administrative"] if "boundary" in polys else polys.iloc[:0]
    out = admin[["osm_ref", "geometry"]].copy()
    out["name"] = feature_names(admin, keys)
    out["admin_level"] = admin["admin_level"] if "admin_level" in admin else None
    out["_names"] = [
        {str(v).strip().casefold() for v in row if isinstance(v, str)}
        for row in admin[[k for k in keys if k in admin.columns]].itertuples(index=False)
    ]
    return out


def _listing(admin: gpd.GeoDataFrame) -> str:
    items = [
        f"{n or '(unnamed)'} (admin_level {lv}, {r})"
        for n, lv, r in zip(admin["name"], admin["admin_level"], admin["osm_ref"], strict=True)
    ]
    return "; ".join(items[:15]) + (f"; … and {len(items) - 15} more" if len(items) > 15 else "")


def _choose_boundary(
    boundary: Any, layers: Mapping[str, gpd.GeoDataFrame], keys: list[str], path: Path
) -> tuple[gpd.GeoDataFrame | None, list[Repair]]:
    """The boundary layer (lon/lat) from a name, an admin_level, a file or a frame."""
    admin = _admin(layers["multipolygons"], keys)
    if boundary is None:
        found = f"; the extract has: {_listing(admin)}" if len(admin) else ""
        return None, [
            Repair(
                "boundary",
                "osm_boundary",
                [],
                f"no boundary chosen (pass boundary=NAME, an admin_level or a file){found}",
            )
        ]
    if isinstance(boundary, gpd.GeoDataFrame):
        return _lonlat(boundary, "boundary"), [
            Repair("boundary", "osm_boundary", [], "given as a GeoDataFrame")
        ]
    text = str(boundary).strip()
    looks_like_file = Path(text).suffix.casefold() in (
        ".gpkg",
        ".shp",
        ".geojson",
        ".json",
        ".fgb",
        ".kml",
    )
    if (isinstance(boundary, Path) or looks_like_file) and not Path(text).is_file():
        raise DataFileError(
            f"boundary file {text}: not found. Fix: give the path of the boundary layer, or the "
            f"name or admin_level of an administrative area in the extract."
        )
    if isinstance(boundary, Path) or Path(text).is_file():
        gdf, _ = read_layer(Path(text))
        return _lonlat(gdf, f"boundary file {text}"), [
            Repair("boundary", "osm_boundary", [], f"from the file {text}")
        ]
    by_level = isinstance(boundary, int) or text.isdigit()
    if by_level:
        hit = admin["admin_level"].astype(str) == str(int(text))
        what = f"admin_level {int(text)}"
    else:
        hit = pd.Series([text.casefold() in n for n in admin["_names"]], index=admin.index)
        what = f"name '{text}'"
    chosen = admin[hit.to_numpy(dtype=bool)]
    fix = (
        "Fix: pass boundary= one of the names or admin levels listed, or a boundary file (the "
        "admin relation may be missing from the extract when some of its ways lie outside it: "
        "cut the extract with osmium extract --strategy=smart, or give the boundary as a file)."
    )
    if len(chosen) != 1:
        found = _listing(chosen if len(chosen) else admin) or "none"
        many = "several" if len(chosen) else "no"
        raise DataFileError(
            f"{path}: {many} administrative boundary with {what}; the extract has: {found}. {fix}"
        )
    row = chosen.iloc[0]
    frame = gpd.GeoDataFrame(
        {"name": [row["name"]], "admin_level": [row["admin_level"]], "osm_ref": [row["osm_ref"]]},
        geometry=[row.geometry],
        crs=admin.crs,
    )
    return frame, [
        Repair(
            "boundary",
            "osm_boundary",
            [0],
            f"boundary=administrative chosen by {what}: {row['name']} (admin_level "
            f"{row['admin_level']}, {row['osm_ref']})",
        )
    ]


def _region(
    bounds: shapely.Geometry | None, boundary: gpd.GeoDataFrame | None, path: Path
) -> tuple[shapely.Geometry | None, str, gpd.GeoDataFrame | None, list[Repair]]:
    """The area the data is cut to, its description, and the boundary cut to the bounds."""
    repairs = []
    outline = None if boundary is None else boundary.geometry.union_all()
    if bounds is None and outline is None:
        repairs.append(
            Repair(
                "osm",
                "osm_clip",
                [],
                f"{path.name} declares no bounds and no boundary was chosen: nothing is cut; "
                f"ways crossing the extract's edge end where the extract tool cut them. Fix: pass "
                f"boundary= so that the town's data ends at its boundary",
            )
        )
        return None, "", boundary, repairs
    if bounds is None:
        return outline, "the boundary", boundary, repairs
    if outline is None:
        return bounds, "the extract's bounds", boundary, repairs
    outside = shapely.difference(outline, bounds)
    if boundary is not None and not outside.is_empty and outside.area > 1e-12:
        share = 100 * outside.area / outline.area
        boundary = boundary.assign(geometry=shapely.intersection(boundary.geometry.array, bounds))
        repairs.append(
            Repair(
                "boundary",
                "osm_boundary_cut",
                list(range(len(boundary))),
                f"the boundary reaches {share:.1f} % of its area past the extract's bounds, "
                f"where the extract has no data: cut to the bounds (a review or indicator over "
                f"land without data would pass what it never saw). Fix: use an extract that "
                f"covers the whole boundary",
            )
        )
    return (
        shapely.intersection(outline, bounds),
        "the boundary within the extract's bounds",
        boundary,
        repairs,
    )


def _population(
    points: gpd.GeoDataFrame,
    data: Mapping[str, Any],
    region: shapely.Geometry | None,
    boundary: gpd.GeoDataFrame | None,
) -> tuple[float | None, str, list[Repair]]:
    """Population from a place node's population tag, or None with the reason."""
    places = data["population"]["places"]
    if "place" not in points or "population" not in points:
        return (
            None,
            "",
            [Repair("osm", "osm_population", [], "no place node with a population tag")],
        )
    cand = points[points["place"].isin(places) & points["population"].notna()]
    if region is not None and len(cand):
        cand = cand[shapely.covered_by(np.asarray(cand.geometry.array), region)]
    text = cand["population"].astype(str).str.replace(r"[,\s_]", "", regex=True)
    value = pd.to_numeric(text.where(text.str.fullmatch(r"\d+(\.\d+)?")), errors="coerce")
    names = feature_names(cand, data["names"]["keys"])
    repairs = []
    bad = value.isna().to_numpy()
    if bad.any():
        shown = [
            f"{r} population={p!r}"
            for r, p in zip(cand["osm_ref"][bad], cand["population"][bad], strict=True)
        ]
        repairs.append(
            Repair(
                "osm",
                "osm_population_unread",
                [],
                f"population tags that are not a number: {'; '.join(shown[:5])}",
            )
        )
    cand, value, names = cand[~bad], value[~bad], names[~bad]
    if boundary is not None and "name" in boundary and len(cand) > 1:
        wanted = {str(n).casefold() for n in boundary["name"] if isinstance(n, str)}
        same = names.str.casefold().isin(wanted).to_numpy()
        if same.sum() == 1:
            cand, value, names = cand[same], value[same], names[same]
    listing = "; ".join(
        f"{n} ({r}, {v:g})" for n, r, v in zip(names, cand["osm_ref"], value, strict=True)
    )
    if len(cand) != 1:
        why = (
            f"several place nodes with a population ({listing}): none taken"
            if len(cand)
            else "no place node with a readable population tag inside the extract"
        )
        return None, "", [*repairs, Repair("osm", "osm_population", [], f"{why}; pass population=")]
    row, pop = cand.iloc[0], float(value.iloc[0])
    date = row.get("population:date")
    source = (
        f"population {pop:g} from the OSM place node '{names.iloc[0]}' ({row['osm_ref']}, "
        f"place={row['place']}{f', population:date={date}' if isinstance(date, str) else ''}); "
        f"OSM populations are mostly registered (户籍) counts of a whole township or village, not "
        f"the resident (常住) population of the built-up area that per-capita figures need: check "
        f"it, or pass population="
    )
    return pop, source, [*repairs, Repair("osm", "osm_population", [], source)]


def _layer(
    kind: str, frame: gpd.GeoDataFrame, region: shapely.Geometry | None, what: str,
    data: Mapping[str, Any], ledger: Ledger, path: tuple[str, ...],
) -> gpd.GeoDataFrame:  # fmt: skip
    """Clip a built layer, record its mappings and cut rows, drop the private columns."""
    out = clip_layer(frame, region, ledger, what)
    if kind == "roads":
        cut = out["_cut"].to_numpy()
        out = finish_roads(out, data, ledger).assign(_cut=cut)
    elif kind != "water":
        note_entries(out, data, path, ledger, _CLASS_FIELD.get(kind))
    elif kind == "water":
        band = out["_band"].to_numpy(dtype=bool)
        tagged = out["_tagged"].to_numpy(dtype=bool)
        note_entries(out[~band], data, ("water", "areas"), ledger, None)
        note_entries(out[band], data, ("water", "waterways"), ledger, None)
        if (band & tagged).any():
            ledger.note("osm_width", out.index[band & tagged], "watercourse band of its width tag")
        if (band & ~tagged).any():
            ledger.note(
                "osm_default_width", out.index[band & ~tagged],
                "watercourse without a width tag or a mapped area: a band of the default width "
                "of data/osm.toml [water.waterways] (an estimate)",
            )  # fmt: skip
    cut = out["_cut"].to_numpy(dtype=bool)
    if cut.any():
        ledger.note("osm_clipped", out.index[cut], f"cut at the edge of {what}")
    private = [c for c in out.columns if c.startswith("_")]
    return out.drop(columns=private)


def read_osm(
    path: str | Path,
    *,
    boundary: Any = None,
    builtup: str | Path | gpd.GeoDataFrame | None = None,
    population: float | None = None,
    crs: Any = None,
    name: str | None = None,
    mapping: str | Path | Mapping[str, Any] | None = None,
) -> Town:
    """A Town from an OpenStreetMap extract (``.osm`` XML or ``.osm.pbf``).

    Layers: ``roads`` (``highway`` → town road classes after CJJ 37-2012 and GB 50188-2007, with
    carriageway widths from ``width``/``est_width``/``lanes``, ``surface`` → paved/unpaved, ``lit``),
    ``green`` (CJJ/T 85-2017 classes), ``water`` (areas, and watercourses as bands),
    ``heritage`` (``historic=*``, ``heritage=*``), ``facilities`` (``facility_type``),
    ``streetlights`` (``highway=street_lamp``), ``residential`` (named residential areas up to
    20 ha), ``boundary`` and ``builtup``. The mapping tables are ``townplan_gis/data/osm.toml``.

    Every mapping, default and skipped feature is in ``town.repairs`` (actions ``osm_mapped``,
    ``osm_width`` …, ``osm_skipped`` with the reason, and per layer ``osm_counts``: features read
    = kept + skipped). Names come from ``name:zh-Hans``, ``name:zh``, then ``name``.

    Parameters
    ----------
    path : str or Path
        The extract. Its ``<bounds>`` (XML) or header box (PBF) is where its data is complete:
        every layer is cut to it, and to the boundary when one is chosen.
    boundary : str, int, path or GeoDataFrame, optional
        The town boundary: the name of an administrative area in the extract (``"蒲州镇"``; any
        of its name tags), its ``admin_level`` (an int, or digits), a file, or a frame. Without
        it the town has no boundary layer (the review then needs a coverage) and the data is cut
        to the bounds only.
    builtup : path or GeoDataFrame, optional
        The built-up area (建成区). Without it the built-up area is estimated from built-up land
        use and buildings (``data/osm.toml`` [builtup]) and labelled an estimate:
        ``town.metadata["builtup_estimated"] = True``, ``["builtup_source"]`` says how, and a
        repair ``builtup``/``estimated``. Never the administrative boundary.
    population : float, optional
        Resident population. Without it, the ``population`` tag of the one place node inside the
        extract (the one named like the boundary, when several) is taken and recorded as such
        (``town.metadata["population_source"]``); with none or several, it stays unknown.
    crs : CRS-like, optional
        Metric analysis CRS; default CGCS2000 3-degree Gauss-Krüger in China, else UTM.
    name : str, optional
        Town name; default the boundary's name, else the place node's, else the file name.
    mapping : path or mapping, optional
        A TOML file (or dict) overriding parts of ``data/osm.toml``.

    Returns
    -------
    Town

    Raises
    ------
    DataFileError
        The file cannot be read as OSM, a boundary name or level that matches no or several
        admin areas (the message lists those in the extract), a bad mapping file.
    """
    path = Path(path)
    data = load_osm_mapping(mapping)
    source = read_osm_layers(path, tag_keys(data))
    keys = data["names"]["keys"]
    repairs: list[Repair] = [
        Repair(
            "osm", "osm_source", [],
            f"{path}: {', '.join(f'{k} {len(v)}' for k, v in source.items())} feature(s); "
            f"mapping {data['_source']}",
        )
    ]  # fmt: skip
    bounds = read_bounds(path)
    boundary_gdf, rep = _choose_boundary(boundary, source, keys, path)
    repairs += rep
    region, what, boundary_gdf, rep = _region(bounds, boundary_gdf, path)
    repairs += rep
    if region is not None:
        shapely.prepare(region)
    layers: dict[str, gpd.GeoDataFrame] = {}
    ledger = Ledger("roads")
    roads = build_roads(source["lines"], data, ledger)
    layers["roads"] = _layer("roads", roads, region, what, data, ledger, ("roads", "highway"))
    repairs += ledger.finish(len(layers["roads"]))
    for kind in ("green", "water", "heritage", "facilities", "streetlights", "residential"):
        ledger = Ledger(kind)
        built = (
            build_water(source, data, ledger)
            if kind == "water"
            else build_entry_layer(source, data, kind, ledger)
        )
        layers[kind] = _layer(kind, built, region, what, data, ledger, (kind,))
        repairs += ledger.finish(len(layers[kind]))
    metadata: dict[str, Any] = {
        "source": f"OpenStreetMap extract {path.name}",
        "osm_file": str(path),
        "osm_attribution": ATTRIBUTION,
        "osm_mapping": data["_source"],
        "osm_clip": what or "none",
    }
    if bounds is not None:
        metadata["osm_bounds"] = [round(v, 7) for v in bounds.bounds]
    if boundary_gdf is not None:
        layers["boundary"] = boundary_gdf
    local = _analysis_crs(crs, [g for g in layers.values() if len(g)], bounds)
    if builtup is not None:
        given = builtup if isinstance(builtup, gpd.GeoDataFrame) else read_layer(Path(builtup))[0]
        layers["builtup"] = given
        metadata["builtup_estimated"] = False
        metadata["builtup_source"] = (
            "given" if isinstance(builtup, gpd.GeoDataFrame) else f"file {builtup}"
        )
        repairs.append(
            Repair("builtup", "osm_builtup", [], f"built-up area {metadata['builtup_source']}")
        )
    elif local is not None:
        estimate, how = estimate_builtup(source, data, region, local)
        metadata["builtup_estimated"] = estimate is not None
        metadata["builtup_source"] = how
        if estimate is not None:
            layers["builtup"] = estimate
            repairs.append(Repair("builtup", "estimated", [0], how))
        else:
            repairs.append(
                Repair("builtup", "osm_builtup", [], f"no built-up layer: {how}; pass builtup=")
            )
    if population is None:
        population, pop_source, rep = _population(source["points"], data, region, boundary_gdf)
        repairs += rep
        if population is not None:
            metadata["population_source"] = pop_source
    else:
        metadata["population_source"] = "given"
    town_name = (
        name
        or _town_name(boundary_gdf, source["points"], keys)
        or re.sub(r"\.osm(\.pbf)?$", "", path.name)
    )
    present = {k: v for k, v in layers.items() if len(v)}
    return Town(
        town_name,
        layers=present,
        population=population,
        crs=local,
        metadata=metadata,
        _repairs=repairs,
    )


def _analysis_crs(crs: Any, frames: list[gpd.GeoDataFrame], bounds: shapely.Geometry | None) -> Any:
    """The Town's metric CRS, chosen before the Town so the built-up estimate is made in it."""
    if crs is not None:
        return analysis_crs(crs=crs)
    if not frames and bounds is not None:
        frames = [gpd.GeoDataFrame(geometry=[bounds], crs="EPSG:4326")]
    return analysis_crs(*frames) if frames else None


def _town_name(
    boundary: gpd.GeoDataFrame | None, points: gpd.GeoDataFrame, keys: list[str]
) -> str | None:
    if boundary is not None and "name" in boundary and isinstance(boundary["name"].iloc[0], str):
        return boundary["name"].iloc[0]
    if "place" in points:
        towns = points[points["place"].isin(["town", "city"])]
        names = feature_names(towns, keys).dropna()
        if len(names) == 1:
            return str(names.iloc[0])
    return None
