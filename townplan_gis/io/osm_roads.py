"""OpenStreetMap ways → the town's ``roads`` layer: class, carriageway width, surface, lighting.

Every choice is recorded on the :class:`~townplan_gis.io.osm_mapping.Ledger` of the layer:
the class of each ``highway`` value with its reason (``data/osm.toml`` [roads.highway]; links take
their parent's class), where each width came from (the ``width`` tag, ``est_width``, or
``lanes`` × the lane width of CJJ 37-2012 §5.3.2 [R]), surfaces and ``lit`` values read or left
unknown. OpenStreetMap has no red-line widths: ``redline_width_m`` is left empty, and the
indicators and the red-line derivation use their class defaults and say so in their notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from townplan_gis.core.schema import MAX_ROAD_WIDTH_M
from townplan_gis.io.osm_mapping import Ledger, entry, label, match_entries

__all__ = ["build_roads", "feature_names", "parse_width_m"]

_WIDTH = r"^\s*(\d+(?:[.,]\d+)?)\s*(m|meters?|metres?|米|ft|feet|')?\s*$"
_FEET_INCHES = r"^\s*(\d+)\s*'\s*(\d+(?:\.\d+)?)\s*\"\s*$"


def parse_width_m(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Widths in metres from OSM ``width`` text (``7``, ``7.5 m``, ``7,5``, ``24'``, ``12'6"``).

    Returns the widths (NaN where absent or unreadable) and a mask of the values that were given
    but could not be read or are out of range (0 or above :data:`MAX_ROAD_WIDTH_M`).

    Examples
    --------
    >>> w, bad = parse_width_m(pd.Series(["7", "7.5 m", "3,5", "10'", "12'6\\"", "wide", None]))
    >>> [round(v, 3) for v in w.tolist()[:5]], bad.tolist()
    ([7.0, 7.5, 3.5, 3.048, 3.81], [False, False, False, False, False, True, False])
    """
    text = values.astype(object).where(values.notna(), None).astype(str)
    plain = text.str.extract(_WIDTH)
    number = pd.to_numeric(plain[0].str.replace(",", "."), errors="coerce").astype("float64")
    feet = plain[1].isin(["ft", "feet", "'"]).to_numpy(dtype=bool)
    metres = number.where(~feet, number * 0.3048)
    fi = text.str.extract(_FEET_INCHES)
    inches = pd.to_numeric(fi[0], errors="coerce").astype("float64") * 12 + pd.to_numeric(
        fi[1], errors="coerce"
    ).astype("float64")
    metres = metres.fillna(inches * 0.0254)
    out_of_range = (metres <= 0) | (metres > MAX_ROAD_WIDTH_M)
    bad = (values.notna() & (metres.isna() | out_of_range)).to_numpy(dtype=bool)
    return metres.where(~out_of_range), pd.Series(bad, index=values.index)


def feature_names(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The first of the name tags a feature has (``name:zh-Hans``, ``name:zh``, ``name``)."""
    out = pd.Series(None, index=frame.index, dtype=object)
    for key in keys:
        if key in frame.columns:
            out = out.where(out.notna(), frame[key])
    return out.astype(object).where(out.notna(), None)


def _classes(lines: gpd.GeoDataFrame, data: Mapping[str, Any]) -> tuple[pd.Series, pd.Series]:
    """Per highway way: its entry in [roads.highway] (links through their parent) and whether it is
    a link."""
    highway = lines["highway"].astype(object)
    is_link = highway.str.endswith("_link").fillna(False).astype(bool)
    parent = highway.where(~is_link, highway.str.removesuffix("_link"))
    table = pd.DataFrame({"highway": parent}, index=lines.index)
    return match_entries(table, data, ("roads", "highway")), is_link


def _service_skips(ways: gpd.GeoDataFrame, names: pd.Series, data: Mapping[str, Any]) -> pd.Series:
    """Per way, the [roads.service] entry that skips it (service=parking_aisle …), else None."""
    out = pd.Series(None, index=ways.index, dtype=object)
    if "service" not in ways.columns:
        return out
    service = match_entries(ways[["service"]], data, ("roads", "service"))
    is_service = (names == "service").to_numpy()
    return service.where(is_service & service.notna().to_numpy(), None)


def _widths(roads: gpd.GeoDataFrame, data: Mapping[str, Any], ledger: Ledger) -> np.ndarray:
    """Carriageway widths from ``width``, else ``est_width``, else ``lanes`` × lane width."""
    index = roads.index
    width, bad_w = parse_width_m(roads.get("width", pd.Series(None, index=index, dtype=object)))
    est, bad_e = parse_width_m(roads.get("est_width", pd.Series(None, index=index, dtype=object)))
    lanes_text = roads.get("lanes", pd.Series(None, index=index, dtype=object))
    lanes = pd.to_numeric(lanes_text, errors="coerce")
    bad_l = lanes_text.notna() & ~(lanes > 0)
    lanes = lanes.where(lanes > 0)
    lw = data["roads"]["lane_width_m"]
    per_lane = roads["road_class"].map(lambda c: lw.get(c, lw["default"])).astype("float64")
    from_lanes = lanes * per_lane
    out = width.copy()
    use_est = out.isna() & est.notna()
    out[use_est] = est[use_est]
    use_lanes = out.isna() & from_lanes.notna()
    out[use_lanes] = from_lanes[use_lanes]
    out = out.where(out <= MAX_ROAD_WIDTH_M)
    tagged = width.notna()
    if tagged.any():
        ledger.note(
            "osm_width", index[tagged.to_numpy()], "carriageway_width_m from the width tag (metres)"
        )
    if use_est.any():
        ledger.note(
            "osm_width",
            index[use_est.to_numpy()],
            "carriageway_width_m from the est_width tag (an estimate by the mapper)",
        )
    if use_lanes.any():
        widths = ", ".join(f"{k} {v:g} m" for k, v in lw.items())
        ledger.note(
            "osm_width",
            index[use_lanes.to_numpy()],
            f"carriageway_width_m = lanes × lane width ({widths}; CJJ 37-2012 §5.3.2 [R], "
            f"data/osm.toml [roads.lane_width_m]): an estimate, no width tag",
        )
    unread = (bad_w | bad_e | bad_l).to_numpy() & out.isna().to_numpy()
    if unread.any():
        shown = [
            f"{r}: width={w!r} lanes={n!r}"
            for r, w, n in zip(
                roads["osm_ref"][unread],
                roads.get("width", pd.Series(None, index=index))[unread],
                lanes_text[unread],
                strict=True,
            )
        ][:5]
        ledger.note(
            "osm_width_unread",
            index[unread],
            f"width or lanes tags that are not a number of metres/lanes (or out of range "
            f"0–{MAX_ROAD_WIDTH_M:g} m), left empty: {'; '.join(shown)}",
        )
    missing = out.isna().to_numpy() & ~unread
    if missing.any():
        ledger.note(
            "osm_width_missing",
            index[missing],
            "no width, est_width or lanes tag: carriageway_width_m left empty (the carriageway "
            "road area leaves these roads out and says so)",
        )
    ledger.note(
        "osm_redline",
        [],
        "OpenStreetMap has no red-line widths: redline_width_m is empty for every road; the "
        "road-area indicators and the derived red lines use the class defaults (GB 50188-2007 "
        "lower bounds [R]) and say so in their notes",
    )
    return out.to_numpy(dtype="float64")


def _vocabulary(
    roads: gpd.GeoDataFrame, column: str, table: Mapping[str, list[str]], ledger: Ledger
) -> np.ndarray:
    """A tag read through a vocabulary (surface → paved/unpaved, lit → yes/no); unknown → None.

    A value of several parts (``asphalt;gravel``) takes a class only when all parts agree.
    """
    lookup = {v: k for k, values in table.items() for v in values}
    raw = roads.get(column, pd.Series(None, index=roads.index, dtype=object))

    def one(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        parts = {lookup.get(p.strip()) for p in str(v).split(";")}
        return parts.pop() if len(parts) == 1 else None

    distinct = {v: one(v) for v in pd.unique(raw.dropna())}
    out = raw.map(distinct).astype(object).where(raw.notna(), None)
    given = raw.notna().to_numpy()
    known = out.notna().to_numpy()
    for cls in table:
        rows = roads.index[(out == cls).to_numpy()]
        if len(rows):
            values = sorted(set(raw[(out == cls).to_numpy()]))
            ledger.note(f"osm_{column}", rows, f"{column}={'/'.join(values)} → {cls}")
    unknown = given & ~known
    if unknown.any():
        values = sorted(set(raw[unknown].astype(str)))
        ledger.note(
            f"osm_{column}_unknown",
            roads.index[unknown],
            f"{column} values not in data/osm.toml [roads.{column}] (left unknown): {values[:10]}",
        )
    missing = ~given
    if missing.any():
        ledger.note(
            f"osm_{column}_missing",
            roads.index[missing],
            f"no {column} tag: {column} unknown (the figures that need it leave these roads out)",
        )
    return out.to_numpy(dtype=object)


def build_roads(
    lines: gpd.GeoDataFrame, data: Mapping[str, Any], ledger: Ledger
) -> gpd.GeoDataFrame:
    """The selected roads (before clipping): ``road_class``, ``carriageway_width_m``, ``surface``,
    ``lit``, ``name``, ``highway``, ``osm_ref`` and the private ``_entry`` (the mapping used)."""
    ways = lines[lines["highway"].notna()] if "highway" in lines.columns else lines.iloc[:0]
    ledger.read += len(ways)
    names, is_link = _classes(ways, data)
    service = _service_skips(ways, names, data)
    unmapped = names.isna()
    ledger.skip(
        "highway value not in data/osm.toml [roads.highway]: not a known road type",
        ways["osm_ref"][unmapped.to_numpy()],
    )
    keep = ~unmapped.to_numpy() & service.isna().to_numpy()
    for name in pd.unique(names.dropna()):
        rule = entry(data, ("roads", "highway"), name)
        if "skip" in rule:
            hit = (names == name).to_numpy()
            ledger.skip(
                f"{label(('roads', 'highway'), name)}: {rule['skip']}", ways["osm_ref"][hit]
            )
            keep &= ~hit
    for name in pd.unique(service.dropna()):
        hit = (service == name).to_numpy()
        reason = entry(data, ("roads", "service"), name)["skip"]
        ledger.skip(f"service={name}: {reason}", ways["osm_ref"][hit])
    sel = ways[keep]
    entries = names[keep]
    road_class = entries.map(lambda n: entry(data, ("roads", "highway"), n)["road_class"]).astype(
        object
    )
    out = gpd.GeoDataFrame(
        {
            "osm_ref": sel["osm_ref"].to_numpy(dtype=object),
            "name": feature_names(sel, data["names"]["keys"]).to_numpy(dtype=object),
            "highway": sel["highway"].to_numpy(dtype=object),
            "road_class": road_class.to_numpy(dtype=object),
            "_entry": entries.to_numpy(dtype=object),
            "_link": is_link[keep].to_numpy(dtype=bool),
        },
        geometry=sel.geometry.array,
        crs=sel.crs,
    )
    for col in ("width", "est_width", "lanes", "surface", "lit"):
        out[col] = sel[col].to_numpy(dtype=object) if col in sel.columns else None
    return out


def finish_roads(
    roads: gpd.GeoDataFrame, data: Mapping[str, Any], ledger: Ledger
) -> gpd.GeoDataFrame:
    """After clipping: widths, surfaces, lighting and the record of each class mapping."""
    roads = roads.reset_index(drop=True)
    for name in pd.unique(roads["_entry"]):
        rule = entry(data, ("roads", "highway"), name)
        for link in (False, True):
            rows = roads.index[((roads["_entry"] == name) & (roads["_link"] == link)).to_numpy()]
            if len(rows):
                what = f"highway={name}_link (a link of {name})" if link else f"highway={name}"
                ledger.note("osm_mapped", rows, f"{what} → {rule['road_class']}: {rule['why']}")
    roads["carriageway_width_m"] = _widths(roads, data, ledger)
    roads["redline_width_m"] = np.nan
    roads["surface"] = _vocabulary(roads, "surface", data["roads"]["surface"], ledger)
    lit = _vocabulary(roads, "lit", data["roads"]["lit"], ledger)
    roads["lit"] = pd.array([None if v is None else v == "yes" for v in lit], dtype="boolean")
    cols = ["road_class", "redline_width_m", "carriageway_width_m", "surface", "lit", "name"]
    return roads[[*cols, "highway", "osm_ref", "geometry"]]
