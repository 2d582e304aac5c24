"""Project types in the national land-use vocabularies (issue #15): the 2023 classification
《国土空间调查、规划、用途管制用地用海分类指南》 by code and name, GB 50137-2011 codes, the words planners
type (住宅, 商业, 工业, 公共服务设施, 农房), and the road class 快速路.

Geometries are axis-aligned boxes in EPSG:4546 (metres); every expected area and distance is worked
out by hand in the test.
"""

from __future__ import annotations

import collections

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box

import townplan_gis as tp
from townplan_gis.core.schema import LINE_TYPES, aliases, normalize_layer
from townplan_gis.fiveline.derive import derive_red_lines
from townplan_gis.fiveline.rules import load_rules, project_types

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_850_000.0
AREA = box(X0 - 5_000, Y0 - 5_000, X0 + 5_000, Y0 + 5_000)
BUILDING_TYPES = (
    "residential",
    "rural_housing",
    "public_service",
    "commercial",
    "industrial",
    "warehouse",
)


def B(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def projects(*rows):
    """rows: (项目类型 as typed, geometry)."""
    return gpd.GeoDataFrame(
        {"项目编号": [f"P{i}" for i in range(len(rows))], "项目类型": [r[0] for r in rows]},
        geometry=[r[1] for r in rows],
        crs=CRS,
    )


def lines(*rows):
    """rows: (line_type, zone, geometry[, road_class])."""
    return gpd.GeoDataFrame(
        {
            "line_type": [r[0] for r in rows],
            "zone": [r[1] for r in rows],
            "road_class": [r[3] if len(r) > 3 else None for r in rows],
            "code": [f"L{i}" for i in range(len(rows))],
        },
        geometry=[r[2] for r in rows],
        crs=CRS,
    )


def review(prj, lyr):
    present = set(lyr["line_type"])
    absent = [t for t in LINE_TYPES if t not in present]
    return tp.review(prj, lyr, coverage=AREA, absent=absent)


# The words of the issue, codes of the 2023 classification (first level and the second-level ones
# the issue names) and GB 50137-2011 codes, with the type each is reviewed as.
EXPECTED = {
    "住宅": "residential",
    "商业": "commercial",
    "工业": "industrial",
    "公共服务设施": "public_service",
    "农房": "rural_housing",
    "07": "residential",
    "居住用地": "residential",
    "0701": "residential",
    "城镇住宅用地": "residential",
    "0703": "rural_housing",
    "农村宅基地": "rural_housing",
    "08": "public_service",
    "公共管理与公共服务用地": "public_service",
    "09": "commercial",
    "商业服务业用地": "commercial",
    "10": "industrial",
    "工矿用地": "industrial",
    "1001": "industrial",
    "工业用地": "industrial",
    "11": "warehouse",
    "仓储用地": "warehouse",
    "12": "road",
    "交通运输用地": "road",
    "13": "infrastructure",
    "公用设施用地": "infrastructure",
    "14": "park",
    "绿地与开敞空间用地": "park",
    "1402": "greening",
    "R": "residential",
    "A": "public_service",
    "B": "commercial",
    "M": "industrial",
    "W": "warehouse",
    "S": "road",
    "U": "infrastructure",
    "G": "park",
    " r2 ": "residential",  # case and surrounding space do not matter
}


def test_codes_and_names_resolve_through_the_schema_and_the_review():
    typed = list(EXPECTED)
    geoms = [B(100 * i, 0, 100 * i + 10, 10) for i in range(len(typed))]
    prj = projects(*zip(typed, geoms, strict=True))
    norm, _ = normalize_layer(prj, "projects")
    assert norm["project_type"].tolist() == list(EXPECTED.values())
    # No line anywhere near, all five types declared absent: every project passes, none invalid.
    r = tp.review(prj, lines(), coverage=AREA, absent=list(LINE_TYPES))
    assert r.projects["project_type"].tolist() == list(EXPECTED.values())
    assert set(r.projects["verdict"]) == {"pass"}


def test_residential_on_a_blue_line_is_rejected():
    # 住宅 20 m × 20 m = 400 m²; the blue line covers x 10–40: overlap 10 × 20 = 200 m², 50 %.
    r = review(projects(("住宅", B(0, 0, 20, 20))), lines(("blue", None, B(10, -10, 40, 40))))
    p = r.projects.iloc[0]
    assert p["project_type"] == "residential" and p["verdict"] == "reject"
    c = r.conflicts[r.conflicts["check"] == "overlap"].iloc[0]
    assert c["grade"] == "forbidden" and c["line_type"] == "blue"
    assert c["overlap_area_m2"] == pytest.approx(200.0)
    assert c["pct_of_project"] == pytest.approx(50.0)


def test_rural_homestead_0703_is_accepted_and_sets_back_from_the_river():
    # 0703 农村宅基地 15 m × 10 m, 30 m from a blue line: beyond the 10 m setback, nothing found: pass.
    far = projects(("0703 ", B(0, 0, 15, 10)))
    blue = lines(("blue", None, B(45, -50, 60, 50)))
    r = review(far, blue)
    assert r.projects["project_type"].iloc[0] == "rural_housing"
    assert r.projects["verdict"].iloc[0] == "pass" and len(r.conflicts) == 0
    # The same house 4 m from the blue line: a setback finding at 4 m, graded review.
    near = projects(("农村宅基地", B(26, 0, 41, 10)))
    r = review(near, blue)
    s = r.conflicts[r.conflicts["check"] == "setback"]
    assert len(s) == 1 and s["distance_m"].iloc[0] == pytest.approx(4.0)
    assert s["grade"].iloc[0] == "review" and r.projects["verdict"].iloc[0] == "review"


def test_gb50137_r_is_accepted_and_graded_like_a_building():
    # R in a purple construction-control zone: review (城市紫线管理办法 第十四条), overlap 10 × 10.
    r = review(projects(("R", B(0, 0, 10, 10))), lines(("purple", "control", B(-50, -50, 50, 50))))
    p = r.projects.iloc[0]
    assert p["project_type"] == "residential" and p["verdict"] == "review"
    assert r.conflicts["overlap_area_m2"].iloc[0] == pytest.approx(100.0)


def test_commercial_sets_back_from_an_expressway_red_line():
    # A 快速路 red line (y 0–35) and a 商业 building 6 m north of it: short of the 8 m setback.
    red = lines(("red", None, B(-200, 0, 200, 35), "快速路"))
    r = review(projects(("09", B(0, 41, 20, 61))), red)
    s = r.conflicts[r.conflicts["check"] == "setback"]
    assert len(s) == 1 and s["distance_m"].iloc[0] == pytest.approx(6.0)
    assert "快速路" in s["reason_zh"].iloc[0]


def test_each_building_type_is_graded_like_a_building_everywhere():
    rules = load_rules()
    assert set(BUILDING_TYPES) <= set(project_types())
    assert set(BUILDING_TYPES) <= set(rules.setbacks["project_types"])
    for t in BUILDING_TYPES:
        for lt in ("red", "green", "blue", "yellow"):
            assert rules.resolve(lt, None, t).grade == "forbidden", (lt, t)
        for zone, grade in (("core", "forbidden"), ("control", "review"), ("harmony", "notice")):
            assert rules.resolve("purple", zone, t).grade == grade, (zone, t)
            assert rules.resolve("purple", zone, t) == rules.resolve("purple", zone, "building")


def test_the_purpose_of_a_line_is_reviewed_not_forbidden():
    # 12 交通运输用地 on road land, 13 公用设施用地 on a yellow line, 14 绿地 on a green line: review.
    r = review(
        projects(("12", B(0, 0, 10, 10)), ("13", B(100, 0, 110, 10)), ("14", B(200, 0, 210, 10))),
        lines(
            ("red", None, B(-5, -5, 15, 15), "arterial"),
            ("yellow", None, B(95, -5, 115, 15)),
            ("green", None, B(195, -5, 215, 15)),
        ),
    )
    assert r.projects["verdict"].tolist() == ["review"] * 3
    assert r.conflicts["grade"].tolist() == ["review"] * 3


def test_an_unknown_type_is_refused_with_the_accepted_list():
    # 16 留白用地 (reserved land) has no project a five-line rule could grade.
    r = review(projects(("16", B(0, 0, 10, 10)), ("留白用地", B(50, 0, 60, 10))), lines())
    assert r.projects["verdict"].tolist() == ["invalid", "invalid"]
    reason = r.projects["reason"].iloc[0]
    assert "unknown project_type '16'" in reason
    for t in ("building", *BUILDING_TYPES):
        assert t in reason
    with pytest.raises(tp.UnknownValueError, match="留白用地"):
        tp.Town("t", layers={"projects": projects(("留白用地", B(0, 0, 10, 10)))})


def test_no_alias_names_two_values():
    # A name listed under two canonical values would resolve to whichever is read last.
    for column, table in aliases()["values"].items():
        seen = collections.defaultdict(set)
        for canonical, names in table.items():
            for n in names:
                seen[" ".join(str(n).split()).casefold()].add(canonical)
        clashes = {n: v for n, v in seen.items() if len(v) > 1}
        assert not clashes, (column, clashes)


def test_expressway_is_a_road_class_with_a_derived_red_line():
    roads = gpd.GeoDataFrame(
        {"道路等级": ["快速路", "主干路"]},
        geometry=[
            LineString([(X0, Y0), (X0 + 100, Y0)]),
            LineString([(X0, Y0 + 500), (X0 + 100, Y0 + 500)]),
        ],
        crs=CRS,
    )
    norm, _ = normalize_layer(roads, "roads")
    assert norm["road_class"].tolist() == ["expressway", "arterial"]
    red = derive_red_lines(norm, cap_style="flat")
    # Flat-capped 100 m centrelines: 35 m × 100 m and 24 m × 100 m.
    assert red["redline_width_m"].tolist() == [35.0, 24.0]
    assert red.area.tolist() == pytest.approx([3500.0, 2400.0])
