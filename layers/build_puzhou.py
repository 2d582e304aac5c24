"""Build the sample town 蒲州镇 (Puzhou, Yongji, Shanxi) → layers/puzhou.gpkg.

ILLUSTRATIVE GEOMETRY, NOT SURVEYED. The layout follows the 2017 Puzhou small-town programme
(docs/sources.md#puzhou-2017): the tourism road running 8.5 km east–west from the Yongji West expressway exit to the Yellow River
dyke, 西厢大街 with its commercial street and the hardened bypass behind the shops, the four scenic spots
(普救寺, 蒲州古城遗址, 唐铁牛/蒲津渡, 鹳雀楼) with purple-line tiers, the Yellow River (blue line), parks and the
80-亩 eco-park (green line), infrastructure (yellow line) and the 2017 projects with their investments.
Positions, shapes, widths, households and statistics are invented to be plausible and to exercise every
indicator and every review grade. Deterministic: running it twice gives the same geometry.

Run: ``python layers/build_puzhou.py`` (writes ``layers/puzhou.gpkg``, then ``layers/puzhou.osm`` through
``layers/build_puzhou_osm.py``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import LineString, Point, Polygon, box

import townplan_gis as tp

HERE = Path(__file__).resolve().parent
LOCAL_CRS = "EPSG:4546"  # CGCS2000 / 3-degree GK CM 111E: the zone of lon 110.32
STORE_CRS = "EPSG:4490"  # CGCS2000 geographic, as Chinese planning data is exchanged
# Town centre (西厢大街 crossroads) at about 34.83 N, 110.32 E; local x east, y north, in metres.
X0, Y0 = pyproj.Transformer.from_crs(STORE_CRS, LOCAL_CRS, always_xy=True).transform(110.32, 34.83)
MU = 10000 / 15  # m² per 亩
SOURCE = "蒲州镇总体规划（2016—2030）示意数据，非测绘成果"


def frame(rows: list[dict]) -> gpd.GeoDataFrame:
    """Rows with a local 'geometry' → GeoDataFrame in the local GK zone."""
    geoms = [shapely.affinity.translate(r.pop("geometry"), X0, Y0) for r in rows]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=LOCAL_CRS)


def ring(core: Polygon, inner: float, outer: float) -> Polygon:
    """The band between two mitred buffers of a site: one purple-line tier."""
    out = core.buffer(outer, join_style="mitre")
    return (
        out.difference(core.buffer(inner, join_style="mitre"))
        if inner > 0
        else out.difference(core)
    )


def strip(line: LineString, offset_from: float, offset_to: float) -> Polygon:
    """A band beside a line between two signed offsets (left positive), flat ends."""
    a = line.offset_curve(offset_from)
    b = line.offset_curve(offset_to)
    return Polygon([*a.coords, *reversed(b.coords)])


# --- built-up area and boundary ------------------------------------------------------------------
BUILTUP = Polygon(
    [
        (-950, -700),
        (950, -700),
        (950, -300),
        (900, 250),
        (700, 500),
        (400, 640),
        (100, 650),
        (-450, 580),
        (-850, 380),
        (-950, 0),
    ]
)
BOUNDARY = box(-6900, -4200, 3600, 4200)

# --- roads (centrelines) ----------------------------------------------------------------------------
TOURISM_Y = -650.0
ROADS = [
    # name, class, red-line width, carriageway, surface, lit, coordinates
    ("旅游公路(东段)", "主干路", 30, 15, "沥青", "否", [(3000, TOURISM_Y), (1050, TOURISM_Y)]),
    ("旅游公路(镇区段)", "主干路", 30, 15, "沥青", "是", [(1050, TOURISM_Y), (-1050, TOURISM_Y)]),
    ("旅游公路(西段)", "主干路", 30, 15, "沥青", "是", [(-1050, TOURISM_Y), (-5100, TOURISM_Y)]),
    ("西厢大街", "主干路", 24, 14, "沥青", "是", [(-950, 0), (950, 0)]),
    ("中山路", "次干路", 20, 12, "水泥", "否", [(-500, -720), (-500, 780)]),
    ("解放路", "次干路", 20, 12, "水泥", "是", [(400, -720), (400, 850)]),
    ("商铺后街", "支路", 12, 7, "土路", None, [(-800, 150), (800, 150)]),
    ("南环路", "支路", 12, 7, "水泥", None, [(-1050, -350), (1050, -350)]),
    ("北街", "支路", 12, 7, "水泥", None, [(-700, 450), (900, 450)]),
    ("东街", "支路", 12, 7, "砂石", None, [(800, -650), (800, 450)]),
    ("普救寺路", "支路", 12, 7, "水泥", None, [(900, 450), (1300, 1000)]),
    ("古城路", "支路", 12, 7, "沥青", None, [(-2275, TOURISM_Y), (-2275, 1300)]),
    ("西巷", "巷路", 6, 3.5, "水泥", None, [(-200, 0), (-200, 450)]),
    ("南巷", "巷路", 6, 3.5, "土路", None, [(150, -350), (150, 0)]),
    ("后巷", "巷路", 6, 3.5, "土路", None, [(-950, -350), (-950, 0)]),
    ("西厢苑内路", "巷路", 6, 3.5, "水泥", None, [(-440, 400), (-160, 400)]),
]

# --- heritage sites and their purple-line tiers (core / construction control / harmony) ------------
HERITAGE = [
    # name, grade, core polygon, control width, harmony width
    ("普救寺", "省级文物保护单位", box(1300, 950, 1550, 1150), 100, 250),
    (
        "蒲州故城遗址",
        "全国重点文物保护单位",
        Polygon([(-4700, -500), (-3400, -500), (-3400, 700), (-3700, 900), (-4700, 900)]),
        150,
        300,
    ),
    ("唐铁牛(蒲津渡遗址)", "全国重点文物保护单位", box(-4990, -340, -4910, -260), 100, 200),
    ("鹳雀楼", "市级文物保护单位", box(-4900, -1800, -4700, -1600), 100, 400),
]


def yellow_river() -> tuple[Polygon, Polygon]:
    """The Yellow River: a meandering 800 m channel, and its blue line (channel + 150 m floodplain)."""
    ys = np.linspace(-4200, 4200, 171)
    xs = -6000 + 250 * np.sin(2 * np.pi * ys / 3000)
    centre = LineString(np.column_stack([xs, ys]))
    return centre.buffer(400, cap_style="flat"), centre.buffer(550, cap_style="flat")


CANAL = LineString([(-1300, 1250), (-1050, 500), (-1150, -200), (-1400, -1250)])


def build() -> tp.Town:
    river, river_blue = yellow_river()
    canal_water = CANAL.buffer(7.5, cap_style="flat")
    canal_blue = CANAL.buffer(12.5, cap_style="flat")

    roads = frame(
        [
            {
                "名称": n,
                "道路等级": c,
                "红线宽度": w,
                "车行道宽度": cw,
                "路面": s,
                "路灯": lit,
                "geometry": LineString(xy),
            }
            for n, c, w, cw, s, lit, xy in ROADS
        ]
    )

    # Green land (CJJ/T 85-2017 classes). 街角游园 is drawn as a bow-tie on purpose: the demo shows its repair.
    protective = strip(LineString([(-1000, TOURISM_Y), (1000, TOURISM_Y)]), -16, -50)
    green = frame(
        [
            {"名称": "蒲州公园", "绿地类型": "公园绿地", "geometry": box(-860, 180, -610, 390)},
            {
                "名称": "街角游园",
                "绿地类型": "公园绿地",
                "geometry": Polygon([(560, 200), (660, 300), (660, 200), (560, 300)]),
            },
            {"名称": "西厢广场", "绿地类型": "广场用地", "geometry": box(100, -250, 250, -100)},
            {"名称": "旅游公路防护绿带", "绿地类型": "防护绿地", "geometry": protective},
            {
                "名称": "西厢苑附属绿地",
                "绿地类型": "附属绿地",
                "geometry": box(-445, 260, -305, 460),
            },
            {
                "名称": "解放新村附属绿地",
                "绿地类型": "附属绿地",
                "geometry": box(460, -290, 560, -140),
            },
            {
                "名称": "铁牛家园附属绿地",
                "绿地类型": "附属绿地",
                "geometry": box(-940, -590, -840, -390),
            },
            {
                "名称": "鹳雀小区附属绿地",
                "绿地类型": "附属绿地",
                "geometry": box(160, 360, 240, 510),
            },
            {
                "名称": "滨河防护林",
                "绿地类型": "区域绿地",
                "geometry": box(-5190, -2500, -5060, 2500),
            },
            {"名称": "中心游园", "绿地类型": "公园绿地", "geometry": box(-120, -300, 60, -120)},
        ]
    )

    # Canopy: street trees (points with crown diameter) and tree groups in courtyards (polygons).
    trees = []
    for name, (xa, xb), y, offsets, step, crown in [
        ("西厢大街行道树", (-940, 940), 0.0, (-10, 10), 8, 6.0),
        ("旅游公路行道树", (-1040, 1040), TOURISM_Y, (-13.5, 13.5), 8, 5.0),
    ]:
        for off in offsets:
            for x in np.arange(xa, xb + 1e-9, step):
                trees.append({"名称": name, "冠幅": crown, "geometry": Point(x, y + off)})
    for x, (ya, yb) in [(-500, (-700, 770)), (400, (-700, 840))]:
        for off in (-9.0, 9.0):
            for y in np.arange(ya, yb + 1e-9, 10):
                trees.append({"名称": "次干路行道树", "冠幅": 5.0, "geometry": Point(x + off, y)})
    rng = np.random.default_rng(2017)
    for i in range(14):
        cx, cy = rng.uniform(-900, 950), rng.uniform(-550, 700)
        r = rng.uniform(35, 60)
        angles = np.linspace(0, 2 * np.pi, 13)[:-1]
        radii = r * rng.uniform(0.75, 1.15, 12)
        poly = Polygon(np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)]))
        trees.append({"名称": f"庭院树群{i + 1}", "冠幅": None, "geometry": poly})
    canopy = frame(trees)

    water = frame(
        [
            {"名称": "黄河", "geometry": river},
            {"名称": "涑水渠", "geometry": canal_water},
            {"名称": "公园湖", "geometry": Point(-735, 285).buffer(40)},
        ]
    )

    heritage = frame(
        [{"名称": n, "保护级别": g, "geometry": core} for n, g, core, _, _ in HERITAGE]
    )

    facilities = frame(
        [
            {"名称": n, "设施类型": t, "geometry": Point(x, y)}
            for n, t, x, y in [
                ("蒲州集贸市场", "集贸市场", -300, 60),
                ("西厢商业街", "商业街", 0, 20),
                ("镇区停车场", "停车场", 300, -60),
                ("景区停车场", "停车场", -4550, -1380),
                ("西厢公厕", "公共厕所", -420, 30),
                ("解放路公厕", "公共厕所", 420, -420),
                ("北街公厕", "公共厕所", 150, 470),
                ("古城公厕", "公共厕所", -3300, -620),
                ("垃圾收集点1", "垃圾收集点", -800, -20),
                ("垃圾收集点2", "垃圾收集点", -200, -330),
                ("垃圾收集点3", "垃圾收集点", 350, 170),
                ("垃圾收集点4", "垃圾收集点", 780, -300),
                ("垃圾收集点5", "垃圾收集点", -520, 600),
                ("垃圾收集点6", "垃圾收集点", 650, 600),
                ("垃圾中转站", "垃圾转运站", 1000, -600),
                ("蒲州卫生填埋场", "垃圾填埋场", 2650, 1650),
                ("蒲州污水处理站", "污水处理厂", -1225, -940),
                ("蒲州水厂", "水厂", 760, 600),
                ("110kV蒲州变电站", "变电站", 1090, -415),
                ("全民健身广场", "健身广场", 175, -175),
                ("蒲州文化站", "文化站", -60, 80),
                ("蒲州中学", "中学", 600, 300),
                ("蒲州小学", "小学", -650, -200),
                ("蒲州卫生院", "卫生院", 250, 80),
                ("蒲州镇政府", "镇政府", -100, 250),
                ("汽车站", "客运站", 950, -620),
                ("消防站", "消防站", 700, -500),
            ]
        ]
    )

    lights = []
    for x in np.arange(-930, 931, 30):
        for off in (-11.0, 11.0):
            lights.append({"类型": "LED路灯", "geometry": Point(x, off)})
    for x in np.arange(-1040, 1041, 40):
        lights.append({"类型": "LED路灯", "geometry": Point(x, TOURISM_Y - 14)})
    for x in np.arange(-5080, -1060, 50):
        lights.append({"类型": "太阳能路灯", "geometry": Point(x, TOURISM_Y - 14)})
    for y in np.arange(-700, 841, 35):
        lights.append({"类型": "LED路灯", "geometry": Point(409, y)})
    streetlights = frame(lights)

    residential = frame(
        [
            {"名称": "西厢苑", "户数": 320, "geometry": box(-450, 250, -150, 550)},
            {"名称": "解放新村", "户数": 260, "geometry": box(450, -300, 750, -20)},
            {"名称": "铁牛家园", "户数": 80, "geometry": box(-950, -600, -650, -380)},
            {"名称": "鹳雀小区", "户数": 210, "geometry": box(150, 350, 400, 650)},
        ]
    )

    control = control_lines(roads, river_blue, canal_blue)
    projects = with_programme(build_projects())
    return tp.Town(
        "蒲州镇",
        layers={
            "boundary": frame([{"名称": "蒲州镇镇域", "geometry": BOUNDARY}]),
            "builtup": frame([{"名称": "蒲州镇建成区", "geometry": BUILTUP}]),
            "roads": roads,
            "green": green,
            "canopy": canopy,
            "water": water,
            "heritage": heritage,
            "facilities": facilities,
            "streetlights": streetlights,
            "residential": residential,
            "control_lines": control,
            "projects": projects,
        },
        population=12600,
        statistics={
            "water_supply_coverage_pct": 96.5,
            "tap_water_coverage_pct": 97.2,
            "safe_drinking_water_pct": 100,
            "gas_coverage_pct": 42,
            "garbage_treatment_pct": 58,
            "sewage_treatment_pct": 45,
            "permit_rate_pct": 100,
            "flush_toilet_pct": 75,
            "population_growth_pct": 3.1,
            # 西厢大街 is fully equipped; 旅游公路 lacks sidewalks and bins (programme item 9 is under way).
            "well_equipped_streets_count": 1,
            "greening_plan_adopted": 1,
            "scattered_homestead_approvals": 0,
        },
        metadata={
            "illustrative": True,
            "note": "Illustrative geometry, not surveyed: modelled on the 2017 Puzhou small-town programme.",
            "source": "townplan_gis layers/build_puzhou.py",
            "province": "山西省",
            "county": "永济市",
        },
    )


def control_lines(
    roads: gpd.GeoDataFrame, river_blue: Polygon, canal_blue: Polygon
) -> gpd.GeoDataFrame:
    rows = []
    # Red lines: every planned road (not lanes) buffered by half its red-line width, flat ends.
    widths = roads["红线宽度"].astype(float)
    for i, r in roads[roads["道路等级"] != "巷路"].iterrows():
        line = shapely.affinity.translate(r.geometry, -X0, -Y0)
        rows.append(
            {
                "类型": "红线",
                "名称": f"{r['名称']}道路红线",
                "编号": f"HX-{i + 1:02d}",
                "道路等级": r["道路等级"],
                "geometry": line.buffer(widths[i] / 2, cap_style="flat"),
            }
        )
    # Green lines: parks, square, protective belt, riverside green and the planned eco-park (80 亩).
    rows += [
        {
            "类型": "绿线",
            "名称": "蒲州公园绿线",
            "编号": "LX-01",
            "geometry": box(-860, 180, -610, 390),
        },
        {
            "类型": "绿线",
            "名称": "西厢广场绿线",
            "编号": "LX-02",
            "geometry": box(100, -250, 250, -100),
        },
        {
            "类型": "绿线",
            "名称": "旅游公路防护绿带绿线",
            "编号": "LX-03",
            "geometry": strip(LineString([(-1000, TOURISM_Y), (1000, TOURISM_Y)]), -16, -50),
        },
        {
            "类型": "绿线",
            "名称": "滨河防护林绿线",
            "编号": "LX-04",
            "geometry": box(-5190, -2500, -5060, 2500),
        },
        {"类型": "绿线", "名称": "生态休闲公园绿线(规划)", "编号": "LX-05", "geometry": ECO_PARK},
        {
            "类型": "绿线",
            "名称": "中心游园绿线",
            "编号": "LX-06",
            "geometry": box(-120, -300, 60, -120),
        },
    ]
    # Purple lines: three tiers per site, as rings so each piece of ground has one tier per site.
    for k, (name, _, core, control_w, harmony_w) in enumerate(HERITAGE, start=1):
        rows += [
            {
                "类型": "紫线",
                "保护层级": "核心保护范围",
                "名称": f"{name}核心保护范围",
                "编号": f"ZX-{k}-1",
                "geometry": core,
            },
            {
                "类型": "紫线",
                "保护层级": "建设控制地带",
                "名称": f"{name}建设控制地带",
                "编号": f"ZX-{k}-2",
                "geometry": ring(core, 0, control_w),
            },
            {
                "类型": "紫线",
                "保护层级": "环境协调区",
                "名称": f"{name}环境协调区",
                "编号": f"ZX-{k}-3",
                "geometry": ring(core, control_w, control_w + harmony_w),
            },
        ]
    # Blue lines: the Yellow River with its floodplain, and the irrigation canal with a 5 m bank.
    rows += [
        {"类型": "蓝线", "名称": "黄河蓝线", "编号": "LAN-01", "geometry": river_blue},
        {"类型": "蓝线", "名称": "涑水渠蓝线", "编号": "LAN-02", "geometry": canal_blue},
    ]
    # Yellow lines: infrastructure land and the 110 kV corridor (30 m).
    rows += [
        {
            "类型": "黄线",
            "名称": "蒲州水厂黄线",
            "编号": "HUX-01",
            "geometry": box(700, 550, 820, 660),
        },
        {
            "类型": "黄线",
            "名称": "污水处理站黄线",
            "编号": "HUX-02",
            "geometry": box(-1300, -1000, -1150, -880),
        },
        {
            "类型": "黄线",
            "名称": "110kV变电站黄线",
            "编号": "HUX-03",
            "geometry": box(1050, -450, 1130, -380),
        },
        {
            "类型": "黄线",
            "名称": "110kV高压走廊黄线",
            "编号": "HUX-04",
            "geometry": box(1385, -2000, 1415, 2000),
        },
        {
            "类型": "黄线",
            "名称": "卫生填埋场黄线",
            "编号": "HUX-05",
            "geometry": box(2500, 1500, 2800, 1800),
        },
    ]
    for r in rows:
        r["来源"] = SOURCE
    return frame(rows + sanqu_lines())


# --- 三区三线 (docs/sources.md#three-lines-2019), illustrative like the rest ---------------------------
# The Yellow River wetland west of x = -5300 is ecological red line; a permanent basic farmland block
# lies north-east of the landfill; the urban development boundary takes in the town and the western
# scenic-service zone (蒲津渡—故城—鹳雀楼), with a notch at the 110 kV corridor's south end. The three do
# not overlap. Each catches one project for a reason that can be checked by hand:
#   P06-1 中都渔村 (40 × 30 m, x -5420..-5380) lies wholly in the eco red line: 1200 m², forbidden;
#   P15 农机修配厂 (100 × 100 m, x 1630..1730) has x 1700..1730 on the farmland: 3000 m², 30 %, forbidden;
#   P13 物流仓库 (60 × 40 m, y -1500..-1460) has y -1500..-1480 below the notch: 1200 m², 50 % outside
#   the development boundary, review.
ECO_REDLINE = box(-6900, -4200, -5300, 4200)
FARMLAND = box(1700, 1900, 3500, 4100)
DEV_BOUNDARY = box(-5250, -1700, 1600, 2100).difference(box(1300, -1700, 1600, -1480))


def sanqu_lines() -> list[dict]:
    src = "三区三线划定成果（示意数据，非测绘成果），国土空间总体规划"
    return [
        {"类型": "生态保护红线", "名称": "黄河湿地生态保护红线", "编号": "STHX-01",
         "来源": src, "geometry": ECO_REDLINE},
        {"类型": "永久基本农田", "名称": "城东永久基本农田", "编号": "JBNT-01",
         "来源": src, "geometry": FARMLAND},
        {"类型": "城镇开发边界", "名称": "蒲州镇城镇开发边界", "编号": "KFBJ-01",
         "来源": src, "geometry": DEV_BOUNDARY},
    ]  # fmt: skip


# The planned eco-park: exactly 80 亩 between the iron-oxen museum and the Stork Tower.
ECO_PARK = box(-4950, -1300, -4650, -1300 + 80 * MU / 300)


def build_projects() -> gpd.GeoDataFrame:
    """The 2017 programme (docs/sources.md#puzhou-2017) as projects; ids P01–P09 follow the programme's numbering."""
    xixiang = LineString([(-900, 0), (900, 0)])
    tourism_east = LineString([(1450, TOURISM_Y), (2450, TOURISM_Y)])  # east of the 110 kV corridor
    # 153 street-front houses on both sides of 西厢大街, 13–25 m from the centreline (red line at 12 m),
    # leaving the cross streets' red lines (and 2 m) free.
    north_gaps = [(-500, 10), (400, 10), (800, 6), (-200, 3)]
    south_gaps = [(-500, 10), (400, 10), (800, 6), (150, 3)]

    def houses(y0: float, gaps: list[tuple[float, float]], n: int) -> list[Polygon]:
        xs = [
            x
            for x in np.arange(-880, 880, 21)
            if all(x + 10 < cx - hw - 2 or x > cx + hw + 2 for cx, hw in gaps)
        ]
        return [box(x, y0, x + 10, y0 + 12) for x in xs[:n]]

    fronts = houses(13, north_gaps, 77) + houses(-25, south_gaps, 76)
    orchards = []
    for k, (x, y) in enumerate(
        [(x, y) for y in (300, 800) for x in (-3150, -2700, -2250, -1800)], start=1
    ):
        orchards.append((f"P07-{k}", f"观光采摘园{k}号", box(x, y, x + 400, y + 250 * MU / 400)))
    farmstays = [
        (
            "P06-1",
            "中都渔村",
            box(-5420, 180, -5380, 210),
        ),  # on the Yellow River floodplain: blue line
        ("P06-2", "迎熙苑", box(-3150, -200, -3110, -170)),  # 故城 harmony zone
        (
            "P06-3",
            "盛唐庄园",
            box(-2400, TOURISM_Y - 51, -2360, TOURISM_Y - 21),
        ),  # 6 m from the red line
        ("P06-4", "河东农家", box(-1265, -800, -1235, -770)),  # about 8 m from the canal blue line
        (
            "P06-5",
            "黄河人家",
            box(-5060.02, 2000, -5030, 2030),
        ),  # 0.6 m² sliver on the riverside green line
        ("P06-6", "古渡农庄", box(-4860, -200, -4820, -170)),  # 唐铁牛 construction-control zone
    ]
    rows = [
        {
            "编号": "P01",
            "名称": "景区游客接待中心",
            "类型": "建筑",
            "投资": 3500,
            "geometry": box(-4680, -1560, -4480, -1560 + 30 * MU / 200),
        },
        {
            "编号": "P02",
            "名称": "旅游公路绿化",
            "类型": "绿化",
            "投资": 1200,
            "geometry": shapely.union(strip(tourism_east, 8, 13), strip(tourism_east, -8, -13)),
        },
        {
            "编号": "P03",
            "名称": "西厢大街绿化",
            "类型": "绿化",
            "投资": 280,
            "geometry": shapely.union(strip(xixiang, 8, 10.2222), strip(xixiang, -8, -10.2222)),
        },
        {
            "编号": "P04-1",
            "名称": "西厢大街临街房屋唐风立面改造(153户)",
            "类型": "立面改造",
            "投资": 1530,
            "geometry": shapely.MultiPolygon(fronts),
        },
        {
            "编号": "P04-2",
            "名称": "西厢大街标识牌",
            "类型": "标识",
            "投资": 45,
            "geometry": shapely.MultiPoint([(x, 11.0) for x in np.arange(-850, 851, 100)]),
        },
        {
            "编号": "P05",
            "名称": "商铺后街道路硬化",
            "类型": "道路",
            "投资": 420,
            "geometry": LineString([(-800, 150), (800, 150)]),
        },
        *[
            {"编号": i, "名称": n, "类型": "农家乐", "投资": 150, "geometry": g}
            for i, n, g in farmstays
        ],
        *[
            {"编号": i, "名称": n, "类型": "采摘园", "投资": 200, "geometry": g}
            for i, n, g in orchards
        ],
        {
            "编号": "P08",
            "名称": "铁牛鹳雀楼生态休闲公园",
            "类型": "公园",
            "投资": 850,
            "geometry": ECO_PARK,
        },
        {
            "编号": "P09-1",
            "名称": "商业街道路铺装(1.8km)",
            "类型": "道路",
            "投资": 860,
            "geometry": LineString([(-900, 0), (900, 0)]),
        },
        {
            "编号": "P09-2",
            "名称": "商业街雨污管网(3.6km)",
            "类型": "管网",
            "投资": 600,
            "geometry": shapely.MultiLineString([[(-900, 4), (900, 4)], [(-900, -4), (900, -4)]]),
        },
        {
            "编号": "P09-3",
            "名称": "太阳能路灯120盏及十字口高杆灯4座",
            "类型": "路灯",
            "投资": 238,
            "geometry": shapely.MultiPoint(
                [(x, s * 11.0) for x in np.linspace(-895, 895, 60) for s in (-1, 1)]
                + [(-2, -2), (2, -2), (-2, 2), (2, 2)]
            ),
        },
        {
            "编号": "P09-4",
            "名称": "商业街人行道(3.6km)",
            "类型": "道路",
            "投资": 240,
            "geometry": shapely.MultiLineString(
                [[(-900, 10), (900, 10)], [(-900, -10), (900, -10)]]
            ),
        },
        {
            "编号": "P10",
            "名称": "污水处理站提标改造",
            "类型": "基础设施",
            "投资": 380,
            "geometry": box(-1290, -990, -1200, -930),
        },
        # Later projects typed by the codes of the 2023 land-use classification (用地用海分类指南),
        # as a county's project list gives them: each is reviewed as the type the code maps to
        # (data/aliases.toml), so the sample exercises the national vocabulary (issue #15).
        {
            "编号": "P11",
            "名称": "蒲州镇中心幼儿园",
            "类型": "08",  # 公共管理与公共服务用地 → public_service; clear of every line: pass
            "投资": 650,
            "geometry": box(-300, -250, -230, -190),
        },
        {
            "编号": "P12",
            "名称": "涑水渠边村民建房",
            "类型": "0703",  # 农村宅基地 → rural_housing; about 6 m from the canal blue line: review
            "投资": 35,
            "geometry": box(-1213.8, -560, -1198.8, -548),
        },
        {
            "编号": "P13",
            "名称": "农产品物流仓库",
            "类型": "11",  # 仓储用地 → warehouse; on the 110 kV corridor yellow line: reject
            "投资": 900,
            "geometry": box(1380, -1500, 1440, -1460),
        },
        {
            "编号": "P14",
            "名称": "西厢苑二期住宅",
            "类型": "0701",  # 城镇住宅用地 → residential; clear of every line: pass
            "投资": 4200,
            "geometry": box(250, 250, 320, 310),
        },
        {
            "编号": "P15",
            "名称": "城东农机修配厂",
            "类型": "1001",  # 工业用地 → industrial; 30 % on permanent basic farmland: reject
            "投资": 800,
            "geometry": box(1630, 1900, 1730, 2000),
        },
    ]
    for r in rows:
        r["状态"] = "计划"
    return frame(rows)


# --- the 2017 programme: items, funding, stages, dates and progress (townplan_gis.construction) -----------
# Two programme items with the programme's declared totals (docs/sources.md#puzhou-2017): the tourism
# works, 8,800 万元, and the commercial street, 2,700 万元, whose five listed works add up to 2,118 万元.
# Which projects make up the tourism item is not stated by the programme; P01–P08 here (illustrative).
# The deadlines follow the programme: "除游客接待中心年底建成外,其余项目都在10月底完工". Funding splits,
# start dates, stages and completion (as reported on 2017-10-20) are invented. A project missing here
# (one added to build_projects later) keeps empty programme columns, which the checks report.
TOURISM, STREET = ("旅游景区提升工程", 8800.0), ("商业街改造工程", 2700.0)
PROGRESS_REPORTED = "2017-10-20"
#: project id → (item, 镇村户自筹, 上级补助, 镇政府自筹 in 万元 (None: not given), stage, start, completion %)
PROGRAMME = {
    "P01": (TOURISM, 0, 2000, 1500, "实施", "2017-03-20", 55),
    "P02": (TOURISM, 0, 800, 400, "实施", "2017-03-01", 90),
    "P03": (TOURISM, 0, 150, 130, "观摩", "2017-03-01", 100),
    "P04-1": (TOURISM, 612, 612, 306, "实施", "2017-04-01", 80),
    "P04-2": (TOURISM, 0, 0, 45, "观摩", "2017-05-01", 100),
    "P05": (TOURISM, 0, 200, 220, "实施", "2017-04-15", 100),
    **{f"P06-{k}": (TOURISM, 120, 30, 0, "观摩", "2017-04-01", 100) for k in (1, 2, 3, 5)},
    "P06-4": (TOURISM, 120, 30, 0, "实施", "2017-04-01", 70),
    "P06-6": (TOURISM, 100, 30, 0, "实施", "2017-04-01", 40),  # 20 万元 without a source
    **{f"P07-{k}": (TOURISM, 150, 50, 0, "观摩", "2017-03-15", 100) for k in range(1, 7)},
    "P07-7": (TOURISM, 150, 50, 0, "实施", "2017-03-15", 60),
    "P07-8": (TOURISM, None, None, None, "确定项目", "2017-06-01", 0),  # funding not yet found
    "P08": (TOURISM, 0, 500, 350, "实施", "2017-04-01", 45),
    "P09-1": (STREET, 0, 500, 360, "观摩", "2017-03-01", 100),
    "P09-2": (STREET, 0, 400, 200, "观摩", "2017-03-01", 100),
    "P09-3": (STREET, 0, 238, 0, "实施", "2017-05-01", 85),
    "P09-4": (STREET, 0, 0, 240, "实施", "2017-05-01", 60),
    "P09-5": (STREET, 0, 0, 180, "实施", "2017-06-01", 30),
    "P10": (None, 0, 300, 80, "实施", "2017-05-01", 20),
    # The later projects typed by land-use codes: declared for 2018, funded, not started.
    "P11": (None, 0, 400, 250, "确定项目", "2018-03-01", 0),
    "P12": (None, 35, 0, 0, "确定项目", "2018-03-01", 0),
    "P13": (None, 900, 0, 0, "确定项目", "2018-04-01", 0),
    "P14": (None, 4200, 0, 0, "确定项目", "2018-04-01", 0),
    "P15": (None, 800, 0, 0, "确定项目", "2018-05-01", 0),
}
LATER = {"P11", "P12", "P13", "P14", "P15"}


def street_green() -> dict:
    """P09-5, the commercial street's green (180 万元): planting beds along both kerbs."""
    beds = [box(x, s * 10.4, x + 4, s * 11.9) for x in np.arange(-850, 851, 100) for s in (-1, 1)]
    return {
        "编号": "P09-5",
        "名称": "商业街绿化",
        "类型": "绿化",
        "投资": 180,
        "geometry": shapely.MultiPolygon([shapely.normalize(b) for b in beds]),
    }


def with_programme(projects: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The projects (as build_projects makes them) with P09-5 and the programme columns, named as a
    county's programme table names them (所属工程, 镇村户自筹, 建设阶段, 完工期限, 完成进度 …)."""
    out = projects.copy()
    if "P09-5" not in set(out["编号"]):
        extra = frame([street_green()])
        out = gpd.GeoDataFrame(pd.concat([out, extra], ignore_index=True), crs=projects.crs)
    columns = ["所属工程", "工程总投资", "镇村户自筹", "上级补助", "镇政府自筹", "建设阶段", "开工时间",
               "完工期限", "完成进度"]  # fmt: skip
    for c in columns:
        out[c] = None
    for pid, (item, own, sub, gov, stage, start, pct) in PROGRAMME.items():
        row = out["编号"] == pid
        if not row.any():
            continue
        deadline = "2017-12-31" if pid == "P01" else "2018-12-31" if pid in LATER else "2017-10-31"
        values = [*(item or (None, None)), own, sub, gov, stage, start, deadline, pct]
        for c, v in zip(columns, values, strict=True):
            out.loc[row, c] = v
        out.loc[row, "状态"] = "完工" if pct >= 100 else "在建" if pct > 0 else "计划"
    return out


def main() -> Path:
    town = build()
    town.metadata.update({"year": 2017, "progress_reported": PROGRESS_REPORTED})
    out = HERE / "puzhou.gpkg"
    tp.write_town(town, out, crs=STORE_CRS)
    built = town.builtup.area.sum() / 1e6
    print(
        f"wrote {out}: built-up {built:.3f} km², {len(town.projects)} projects, "
        f"{len(town.control_lines)} control-line features; analysis CRS EPSG:{town.crs.to_epsg()}"
    )
    # The same town as an OpenStreetMap extract (layers/puzhou.osm), for tp.read_osm offline.
    import build_puzhou_osm

    build_puzhou_osm.main(tp.read_town(out))
    return out


if __name__ == "__main__":
    main()
