"""Write the sample town 蒲州镇 as an OpenStreetMap extract → layers/puzhou.osm.

ILLUSTRATIVE, NOT OPENSTREETMAP DATA: the layers of layers/puzhou.gpkg (illustrative geometry, see
build_puzhou.py) tagged as an OSM mapper would tag them, so that notebooks and tests can show
townplan_gis.read_osm offline on a town whose true figures are known. Roads carry highway, name,
surface, lit and width or lanes tags; green land leisure/landuse/place tags; water natural=water;
heritage historic and protection_title; facilities the first tag that data/osm.toml maps to their
type; street lamps highway=street_lamp; quarters named landuse=residential; the town blocks
unnamed landuse=residential; the 153 street-front houses building=house; the township an
administrative boundary (admin_level 8) and a place node with its population. Added as an extract
has them: the expressway crossing the east of the township and the tourism road running on to its
exit, both cut by the extract's bounds, footways and field tracks (which the importer skips).
Coordinates are the CGCS2000 lon/lat of the sample written as WGS 84 (within decimetres).

Run: ``python layers/build_puzhou_osm.py`` (after build_puzhou.py; that script runs this one too).
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import LineString

import townplan_gis as tp
from townplan_gis.io.osm_mapping import load_osm_mapping

HERE = Path(__file__).resolve().parent
HIGHWAY = {"expressway": "motorway", "arterial": "primary", "secondary": "secondary",
           "branch": "residential", "lane": "service"}  # fmt: skip
GREEN = {"G1": {"leisure": "park"}, "G2": {"landuse": "grass"}, "G3": {"place": "square"},
         "XG": {"landuse": "grass"}, "EG": {"natural": "wood"}}  # fmt: skip


class Extract:
    """Nodes, ways and relations, numbered in order, written as OSM XML 0.6."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.nodes: list[str] = []
        self.next_id = 0
        self.index: dict[tuple[float, float], int] = {}

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def node(self, lon: float, lat: float, tags: dict | None = None) -> int:
        key = (round(lon, 7), round(lat, 7))
        if not tags and key in self.index:  # shared vertices: ways meet at nodes
            return self.index[key]
        i = self._id()
        body = "".join(_tag(k, v) for k, v in (tags or {}).items())
        attrs = f'id="{i}" version="1" lat="{key[1]:.7f}" lon="{key[0]:.7f}"'
        self.nodes.append(f"  <node {attrs}>{body}</node>" if body else f"  <node {attrs}/>")
        if not tags:
            self.index[key] = i
        return i

    def way(self, coords, tags: dict | None = None) -> int:
        refs = [self.node(x, y) for x, y in coords]
        i = self._id()
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(_tag(k, v) for k, v in (tags or {}).items())
        self.lines.append(f'  <way id="{i}" version="1">{body}</way>')
        return i

    def area(self, polygon: shapely.Geometry, tags: dict) -> None:
        """A polygon as a closed way, or a multipolygon relation when it has holes or parts."""
        parts = list(shapely.get_parts(polygon))
        if len(parts) == 1 and not parts[0].interiors:
            self.way(list(parts[0].exterior.coords), tags)
            return
        members = []
        for part in parts:
            members.append(("outer", self.way(list(part.exterior.coords))))
            members += [("inner", self.way(list(r.coords))) for r in part.interiors]
        self.relation(members, {"type": "multipolygon", **tags})

    def relation(self, members: list[tuple[str, int]], tags: dict) -> None:
        body = "".join(f'<member type="way" ref="{r}" role="{role}"/>' for role, r in members)
        body += "".join(_tag(k, v) for k, v in tags.items())
        self.lines.append(f'  <relation id="{self._id()}" version="1">{body}</relation>')

    def write(self, path: Path, bounds: tuple[float, float, float, float]) -> None:
        w, s, e, n = bounds
        head = [
            "<?xml version='1.0' encoding='UTF-8'?>",
            '<osm version="0.6" generator="townplan_gis layers/build_puzhou_osm.py (illustrative)">',
            f'  <bounds minlat="{s:.7f}" minlon="{w:.7f}" maxlat="{n:.7f}" maxlon="{e:.7f}"/>',
        ]
        text = "\n".join([*head, *self.nodes, *self.lines, "</osm>"]) + "\n"
        path.write_text(text, encoding="utf-8")


def _tag(k: str, v: object) -> str:
    return f"<tag k={quoteattr(k)} v={quoteattr(str(v))}/>"


def _coords(geom: shapely.Geometry) -> list:
    return [list(part.coords) for part in shapely.get_parts(geom)]


def _facility_tags() -> dict[str, dict]:
    """For each facility type, the first OSM tag data/osm.toml maps to it."""
    out: dict[str, dict] = {}
    for key, entry in load_osm_mapping()["facilities"].items():
        if "facility_type" in entry and not key.endswith("=*"):
            tag, _, value = key.partition("=")
            out.setdefault(entry["facility_type"], {tag: value})
    return out


def build(town: tp.Town) -> tuple[Extract, tuple[float, float, float, float]]:
    ll = {k: v.to_crs("EPSG:4326") for k, v in town.layers.items()}
    osm = Extract()
    # Roads. Main roads carry lanes (the importer multiplies by the lane width), others width.
    for row in ll["roads"].itertuples():
        tags = {"highway": HIGHWAY[row.road_class], "name": row.name}
        if row.road_class == "lane":
            tags["service"] = "alley"
        if row.road_class == "arterial":
            tags["lanes"] = round(row.carriageway_width_m / 3.5)
        elif isinstance(row.carriageway_width_m, float) and row.carriageway_width_m > 0:
            tags["width"] = f"{row.carriageway_width_m:g}"
        if isinstance(row.surface, str):
            tags["surface"] = "asphalt" if row.surface == "paved" else "compacted"
        if pd.notna(row.lit):
            tags["lit"] = "yes" if bool(row.lit) else "no"
        for coords in _coords(row.geometry):
            osm.way(coords, tags)
    local = town.crs

    def lonlat(geom):
        return gpd.GeoSeries([geom], crs=local).to_crs("EPSG:4326").iloc[0]

    # What an extract has beyond the planning layers.
    x0, y0, x1, y1 = town.boundary.total_bounds
    tourism_end = town.roads.geometry[town.roads["name"] == "旅游公路(东段)"].iloc[0]
    east = tourism_end.coords[0]
    osm.way(list(lonlat(LineString([east, (x1 + 900, east[1])])).coords),
            {"highway": "primary", "name": "旅游公路", "lanes": 4, "surface": "asphalt"})  # fmt: skip
    osm.way(list(lonlat(LineString([(x1 - 300, y0 - 800), (x1 - 300, y1 + 800)])).coords),
            {"highway": "motorway", "name": "运宝高速", "ref": "G5901", "lanes": 4})  # fmt: skip
    cx, cy = town.builtup.geometry.iloc[0].centroid.coords[0]
    for k in range(4):
        y = cy + 900 + 150 * k
        osm.way(
            list(lonlat(LineString([(cx - 2600, y), (cx - 1700, y)])).coords), {"highway": "track"}
        )
    osm.way(list(lonlat(LineString([(cx - 300, cy + 200), (cx - 300, cy + 380)])).coords),
            {"highway": "footway"})  # fmt: skip
    for row in ll["green"].itertuples():
        osm.area(row.geometry, {**GREEN[row.green_class], "name": row.name})
    for row in ll["water"].itertuples():
        osm.area(row.geometry, {"natural": "water", "name": row.name})
    for row in ll["heritage"].itertuples():
        kind = "archaeological_site" if "遗址" in str(row.name) else "monument"
        tags = {"historic": kind, "name": row.name, "protection_title": row.grade}
        if row.geometry.geom_type == "Point":
            osm.node(row.geometry.x, row.geometry.y, tags)
        else:
            osm.area(row.geometry, tags)
    fac = _facility_tags()
    for row in ll["facilities"].itertuples():
        if row.facility_type not in fac:
            continue
        tags = {**fac[row.facility_type], "name": row.name}
        p = (
            row.geometry
            if row.geometry.geom_type == "Point"
            else row.geometry.representative_point()
        )
        osm.node(p.x, p.y, tags)
    for p in ll["streetlights"].geometry:
        osm.node(p.x, p.y, {"highway": "street_lamp"})
    for row in ll["residential"].itertuples():
        osm.area(row.geometry, {"landuse": "residential", "name": row.name})
    # The town's blocks: the built-up area less the road land, as mappers draw housing land.
    red = shapely.union_all(shapely.buffer(town.roads.geometry.array, 12.0, cap_style="flat"))
    quarters = shapely.union_all(town.residential.geometry.array)
    blocks = shapely.difference(town.builtup.geometry.iloc[0], shapely.union(red, quarters))
    for part in shapely.get_parts(blocks):
        if part.area > 2000:
            osm.area(lonlat(part), {"landuse": "residential"})
    houses = town.projects.geometry[town.projects["project_id"] == "P04-1"].iloc[0]
    for part in shapely.get_parts(lonlat(houses)):
        osm.way(list(part.exterior.coords), {"building": "house"})
    osm.area(ll["boundary"].geometry.iloc[0], {"type": "boundary", "boundary": "administrative",
             "admin_level": 8, "name": "蒲州镇", "name:zh": "蒲州镇", "name:en": "Puzhou"})  # fmt: skip
    c = ll["builtup"].geometry.iloc[0].centroid
    osm.node(c.x, c.y, {"place": "town", "name": "蒲州镇", "population": "12,600"})
    # The extract's bounds: the township and 300 m around it.
    w, s, e, n = (
        gpd.GeoSeries([shapely.box(x0 - 300, y0 - 300, x1 + 300, y1 + 300)], crs=local)
        .to_crs("EPSG:4326")
        .total_bounds
    )
    return osm, (float(w), float(s), float(e), float(n))


def main(town: tp.Town | None = None) -> Path:
    town = town if town is not None else tp.read_town(HERE / "puzhou.gpkg")
    osm, bounds = build(town)
    out = HERE / "puzhou.osm"
    osm.write(out, bounds)
    print(f"wrote {out}: {len(osm.nodes)} nodes, {len(osm.lines)} ways and relations")
    return out


if __name__ == "__main__":
    main()
