"""Small OpenStreetMap XML extracts drawn in the tests: nodes, ways and relations by hand, in lon/lat.

``OSMBuilder`` numbers the elements and writes the ``.osm`` file, with ``<bounds>`` when given;
``town_extract`` draws the test town of ``tests/test_io_osm.py`` (see its docstring for what is
where) and returns the builder, so tests can look up what they drew.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

# The extract's bounds (west, south, east, north): about 2.7 km × 2.2 km at 34.8° N.
BOUNDS = (110.30, 34.80, 110.33, 34.82)


@dataclass
class OSMBuilder:
    nodes: dict[int, tuple[float, float, dict]] = field(default_factory=dict)
    ways: dict[int, tuple[list[int], dict]] = field(default_factory=dict)
    relations: dict[int, tuple[list[tuple[str, int, str]], dict]] = field(default_factory=dict)
    _next: int = 1

    def _id(self) -> int:
        self._next += 1
        return self._next

    def node(self, lon: float, lat: float, **tags: str) -> int:
        i = self._id()
        self.nodes[i] = (lon, lat, _tags(tags))
        return i

    def way(self, coords: list[tuple[float, float]], *, closed: bool = False, **tags: str) -> int:
        refs = [self.node(x, y) for x, y in coords]
        if closed:
            refs.append(refs[0])
        i = self._id()
        self.ways[i] = (refs, _tags(tags))
        return i

    def relation(self, members: list[tuple[str, int, str]], **tags: str) -> int:
        i = self._id()
        self.relations[i] = (members, _tags(tags))
        return i

    def xml(self, bounds: tuple[float, float, float, float] | None = BOUNDS) -> str:
        out = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="tests">']
        if bounds is not None:
            w, s, e, n = bounds
            out.append(f'  <bounds minlat="{s}" minlon="{w}" maxlat="{n}" maxlon="{e}"/>')
        for i, (lon, lat, tags) in self.nodes.items():
            body = "".join(_tag(k, v) for k, v in tags.items())
            attrs = f'id="{i}" version="1" lat="{lat!r}" lon="{lon!r}"'
            out.append(f"  <node {attrs}>{body}</node>" if body else f"  <node {attrs}/>")
        for i, (refs, tags) in self.ways.items():
            body = "".join(f'<nd ref="{r}"/>' for r in refs) + "".join(
                _tag(k, v) for k, v in tags.items()
            )
            out.append(f'  <way id="{i}" version="1">{body}</way>')
        for i, (members, tags) in self.relations.items():
            body = "".join(
                f'<member type="{t}" ref="{r}" role="{role}"/>' for t, r, role in members
            ) + "".join(_tag(k, v) for k, v in tags.items())
            out.append(f'  <relation id="{i}" version="1">{body}</relation>')
        out.append("</osm>")
        return "\n".join(out) + "\n"

    def write(self, path: Path, bounds: tuple[float, float, float, float] | None = BOUNDS) -> Path:
        path.write_text(self.xml(bounds), encoding="utf-8")
        return path

    def way_coords(self, way_id: int) -> list[tuple[float, float]]:
        return [self.nodes[r][:2] for r in self.ways[way_id][0]]


def _tags(tags: dict) -> dict:
    # Python keywords cannot hold ':' — tests write name_zh for name:zh, etc.
    return {k.replace("__", ":").replace("_zh", ":zh"): v for k, v in tags.items()}


def _tag(k: str, v: str) -> str:
    return f"<tag k={quoteattr(k)} v={quoteattr(str(v))}/>"


def rect(w: float, s: float, e: float, n: float) -> list[tuple[float, float]]:
    return [(w, s), (e, s), (e, n), (w, n)]


def town_extract() -> tuple[OSMBuilder, dict[str, int]]:
    """The test town: roads of every kind, green, water (a multipolygon with an island and a river
    crossing the bounds), heritage, facilities, lamps, quarters, buildings, an admin boundary
    reaching past the east edge of the bounds, and a place node with its population."""
    b = OSMBuilder()
    ids: dict[str, int] = {}
    y0 = 34.81
    # Roads. The primary crosses the west edge of the bounds (110.30) and ends inside.
    ids["primary"] = b.way([(110.295, y0), (110.31, y0), (110.325, y0)], highway="primary",
                           name="西厢大街", name_zh="西厢大街", surface="asphalt", lit="yes", lanes="4")  # fmt: skip
    ids["secondary"] = b.way([(110.31, 34.802), (110.31, 34.818)], highway="secondary",
                             name="Pujiu Road", name_zh="普救路", width="12 m", surface="concrete")  # fmt: skip
    ids["tertiary"] = b.way([(110.32, 34.802), (110.32, 34.818)], highway="tertiary", width="9,5")
    ids["residential"] = b.way([(110.305, 34.815), (110.315, 34.815)], highway="residential",
                               surface="compacted", lit="no")  # fmt: skip
    ids["unclassified"] = b.way([(110.302, 34.804), (110.318, 34.804)], highway="unclassified",
                                surface="grass", width="wide")  # fmt: skip
    ids["living_street"] = b.way([(110.312, 34.812), (110.318, 34.812)], highway="living_street",
                                 surface="paving_stones;asphalt")  # fmt: skip
    ids["service"] = b.way([(110.321, 34.806), (110.326, 34.806)], highway="service",
                           service="alley", surface="tartan")  # fmt: skip
    ids["trunk_link"] = b.way([(110.3255, 34.8165), (110.328, 34.8185)], highway="trunk_link")
    ids["motorway"] = b.way([(110.295, 34.801), (110.335, 34.801)], highway="motorway", lanes="4")
    ids["parking_aisle"] = b.way([(110.316, 34.806), (110.317, 34.806)], highway="service",
                                 service="parking_aisle")  # fmt: skip
    ids["footway"] = b.way([(110.306, 34.806), (110.309, 34.806)], highway="footway")
    ids["construction"] = b.way([(110.306, 34.817), (110.309, 34.817)], highway="construction")
    ids["road"] = b.way([(110.322, 34.814), (110.324, 34.814)], highway="road")
    ids["outside_road"] = b.way([(110.34, 34.81), (110.35, 34.81)], highway="residential")
    # Green: a park (closed way), grass, farmland (skipped), a park drawn as a node (skipped).
    ids["park"] = b.way(rect(110.3125, 34.8125, 110.3145, 34.8145), closed=True, leisure="park",
                        name="铁牛公园")  # fmt: skip
    ids["grass"] = b.way(rect(110.3065, 34.8115, 110.3075, 34.8125), closed=True, landuse="grass")
    ids["farmland"] = b.way(rect(110.3005, 34.8165, 110.3035, 34.8195), closed=True,
                            landuse="farmland")  # fmt: skip
    ids["park_node"] = b.node(110.323, 34.803, leisure="park", name="小游园")
    # Water: a lake with an island (multipolygon relation), a river crossing the north edge, a dam.
    lake_outer = b.way(rect(110.3215, 34.8085, 110.3245, 34.8115), closed=True)
    lake_inner = b.way(rect(110.3225, 34.8095, 110.3235, 34.8105), closed=True)
    ids["lake"] = b.relation([("way", lake_outer, "outer"), ("way", lake_inner, "inner")],
                             type="multipolygon", natural="water", name="伍姓湖")  # fmt: skip
    ids["river"] = b.way([(110.3275, 34.805), (110.3275, 34.825)], waterway="river", name="涑水河")
    ids["dam"] = b.way([(110.327, 34.806), (110.328, 34.806)], waterway="dam")
    # Heritage: ruins with a protection title (area), a temple node, city walls as a line (skipped).
    ids["ruins"] = b.way(rect(110.3035, 34.8065, 110.3055, 34.8085), closed=True,
                         historic="ruins", heritage="2", protection_title="全国重点文物保护单位",
                         name="蒲州古城遗址")  # fmt: skip
    ids["temple"] = b.node(110.3085, 34.8135, historic="temple", name="普救寺")
    ids["walls"] = b.way([(110.303, 34.806), (110.303, 34.809)], historic="citywalls")
    # Facilities.
    ids["market"] = b.node(110.3115, 34.8105, amenity="marketplace", name="蒲州集贸市场")
    ids["toilets"] = b.node(110.3095, 34.8095, amenity="toilets")
    ids["shop"] = b.node(110.3135, 34.8095, shop="supermarket")
    ids["bus_stop"] = b.node(110.3105, 34.8095, highway="bus_stop")
    ids["school"] = b.way(rect(110.3155, 34.8065, 110.3175, 34.8075), closed=True,
                          amenity="school", name="蒲州中学")  # fmt: skip
    ids["far_toilets"] = b.node(110.34, 34.815, amenity="toilets")  # outside the bounds
    # Street lights along the primary.
    ids["lamps"] = [
        b.node(110.306 + 0.002 * k, y0 + 0.0001, highway="street_lamp") for k in range(5)
    ]
    # Residential: a named quarter (西厢苑), an unnamed neighbourhood (skipped).
    ids["quarter"] = b.way(rect(110.3045, 34.8155, 110.3065, 34.8175), closed=True,
                           landuse="residential", name="西厢苑")  # fmt: skip
    ids["neighbourhood"] = b.way(rect(110.3155, 34.8152, 110.3195, 34.8178), closed=True,
                                 landuse="residential")  # fmt: skip
    # Buildings (for the built-up estimate): a block of 16 × 12 houses of 18 m × 14 m, 46 m × 55 m
    # apart (the 50 m closing joins them), and one farmstead far from it (a piece under 2 ha).
    b.way(rect(110.3285, 34.8175, 110.3287, 34.81763), closed=True, building="farm")
    for i in range(16):
        for j in range(12):
            x, y = 110.3045 + i * 0.0005, 34.8055 + j * 0.0005
            b.way(rect(x, y, x + 0.0002, y + 0.00013), closed=True, building="house")
    # The township boundary (admin_level 8), reaching past the east edge of the bounds (110.33),
    # and a county boundary around everything.
    ring = b.way(rect(110.301, 34.8005, 110.332, 34.8195), closed=True)
    ids["boundary"] = b.relation([("way", ring, "outer")], type="boundary",
                                 boundary="administrative", admin_level="8", name="蒲州镇",
                                 name_zh="蒲州镇")  # fmt: skip
    county = b.way(rect(110.29, 34.79, 110.34, 34.83), closed=True)
    ids["county"] = b.relation([("way", county, "outer")], type="boundary",
                               boundary="administrative", admin_level="6", name="永济市")  # fmt: skip
    ids["place"] = b.node(110.311, 34.811, place="town", name="蒲州镇", population="12,600")
    ids["village"] = b.node(110.34, 34.82, place="village", name="外村", population="800")
    return b, ids
