"""Control lines derived from roads, water, heritage, green land and facilities."""

from __future__ import annotations

import math

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point, box

import townplan_gis as tp

CRS = "EPSG:4546"
X0, Y0 = 500_000.0, 3_850_000.0


def roads():
    return gpd.GeoDataFrame(
        {
            "road_class": ["arterial", "branch", "主干路"],
            "redline_width_m": [30.0, None, None],
            "name": ["A", "B", "C"],
        },
        geometry=[
            LineString([(X0, Y0), (X0 + 100, Y0)]),
            LineString([(X0, Y0 + 200), (X0 + 100, Y0 + 200)]),
            LineString([(X0, Y0 + 400), (X0 + 50, Y0 + 400)]),
        ],
        crs=CRS,
        index=[10, 11, 12],
    )


def test_red_lines_from_width_or_class_default():
    # Flat caps: a 100 m road with a 30 m red line → 3,000 m²; branch default 10 m → 1,000 m²;
    # 主干路 (arterial) default 24 m over 50 m → 1,200 m².
    red = tp.derive_red_lines(roads(), cap_style="flat")
    assert list(red.index) == [10, 11, 12]
    assert red.area.round(6).tolist() == [3000.0, 1000.0, 1200.0]
    assert red["redline_width_m"].tolist() == [30.0, 10.0, 24.0]
    assert red["road_class"].tolist() == ["arterial", "branch", "arterial"]
    assert red["derived"].all() and (red["line_type"] == "red").all()
    assert red["code"].tolist() == ["derived:roads:10", "derived:roads:11", "derived:roads:12"]
    assert "GB 50188" in red["source"].iloc[1]
    wider = tp.derive_red_lines(roads(), cap_style="flat", widths={"branch": 14})
    assert wider.area.iloc[1] == pytest.approx(1400.0)


def test_derived_red_lines_carry_setbacks_by_class():
    red = tp.derive_red_lines(roads(), cap_style="flat")
    # Arterial A (half width 15 m, y −15..15): a building 6 m beyond → within the 8 m setback.
    # Branch B (half width 5 m, y 195..205): a building 6 m beyond → outside its 5 m setback.
    prj = gpd.GeoDataFrame(
        {"project_type": ["building", "building"]},
        geometry=[
            box(X0 + 10, Y0 + 21, X0 + 20, Y0 + 30),
            box(X0 + 10, Y0 + 211, X0 + 20, Y0 + 220),
        ],
        crs=CRS,
    )
    r = tp.review(prj, red)
    assert len(r.conflicts) == 1
    row = r.conflicts.iloc[0]
    assert row["check"] == "setback" and row["distance_m"] == pytest.approx(6.0)
    assert "(arterial)" in row["reason"] and "8 m required" in row["reason"]


def test_control_lines_from_town_layers():
    heritage = gpd.GeoDataFrame({"name": ["寺"]}, geometry=[Point(X0, Y0)], crs=CRS)
    water = gpd.GeoDataFrame(
        {"name": ["河"]}, geometry=[box(X0 + 1000, Y0, X0 + 1100, Y0 + 500)], crs=CRS
    )
    green = gpd.GeoDataFrame(
        {"green_class": ["G1", "XG"], "name": ["园", "附属"]},
        geometry=[box(X0 - 1000, Y0, X0 - 900, Y0 + 100), box(X0 - 800, Y0, X0 - 700, Y0 + 100)],
        crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        {"facility_type": ["substation", "market"], "name": ["变电站", "市场"]},
        geometry=[Point(X0, Y0 - 2000), Point(X0, Y0 - 3000)],
        crs=CRS,
    )
    lines = tp.derive_control_lines(
        roads=roads(), water=water, heritage=heritage, green=green, facilities=facilities
    )
    counts = lines["line_type"].value_counts().to_dict()
    assert counts == {"red": 3, "blue": 1, "purple": 3, "green": 1, "yellow": 1}
    purple = lines[lines["line_type"] == "purple"].set_index("zone")
    # Core: 30 m disc; control: ring to 80 m; harmony: ring to 230 m (polygonal buffers, ±1 %).
    assert purple.loc["core"].geometry.area == pytest.approx(math.pi * 30**2, rel=0.01)
    assert purple.loc["control"].geometry.area == pytest.approx(math.pi * (80**2 - 30**2), rel=0.01)
    assert purple.loc["harmony"].geometry.area == pytest.approx(
        math.pi * (230**2 - 80**2), rel=0.01
    )
    assert (
        shapely.intersection(purple.loc["core"].geometry, purple.loc["control"].geometry).area
        < 1e-6
    )
    yellow = lines[lines["line_type"] == "yellow"].iloc[0]
    assert yellow["name"] == "变电站" and yellow.geometry.area == pytest.approx(
        math.pi * 25**2, rel=0.01
    )
    assert lines["derived"].all()
    # Only some lines on request.
    only = tp.derive_control_lines(roads=roads(), water=water, line_types=["blue"])
    assert only["line_type"].tolist() == ["blue"]


def test_town_review_derives_missing_line_types():
    heritage = gpd.GeoDataFrame({"name": ["寺"]}, geometry=[Point(X0, Y0)], crs=CRS)
    projects = gpd.GeoDataFrame(
        {"project_id": ["P1"], "project_type": ["building"]},
        geometry=[box(X0 - 5, Y0 - 5, X0 + 5, Y0 + 5)],
        crs=CRS,
    )
    town = tp.Town(
        "t", layers={"heritage": heritage, "projects": projects, "roads": roads().iloc[:1]}
    )
    r = tp.review(town, derive=True)
    # The building sits in the derived purple core (and 5 m inside the arterial's red line).
    assert r.projects["verdict"].tolist() == ["reject"]
    assert set(r.conflicts["line_type"]) == {"purple", "red"}
    assert (r.conflicts.loc[r.conflicts["line_type"] == "purple", "zone"] == "core").any()
    # Without derive the town has no control lines: nothing was checked, so nothing passes.
    r = tp.review(town)
    assert r.projects["verdict"].tolist() == ["not_checked"]
    assert "not checked against red (红线), green (绿线)" in r.projects["reason"].iloc[0]


def test_town_review_takes_road_class_of_red_lines_from_roads():
    # A surveyed red line without road_class around arterial road A (y −15..15); a building 6 m
    # beyond it: 8 m setback once the class is known from the road inside (5 m without roads).
    red = gpd.GeoDataFrame(
        {"line_type": ["red"]}, geometry=[box(X0, Y0 - 15, X0 + 100, Y0 + 15)], crs=CRS
    )
    projects = gpd.GeoDataFrame(
        {"project_type": ["building"]}, geometry=[box(X0 + 10, Y0 + 21, X0 + 20, Y0 + 30)], crs=CRS
    )
    with_roads = tp.Town("t", layers={"control_lines": red, "projects": projects, "roads": roads()})
    row = tp.review(with_roads).conflicts.iloc[0]
    assert row["distance_m"] == pytest.approx(6.0) and "(arterial)" in row["reason"]
    without = tp.Town("t", layers={"control_lines": red, "projects": projects})
    assert len(tp.review(without).conflicts) == 0
    assert "road_class" not in red  # the caller's frame is untouched


def test_red_lines_without_any_width_name_the_rows(tmp_path):
    # A rule file setting the lane default to 0 m leaves road 12 (a lane without its own width)
    # with no width at all: a SchemaError naming the row and the fix, no silently missing road.
    f = tmp_path / "rules.toml"
    f.write_text("[derive.red_width_m]\nlane = 0.0\n", encoding="utf-8")
    lanes = roads().assign(road_class=["arterial", "branch", "lane"])
    with pytest.raises(tp.SchemaError, match=r"rows \[12\].*\['lane'\].*Fix"):
        tp.derive_red_lines(lanes, rules=f)
