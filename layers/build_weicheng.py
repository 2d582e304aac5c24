"""Build the six Weicheng towns (渭城区, Xianyang, Shaanxi) → layers/weicheng/<town>.gpkg.

ILLUSTRATIVE GEOMETRY, NOT SURVEYED. The district's 2017 programme (docs/sources.md#weicheng-2017) ranks six towns —
渭城, 窑店, 正阳, 底张, 周陵, 北杜 — against one standard (``weicheng-2017``). This script invents a
plausible town for each, near its real position around 34.35–34.45 N, 108.68–108.82 E: a built-up area,
a road grid split at every crossing (class, red-line and carriageway widths, surface, lit flag), street
lights, parks and protective green, street trees, residential quarters with households and attached
green, facilities and reported statistics. The towns differ on purpose (network density, paving,
lighting, green, facilities, statistics) so the competition ranking means something; nothing here
describes the real towns. Every town carries ``metadata["illustrative"] = True``.

Deterministic: running it twice gives the same files. Run: ``python layers/build_weicheng.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely

import townplan_gis as tp

HERE = Path(__file__).resolve().parent
OUT = HERE / "weicheng"
LOCAL_CRS = "EPSG:4545"  # CGCS2000 / 3-degree GK CM 108E: the zone of lon 108.7
SOURCE = "渭城区小城镇建设 2017 示意数据，非测绘成果"


@dataclass(frozen=True)
class Profile:
    """What makes one town different from the others."""

    file: str
    name: str
    pinyin: str
    lon: float
    lat: float
    area_km2: float
    population: float
    spacing_m: float  # road grid spacing
    paved: float  # share of branch/lane segments paved (trunk roads are paved)
    lit: float  # share of trunk segments flagged lit
    lights: float  # share of the other trunk segments with street lights
    parks: int
    park_m2: float
    trees: float  # share of roads lined with street trees
    quarters: int
    quarter_green: tuple[float, ...]  # green ratio of each quarter
    block_canopy: float  # tree-group canopy as a share of each remaining block
    facilities: tuple[str, ...]
    statistics: dict = field(default_factory=dict)
    seed: int = 0


_FULL = (
    "market",
    "commercial_street",
    "parking",
    "public_toilet",
    "public_toilet",
    "garbage_point",
    "garbage_point",
    "garbage_point",
    "landfill",
    "sewage_plant",
    "water_plant",
    "fitness",
    "culture",
    "school",
    "clinic",
    "government",
    "bus_station",
)

PROFILES = (
    Profile(
        "weicheng.gpkg", "渭城镇", "Weicheng", 108.745, 34.352, 3.0, 26000, 210, 1.0, 0.9, 1.0,
        6, 120000, 0.8, 6, (0.34, 0.28, 0.22, 0.31, 0.18, 0.25), 0.45, (*_FULL, "fire_station"),
        {"water_supply_coverage_pct": 99, "tap_water_coverage_pct": 98.5,
         "safe_drinking_water_pct": 100, "gas_coverage_pct": 78, "garbage_treatment_pct": 85,
         "permit_rate_pct": 100, "flush_toilet_pct": 100, "population_growth_pct": 5.2,
         "well_equipped_streets_count": 3, "greening_plan_adopted": 1,
         "scattered_homestead_approvals": 0}, 1,
    ),
    Profile(
        "yaodian.gpkg", "窑店镇", "Yaodian", 108.800, 34.365, 2.4, 16500, 240, 0.93, 0.8, 0.7,
        4, 70000, 0.6, 5, (0.32, 0.24, 0.2, 0.27, 0.21), 0.4, _FULL,
        {"water_supply_coverage_pct": 97, "tap_water_coverage_pct": 97.2,
         "safe_drinking_water_pct": 100, "gas_coverage_pct": 63, "garbage_treatment_pct": 70,
         "permit_rate_pct": 100, "flush_toilet_pct": 90, "population_growth_pct": 4.4,
         "well_equipped_streets_count": 2, "greening_plan_adopted": 1,
         "scattered_homestead_approvals": 0}, 2,
    ),
    Profile(
        "zhengyang.gpkg", "正阳镇", "Zhengyang", 108.825, 34.400, 2.2, 13000, 270, 0.86, 0.6, 0.5,
        3, 40000, 0.45, 4, (0.26, 0.22, 0.18, 0.2), 0.3, tuple(f for f in _FULL if f != "landfill"),
        {"water_supply_coverage_pct": 95.5, "tap_water_coverage_pct": 96,
         "safe_drinking_water_pct": 100, "gas_coverage_pct": 52, "garbage_treatment_pct": 60,
         "permit_rate_pct": 96, "flush_toilet_pct": 80, "population_growth_pct": 4.1,
         "well_equipped_streets_count": 2, "greening_plan_adopted": 1,
         "scattered_homestead_approvals": 1}, 3,
    ),
    Profile(
        "dizhang.gpkg", "底张镇", "Dizhang", 108.680, 34.430, 1.8, 11500, 260, 0.9, 0.7, 0.6,
        2, 50000, 0.5, 4, (0.31, 0.2, 0.17, 0.15), 0.33,
        tuple(f for f in _FULL if f not in ("sewage_plant", "commercial_street")),
        {"water_supply_coverage_pct": 96, "tap_water_coverage_pct": 97,
         "safe_drinking_water_pct": 100, "gas_coverage_pct": 61, "garbage_treatment_pct": 55,
         "permit_rate_pct": 100, "flush_toilet_pct": 85, "population_growth_pct": 3.6,
         "well_equipped_streets_count": 2, "greening_plan_adopted": 0,
         "scattered_homestead_approvals": 0}, 4,
    ),
    Profile(
        "zhouling.gpkg", "周陵镇", "Zhouling", 108.730, 34.420, 2.1, 9800, 300, 0.78, 0.5, 0.4,
        1, 20000, 0.35, 3, (0.22, 0.19, 0.12), 0.15,
        ("market", "parking", "public_toilet", "garbage_point", "garbage_point", "fitness",
         "school", "clinic", "government", "water_plant"),
        {"water_supply_coverage_pct": 93, "tap_water_coverage_pct": 94,
         "safe_drinking_water_pct": 98, "gas_coverage_pct": 40, "garbage_treatment_pct": 48,
         "permit_rate_pct": 92, "flush_toilet_pct": 60, "population_growth_pct": 2.5,
         "well_equipped_streets_count": 1, "greening_plan_adopted": 0}, 5,
    ),
    Profile(
        "beidu.gpkg", "北杜镇", "Beidu", 108.780, 34.450, 1.5, 8000, 360, 0.6, 0.3, 0.2,
        0, 0, 0.2, 2, (0.15, 0.1), 0.05, ("market", "public_toilet", "garbage_point", "school", "clinic",
                                     "government"),
        {"water_supply_coverage_pct": 90, "gas_coverage_pct": 25, "garbage_treatment_pct": 35,
         "population_growth_pct": 1.2}, 6,
    ),
)  # fmt: skip


def _builtup(p: Profile, rng: np.random.Generator) -> shapely.Polygon:
    """An irregular oval of the profile's area, longer east–west."""
    t = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    wobble = 1 + 0.08 * np.sin(3 * t + rng.uniform(0, 6)) + 0.05 * np.sin(5 * t + rng.uniform(0, 6))
    poly = shapely.Polygon(np.c_[1.4 * np.cos(t) * wobble, np.sin(t) * wobble])
    return shapely.affinity.scale(
        poly, *(2 * [np.sqrt(p.area_km2 * 1e6 / poly.area)]), origin=(0, 0)
    )


def _roads(p: Profile, bu: shapely.Polygon, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """A grid of streets split at every crossing; the arterial runs on beyond the built-up area."""
    x0, y0, x1, y1 = bu.bounds
    xs = np.arange(0, x1, p.spacing_m)
    xs = np.r_[-xs[:0:-1], xs]
    ys = np.arange(0, y1, p.spacing_m)
    ys = np.r_[-ys[:0:-1], ys]
    streets, classes = [], []
    for y in ys:
        streets.append(shapely.LineString([(x0 - 1500, y), (x1 + 1500, y)]))
        classes.append(
            "arterial" if y == 0 else ("secondary" if y == -2 * p.spacing_m else "branch")
        )
    for x in xs:
        streets.append(shapely.LineString([(x, y0 - 300), (x, y1 + 300)]))
        classes.append("secondary" if x == 0 else "branch")
    streets = np.array(streets, dtype=object)
    classes = np.array(classes, dtype=object)
    reach = np.where(classes == "arterial", 1200.0, 30.0)
    streets = shapely.intersection(streets, shapely.buffer(bu, reach))
    # Node the network so every crossing splits the streets, as surveyed centrelines are.
    parts = shapely.get_parts(shapely.line_merge(shapely.union_all(streets)))
    parts = parts[shapely.length(parts) > 1.0]
    mid = shapely.line_interpolate_point(parts, 0.5, normalized=True)
    parent = shapely.STRtree(streets).query_nearest(mid, all_matches=False)[1]
    cls = classes[parent]
    n = len(parts)
    base_red = {"arterial": 30.0, "secondary": 20.0, "branch": 12.0}
    red = np.array([base_red[c] for c in cls]) * rng.choice([1.0, 0.9, 1.1], len(streets))[parent]
    trunk = cls != "branch"
    paved = trunk | (rng.random(n) < p.paved)
    flagged = trunk & (rng.random(n) < p.lit)
    lit = np.where(flagged, True, np.where(trunk, None, None))
    roads = gpd.GeoDataFrame(
        {
            "name": [f"{p.pinyin} {c} {i}" for i, c in zip(parent, cls, strict=True)],
            "road_class": cls,
            "redline_width_m": np.round(red, 1),
            "carriageway_width_m": np.round(red * 0.6, 1),
            "surface": np.where(paved, "paved", "unpaved"),
            "lit": lit,
        },
        geometry=parts,
        crs=LOCAL_CRS,
    )
    return roads


def _lights(p: Profile, roads: gpd.GeoDataFrame, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Street lights every 40 m along a share of the trunk segments not flagged lit."""
    cand = roads[(roads["road_class"] != "branch") & roads["lit"].isna()]
    cand = cand[rng.random(len(cand)) < p.lights]
    pts = []
    for geom in cand.geometry:
        steps = np.linspace(0.0, geom.length, int(np.ceil(geom.length / 40.0)) + 1)
        pts += list(shapely.line_interpolate_point(geom, steps))
    return gpd.GeoDataFrame({"kind": ["LED"] * len(pts)}, geometry=pts, crs=LOCAL_CRS)


def _blocks(p: Profile, bu: shapely.Polygon, roads: gpd.GeoDataFrame) -> np.ndarray:
    """Street blocks fully inside the built-up area, minus the road red lines."""
    faces = shapely.get_parts(shapely.polygonize(roads.geometry.array))
    inside = faces[shapely.within(faces, bu)]
    return inside[np.argsort(-shapely.area(inside), kind="stable")]


def _green(
    p: Profile, bu: shapely.Polygon, roads: gpd.GeoDataFrame, blocks: np.ndarray, rng
) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    rows, geoms = [], []
    used = np.zeros(len(blocks), dtype=bool)
    for k in range(p.parks):
        i = 2 * k + 1  # leave the biggest blocks to the quarters
        if i >= len(blocks):
            break
        used[i] = True
        c = shapely.centroid(blocks[i])
        side = np.sqrt(p.park_m2 / p.parks if p.parks else 0)
        geoms.append(shapely.box(c.x - side / 2, c.y - side / 2, c.x + side / 2, c.y + side / 2))
        rows.append({"name": f"{p.name}游园{k + 1}", "green_class": "G1"})
    arterial = shapely.union_all(roads.loc[roads["road_class"] == "arterial"].geometry.array)
    belt = shapely.intersection(
        shapely.difference(shapely.buffer(arterial, 25, cap_style="flat"),
                           shapely.buffer(arterial, 15, cap_style="flat")),
        shapely.buffer(bu, -50),
    )  # fmt: skip
    geoms.append(belt)
    rows.append({"name": f"{p.name}防护绿带", "green_class": "G2"})
    _, y0, x1, _ = bu.bounds
    geoms.append(shapely.box(x1 - 200, y0 - 400, x1 + 400, y0 + 100))
    rows.append({"name": f"{p.name}生态林地", "green_class": "EG"})
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=LOCAL_CRS), used


def _quarters(
    p: Profile, blocks: np.ndarray, used: np.ndarray, rng
) -> tuple[gpd.GeoDataFrame, list, list]:
    quarters, green, internal = [], [], []
    free = np.flatnonzero(~used)
    for k, i in enumerate(free[: p.quarters]):
        q = shapely.buffer(blocks[i], -12, join_style="mitre")
        households = round(q.area / 160)
        quarters.append(
            {"name": f"{p.name}小区{k + 1}", "households": float(households), "geometry": q}
        )
        c = shapely.centroid(q)
        side = np.sqrt(p.quarter_green[k] * q.area)
        green.append({"name": f"{p.name}小区{k + 1}绿地", "green_class": "XG",
                      "geometry": shapely.box(c.x - side / 2, c.y - side / 2, c.x + side / 2, c.y + side / 2)})  # fmt: skip
        x0, y0, x1, y1 = q.bounds
        internal.append({"name": f"{p.name}小区{k + 1}内部道路", "road_class": "lane",
                         "redline_width_m": 6.0, "carriageway_width_m": 4.0, "surface": "paved",
                         "lit": None, "geometry": shapely.LineString([(x0, (y0 + y1) / 2 + side / 2 + 5),
                                                                      (x1, (y0 + y1) / 2 + side / 2 + 5)])})  # fmt: skip
    return (
        gpd.GeoDataFrame(quarters, geometry="geometry", crs=LOCAL_CRS),
        green,
        internal,
    )


def _trees(p: Profile, roads: gpd.GeoDataFrame, rng) -> gpd.GeoDataFrame:
    """Street trees every 8 m on both sides of a share of the roads, set back by the red line."""
    lined = roads[(rng.random(len(roads)) < p.trees) & (roads["road_class"] != "lane")]
    pts = []
    for geom, width in zip(lined.geometry, lined["redline_width_m"], strict=True):
        for side in (-1, 1):
            off = geom.offset_curve(side * (width / 2 - 1.5))
            pts += list(shapely.line_interpolate_point(off, np.arange(4.0, off.length, 8.0)))
    crown = rng.uniform(4.0, 6.5, len(pts)).round(1)
    return gpd.GeoDataFrame({"crown_diameter_m": crown}, geometry=pts, crs=LOCAL_CRS)


def _tree_groups(p: Profile, blocks: np.ndarray, taken: int, rng) -> gpd.GeoDataFrame:
    """Tree groups (canopy polygons) covering a share of each block left after parks and quarters."""
    rest = blocks[taken:]
    rest = rest[shapely.area(rest) > 0]
    scale = np.sqrt(p.block_canopy) * rng.uniform(0.85, 1.1, len(rest))
    groups = [
        shapely.affinity.scale(shapely.buffer(b, -8, join_style="mitre"), s, s)
        for b, s in zip(rest, scale, strict=True)
    ]
    return gpd.GeoDataFrame({"name": ["树林"] * len(groups)}, geometry=groups, crs=LOCAL_CRS)


def _facilities(p: Profile, bu: shapely.Polygon, rng) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = bu.bounds
    rows = []
    for k, ftype in enumerate(p.facilities):
        if ftype in ("landfill", "sewage_plant"):
            pt = shapely.Point(x1 + 900 + 300 * k % 600, y0 - 600)  # outside the town
        else:
            while True:
                pt = shapely.Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
                if bu.contains(pt):
                    break
        rows.append({"name": f"{p.name}{ftype}{k + 1}", "facility_type": ftype, "geometry": pt})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=LOCAL_CRS)


def build_town(p: Profile) -> tp.Town:
    """One illustrative Weicheng town."""
    rng = np.random.default_rng(p.seed)
    x, y = pyproj.Transformer.from_crs("EPSG:4490", LOCAL_CRS, always_xy=True).transform(
        p.lon, p.lat
    )
    bu = _builtup(p, rng)
    roads = _roads(p, bu, rng)
    blocks = _blocks(p, bu, roads)
    green, used = _green(p, bu, roads, blocks, rng)
    quarters, quarter_green, internal = _quarters(p, blocks, used, rng)
    taken = np.zeros(len(blocks), dtype=bool)
    taken[used] = True
    taken[np.flatnonzero(~used)[: p.quarters]] = True
    groups = _tree_groups(p, blocks[~taken], 0, rng)
    green = gpd.GeoDataFrame(
        [*green.to_dict("records"), *quarter_green], geometry="geometry", crs=LOCAL_CRS
    )
    roads = gpd.GeoDataFrame(
        [*roads.to_dict("records"), *internal], geometry="geometry", crs=LOCAL_CRS
    )
    layers = {
        "builtup": gpd.GeoDataFrame({"name": [f"{p.name}建成区"]}, geometry=[bu], crs=LOCAL_CRS),
        "roads": roads,
        "streetlights": _lights(p, roads, rng),
        "green": green,
        "canopy": gpd.GeoDataFrame(
            [*_trees(p, roads, rng).to_dict("records"), *groups.to_dict("records")],
            geometry="geometry",
            crs=LOCAL_CRS,
        ),
        "residential": quarters,
        "facilities": _facilities(p, bu, rng),
    }
    layers = {k: v.set_geometry(v.geometry.translate(x, y)) for k, v in layers.items()}
    return tp.Town(
        p.name,
        layers=layers,
        population=p.population,
        statistics=p.statistics,
        crs=LOCAL_CRS,
        metadata={
            "illustrative": True,
            "source": SOURCE,
            "district": "渭城区 (Weicheng district, Xianyang)",
            "pinyin": p.pinyin,
            "note": "Invented geometry and figures for the town ranking demo; not the real town.",
        },
    )


# --- the 2017 programme: projects with investment, funding, stage and progress (townplan_gis.construction) --
# Five works per town (main street, street lights, a park, pipes, a market building) so that the
# acceptance, the subsidies and the competition mean something. Invented figures: investment (万元) per
# work, the funding split (镇村户自筹, 上级补助, 镇政府自筹), completion % on 2017-10-31 and the item's
# declared total (None: the works' sum). 正阳's pipes and 北杜's market are unfinished, 北杜's market
# stands on the main road (the review rejects it), 底张 leans on subsidies (its matching falls short)
# and 窑店 declares 80 万元 more than its works add up to. The control lines are derived from the
# town's layers (tp.derive_control_lines); line types the town has no source for are declared absent.
WORKS = ("主街道路提升改造", "主街路灯亮化", "游园建设", "雨污管网改造", "农贸市场改造")
WORK_TYPES = ("道路", "路灯", "公园", "管网", "建筑")
CODES = {
    "渭城镇": "WC",
    "窑店镇": "YD",
    "正阳镇": "ZY",
    "底张镇": "DZ",
    "周陵镇": "ZL",
    "北杜镇": "BD",
}
STARTS = ("2017-03-01", "2017-03-15", "2017-04-01", "2017-04-01", "2017-04-15")
PROGRAMMES = {
    "渭城镇": ((1200, 300, 450, 800, 600), (0.25, 0.40, 0.35), (100, 100, 100, 100, 100), None),
    "窑店镇": ((900, 220, 300, 500, 400), (0.25, 0.40, 0.35), (100, 100, 100, 100, 100), 2400.0),
    "正阳镇": ((700, 180, 200, 400, 300), (0.25, 0.40, 0.35), (100, 100, 100, 85, 100), None),
    "底张镇": ((650, 160, 250, 380, 280), (0.05, 0.85, 0.10), (100, 100, 100, 100, 100), None),
    "周陵镇": ((500, 120, 150, 300, 200), (0.25, 0.40, 0.35), (100, 100, 100, 100, 100), None),
    "北杜镇": ((400, 100, 120, 200, 150), (0.25, 0.40, 0.35), (100, 100, 100, 100, 70), None),
}


def _site(blocks: np.ndarray, avoid: shapely.Geometry) -> shapely.Polygon:
    """A 40 × 30 m building at the centre of the largest block 20 m clear of ``avoid``."""
    for b in blocks:
        c = shapely.centroid(b)
        site = shapely.box(c.x - 20, c.y - 15, c.x + 20, c.y + 15)
        if shapely.contains(b, site) and not shapely.intersects(site.buffer(20), avoid):
            return site
    raise RuntimeError("no free block for the market building")


def _works(town: tp.Town, p: Profile, lines: gpd.GeoDataFrame, on_road: bool) -> list:
    """The five works' geometries, from the town's own layers."""
    bu = town.dissolved("builtup")
    roads = town.roads
    main = shapely.line_merge(
        shapely.intersection(roads[roads["road_class"] == "arterial"].geometry.union_all(), bu)
    )
    pipes = shapely.intersection(roads[roads["road_class"] == "secondary"].geometry.union_all(), bu)
    # Works on the roads stay out of the green and yellow lines they cross (the protective belts,
    # the bus station's land): what a conforming design does.
    keep_out = lines[lines["line_type"].isin(["green", "yellow"])].geometry.union_all().buffer(2)
    steps = np.arange(20.0, main.length, 40.0)
    points = shapely.line_interpolate_point(main, steps)
    lights = shapely.MultiPoint(points[~shapely.intersects(points, keep_out)].tolist())
    main = shapely.difference(main, keep_out)
    pipes = shapely.difference(pipes, keep_out)
    parks = town.green[town.green["green_class"] == "G1"]
    blocks = _blocks(p, bu, roads)
    avoid = shapely.union_all([*lines.geometry, *town.residential.geometry])
    if len(parks):
        park = parks.geometry.iloc[0]
    else:
        park = shapely.buffer(shapely.centroid(_site(blocks[1:], avoid)), 50, cap_style="square")
        avoid = shapely.union(avoid, park.buffer(20))
    if on_road:  # across the main road: a building on road land
        c = shapely.line_interpolate_point(main, 0.5, normalized=True)
        market = shapely.box(c.x - 20, c.y - 15, c.x + 20, c.y + 15)
    else:
        market = _site(blocks, avoid)
    return [main, lights, park, pipes, market]


def add_programme(town: tp.Town, p: Profile) -> tp.Town:
    """The town with its 2017 projects, derived control lines and a boundary (the town's territory)."""
    invest, split, pcts, declared = PROGRAMMES[p.name]
    lines = tp.derive_control_lines(town)
    code = CODES[p.name]
    item = f"{p.name}2017年小城镇建设"
    rows = []
    geoms = _works(town, p, lines, on_road=p.name == "北杜镇")
    for k, (work, kind, inv, pct, start, geom) in enumerate(
        zip(WORKS, WORK_TYPES, invest, pcts, STARTS, geoms, strict=True), start=1
    ):
        own, sub = round(inv * split[0], 2), round(inv * split[1], 2)
        rows.append(
            {
                "项目编号": f"{code}-{k:02d}",
                "项目名称": f"{p.name}{work}",
                "项目类型": kind,
                "投资": float(inv),
                "所属工程": item,
                "工程总投资": declared if declared is not None else float(sum(invest)),
                "镇村户自筹": own,
                "上级补助": sub,
                "镇政府自筹": round(inv - own - sub, 2),
                "建设阶段": "观摩" if pct >= 100 else "实施",
                "开工时间": start,
                "完工期限": "2017-10-31",
                "完成进度": float(pct),
                "状态": "完工" if pct >= 100 else "在建",
                "geometry": geom,
            }
        )
    projects = gpd.GeoDataFrame(rows, geometry="geometry", crs=town.crs)
    env = shapely.envelope(
        shapely.union_all([town.dissolved("builtup"), *town.facilities.geometry])
    )
    boundary = gpd.GeoDataFrame(
        {"name": [f"{p.name}镇域"]}, geometry=[env.buffer(1500, join_style="mitre")], crs=town.crs
    )
    present = set(lines["line_type"])
    return tp.Town(
        town.name,
        layers={**town.layers, "boundary": boundary, "control_lines": lines, "projects": projects},
        population=town.population,
        statistics=town.statistics,
        crs=town.crs,
        metadata={**town.metadata, "year": 2017},
        absent_line_types=[
            t for t in ("red", "green", "purple", "blue", "yellow") if t not in present
        ],
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for p in PROFILES:
        town = add_programme(build_town(p), p)
        path = tp.write_town(town, OUT / p.file)
        print(f"{path.relative_to(HERE.parent)}: {town}")


if __name__ == "__main__":
    main()
