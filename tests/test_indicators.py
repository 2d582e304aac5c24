"""tp.town_indicators(town): the table, NaN-with-reason paths, options, registry, and the sample towns."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from indicator_helpers import box, gdf, line, point, square_km

import townplan_gis as tp
from townplan_gis.core.errors import DataFileError, TownPlanError
from townplan_gis.indicators import INDICATOR_COLUMNS, INDICATORS, indicator_info, is_known


def tiny_town(**kwargs) -> tp.Town:
    """1 km² built-up, 8 km of 20 m roads (Chinese column names and values), a park, a quarter."""
    ys = (125, 375, 625, 875)
    lines = [line((0, y), (1000, y)) for y in ys] + [line((x, 0), (x, 1000)) for x in ys]
    roads = gdf(
        lines,
        道路等级=["主干路", "主干路"] + ["支路"] * 6,
        红线宽度=["20m"] * 8,
        路面=["沥青"] * 6 + ["土路"] * 2,
        路灯=["是", "否"] + [None] * 6,
    )
    layers = {
        "builtup": square_km(),
        "roads": roads,
        "green": gdf([box(0, 0, 100, 100), box(50, 0, 150, 100)], 绿地类型=["公园", "公园"]),
        "residential": gdf([box(400, 400, 600, 600)], 户数=[150]),
        "facilities": gdf([point(500, 500)], 设施类型=["公厕"]),
    }
    layers.update(kwargs.pop("layers", {}))
    return tp.Town("小镇", layers=layers, **kwargs)


def values(df: pd.DataFrame) -> dict:
    return dict(zip(df["key"], df["value"], strict=True))


def notes(df: pd.DataFrame) -> dict:
    return dict(zip(df["key"], df["note"], strict=True))


def test_table_columns_and_hand_values():
    df = tp.town_indicators(
        tiny_town(population=10_000, statistics={"water_supply_coverage_pct": 96})
    )
    assert list(df.columns) == INDICATOR_COLUMNS
    assert df["key"].is_unique
    v = values(df)
    assert v["built_up_area_km2"] == pytest.approx(1.0)
    assert v["road_network_density_km_per_km2"] == pytest.approx(8.0)
    # 8 × 20 × 1000 − 16 crossings × 400 = 153 600 m² (crossings once) for 10 000 people.
    assert v["road_area_m2"] == pytest.approx(153_600.0)
    assert v["road_area_per_capita_m2"] == pytest.approx(15.36)
    assert v["road_area_ratio_pct"] == pytest.approx(15.36)
    assert v["paving_rate_pct"] == pytest.approx(75.0)
    assert v["main_road_lighting_pct"] == pytest.approx(50.0)
    assert v["park_green_per_capita_m2"] == pytest.approx(1.5)
    assert v["construction_land_per_capita_m2"] == pytest.approx(100.0)
    assert v["construction_land_grade"] == 2
    assert v["facility_count_public_toilet"] == 1
    assert v["facility_count_market"] == 0
    assert v["household_coverage_public_toilet_pct"] == pytest.approx(100.0)
    assert v["residential_households"] == 150
    assert v["water_supply_coverage_pct"] == 96
    names = df.set_index("key")
    assert names.loc["road_network_density_km_per_km2", "name_zh"] == "路网密度"
    assert names.loc["road_network_density_km_per_km2", "unit"] == "km/km2"
    assert "tool-defined" in names.loc["road_coverage_pct", "note"]


def test_nan_with_reason_never_fake_zero():
    town = tp.Town("空镇", layers={"roads": gdf([line((0, 0), (100, 0))], road_class=["branch"])})
    df = tp.town_indicators(town)
    v, n = values(df), notes(df)
    for key in (
        "built_up_area_km2",
        "population",
        "road_network_density_km_per_km2",
        "road_area_per_capita_m2",
        "green_coverage_pct",
        "green_land_ratio_pct",
        "park_green_per_capita_m2",
        "facility_count_market",
        "household_coverage_market_pct",
        "qualifying_quarters_count",
        "gas_coverage_pct",
        "main_road_lighting_pct",
    ):
        assert math.isnan(v[key]), key
        assert n[key], f"{key} has no reason"
    assert "population" in n["road_area_per_capita_m2"]
    assert "green" in n["green_land_ratio_pct"]
    assert "not reported" in n["gas_coverage_pct"]
    # Every NaN carries a note.
    assert (df.loc[df["value"].isna(), "note"] != "").all()


def test_whole_network_scope_is_noted_on_every_value_measured_without_builtup():
    # Without a built-up area the road values are measured over the whole network and say so; the
    # lighting rate (both trunk roads flagged: 是 → lit, 否 → not, 1 km each → 50 %) included.
    base = tiny_town(population=10_000)
    town = tp.Town("无建成区", layers={k: v for k, v in base.layers.items() if k != "builtup"})
    df = tp.town_indicators(town)
    v, n = values(df), notes(df)
    assert v["main_road_lighting_pct"] == pytest.approx(50.0)
    for key in ("road_length_km", "road_area_m2", "paving_rate_pct", "main_road_lighting_pct"):
        assert "whole network" in n[key], key
    assert math.isnan(v["road_network_density_km_per_km2"])
    assert "whole network" not in n["road_network_density_km_per_km2"]


def scope_town(green_boxes, green_classes, facilities=None, **kwargs) -> tp.Town:
    """1 km² built-up with the given green polygons (and facilities); no roads."""
    layers = {"builtup": square_km(), "green": gdf(green_boxes, green_class=green_classes)}
    if facilities is not None:
        layers["facilities"] = facilities
    return tp.Town("范围镇", layers=layers, population=1000, **kwargs)


def test_park_5_km_outside_is_not_counted_and_fails_the_scorecard():
    # The town's only park lies 5 km east of its 1 km² built-up area: 0 m², 0 parks, and the
    # Ezhou "one public green leisure place" target fails (it used to pass on a count of 1).
    town = scope_town([box(6000, 0, 6100, 100)], ["G1"])
    df = tp.town_indicators(town)
    v, n = values(df), notes(df)
    assert v["park_green_area_m2"] == 0 and v["park_count"] == 0
    assert n["park_count"] == "1 G1 feature(s) outside the built-up area not counted"
    card = tp.assess(df, "ezhou-2017").set_index("key")
    assert card.loc["park_count", "status"] == "fail"
    assert "outside the built-up area not counted" in card.loc["park_count", "note"]
    definition = df.set_index("key").loc["park_count", "definition"]
    assert "inside the built-up area" in definition and "与建成区相交" in definition


def test_park_straddling_the_edge_counts_once_and_passes():
    # Half of a 100 × 100 m park inside the built-up area: 5 000 m² and one park → pass.
    df = tp.town_indicators(scope_town([box(950, 300, 1050, 400)], ["G1"]))
    v, n = values(df), notes(df)
    assert v["park_count"] == 1 and v["park_green_area_m2"] == pytest.approx(5_000)
    assert n["park_count"] == ""
    assert tp.assess(df, "ezhou-2017").set_index("key").loc["park_count", "status"] == "pass"


def test_facility_counts_in_the_table_carry_their_scope():
    f = gdf(
        [point(500, 500), point(6000, 0), point(3000, 3000), point(200, 200)],
        facility_type=["parking", "parking", "landfill", "fitness"],
    )
    df = tp.town_indicators(scope_town([box(0, 0, 10, 10)], ["G2"], facilities=f))
    v, n = values(df), notes(df)
    table = df.set_index("key")
    assert v["facility_count_parking"] == 1
    assert n["facility_count_parking"] == "1 parking outside the built-up area not counted"
    assert "inside the built-up area" in table.loc["facility_count_parking", "definition"]
    assert "部分位于建成区内的停车场个数" in table.loc["facility_count_parking", "definition"]
    # The landfill serves the town from outside: counted township-wide, and both texts say so.
    assert v["facility_count_landfill"] == 1
    assert n["facility_count_landfill"].startswith("township-wide: every landfill")
    assert "全镇域" in table.loc["facility_count_landfill", "definition"]
    assert v["culture_fitness_venue_count"] == 1 and n["culture_fitness_venue_count"] == ""
    # A planner who wants the landfill inside the built-up area only says so.
    strict = tp.town_indicators(
        scope_town([box(0, 0, 10, 10)], ["G2"], facilities=f), township_wide_facility_types=()
    )
    assert values(strict)["facility_count_landfill"] == 0
    assert notes(strict)["facility_count_landfill"] == (
        "1 landfill outside the built-up area not counted"
    )
    assert (
        "inside the built-up area"
        in strict.set_index("key").loc["facility_count_landfill", "definition"]
    )
    with pytest.raises(TownPlanError, match=r"township_wide_facility_types.*\['landfil'\]"):
        tp.town_indicators(
            scope_town([box(0, 0, 10, 10)], ["G2"]), township_wide_facility_types=["landfil"]
        )


def test_counts_without_a_built_up_layer_take_the_whole_layer_and_say_so():
    f = gdf([point(500, 500), point(6000, 0)], facility_type=["parking", "parking"])
    town = tp.Town(
        "无建成区",
        layers={"green": gdf([box(6000, 0, 6100, 100)], green_class=["G1"]), "facilities": f},
    )
    v, n = values(tp.town_indicators(town)), notes(tp.town_indicators(town))
    assert v["park_count"] == 1 and v["facility_count_parking"] == 2
    assert n["park_count"].startswith("no built-up area (layer missing or empty)")
    assert n["facility_count_parking"].startswith("no built-up area (layer missing or empty)")
    assert n["park_green_area_m2"].startswith("no built-up area (layer missing or empty)")


def test_model_quarter_outside_the_built_up_area_is_not_counted():
    # A quarter of 150 households, all green (a G2 over it), 2 km outside the built-up area.
    town = tp.Town(
        "小区镇",
        layers={
            "builtup": square_km(),
            "residential": gdf([box(3000, 0, 3100, 100)], households=[150]),
            "green": gdf([box(3000, 0, 3100, 100)], green_class=["G2"]),
        },
    )
    df = tp.town_indicators(town)
    v, n = values(df), notes(df)
    assert v["qualifying_quarters_count"] == 0
    assert "1 quarter(s) outside the built-up area not considered" in n["qualifying_quarters_count"]
    assert math.isnan(v["best_quarter_green_ratio_pct"])
    assert v["residential_households"] == 150  # every quarter of the layer, as defined


def test_population_missing_only_per_capita_nan():
    v = values(tp.town_indicators(tiny_town()))
    assert math.isnan(v["road_area_per_capita_m2"]) and math.isnan(v["park_green_per_capita_m2"])
    assert v["road_network_density_km_per_km2"] == pytest.approx(8.0)


def test_options_change_values_and_unknown_option_is_refused():
    town = tiny_town(population=10_000)
    near = values(tp.town_indicators(town, coverage_distance_m=10))["road_coverage_pct"]
    far = values(tp.town_indicators(town))["road_coverage_pct"]
    assert near < far == pytest.approx(100.0)
    with pytest.raises(TownPlanError, match="coverage_distnce_m"):
        tp.town_indicators(town, coverage_distnce_m=10)
    with pytest.raises(TownPlanError, match="must be > 0"):
        tp.town_indicators(town, coverage_distance_m=0)
    with pytest.raises(TownPlanError, match="unknown facility type"):
        tp.town_indicators(town, service_radius_m={"toilets": 100})
    # Extra service radius for a known type adds a row.
    df = tp.town_indicators(town, service_radius_m={"clinic": 800})
    assert "household_coverage_clinic_pct" in set(df["key"])


def test_internal_roads_option_on_a_town():
    # A quarter containing an internal 100 m lane: excluded by default.
    extra = gdf([line((450, 500), (550, 500))], road_class=["lane"], redline_width_m=[4.0])
    base = tiny_town()
    town = base.with_layer("roads", pd.concat([base.roads, extra.to_crs(base.crs)]))
    v_default = values(tp.town_indicators(town))
    v_all = values(tp.town_indicators(town, exclude_internal_roads=False))
    assert v_default["road_length_km"] == pytest.approx(8.0)
    assert v_all["road_length_km"] == pytest.approx(8.1)
    assert "internal to residential quarters" in notes(tp.town_indicators(town))["road_length_km"]


def test_reported_statistics_pass_through_including_unregistered():
    town = tiny_town(
        statistics={"gas_coverage_pct": 61.5, "well_equipped_streets_count": 2, "x_pct": 5}
    )
    v = values(tp.town_indicators(town))
    assert v["gas_coverage_pct"] == 61.5
    assert v["well_equipped_streets_count"] == 2
    assert v["x_pct"] == 5


def test_registry():
    assert is_known("road_network_density_km_per_km2")
    assert is_known("facility_count_landfill") and is_known("household_coverage_market_pct")
    assert not is_known("facility_count_spaceport")
    with pytest.raises(DataFileError, match="Known keys"):
        indicator_info("road_density")
    with pytest.raises(DataFileError, match=r"'park_cout' \(did you mean 'park_count'\?\)"):
        indicator_info("park_cout")
    with pytest.raises(DataFileError, match=r"did you mean 'facility_count_parking'\?"):
        indicator_info("facility_count_parkng")
    for key, info in INDICATORS.items():
        assert info.name_zh and info.name_en and info.definition, key


def test_every_count_definition_states_its_scope_in_both_languages():
    from townplan_gis.indicators.facilities import TOWNSHIP_WIDE_FACILITY_TYPES
    from townplan_gis.indicators.registry import facility_types

    spatial = [k for k, i in INDICATORS.items() if i.unit == "count" and i.family != "reported"]
    assert sorted(spatial) == [
        "culture_fitness_venue_count",
        "market_or_commercial_street_count",
        "park_count",
        "qualifying_quarters_count",
    ]
    for key in spatial:
        text = INDICATORS[key].definition
        assert "inside the built-up area" in text and "建成区" in text, key
    assert set(TOWNSHIP_WIDE_FACILITY_TYPES) == {
        "landfill",
        "sewage_plant",
        "water_plant",
        "substation",
        "gas_station",
    }
    for t in facility_types():
        text = indicator_info(f"facility_count_{t}").definition
        if t in TOWNSHIP_WIDE_FACILITY_TYPES:
            assert "township-wide" in text and "全镇域" in text, t
        else:
            assert "inside the built-up area" in text and "部分位于建成区内" in text, t


def test_does_not_modify_town_layers():
    town = tiny_town(population=10_000)
    before = {k: v.copy() for k, v in town.layers.items()}
    tp.town_indicators(town)
    for k, v in town.layers.items():
        assert v.equals(before[k]), k


def test_empty_geometries_do_not_crash():
    town = tiny_town(
        population=1000,
        layers={"green": gdf([box(0, 0, 10, 10), box(0, 0, 0, 0)], green_class=["G1", "G2"])},
    )
    v = values(tp.town_indicators(town))
    assert v["green_land_ratio_pct"] == pytest.approx(0.01)


def test_weicheng_sample_set_is_illustrative_and_differs():
    towns = tp.sample_towns("weicheng")
    assert [t.name for t in towns] == ["渭城镇", "窑店镇", "正阳镇", "底张镇", "周陵镇", "北杜镇"]
    assert all(t.metadata.get("illustrative") is True for t in towns)
    density = [values(tp.town_indicators(t))["road_network_density_km_per_km2"] for t in towns]
    assert len({round(d, 3) for d in density}) == 6
    with pytest.raises(DataFileError, match="unknown sample set"):
        tp.sample_towns("nowhere")


def test_puzhou_sample_indicators():
    # Regression values of the bundled sample (the docstring examples quote the same numbers); the
    # three green indicators stay separate and ordered.
    df = tp.town_indicators(tp.sample_town())
    v = values(df)
    assert v["built_up_area_km2"] == pytest.approx(2.3175, rel=1e-4)
    assert v["population"] == 12_600
    assert v["road_network_density_km_per_km2"] == pytest.approx(5.667, rel=1e-3)
    assert v["green_coverage_pct"] == pytest.approx(15.12, rel=1e-3)
    assert v["green_land_ratio_pct"] == pytest.approx(10.86, rel=1e-3)
    assert v["green_land_ratio_pct"] <= v["green_coverage_pct"]


def test_parallel_path_gives_the_same_table(monkeypatch):
    # Large towns run the heavy geometry on two threads; force that path on the tiny town.
    import townplan_gis.indicators.table as engine

    town = tiny_town(population=10_000)
    sequential = tp.town_indicators(town)
    monkeypatch.setattr(engine, "_PARALLEL_MIN", 0)
    parallel = tp.town_indicators(town)
    pd.testing.assert_frame_equal(sequential, parallel)


def test_empty_layers_give_real_zeros_and_every_nan_has_a_reason():
    # Layers present but empty: no roads is 0 m² of road, no parks is 0 m²; rates over nothing are NaN.
    empty = {
        "roads": gdf([], road_class=[]),
        "green": gdf([], green_class=[]),
        "canopy": gdf([], crown_diameter_m=[]),
        "residential": gdf([], households=[]),
        "facilities": gdf([], facility_type=[]),
        "streetlights": gdf([], kind=[]),
    }
    town = tp.Town("空", layers={"builtup": square_km(), **empty}, allow_empty=True, population=100)
    df = tp.town_indicators(town)
    v = values(df)
    assert v["road_area_m2"] == 0 and v["carriageway_area_m2"] == 0
    assert v["road_network_density_km_per_km2"] == 0 and v["green_coverage_pct"] == 0
    assert v["residential_households"] == 0 and v["facility_count_market"] == 0
    assert math.isnan(v["paving_rate_pct"]) and math.isnan(v["main_road_lighting_pct"])
    assert (df.loc[df["value"].isna(), "note"].str.len() > 0).all()


def test_lighting_note_in_the_table_when_a_road_class_is_missing():
    # tiny_town's roads with the second arterial's class left empty (its width is given, so the
    # schema keeps it as unknown): only the lit arterial remains, 1000 / 1000 = 100 %.
    ys = (125, 375, 625, 875)
    lines = [line((0, y), (1000, y)) for y in ys] + [line((x, 0), (x, 1000)) for x in ys]
    roads = gdf(
        lines,
        道路等级=["主干路", None] + ["支路"] * 6,
        红线宽度=["20m"] * 8,
        路面=["沥青"] * 6 + ["土路"] * 2,
        路灯=["是", "否"] + [None] * 6,
    )
    town = tiny_town(layers={"roads": roads})
    rep = town.repairs
    assert rep[rep.action == "filled_unknown"]["rows"].tolist() == [[1]]
    df = tp.town_indicators(town)
    assert values(df)["main_road_lighting_pct"] == pytest.approx(100.0)
    note = notes(df)["main_road_lighting_pct"]
    assert "1 road(s) without road_class (道路等级) in rows [1] are left out" in note
    assert "the value covers only the classified roads" in note
    # area does not need the class: still 153 600 m² (see test_table_columns_and_hand_values)
    assert values(df)["road_area_m2"] == pytest.approx(153_600.0)


def test_lighting_nan_with_fix_when_no_road_has_a_class():
    ys = (125, 375, 625, 875)
    lines = [line((0, y), (1000, y)) for y in ys] + [line((x, 0), (x, 1000)) for x in ys]
    roads = gdf(lines, 红线宽度=["20m"] * 8, 路灯=["是", "否"] + [None] * 6)
    df = tp.town_indicators(tiny_town(layers={"roads": roads}))
    assert math.isnan(values(df)["main_road_lighting_pct"])
    note = notes(df)["main_road_lighting_pct"]
    assert "road_class (道路等级) is missing for all 8 road(s)" in note
    assert "Fix: fill road_class (道路等级" in note
    assert values(df)["road_area_m2"] == pytest.approx(153_600.0)


def test_coverage_given_by_the_caller_is_used_only_if_it_is_this_towns():
    # The Pipeline hands the indicators its own park coverage and life circles: equal values.
    # A table of another town (here: the sample town without one residential quarter) would
    # print a plausible coverage: it is refused, naming the residential land of both.
    town = tp.sample_town()
    park, circles = tp.park_service_coverage(town), tp.life_circles(town)
    plain = tp.town_indicators(town).set_index("key")["value"]
    given = tp.town_indicators(town, park=park, circles=circles).set_index("key")["value"]
    pd.testing.assert_series_equal(plain, given)
    other = tp.Town(
        "缺一小区",
        layers={**town.layers, "residential": town.layers["residential"].iloc[1:]},
        crs=town.crs,
    )
    with pytest.raises(TownPlanError, match=r"park= is not the park service coverage of this town"):
        tp.town_indicators(other, park=park)
    with pytest.raises(TownPlanError, match=r"circles= is not the life-circle table of this town"):
        tp.town_indicators(other, circles=circles)
    with pytest.raises(TownPlanError, match=r"circles= is not"):
        tp.town_indicators(town, circles=circles.iloc[1:])  # a category missing
