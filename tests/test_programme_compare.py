"""Before and after: two vintages of a town, features added/removed/changed, growth targets."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, box

import townplan_gis as tp
from townplan_gis.construction import compare, diff_layer
from townplan_gis.core.errors import TownPlanError

CRS = "EPSG:4546"
X, Y = 437_000.0, 3_855_000.0


def at(geom):
    return shapely.affinity.translate(geom, X, Y)


def layer(geoms, **columns) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=[at(g) for g in geoms], crs=CRS)


# --- one layer --------------------------------------------------------------------------------------
def test_roads_added_removed_changed():
    before = layer(
        [
            LineString([(0, 0), (100, 0)]),
            LineString([(0, -50), (100, -50)]),
            LineString([(0, 300), (0, 400)]),
        ],
        name=["北街", "南街", "西街"],
        road_class=["branch"] * 3,
        surface=["paved", "unpaved", "paved"],
    )
    after = layer(
        [
            LineString([(0, 0), (160, 0)]),
            LineString([(0, -50), (100, -50)]),
            LineString([(200, 50), (200, 90)]),
        ],
        name=["北街", "南街", "东街"],
        road_class=["branch"] * 3,
        surface=["paved", "paved", "paved"],
    )
    changes, summary, pieces = diff_layer(before, after, "roads")
    assert changes[["change", "key", "delta", "columns"]].values.tolist() == [
        ["changed", "北街", 60.0, "geometry"],
        ["changed", "南街", 0.0, "surface"],
        ["added", "东街", 40.0, ""],
        ["removed", "西街", -100.0, ""],
    ]
    assert changes.geometry.iloc[3].equals(before.geometry.iloc[2])  # a removed road: as it was
    assert {k: summary[k] for k in ("added", "removed", "changed", "unchanged")} == {
        "added": 1,
        "removed": 1,
        "changed": 2,
        "unchanged": 0,
    }
    # Road length added: the 60 m extension of 北街 and the 40 m of 东街; removed: 西街.
    assert summary["added_measure"] == pytest.approx(100.0)
    assert summary["removed_measure"] == pytest.approx(100.0)
    assert (summary["total_before"], summary["total_after"]) == (300.0, 300.0)
    assert pieces[["change", "name"]].values.tolist() == [
        ["added", "北街"],
        ["added", "东街"],
        ["removed", "西街"],
    ]
    assert pieces["value"].tolist() == pytest.approx([60.0, 40.0, 100.0])
    assert pieces.geometry.iloc[0].equals(at(LineString([(100, 0), (160, 0)])))


def test_green_area_added_with_geometry():
    before = layer([box(0, 0, 100, 100)], name=["游园"], green_class=["G1"])
    after = layer(
        [box(0, 0, 100, 150), box(200, 0, 250, 50)],
        name=["游园", "街角绿地"],
        green_class=["G1"] * 2,
    )
    changes, summary, pieces = diff_layer(before, after, "green")
    assert changes[["change", "name", "after", "delta"]].values.tolist() == [
        ["changed", "游园", 15000.0, 5000.0],
        ["added", "街角绿地", 2500.0, 2500.0],
    ]
    assert changes["before"].iloc[0] == 10000.0 and pd.isna(changes["before"].iloc[1])
    assert summary["added_measure"] == pytest.approx(7500.0)  # 50 × 100 + 50 × 50
    assert summary["delta"] == pytest.approx(7500.0)
    assert pieces["value"].tolist() == pytest.approx([5000.0, 2500.0])
    assert pieces.geometry.iloc[0].normalize().equals(at(box(0, 100, 100, 150)).normalize())


def test_unnamed_points_match_by_position():
    pts = [Point(i * 10, 0) for i in range(3)]
    before = layer(pts, kind=["LED"] * 3)
    after = layer([*pts, Point(100, 0), Point(110, 0)], kind=["LED"] * 5)
    changes, summary, pieces = diff_layer(before, after, "streetlights")
    assert summary["added"] == 2 and summary["unchanged"] == 3 and summary["measure"] == "count"
    assert summary["added_measure"] == 2.0 and pieces.empty
    assert changes["row_after"].tolist() == [3, 4]


def test_repeated_names_fall_back_to_geometry():
    before = layer(
        [box(0, 0, 10, 10), box(50, 0, 60, 10)], name=["游园", "游园"], green_class=["G1"] * 2
    )
    after = layer(
        [box(50, 0, 60, 10), box(0, 0, 10, 10)], name=["游园", "游园"], green_class=["G1"] * 2
    )
    changes, summary, _ = diff_layer(before, after, "green")
    assert changes.empty and summary["unchanged"] == 2


def test_a_one_part_multipolygon_is_its_polygon_and_noise_below_the_grid_is_equal():
    before = layer([box(0, 0, 10, 10)], name=["游园"], green_class=["G1"])
    after = layer([MultiPolygon([box(0, 0, 10, 10.001)])], name=["游园"], green_class=["G1"])
    changes, summary, pieces = diff_layer(before, after, "green")
    assert changes.empty and summary["unchanged"] == 1 and pieces.empty


def test_a_line_within_the_tolerance_is_not_new():
    before = layer([LineString([(0, 0), (100, 0)])], name=["北街"], road_class=["branch"])
    after = layer([LineString([(0, 0.3), (100, 0.3)])], name=["北街"], road_class=["branch"])
    changes, summary, pieces = diff_layer(before, after, "roads")
    assert changes["columns"].tolist() == ["geometry"]  # it moved: a change …
    assert summary["added_measure"] == 0.0 and pieces.empty  # … but no new road


# --- two towns --------------------------------------------------------------------------------------
def town(year, population, *, name="测试镇", parks=1, stats=None) -> tp.Town:
    parks_ = [box(100 * i, 0, 100 * i + 50, 50) for i in range(parks)]
    layers = {
        "builtup": layer([box(-500, -500, 1500, 1500)]),
        "green": layer(parks_, name=[f"游园{i}" for i in range(parks)], green_class=["G1"] * parks),
    }
    return tp.Town(
        name,
        layers=layers,
        population=population,
        statistics=stats or {},
        metadata={} if year is None else {"year": year},
    )


def test_growth_target_and_indicator_deltas():
    c = compare(
        town(2016, 1000),
        town(2017, 1045, parks=2, stats={"population_growth_pct": 4.5}),
        standard="weicheng-2017",
    )
    assert (c.before, c.after) == ("测试镇 2016", "测试镇 2017")
    g = c.growth.set_index("key").loc["population_growth_pct"]
    assert (g["before"], g["after"]) == (1000.0, 1045.0)
    assert g["growth_pct"] == pytest.approx(4.5)
    assert (g["target"], g["comparator"], g["status"]) == (4.0, ">=", "pass")
    assert g["gap"] == pytest.approx(0.5) and g["note"] == ""
    ind = c.indicators.set_index("key")
    assert ind.loc["park_green_area_m2", ["before", "after", "delta", "delta_pct"]].tolist() == [
        2500.0,
        5000.0,
        2500.0,
        100.0,
    ]
    lay = c.layers.set_index("layer")
    assert lay.loc["green", ["added", "added_measure"]].tolist() == [1, 2500.0]
    assert lay.loc["builtup", "unchanged"] == 1
    maps = c.map_layers()
    assert set(maps) == {"before", "after", "added", "removed", "changed", "pieces"}
    assert len(maps["added"]) == 1 and set(maps["after"]) == {"builtup", "green"}


def test_growth_below_target_and_a_reported_figure_that_disagrees():
    c = compare(
        town(2016, 1000),
        town(2017, 1031, stats={"population_growth_pct": 5}),
        standard="weicheng-2017",
    )
    g = c.growth.iloc[0]
    assert g["status"] == "fail" and g["gap"] == pytest.approx(-0.9)
    assert g["note"] == "the town reports 5 %, the vintages give 3.10 %"


def test_without_a_standard_growth_is_measured_not_judged():
    g = compare(town(2016, 1000), town(2017, 1100)).growth.iloc[0]
    assert g["status"] == "no_target" and g["growth_pct"] == pytest.approx(10.0)


def test_undated_vintages_are_taken_in_the_order_given_and_say_so():
    c = compare(town(None, 1000), town(2017, 1000))
    assert c.before == "测试镇 (before)"
    assert c.notes == ["a vintage has no metadata year: the order given is taken as before → after"]


def test_swapped_or_foreign_vintages_are_refused():
    with pytest.raises(TownPlanError, match="'before' is of 2017 and 'after' of 2016"):
        compare(town(2017, 1000), town(2016, 1000))
    with pytest.raises(TownPlanError, match="different towns \\('测试镇', '别镇'\\)"):
        compare(town(2016, 1000), town(2017, 1000, name="别镇"))
    renamed = compare(town(2016, 1000), town(2017, 1000, name="别镇"), check_names=False)
    assert renamed.after == "别镇 2017"
    with pytest.raises(TownPlanError, match="give two Towns"):
        compare(town(2016, 1000).green, town(2017, 1000))


# --- the sample town --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def puzhou():
    return compare(tp.sample_town("puzhou_2016.gpkg"), tp.sample_town(), standard="weicheng-2017")


def test_puzhou_2016_to_2017(puzhou):
    assert (puzhou.before, puzhou.after) == ("蒲州镇 2016", "蒲州镇 2017")
    lay = puzhou.layers.set_index("layer")
    roads = lay.loc["roads"]
    assert roads[["added", "changed", "removed"]].tolist() == [1, 2, 0]  # 东街; 北街, 南环路
    assert roads["delta"] == pytest.approx(1600.0)  # 北街 +500 m, 东街 1,100 m
    # Road length added: less the 0.5 m tolerance where the new road meets an old one.
    assert 1590.0 < roads["added_measure"] <= 1600.0
    assert lay.loc["green", ["added", "added_measure"]].tolist() == [2, pytest.approx(37400.0)]
    assert lay.loc["residential", "added"] == 1  # 鹳雀小区
    assert lay.loc["projects", ["n_before", "n_after"]].tolist() == [0, 32]  # 27 of 2017, P11–P15
    changed = puzhou.changes[puzhou.changes["layer"] == "roads"].set_index("key")["columns"]
    assert changed.to_dict() == {"南环路": "surface", "北街": "geometry", "东街": ""}
    g = puzhou.growth.iloc[0]
    assert (g["before"], g["after"], g["status"]) == (12221.0, 12600.0, "fail")
    assert g["growth_pct"] == pytest.approx(100 * (12600 / 12221 - 1))
    assert g["note"] == ""  # the town's own 3.1 % agrees


def test_inputs_not_modified(puzhou):
    town = tp.sample_town()
    before = town.roads.copy()
    compare(tp.sample_town("puzhou_2016.gpkg"), town)
    pd.testing.assert_frame_equal(town.roads, before)
